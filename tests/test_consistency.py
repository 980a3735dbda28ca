"""One definition per number: every metric of the catalogue shows the same label (with its
scope), value and change on every surface — the 概要, ブリーフィング and 補助金マップ pages (AppTest), the page's
Excel download, the briefing Excel, PPTX and PDF — for several filter sets, and each value is the
one the warehouse gives when counted directly in SQL here.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from core.settings import PROJECT_DIR
from dashboard.db import Warehouse
from dashboard.export.pdf_pack import build_html, html_to_pdf
from dashboard.export.pptx_pack import render_pptx
from dashboard.export.xlsx_pack import render_xlsx, view_workbook
from dashboard.filters import build_profile_options, parse_filters, scope_text
from dashboard.formatting import fy_label, money_text
from dashboard.metrics import Card
from dashboard.views import direct_loader
from dashboard.views.overview import build_overview
from dashboard.views.pack import build_pack
from tests.browser import CHROMIUM, require_browser

FILTER_SETS = {
    "all": {},
    "one-bureau": {"bureau": ["会津"]},
    "two-bureaus-R4-R6": {"bureau": ["会津", "南会津"], "from": ["2022"], "to": ["2024"]},
    "R2-R3": {"from": ["2020"], "to": ["2021"]},
    "tottori": {"profile": ["tottori"]},
}
Shown = tuple[str, str, str | None]  # label, value, change


@pytest.fixture(scope="module")
def load(sample_settings):
    db = Warehouse(sample_settings.warehouse_dir)
    yield direct_loader(db)
    db.close()


@pytest.fixture(scope="module")
def sql(sample_settings):
    db = Warehouse(sample_settings.warehouse_dir)
    yield lambda text, params=(): db.query(text, list(params))
    db.close()


def scope_of(load, params):
    options = build_profile_options(load)
    filters, warnings = parse_filters(params, options, "fukushima")
    assert not warnings
    return filters, options[filters.profile]


# --- what each surface shows ---------------------------------------------------------------------


def run_page(params: dict, page: str | None) -> AppTest:
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def metrics_on(at: AppTest) -> dict[str, Shown]:
    return {m.label: (m.label, m.value, m.delta or None) for m in at.metric}


def excel_text(number: float, number_format: str) -> str:
    """A number as Excel shows it under the formats the exports write."""
    sections = re.findall(r'(?:[^;"]|"[^"]*")+', number_format)
    section = sections[0]
    if number < 0 and len(sections) > 1:
        section, number = sections[1], -number
    elif number == 0 and len(sections) > 2:
        section = sections[2]
    match = re.fullmatch(r'([^#"]*)#,##0(?:\.(0+))?"(.*)"', section)
    assert match, number_format
    digits = len(match[2] or "")
    return f"{match[1]}{number:,.{digits}f}{match[3]}"


def excel_headlines(data: bytes) -> dict[str, Shown]:
    """The 主要指標 rows of a workbook's 概要 sheet: label → (label, value, change) as shown."""
    sheet = load_workbook(io.BytesIO(data))["概要"]
    rows, inside = {}, False
    for row in sheet.iter_rows():
        first = row[0].value
        if first == "主要指標":
            inside = True
            continue
        if inside and first is None:
            break
        if inside:
            value, change = row[1], row[2]
            shown = (
                excel_text(value.value, value.number_format)
                if isinstance(value.value, (int, float))
                else value.value
            )
            delta = None
            if change.value is not None:
                delta = excel_text(change.value, change.number_format) if isinstance(change.value, (int, float)) \
                    else change.value  # fmt: skip
            rows[first] = (first, shown, delta)
    return rows


def pptx_headlines(data: bytes) -> dict[str, Shown]:
    slide = Presentation(io.BytesIO(data)).slides[0]  # the summary slide
    rows = {}
    for shape in slide.shapes:
        if shape.has_text_frame and len(shape.text_frame.paragraphs) == 3 and shape.shape_type == 1:
            label, value, delta = (p.text for p in shape.text_frame.paragraphs)
            rows[label] = (label, value, delta or None)
    return rows


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- the check -----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=list(FILTER_SETS))
def surfaces(request, sample_settings, load, tmp_path_factory):
    name = request.param
    params = FILTER_SETS[name]
    filters, option = scope_of(load, params)
    tmp = tmp_path_factory.mktemp(f"surfaces-{name}")
    mp = pytest.MonkeyPatch()
    mp.setenv("KYOTEN_WAREHOUSE_DIR", str(sample_settings.warehouse_dir))
    mp.setenv("KYOTEN_BOUNDARIES_DIR", str(tmp / "no-boundaries"))
    try:
        overview_page = run_page(params, None)
        briefing_page = run_page(params, "pages/briefing.py")
        pipeline_page = run_page(params, "pages/pipeline.py")
        grant_map_page = run_page(params, "pages/grant_map.py")
    finally:
        mp.undo()
    pack = build_pack(load, filters, option, tmp / "no-boundaries", "white-bg", include_map=False)
    overview = build_overview(load, filters, option)
    page_cards = overview.cards + overview.rule_cards
    page_excel = view_workbook("概要", option, filters, scope_text(filters, option), pack.as_of, True, [],
                               pack.generated, page_cards, overview.grade.label, [overview.outlook])  # fmt: skip
    text_only = dataclasses.replace(pack, charts=[])  # the cards are what is compared
    deck = render_pptx(text_only, {})
    return {
        "name": name, "filters": filters, "option": option, "pack": pack, "page_cards": page_cards,
        "overview_page": metrics_on(overview_page), "briefing_page": metrics_on(briefing_page),
        "grant_map_page": metrics_on(grant_map_page),
        "pipeline_page": metrics_on(pipeline_page),
        "header": "\n".join(c.value for c in overview_page.caption),
        "page_excel": excel_headlines(page_excel), "pack_excel": excel_headlines(render_xlsx(pack)),
        "pptx": pptx_headlines(deck), "text_only": text_only,
    }  # fmt: skip


def shown(card: Card) -> Shown:
    return (card.label, card.value, card.delta)


def test_every_metric_is_the_same_on_every_surface(surfaces):
    cards: dict[str, Card] = {}
    for card in surfaces["page_cards"] + surfaces["pack"].headlines:
        other = cards.setdefault(card.metric, card)
        assert shown(other) == shown(card), card.metric  # the page and the pack agree
    on_page = {c.metric for c in surfaces["page_cards"]}
    in_pack = {c.metric for c in surfaces["pack"].headlines}
    for metric, card in cards.items():
        where = []
        if metric in on_page:
            where += ["overview_page", "page_excel"]
        if metric in in_pack:
            where += ["briefing_page", "pack_excel", "pptx"]
        if metric == "grant_spend_period":  # the map page shows it too
            where += ["grant_map_page"]
        if metric in ("rule_errors", "rule_advice"):  # and 事業パイプライン the rule counts
            where += ["pipeline_page"]
        for surface in where:
            assert surfaces[surface].get(card.label) == shown(card), (surface, metric)


def test_the_pdf_shows_the_same_cards(surfaces, tmp_path):
    require_browser()
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(html_to_pdf(build_html(surfaces["text_only"], {}), CHROMIUM))
    text = squeeze(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout)  # fmt: skip
    for card in surfaces["pack"].headlines:
        for part in filter(None, shown(card)):
            assert squeeze(part) in text, (card.metric, part)


def test_the_values_are_the_warehouses(surfaces, sql):
    """Each card counted again here, straight from the base marts."""
    filters, option = surfaces["filters"], surfaces["option"]
    cards = {c.metric: c for c in surfaces["page_cards"] + surfaces["pack"].headlines}
    pref, to_fy = option.pref_code, filters.to_fy
    hubs = sql("""select fiscal_year, value from kpi_series where pref_code = ? and indicator = 'hubs_total'
                  and kind = 'actual' and value is not null and fiscal_year <= ?
                  order by fiscal_year desc, basis <> 'published' limit 1""", [pref, to_fy])  # fmt: skip
    assert cards["hubs_total"].reading.value == float(hubs["value"].iloc[0])
    assert cards["hubs_total"].label.endswith(f"（{fy_label(int(hubs['fiscal_year'].iloc[0]))}）")
    bureaus = list(filters.bureaus) or list(option.bureaus)
    grants = sql("""select count(*) as n, sum(grant_yen) as yen from grants where pref_code = ? and not is_withdrawn
                    and fiscal_year between ? and ? and list_contains(?, bureau)""",
                 [pref, filters.from_fy, to_fy, bureaus])  # fmt: skip
    any_grants = int(
        sql("select count(*) as n from grants where pref_code = ?", [pref])["n"].iloc[0]
    )
    period = cards["grant_spend_period"]
    expected = money_text(float(grants["yen"].iloc[0] or 0)) if any_grants else "データなし"
    assert period.value == expected
    if filters.bureaus:
        listed = sql("""select count(*) as n from hubs where pref_code = ? and list_contains(?, bureau)
                        and fiscal_year = (select max(fiscal_year) from hubs where pref_code = ? and fiscal_year <= ?)""",
                     [pref, bureaus, pref, to_fy])  # fmt: skip
        assert cards["selection_hubs"].reading.value == float(listed["n"].iloc[0])
    if any_grants:
        findings = sql("""select severity, count(*) as n from rule_findings where pref_code = ?
                          and fiscal_year between ? and ? and list_contains(?, bureau) group by severity""",
                       [pref, filters.from_fy, to_fy, bureaus])  # fmt: skip
        counts = dict(zip(findings["severity"], findings["n"], strict=True))
        errors, advice = cards["rule_errors"].value, cards["rule_advice"].value
        assert (errors, advice) == (f"{counts.get('error', 0)}件", f"{counts.get('advice', 0)}件")


def test_the_header_names_the_list_the_stocks_are_as_of(surfaces, sql):
    filters, option = surfaces["filters"], surfaces["option"]
    latest = sql("select max(fiscal_year) as y from hubs where pref_code = ? and fiscal_year <= ?",
                 [option.pref_code, filters.to_fy])["y"].iloc[0]  # fmt: skip
    assert f"拠点一覧 {fy_label(int(latest))}" in surfaces["header"]
    assert f"拠点一覧 {fy_label(int(latest))}" in surfaces["pack"].as_of


def test_a_period_ending_in_r3_shows_the_r2_list(surfaces):
    hubs = next(c for c in surfaces["page_cards"] if c.metric == "hubs_total")
    assert hubs.reading.year <= surfaces["filters"].to_fy  # a stock is never from after the period
    if surfaces["name"] == "R2-R3":  # the literal case: the 2020 list's 48 and its date
        assert (hubs.label, hubs.value) == ("拠点数 / 目標（令和2年度 (2020)）", "48 / 60拠点")
        assert "拠点一覧 令和2年度 (2020)（2020-05-31時点）" in surfaces["header"]
