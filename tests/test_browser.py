"""Headless Chromium against `streamlit run`: charts are drawn, text is Japanese, a link
reproduces the view, the map draws polygons from an N03-shaped fixture or falls back to points."""

from __future__ import annotations

import re
import subprocess
import urllib.parse

import pytest

from dashboard.ui.navigation import PAGES as NAVIGATION
from etl.boundaries import fetch_boundaries
from tests.browser import (
    OUTPUT_DIR,
    plot_marks,
    require_browser,
    screenshot,
    streamlit_server,
    wait_for_app,
    wait_rendered,
)
from tests.n03 import write_geojson

pytestmark = pytest.mark.browser
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def server(sample_settings, tmp_path_factory):
    require_browser()
    root = tmp_path_factory.mktemp("browser")
    boundaries = root / "boundaries"
    settings = sample_settings.__class__(
        **{**sample_settings.__dict__, "boundaries_dir": boundaries}
    )
    fetch_boundaries(settings, "fukushima", str(write_geojson(root / "n03.geojson")))
    env = {
        "KYOTEN_WAREHOUSE_DIR": str(sample_settings.warehouse_dir),
        "KYOTEN_BOUNDARIES_DIR": str(boundaries),
    }
    with streamlit_server(env) as base:
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    yield page
    context.close()


def metrics(page) -> list[str]:
    return [
        t.replace("\n\n", " ") for t in page.locator("[data-testid=stMetric]").all_inner_texts()
    ]


@pytest.mark.parametrize(
    ("path", "heading", "charts"),
    [
        ("", "進捗の判定", 2),
        ("hubs", "市町村別", 3),
        ("pipeline", "地区ごとの歩み", 1),
        ("data", "品質レポート", 0),
    ],
)
def test_page_draws_its_charts_in_japanese(server, page, path, heading, charts):
    page.goto(f"{server}/{path}")
    wait_for_app(page, heading)
    wait_rendered(page)
    marks = plot_marks(page)
    assert len(marks) >= charts
    assert all(m["svgMarks"] > 0 for m in marks[:charts]), marks
    body = page.locator("[data-testid=stMain]").inner_text()
    assert len(JAPANESE.findall(body)) > 50 and "サンプルデータ" in body
    screenshot(page, f"page-{path or 'overview'}")


def test_choosing_a_bureau_is_in_the_url_and_the_link_reproduces_the_view(server, browser, page):
    page.goto(f"{server}/")
    wait_for_app(page, "進捗の判定")
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.locator("[data-testid=stMultiSelect]").click()
    page.get_by_role("option", name="南会津").click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => location.search.includes('bureau=')", timeout=15_000)
    wait_for_app(page, "拠点数（南会津・")
    url = page.url
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert query["bureau"] == ["南会津"] and query["profile"] == ["fukushima"]
    shown = metrics(page)
    page.locator("[data-testid=stSidebarNavLink]", has_text="拠点・地域運営組織").click()
    page.wait_for_function(
        "() => location.pathname.endsWith('/hubs') && location.search.includes('bureau=')"
    )
    wait_for_app(page, "市町村別")
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    fresh.goto(url)
    wait_for_app(fresh, "拠点数（南会津・")
    fresh.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=stMetric]').length >= {len(shown)}"
    )
    assert metrics(fresh) == shown
    chosen = fresh.locator("[data-testid=stSidebar] [data-testid=stMultiSelect]").inner_text()
    assert "南会津" in chosen
    screenshot(fresh, "link-reproduces-bureau")
    fresh.context.close()


def test_a_stale_link_warns_and_falls_back(server, page):
    page.goto(f"{server}/hubs?profile=fukushima&bureau=%E6%9E%B6%E7%A9%BA&from=1990&to=1991")
    wait_for_app(page, "拠点・地域運営組織")
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "架空" in text and "除外しました" in text and "年度" in text
    screenshot(page, "stale-link")


def test_grant_map_draws_polygons_from_the_n03_fixture(server, page):
    page.goto(f"{server}/grant_map")
    wait_for_app(page, "補助金マップ")
    page.wait_for_function(
        """() => { const gd = document.querySelector('.js-plotly-plot');
                   const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
                   return sub && sub.map && sub.map.isStyleLoaded() && sub.map.queryRenderedFeatures().length > 0; }""",
        timeout=30_000,
    )
    marks = plot_marks(page)
    assert marks[0]["mapFeatures"] > 0
    assert "国土数値情報" in page.locator("[data-testid=stMain]").inner_text()
    screenshot(page, "grant-map-polygons")


def test_grant_map_falls_back_to_points_without_boundaries(server, page):
    page.goto(f"{server}/grant_map?profile=tottori")
    wait_for_app(page, "補助金マップ")
    page.wait_for_function(  # the map's traces are drawn after the script run ends
        "() => { const gd = document.querySelector('.js-plotly-plot');"
        " return gd && gd._fullData && gd._fullData.length > 0; }",
        timeout=30_000,
    )
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "python -m etl boundaries" in text
    marks = plot_marks(page)
    assert marks and marks[0]["traces"] > 0
    screenshot(page, "grant-map-points")


def test_a_fresh_servers_first_request_may_be_a_deep_link(sample_settings, browser, tmp_path):
    """The first request of a new server process goes to /hubs: the page runs through the router
    (Japanese navigation, no 'Page not found'), not as a legacy pages-folder script."""
    env = {
        "KYOTEN_WAREHOUSE_DIR": str(sample_settings.warehouse_dir),
        "KYOTEN_BOUNDARIES_DIR": str(tmp_path),
    }
    with streamlit_server(env) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/hubs?bureau=%E4%BC%9A%E6%B4%A5")
        wait_for_app(page, "市町村別")
        nav = [
            t.split("\n")[-1]
            for t in page.locator("[data-testid=stSidebarNavLink]").all_inner_texts()
        ]
        assert nav == [spec.title for spec in NAVIGATION]  # the router's list, in Japanese
        assert page.get_by_text("Page not found").count() == 0
        assert "bureau=" in page.url
        page.close()


@pytest.mark.parametrize(
    ("path", "heading", "charts"),
    [("", "進捗の判定", 2), ("hubs", "特定地域づくり事業協同組合", 3), ("grant_map", "補助金マップ", 1),
     ("pipeline", "鳥取県の補助金の規則", 0), ("data", "品質レポート", 0)],
)  # fmt: skip
def test_tottori_profile_on_every_page(server, page, path, heading, charts):
    page.goto(f"{server}/{path}?profile=tottori")
    wait_for_app(page, heading)
    wait_rendered(page)
    body = page.locator("[data-testid=stMain]").inner_text()
    assert f"鳥取県 ／ {'地域'}" in body  # the scope line names the profile and its bureau label
    sidebar = page.locator("[data-testid=stSidebar]").inner_text()
    assert "\n地域\n" in sidebar and "地方振興局" not in sidebar  # its bureaus are 地域
    marks = plot_marks(page)
    assert len(marks) >= charts and all(
        m["svgMarks"] > 0 or m["traces"] > 0 for m in marks[:charts]
    )
    if path == "":
        assert "45拠点" in body  # 鳥取県's KPI: 45 hubs by 令和6年度
    screenshot(page, f"tottori-{path or 'overview'}")


@pytest.mark.parametrize(
    ("label", "suffix", "magic"),
    [("PowerPoint（PPTX） をダウンロード", ".pptx", b"PK"), ("PDF をダウンロード", ".pdf", b"%PDF"),
     ("Excel（表） をダウンロード", ".xlsx", b"PK")],
)  # fmt: skip
def test_briefing_download_buttons_give_valid_files(server, page, label, suffix, magic, tmp_path):
    page.goto(f"{server}/briefing?bureau=%E4%BC%9A%E6%B4%A5")
    wait_for_app(page, "補助金の規則チェック")
    with page.expect_download(timeout=90_000) as download:
        page.get_by_role("button", name=label).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert (
        path.name.startswith("小さな拠点ブリーフィング_fukushima_会津_") and path.suffix == suffix
    )
    data = path.read_bytes()
    assert data.startswith(magic) and len(data) > 5_000
    if suffix == ".pdf":
        text = subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True
        ).stdout
        assert "小さな拠点 ブリーフィング" in text and "会津" in text


def test_briefing_prints_on_one_a4_landscape_page(server, page, tmp_path):
    page.goto(f"{server}/briefing")
    wait_for_app(page, "補助金の規則チェック")
    wait_rendered(page)
    page.emulate_media(media="print")
    pdf = tmp_path / "briefing.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", info) and "841.92 x 594.96" in info  # A4 landscape, one page
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    for expected in (
        "59 / 60拠点",
        "47組織",
        "79.7%",
        "判定: 順調",
        "令和2年度 (2020)～令和8年度 (2026)",
        "サンプルデータ",
    ):
        assert expected in text
    for absent in (
        "都道府県（プロファイル）",
        "ダウンロード",
        "CSVの文字コード",
    ):  # no sidebar, no widgets
        assert absent not in text
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "80",
            "-png",
            "-singlefile",
            str(pdf),
            str(OUTPUT_DIR / "briefing-print"),
        ],
        check=True,
    )


def test_a_page_downloads_its_tables_as_excel(server, page, tmp_path):
    import openpyxl

    page.goto(f"{server}/hubs?bureau=%E4%BC%9A%E6%B4%A5")
    wait_for_app(page, "市町村別")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name=re.compile("この画面の表.*Excel")).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert (
        path.name.startswith("小さな拠点モニター_拠点・地域運営組織_fukushima_会津_")
        and path.suffix == ".xlsx"
    )
    book = openpyxl.load_workbook(path)
    assert "概要" in book.sheetnames and "市町村別の拠点" in book.sheetnames
    sheet = book["市町村別の拠点"]
    header = [c.value for c in sheet[4]]
    codes = [
        row[header.index("市町村コード")] for row in sheet.iter_rows(min_row=5, values_only=True)
    ]
    assert codes and all(isinstance(c, str) and len(c) == 5 and c.startswith("07") for c in codes)
