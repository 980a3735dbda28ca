"""The PPTX pack read back with python-pptx: slides, titles, Japanese text, pictures, native
tables equal to the warehouse's numbers, and the East Asian font on every run."""

from __future__ import annotations

import dataclasses
import io

import duckdb
import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.oxml.ns import qn

from core import layout
from dashboard.export.images import render_charts
from dashboard.export.pptx_pack import EAST_ASIAN_FONT, render_pptx
from dashboard.formatting import RMO_COLUMN, RMO_UNKNOWN_COLUMN
from dashboard.views.pack import Table
from tests.browser import require_browser


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


def test_slides_and_titles(deck):
    assert titles(deck) == [
        "小さな拠点 ブリーフィング", "主な指標（福島県）", "拠点数の推移と目標", "地方振興局別の拠点と地域運営組織",
        "全国との比較", "補助金マップ（選択した年度の補助金額）", "地方振興局別の拠点と地域運営組織",
        "補助金の規則チェック（1–9 / 13行）", "補助金の規則チェック（10–13 / 13行）", "補助金の規則チェック（主なもの）", "出典",
    ]  # fmt: skip
    assert deck.slide_width > deck.slide_height  # 16:9


def test_title_slide_says_scope_as_of_and_sample(deck, sample_pack):
    text = texts(deck.slides[0])
    assert (
        sample_pack.scope in text
        and "拠点一覧 令和6年度 (2024)" in text
        and "サンプルデータ（架空）" in text
    )


def test_kpi_slide_has_the_headline_numbers(deck):
    text = texts(deck.slides[1])
    for expected in (
        "59 / 60拠点",
        "47組織",
        "79.7%",
        "+4拠点（R5 (2023)比）",
        "+1.5ポイント（R5 (2023)比）",
        "判定: 順調",
    ):
        assert expected in text


def test_every_chart_is_a_picture(deck):
    for slide in list(deck.slides)[2:6]:
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1 and pictures[0].image.content_type == "image/png"
        assert pictures[0].image.size[0] >= 1500  # rendered at 2x for projectors and print


def test_bureau_table_cells_equal_the_warehouse(deck, sample_settings):
    table = next(s for s in deck.slides[6].shapes if s.has_table).table
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
    pack = dataclasses.replace(
        sample_pack, tables=[Table("地方振興局別", "振興局別", frame, id="bureaus")]
    )
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
    text = texts(deck.slides[9])
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
