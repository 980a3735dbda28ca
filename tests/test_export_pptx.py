"""The PPTX pack read back with python-pptx: slides, titles, Japanese text, pictures, native
tables equal to the warehouse's numbers, and the East Asian font on every run."""

from __future__ import annotations

import dataclasses
import io
import re

import duckdb
import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn
from pptx.util import Inches

from core import layout
from dashboard.export.images import render_charts
from dashboard.export.pptx_pack import EAST_ASIAN_FONT, FOOTER_TOP, render_pptx
from dashboard.formatting import RMO_COLUMN, RMO_UNKNOWN_COLUMN
from dashboard.views.pack import Section, Table, _appendix
from tests.browser import require_browser
from tests.packs import slide_filled_fraction


@pytest.fixture(scope="module")
def deck(sample_pack):
    require_browser()  # the chart images are drawn by Chromium (kaleido)
    return Presentation(io.BytesIO(render_pptx(sample_pack, render_charts(sample_pack.charts))))


def titles(deck) -> list[str]:
    return [slide.shapes.title.text_frame.text for slide in deck.slides]


def texts(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def test_slides_follow_the_story_of_the_pack(deck, sample_pack):
    assert titles(deck) == [sample_pack.title_line] + [s.title for s in sample_pack.sections[1:]]
    assert [s.id for s in sample_pack.sections] == [
        "summary", "trajectory", "bureaus", "findings", "grant_map", "sources"
    ]  # fmt: skip
    assert len(deck.slides) <= 8
    assert deck.slide_width > deck.slide_height  # 16:9


def test_every_slide_is_at_least_a_third_full(deck):
    for number, slide in enumerate(deck.slides, 1):
        fill = slide_filled_fraction(slide, Inches(1.0), FOOTER_TOP)
        assert fill >= 1 / 3, (
            f"slide {number} ({slide.shapes.title.text_frame.text}) is {fill:.0%} full"
        )


def test_first_slide_says_scope_as_of_and_sample(deck, sample_pack):
    text = texts(deck.slides[0])
    assert (
        sample_pack.scope in text
        and "拠点一覧 令和6年度 (2024)" in text
        and "サンプルデータ（架空）" in text
    )


def test_first_slide_has_the_headline_numbers(deck):
    text = texts(deck.slides[0])
    for expected in (
        "59 / 60拠点",
        "47組織",
        "79.7%",
        "+4拠点（R5 (2023)比）",
        "+1.5ポイント（R5 (2023)比）",
        "判定: 順調",
    ):
        assert expected in text


def test_every_chart_is_a_picture(deck, sample_pack):
    with_charts = [i for i, s in enumerate(sample_pack.sections) if s.chart is not None]
    assert len(with_charts) == 3  # trajectory, bureaus, grant map
    for index in with_charts:
        pictures = [s for s in deck.slides[index].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1 and pictures[0].image.content_type == "image/png"
        assert pictures[0].image.size[0] >= 1500  # rendered at 2x for projectors and print


def test_no_file_names_or_build_ids_on_slides(deck, sample_settings):
    build_id = layout.current_path(sample_settings.warehouse_dir).stem
    for slide in deck.slides:
        text = texts(slide)
        assert build_id not in text and "（版 " not in text
        assert not re.search(r"\.(csv|xlsx|duckdb)\b", text), text


def test_appendix_adds_the_long_tables_on_even_slides(sample_pack):
    appendix = _appendix(sample_pack.tables)
    deck = Presentation(
        io.BytesIO(render_pptx(dataclasses.replace(sample_pack, appendix=appendix), {}))
    )
    extra = titles(deck)[len(sample_pack.sections) :]
    assert extra and all(title.startswith("付録: ") for title in extra)
    assert {t.title for t in appendix} == {re.sub(r"^付録: |（\d+/\d+）$", "", t) for t in extra}
    for slide in list(deck.slides)[len(sample_pack.sections) :]:
        fill = slide_filled_fraction(slide, Inches(1.0), FOOTER_TOP)
        assert fill >= 1 / 3, f"{slide.shapes.title.text_frame.text} is {fill:.0%} full"
    municipalities = next(t for t in appendix if t.id == "municipalities")
    assert (municipalities.frame["拠点数（拠点）"] > 0).all()  # the rest are named in the note
    assert "拠点のない市町村" in municipalities.note and "福島市" in municipalities.note


def test_bureau_table_cells_equal_the_warehouse(deck, sample_settings):
    table = next(s for s in deck.slides[2].shapes if s.has_table).table
    header = [cell.text for cell in table.rows[0].cells]
    assert header[:3] == ["地方振興局", "拠点数（拠点）", "うち地域運営組織あり（拠点）"]
    shown = {
        row.cells[0].text: (int(row.cells[1].text), int(row.cells[2].text))
        for row in list(table.rows)[1:]
    }
    with duckdb.connect(
        str(layout.current_path(sample_settings.warehouse_dir)), read_only=True
    ) as con:
        expected = dict(
            (b, (int(h), int(r)))
            for b, h, r in con.execute(
                """select b.bureau, count(h.hub_id), count(h.hub_id) filter (where h.has_rmo)
                   from profile_bureaus b left join hubs h
                     on h.bureau = b.bureau and h.pref_code = b.pref_code and h.fiscal_year = 2024
                   where b.pref_code = '07' group by b.bureau"""
            ).fetchall()
        )
    expected["県全体"] = (59, 47)
    assert shown == expected


def test_counts_with_unknown_rows_show_as_text(sample_pack):
    """No chart images needed: the bureau table slide shows 「16（ほか不明2）」, not two columns."""
    frame = pd.DataFrame({"地方振興局": ["会津", "県南", "相双"], "拠点数（拠点）": [23, 1, 4],
                          RMO_COLUMN: pd.array([16, None, 3], dtype="Int64"),
                          RMO_UNKNOWN_COLUMN: pd.array([2, 1, 0], dtype="Int64")})  # fmt: skip
    table = Table("地方振興局別", "振興局別", frame, id="bureaus")
    pack = dataclasses.replace(sample_pack, sections=[Section("bureaus", "振興局別", table=table)])
    deck = Presentation(io.BytesIO(render_pptx(pack, {})))
    table = next(s.table for slide in deck.slides for s in slide.shapes if s.has_table)
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows == [
        ["地方振興局", "拠点数（拠点）", RMO_COLUMN],
        ["会津", "23", "16（ほか不明2）"],
        ["県南", "1", "データなし"],  # nothing known: never 0
        ["相双", "4", "3"],
    ]


def test_findings_are_listed(deck):
    text = texts(deck.slides[3])
    assert "違反 8件、助言 5件" in text and "【違反】" in text and "回答2" in text


def test_every_run_has_the_east_asian_font(deck):
    runs = 0
    for slide in deck.slides:
        for element in slide.shapes._spTree.iter(qn("a:r")):
            rpr = element.find(qn("a:rPr"))
            assert rpr is not None and rpr.find(qn("a:ea")) is not None, "".join(element.itertext())
            assert rpr.find(qn("a:ea")).get("typeface") == EAST_ASIAN_FONT
            runs += 1
    assert runs > 100


def test_sources_slide_has_sources_and_sample_label(deck, sample_pack):
    text = texts(deck.slides[-1])
    assert (
        "内閣府「令和6年度小さな拠点の形成に関する実態調査」" in text
        and "サンプルデータ（架空）" in text
    )
