"""The PPTX pack: title, KPIs, one slide per chart, native tables, findings and sources.

python-pptx has no East Asian font API, so every run gets an `a:ea` typeface in its XML: the
Japanese text then renders in a Japanese font on a PowerPoint that does not have ours.
"""

from __future__ import annotations

import io

import pandas as pd
from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from dashboard.formatting import NO_DATA, is_missing, unknowns_as_text
from dashboard.views.pack import Pack, Table

EAST_ASIAN_FONT = "Meiryo"  # on every Windows PowerPoint; Mac Office substitutes Hiragino
LATIN_FONT = "Meiryo"
WIDE, HIGH = Inches(13.333), Inches(7.5)
BLUE, DARK, GREY, RED = (
    RGBColor(0x1F, 0x5F, 0xA8),
    RGBColor(0x1B, 0x24, 0x30),
    RGBColor(0x5B, 0x67, 0x75),
    RGBColor(0xC0, 0x39, 0x2B),
)
TITLE_ONLY, TITLE_SLIDE = 5, 0
TABLE_ROWS = 14  # rows per table slide; the Excel export has them all


def style_run(
    run, size: float | None = None, bold: bool | None = None, colour: RGBColor | None = None
) -> None:
    """Font of one run, with the East Asian typeface python-pptx cannot set."""
    font = run.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if colour is not None:
        font.color.rgb = colour
    rpr = run._r.get_or_add_rPr()
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = etree.SubElement(rpr, qn("a:ea"))
        latin = rpr.find(qn("a:latin"))
        if latin is not None:  # schema order: latin, ea, cs
            latin.addnext(ea)
    ea.set("typeface", EAST_ASIAN_FONT)


def write(
    frame, lines: list[str], size: float = 14, colour: RGBColor = DARK, bold: bool = False
) -> None:
    """Replace a text frame's text with lines, each a paragraph, fonts set."""
    frame.clear()
    frame.word_wrap = True
    for index, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if index == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = line
        style_run(run, size, bold, colour)


def _slide(prs: Presentation, title: str):
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = (
        Inches(0.5),
        Inches(0.25),
        WIDE - Inches(1.0),
        Inches(0.8),
    )
    write(shape.text_frame, [title], 26, BLUE, True)
    return slide


def _textbox(slide, left, top, width, height, lines: list[str], size: float = 14, colour: RGBColor = DARK,
             bold: bool = False):  # fmt: skip
    box = slide.shapes.add_textbox(left, top, width, height)
    write(box.text_frame, lines, size, colour, bold)
    return box


def _footer(slide, pack: Pack) -> None:
    note = f"{pack.scope} ／ {pack.as_of}" + (
        " ／ サンプルデータ（架空）" if pack.is_sample else ""
    )
    _textbox(
        slide, Inches(0.5), HIGH - Inches(0.45), WIDE - Inches(1.0), Inches(0.3), [note], 9, GREY
    )


def _title_slide(prs: Presentation, pack: Pack) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_SLIDE])
    title = slide.shapes.title
    title.left, title.top, title.width, title.height = (
        Inches(0.8),
        Inches(1.4),
        WIDE - Inches(1.6),
        Inches(1.3),
    )
    write(title.text_frame, [pack.title], 40, BLUE, True)
    subtitle = slide.placeholders[1]
    subtitle.left, subtitle.top = Inches(0.8), Inches(3.0)
    subtitle.width, subtitle.height = WIDE - Inches(1.6), Inches(2.2)
    lines = [pack.scope, pack.as_of, f"作成 {pack.generated:%Y年%m月%d日}"]
    write(subtitle.text_frame, lines, 18, DARK)
    if pack.is_sample:
        _textbox(
            slide,
            Inches(0.8),
            HIGH - Inches(1.3),
            WIDE - Inches(1.6),
            Inches(0.8),
            pack.notes,
            16,
            RED,
            True,
        )


def _kpi_slide(prs: Presentation, pack: Pack) -> None:
    slide = _slide(prs, f"主な指標（{pack.profile.pref_name}）")
    width = (WIDE - Inches(1.0) - Inches(0.3) * 3) // 4
    for index, headline in enumerate(pack.headlines):
        left = Inches(0.5) + index * (width + Inches(0.3))
        card = slide.shapes.add_shape(
            MSO_SHAPE.ROUNDED_RECTANGLE, left, Inches(1.3), width, Inches(2.0)
        )
        card.fill.solid()
        card.fill.fore_color.rgb = RGBColor(0xF2, 0xF5, 0xF9)
        card.line.color.rgb = RGBColor(0xC9, 0xD3, 0xDF)
        frame = card.text_frame
        write(frame, [headline.label, headline.value, headline.delta or ""], 13, DARK)
        style_run(frame.paragraphs[1].runs[0], 26, True, BLUE)
        style_run(frame.paragraphs[2].runs[0], 13, False, GREY)
        for paragraph in frame.paragraphs:
            paragraph.alignment = PP_ALIGN.CENTER
    grade = [f"判定: {pack.grade}"]
    _textbox(slide, Inches(0.5), Inches(3.6), Inches(3.0), Inches(0.9), grade, 28, BLUE, True)
    _textbox(slide, Inches(3.6), Inches(3.6), WIDE - Inches(4.1), Inches(3.0), pack.grade_text, 15)
    _footer(slide, pack)


def _chart_slide(prs: Presentation, pack: Pack, chart, image: bytes) -> None:
    slide = _slide(prs, chart.title)
    top, bottom = Inches(1.1), HIGH - Inches(1.2)
    box_w, box_h = WIDE - Inches(1.0), bottom - top
    scale = min(box_w / chart.width, box_h / chart.height)
    width, height = Emu(int(chart.width * scale)), Emu(int(chart.height * scale))
    slide.shapes.add_picture(io.BytesIO(image), (WIDE - width) // 2, top, width, height)
    _textbox(
        slide,
        Inches(0.5),
        bottom + Inches(0.05),
        WIDE - Inches(1.0),
        Inches(0.6),
        [chart.caption],
        9,
        GREY,
    )
    _footer(slide, pack)


def cell_text(value: object) -> str:
    if is_missing(value):
        return NO_DATA
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _column_widths(frame: pd.DataFrame, total: int) -> list[int]:
    """Widths by the longest text in each column (header included), within sensible bounds."""
    lengths = [
        min(max([len(str(name))] + [len(cell_text(v)) for v in frame[name]]), 60) + 2
        for name in frame.columns
    ]
    return [int(total * n / sum(lengths)) for n in lengths]


def _table_slides(
    prs: Presentation, pack: Pack, table: Table, columns: list[str] | None = None
) -> None:
    frame = table.frame[columns] if columns else table.frame
    frame = unknowns_as_text(frame)  # a count with unknown rows: 「45（ほか不明4）」
    long_text = any(len(cell_text(v)) > 40 for column in frame.columns for v in frame[column])
    per_slide = 9 if long_text else TABLE_ROWS
    widths = _column_widths(frame, int(WIDE - Inches(1.0)))
    for start in range(0, max(len(frame), 1), per_slide):
        part = frame.iloc[start : start + per_slide]
        suffix = (
            f"（{start + 1}–{start + len(part)} / {len(frame)}行）"
            if len(frame) > per_slide
            else ""
        )
        slide = _slide(prs, table.title + suffix)
        shape = slide.shapes.add_table(len(part) + 1, len(frame.columns), Inches(0.5), Inches(1.2),
                                       WIDE - Inches(1.0), Inches(0.4) * (len(part) + 1))  # fmt: skip
        grid = shape.table
        for col, width in enumerate(widths):
            grid.columns[col].width = Emu(width)
        for col, name in enumerate(frame.columns):
            write(grid.cell(0, col).text_frame, [str(name)], 11, RGBColor(0xFF, 0xFF, 0xFF), True)
        for row, values in enumerate(part.itertuples(index=False), 1):
            for col, value in enumerate(values):
                write(grid.cell(row, col).text_frame, [cell_text(value)], 10)
        if table.note:
            _textbox(
                slide,
                Inches(0.5),
                HIGH - Inches(0.95),
                WIDE - Inches(1.0),
                Inches(0.45),
                [table.note],
                9,
                GREY,
            )
        _footer(slide, pack)


def _findings_slide(prs: Presentation, pack: Pack) -> None:
    slide = _slide(prs, "補助金の規則チェック（主なもの）")
    _textbox(
        slide,
        Inches(0.5),
        Inches(1.1),
        WIDE - Inches(1.0),
        Inches(0.5),
        [pack.findings_summary],
        16,
        DARK,
        True,
    )
    lines = pack.findings or ["指摘はありません。"]
    _textbox(slide, Inches(0.5), Inches(1.7), WIDE - Inches(1.0), Inches(5.0), lines, 12)
    _footer(slide, pack)


def _sources_slide(prs: Presentation, pack: Pack) -> None:
    slide = _slide(prs, "出典")
    lines = [*pack.sources[:18], *([pack.credit] if pack.credit else []), *pack.notes]
    _textbox(slide, Inches(0.5), Inches(1.1), WIDE - Inches(1.0), Inches(5.8), lines, 10)


def render_pptx(pack: Pack, images: dict[str, bytes]) -> bytes:
    """The pack as a 16:9 presentation (images: PNG per chart key, from render_charts)."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDE, HIGH
    prs.core_properties.title = pack.title
    prs.core_properties.created = prs.core_properties.modified = pack.generated.replace(tzinfo=None)
    _title_slide(prs, pack)
    _kpi_slide(prs, pack)
    for chart in pack.charts:
        if chart.key in images:
            _chart_slide(prs, pack, chart, images[chart.key])
    for table in pack.tables:
        if table.id in PPTX_TABLES:
            _table_slides(prs, pack, table, _columns(table.frame, PPTX_TABLES[table.id]))
    _findings_slide(prs, pack)
    _sources_slide(prs, pack)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


# Tables worth a slide, and the columns that fit one (the Excel export has every column).
PPTX_TABLES = {  # by Table.id, whatever the prefecture calls its bureaus
    "bureaus": None,
    "findings": ["年度（和暦）", "規則", "種別", "市町村", "地区名", "内容"],
}


def _columns(frame: pd.DataFrame, wanted: list[str] | None) -> list[str] | None:
    return None if wanted is None else [c for c in wanted if c in frame.columns]
