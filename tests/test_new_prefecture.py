"""A prefecture added in one command works on every page: 島根県 from N03-shaped fixtures with
its own 県民局 and a target (AppTest and a real browser), and a prefecture with no bureaus and no
target (every page renders, no bureau widget, no judgement)."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import PROJECT_DIR
from dashboard.ui.navigation import PAGES
from etl.build import build
from etl.profile_new import new_profile
from tests.browser import (
    chromium,
    plot_marks,
    require_browser,
    screenshot,
    streamlit_server,
    wait_for_app,
)
from tests.conftest import settings_for
from tests.n03 import shimane_n03
from tests.test_profile_new import SURVEY, bureau_csv


def _prefecture(root, with_bureaus: bool):
    """Profiles, reference and boundaries of the project plus 島根県, and a warehouse built from a
    島根県 survey list (the sample's 福島・鳥取 data is not needed here)."""
    shutil.copytree(PROJECT_DIR / "data" / "profiles", root / "profiles")
    shutil.copytree(PROJECT_DIR / "data" / "reference", root / "reference")
    settings = settings_for(root, profiles_dir=root / "profiles", reference_dir=root / "reference")
    bureaus = bureau_csv(root / "bureaus.csv") if with_bureaus else None
    target = (2030, 40) if with_bureaus else None
    new_profile(settings, "32", str(shimane_n03(root / "n03.geojson")), bureaus, target)
    (root / "input").mkdir()
    (root / "input" / "shimane_survey_r06_2024.csv").write_text(SURVEY, encoding="utf-8")
    build(settings, root / "input")
    return settings


def _env(settings) -> dict[str, str]:
    return {"KYOTEN_WAREHOUSE_DIR": str(settings.warehouse_dir), "KYOTEN_PROFILES_DIR": str(settings.profiles_dir),
            "KYOTEN_REFERENCE_DIR": str(settings.reference_dir), "KYOTEN_BOUNDARIES_DIR": str(settings.boundaries_dir)}  # fmt: skip


@pytest.fixture(scope="module")
def shimane(tmp_path_factory):
    return _prefecture(tmp_path_factory.mktemp("shimane"), with_bureaus=True)


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    return _prefecture(tmp_path_factory.mktemp("bare"), with_bureaus=False)


def run(settings, monkeypatch, page: str) -> AppTest:
    for key, value in _env(settings).items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=60)
    at.query_params["profile"] = "shimane"
    at.run()
    if page != PAGES[0].path:
        at.switch_page(page).run()
    assert not at.exception, (page, at.exception)
    assert not at.error, (page, [e.value for e in at.error])
    return at


@pytest.mark.parametrize("page", [p.path for p in PAGES])
def test_every_page_works_for_the_new_prefecture(shimane, monkeypatch, page):
    at = run(shimane, monkeypatch, page)
    assert at.title[0].value == next(p.title for p in PAGES if p.path == page)
    assert "島根県" in "\n".join(c.value for c in at.caption)


def test_its_figures_and_bureaus(shimane, monkeypatch):
    at = run(shimane, monkeypatch, PAGES[0].path)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["拠点数 / 目標（令和6年度 (2024)）"] == "5 / 40拠点"
    assert metrics["地域運営組織（令和6年度 (2024)）"] == "3組織（ほか不明1）"
    assert at.multiselect(key="f_bureaus").options == ["松江", "西部", "出雲", "隠岐"]
    hubs = run(shimane, monkeypatch, "pages/hubs.py")
    table = next(d.value for d in hubs.dataframe if "県民局" in d.value.columns)
    assert dict(zip(table["県民局"], table["拠点数（拠点）"].astype(int), strict=True)) == {
        "松江": 1, "西部": 1, "出雲": 2, "隠岐": 1, "県全体": 5}  # fmt: skip


@pytest.mark.parametrize("page", [p.path for p in PAGES])
def test_a_prefecture_without_bureaus_or_target_renders_every_page(bare, monkeypatch, page):
    at = run(bare, monkeypatch, page)
    assert not [m for m in at.multiselect if m.key == "f_bureaus"]  # hidden, not empty
    assert not [r for r in at.radio if r.key == "grant_map_level_radio"]
    text = "\n".join(e.value for e in (*at.markdown, *at.caption))
    scope = next(c.value for c in at.caption if "島根県" in c.value)
    assert "振興局" not in scope and "県民局" not in scope  # 島根県 ／ 令和6年度 (2024)～…
    if page == PAGES[0].path:
        assert "目標なし" in text and "目標が設定されていない" in text


def test_the_new_prefectures_map_and_pages_in_a_browser(shimane):
    require_browser()
    with streamlit_server(_env(shimane)) as base, chromium() as browser:
        page = browser.new_context(
            viewport={"width": 1400, "height": 1000}, locale="ja-JP"
        ).new_page()
        for spec in PAGES:
            path = "" if spec is PAGES[0] else spec.path.removeprefix("pages/").removesuffix(".py")
            page.goto(f"{base}/{path}?profile=shimane")
            wait_for_app(page, "島根県 ／", timeout=60_000)  # the scope line of the page body
            text = page.locator("[data-testid=stMain]").inner_text()
            assert "島根県" in text and "Traceback" not in text and "Error" not in text, spec.title
        page.goto(f"{base}/grant_map?profile=shimane")
        wait_for_app(page, "補助金マップ", timeout=60_000)
        page.wait_for_function(
            """() => { const gd = document.querySelector('.js-plotly-plot');
                       return gd && gd._fullData && gd._fullData.length > 0; }""",
            timeout=30_000,
        )
        locations = page.evaluate(
            "() => document.querySelector('.js-plotly-plot')._fullData"
            ".flatMap(t => Array.from(t.locations || []))"
        )
        assert sorted(locations) == sorted(shimane_codes())  # a polygon for all 19 municipalities
        assert plot_marks(page)[0]["traces"] > 0
        screenshot(page, "shimane-grant-map")


def shimane_codes() -> list[str]:
    from tests.n03 import SHIMANE

    return list(SHIMANE)


def test_without_a_target_the_hub_card_is_not_labelled_against_one(bare, monkeypatch):
    at = run(bare, monkeypatch, PAGES[0].path)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["拠点数（令和6年度 (2024)）"] == "5拠点"
    assert not any("目標" in label for label in metrics)
