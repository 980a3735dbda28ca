"""The briefing pack a manager takes into the room, for several filter sets: a PDF of at most five
A4 landscape pages and a PPTX of at most eight slides telling the same story in the same order,
every page and slide at least a third full, the long tables only in the appendix, the map naming
its places and legends never over an axis. Pages are saved under test-output/export/ for a look."""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess

import pytest
from pptx import Presentation
from pptx.util import Inches

from core.settings import PROJECT_DIR
from dashboard.db import Warehouse
from dashboard.export.images import render_charts
from dashboard.export.pdf_pack import render_pdf
from dashboard.export.pptx_pack import FOOTER_TOP, render_pptx
from dashboard.filters import build_profile_options, parse_filters
from dashboard.views import direct_loader
from dashboard.views.pack import Pack, balanced_parts, build_pack
from tests.browser import require_browser
from tests.n03 import sample_boundaries
from tests.packs import filled_fraction, page_count, slide_filled_fraction

OUTPUT_DIR = PROJECT_DIR / "test-output" / "export"
SHARED_N03 = PROJECT_DIR.parent / "shared" / "data" / "boundaries" / "N03-21_07_210101.geojson"
FILTER_SETS = {
    "all": {},
    "one-bureau": {"bureau": ["会津"]},
    "two-bureaus-R4-R6": {"bureau": ["会津", "南会津"], "from": ["2022"], "to": ["2024"]},
    "tottori": {"profile": ["tottori"]},
}


@pytest.fixture(scope="module")
def load(sample_settings):
    return direct_loader(Warehouse(sample_settings.warehouse_dir))


@pytest.fixture(scope="module")
def boundaries(tmp_path_factory):
    return sample_boundaries(tmp_path_factory.mktemp("pack-boundaries"))


def pack_for(load, boundaries, params: dict, appendix: bool = False) -> Pack:
    options = build_profile_options(load)
    filters, warnings = parse_filters(params, options, "fukushima")
    assert not warnings
    return build_pack(
        load, filters, options[filters.profile], boundaries, "white-bg", appendix=appendix
    )


def slide_titles(deck) -> list[str]:
    return [slide.shapes.title.text_frame.text for slide in deck.slides]


@pytest.fixture(scope="module", params=list(FILTER_SETS))
def rendered(request, load, boundaries):
    require_browser()
    if not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils がありません")
    pack = pack_for(load, boundaries, FILTER_SETS[request.param])
    images = render_charts(pack.charts)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    pdf = OUTPUT_DIR / f"briefing-{request.param}.pdf"
    pdf.write_bytes(render_pdf(pack, images))
    deck = Presentation(io.BytesIO(render_pptx(pack, images)))
    return request.param, pack, pdf, deck


def test_default_pack_fits_a_briefing(rendered):
    name, pack, pdf, deck = rendered
    assert page_count(pdf) <= 5, name
    assert len(deck.slides) <= 8, name
    assert not pack.appendix


def test_pdf_and_pptx_tell_the_same_story_in_the_same_order(rendered):
    name, pack, pdf, deck = rendered
    text = "".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split()
    )
    position = 0
    for section in pack.sections:  # the PDF: each section's heading after the one before
        found = text.find("".join(section.title.split()), position)
        assert found >= 0, f"{name}: {section.title} missing or out of order in the PDF"
        position = found
    assert slide_titles(deck) == [pack.title_line] + [s.title for s in pack.sections[1:]]


def test_no_page_or_slide_is_nearly_empty(rendered):
    name, pack, pdf, deck = rendered
    for number in range(1, page_count(pdf) + 1):
        fill = filled_fraction(pdf, number)
        assert fill >= 1 / 3, f"{name}: PDF page {number} is {fill:.0%} full"
    for number, slide in enumerate(deck.slides, 1):
        fill = slide_filled_fraction(slide, Inches(1.0), FOOTER_TOP)
        assert fill >= 1 / 3, f"{name}: slide {number} is {fill:.0%} full"


def test_story_sections(rendered):
    name, pack, _, _ = rendered
    ids = [s.id for s in pack.sections]
    assert ids[:2] == ["summary", "trajectory"] and ids[-1] == "sources"
    assert ("bureaus" in ids) == (pack.profile.bureau_label != "")
    has_grants = name != "tottori"  # the sample has no grant records for 鳥取県
    assert ("grant_map" in ids) == has_grants
    assert len(pack.headlines) == 4
    for line in pack.sources:  # one readable line per dataset
        assert line.split(": ", 1)[0] in ("拠点一覧", "補助金", "公表値", "地図"), line


def test_appendix_adds_the_long_tables(load, boundaries, tmp_path):
    require_browser()
    pack = pack_for(load, boundaries, {}, appendix=True)
    ids = [t.id for t in pack.appendix]
    assert ids == ["municipalities", "findings", "budget", "grant_municipalities", "sources"]
    images = render_charts(pack.charts)
    pdf, plain_pdf = tmp_path / "appendix.pdf", tmp_path / "plain.pdf"
    pdf.write_bytes(render_pdf(pack, images))
    plain = dataclasses.replace(pack, appendix=[])
    plain_pdf.write_bytes(render_pdf(plain, images))
    assert page_count(pdf) >= page_count(plain_pdf) + len(pack.appendix)  # each table on its pages
    for number in range(1, page_count(pdf) + 1):
        assert filled_fraction(pdf, number) >= 1 / 3, f"appendix PDF page {number} is nearly empty"
    deck = Presentation(io.BytesIO(render_pptx(pack, {})))
    assert len(deck.slides) > len(plain.sections)
    assert all(t.startswith("付録: ") for t in slide_titles(deck)[len(pack.sections) :])


def test_map_names_the_municipalities_with_grants(load, boundaries):
    pack = pack_for(load, boundaries, {})
    figure = next(c for c in pack.charts if c.key == "grant_map").figure
    names = [t for t in figure.data if t.mode == "text"]
    assert len(names) == 1
    shown = set(names[0].text)
    assert "只見町" in shown  # in the test boundaries and given grants in the sample
    assert all(
        trace.type == "scatter" for trace in figure.data
    )  # no MapLibre: names need no glyph server


@pytest.mark.skipif(not SHARED_N03.exists(), reason="the shared N03 file is not here")
def test_map_names_on_the_real_boundaries(load, tmp_path):
    from etl.boundaries import fetch_boundaries
    from tests.conftest import settings_for

    settings = settings_for(tmp_path)
    fetch_boundaries(settings, "fukushima", str(SHARED_N03))
    pack = pack_for(load, settings.boundaries_dir, {})
    figure = next(c for c in pack.charts if c.key == "grant_map").figure
    shown = set(next(t for t in figure.data if t.mode == "text").text)
    top = next(s for s in pack.sections if s.id == "grant_map").table
    assert (
        set(top.frame["市町村名"]) <= shown
    )  # the municipalities of the table are named on the map


def test_legends_never_cover_an_axis(load, boundaries):
    for params in FILTER_SETS.values():
        pack = pack_for(load, boundaries, params)
        for chart in pack.charts:
            legend = chart.figure.layout.legend
            if not chart.figure.layout.showlegend and chart.figure.layout.showlegend is not None:
                continue
            above = legend.y is not None and legend.y >= 1 and legend.yanchor == "bottom"
            right = legend.x is not None and legend.x >= 1 and legend.xanchor == "left"
            assert above or right, f"{chart.key}: legend at x={legend.x}, y={legend.y}"


@pytest.mark.parametrize(
    ("rows", "per_page", "expected"),
    [(0, 24, [(0, 0)]), (24, 24, [(0, 24)]), (25, 24, [(0, 13), (13, 25)]),
     (59, 24, [(0, 20), (20, 40), (40, 59)]), (30, 24, [(0, 15), (15, 30)])],
)  # fmt: skip
def test_balanced_parts_leave_no_orphans(rows, per_page, expected):
    assert balanced_parts(rows, per_page) == expected


def test_sources_name_datasets_not_files(load, boundaries):
    pack = pack_for(load, boundaries, {})
    joined = "\n".join(pack.sources + [s.source for s in pack.sections])
    assert ".csv" not in joined and ".xlsx" not in joined and "版 " not in joined
    assert any(
        line.startswith("拠点一覧: 内閣府「小さな拠点の形成に関する実態調査」 福島県分")
        for line in pack.sources
    )
    assert any(line.startswith("補助金: 福島県 補助金交付記録") for line in pack.sources)
    assert (
        "公表値: 内閣府「令和6年度小さな拠点の形成に関する実態調査」（2024-05-31時点）"
        in pack.sources
    )
    assert any(line.startswith("地図: 「国土数値情報（行政区域データ）」") for line in pack.sources)
