"""A steward's upload → validate → preview → publish → rollback in the browser, with hostile
values in the file, a bad file refused cell by cell, and a reader working through the publish."""

from __future__ import annotations

import csv
import io

import pytest

from core import layout
from etl import publish
from etl.build import build
from tests.browser import chromium, require_browser, screenshot, streamlit_server, wait_for_app
from tests.conftest import SAMPLE_DIR

pytestmark = pytest.mark.browser
HOSTILE_HUB = "<script>alert(1)</script>交流館"
HOSTILE_DISTRICT = '=HYPERLINK("http://example.invalid","x")'


def survey_with_one_more_hub(path) -> None:
    """The 2024 list plus a hub without an RMO whose name and district are hostile text."""
    rows = list(
        csv.reader(
            io.StringIO(
                (SAMPLE_DIR / "fukushima_survey_r06_2024.csv").read_text(encoding="utf-8-sig")
            )
        )
    )
    header = rows[0]
    extra = list(rows[1])
    extra[header.index("小さな拠点の名称")] = HOSTILE_HUB
    extra[header.index("地区名")] = HOSTILE_DISTRICT
    extra[header.index("地域運営組織の有無")] = "なし"
    extra[header.index("地域運営組織名")] = ""
    extra[header.index("法人格")] = ""
    rows.append(extra)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)


@pytest.fixture(scope="module")
def steward_server(tmp_path_factory):
    require_browser()
    root = tmp_path_factory.mktemp("steward")
    from tests.conftest import settings_for

    settings = settings_for(root)
    build(settings, SAMPLE_DIR)
    env = {"KYOTEN_WAREHOUSE_DIR": str(settings.warehouse_dir), "KYOTEN_UPLOADS_DIR": str(root / "uploads"),
           "KYOTEN_BOUNDARIES_DIR": str(root / "none"), "KYOTEN_LOCAL_STEWARD": "1"}  # fmt: skip
    with streamlit_server(env) as base:
        yield base, settings, root


@pytest.fixture(scope="module")
def browser(steward_server):
    with chromium() as browser:
        yield browser


def data_page(browser, base):
    page = browser.new_context(
        viewport={"width": 1400, "height": 1000}, accept_downloads=True
    ).new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/data")
    wait_for_app(page, "データの取り込み")
    page.wait_for_selector("[data-testid=stFileUploader]", timeout=20_000)
    return page, dialogs


def test_a_bad_file_is_refused_cell_by_cell_and_nothing_changes(steward_server, browser):
    base, settings, root = steward_server
    before = layout.current_build_id(settings.warehouse_dir)
    bad = root / "bad_grants.csv"
    bad.write_text("年度,市町村,地区名,事業区分,補助金額（円）,状態\n令和6年度,西会津町,A地区,計画策定事業,12x,完了\n"
                   "令和6年度,架空町,B地区,計画策定事業,1000,完了\n", encoding="utf-8")  # fmt: skip
    page, _ = data_page(browser, base)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(bad))
    page.wait_for_selector("text=2件の問題があります", timeout=30_000)
    assert page.get_by_role("button", name="公開した場合の変更を確認する").count() == 0
    assert layout.current_build_id(settings.warehouse_dir) == before
    screenshot(page, "steward-bad-file")
    page.context.close()


def test_upload_preview_publish_with_a_reader_working_through_it(steward_server, browser):
    base, settings, root = steward_server
    before = layout.current_build_id(settings.warehouse_dir)
    upload = root / "fukushima_survey_r06_2024.csv"
    survey_with_one_more_hub(upload)
    page, dialogs = data_page(browser, base)
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(upload))
    page.wait_for_selector("text=問題はありません", timeout=30_000)
    page.get_by_role("button", name="公開した場合の変更を確認する").click()
    page.wait_for_selector("text=KPI の値（公開前 → 公開後）", timeout=60_000)
    screenshot(page, "steward-preview")

    reader = browser.new_context(
        viewport={"width": 1200, "height": 900}, accept_downloads=True
    ).new_page()
    reader_errors: list[str] = []

    def read(path: str) -> None:
        reader.goto(f"{base}/{path}")
        reader.wait_for_selector("[data-testid=stMain] h1", timeout=30_000)
        reader.wait_for_timeout(300)
        errors = reader.locator("[data-testid=stException], [data-testid=stAlertContentError]")
        reader_errors.extend(errors.all_inner_texts())

    # The server publishes in the steward's session while a viewer keeps loading pages.
    page.get_by_role("button", name="公開する").click()
    published = page.get_by_text("公開しました。")
    loads = 0
    while published.count() == 0 and loads < 40:
        read(["", "hubs", "grant_map", "pipeline"][loads % 4])
        loads += 1
    page.wait_for_selector("text=公開しました。", timeout=90_000)
    for path in [
        "",
        "hubs",
        "grant_map",
        "pipeline",
        "briefing",
        "data",
    ]:  # and on every page afterwards
        read(path)
    assert loads >= 1
    assert reader_errors == []
    after = layout.current_build_id(settings.warehouse_dir)
    assert after != before
    screenshot(page, "steward-published")

    reader.goto(f"{base}/hubs")
    wait_for_app(reader, "地域運営組織のない拠点")
    reader.wait_for_selector(
        "text=13か所", timeout=20_000
    )  # 12 in the sample, plus the uploaded one
    assert dialogs == []  # the <script> in the data never ran

    with reader.expect_download(timeout=30_000) as download:
        reader.locator("[data-testid=stExpander]", has_text="13か所").get_by_role(
            "button", name="CSVをダウンロード"
        ).click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    assert HOSTILE_HUB in text  # shown and exported as text
    assert "'=HYPERLINK(" in text and ",=HYPERLINK(" not in text  # never a live formula
    reader.context.close()
    page.context.close()


def test_rollback_makes_the_previous_build_current(steward_server, browser):
    base, settings, _ = steward_server
    builds = publish.list_builds(settings.warehouse_dir)
    assert len(builds) >= 2
    previous = builds[1].build_id
    page, _ = data_page(browser, base)
    page.get_by_role("button", name="この版に戻す").first.click()
    page.wait_for_selector("text=に戻しました", timeout=30_000)
    assert layout.current_build_id(settings.warehouse_dir) == previous
    page.goto(f"{base}/hubs")
    wait_for_app(page, "地域運営組織のない拠点")
    page.wait_for_selector("text=12か所", timeout=20_000)
    assert page.get_by_text("13か所").count() == 0  # nothing of the rolled-back build is left
    screenshot(page, "steward-rolled-back")
    page.context.close()
