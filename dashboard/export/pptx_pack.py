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
from dashboard.views.pack import Chart, Pack, Section, Table, balanced_parts

EAST_ASIAN_FONT = "Meiryo"  # on every Windows PowerPoint; Mac Office substitutes Hiragino
LATIN_FONT = "Meiryo"
WIDE, HIGH = Inches(13.333), Inches(7.5)
# デジタル庁 theme: the darkest blue for titles and numbers, text greys at AA contrast.
BLUE, DARK, GREY, RED, PALE, LIGHT = (
    RGBColor(0x00, 0x17, 0xC1),
    RGBColor(0x1A, 0x1A, 0x1C),
    RGBColor(0x4A, 0x4F, 0x5A),
    RGBColor(0xCE, 0x00, 0x00),
    RGBColor(0xE8, 0xF1, 0xFE),
    RGBColor(0xC5, 0xD7, 0xFB),
)
TITLE_ONLY = 5
TABLE_ROWS = 14  # rows per table slide; the Excel export has them all
TABLE_ROWS_WRAPPED = 9  # rows whose text wraps
FOOTER_TOP = HIGH - Inches(0.45)


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


def _slide(prs: Presentation, title: str, size: float = 24):
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = (
        Inches(0.5),
        Inches(0.25),
        WIDE - Inches(1.0),
        Inches(0.8),
    )
    write(shape.text_frame, [title], size, BLUE, True)
    shape.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
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
    _textbox(slide, Inches(0.5), FOOTER_TOP, WIDE - Inches(1.0), Inches(0.3), [note], 9, GREY)


def _source(slide, section: Section, top=None) -> None:
    if section.source:
        top = top if top is not None else FOOTER_TOP - Inches(0.55)
        _textbox(
            slide, Inches(0.5), top, WIDE - Inches(1.0), Inches(0.5), [section.source], 9, GREY
        )


def _picture(slide, chart: Chart, image: bytes, left, top, box_w, box_h):
    """A chart image scaled to fit its box, centred in it."""
    scale = min(box_w / chart.width, box_h / chart.height)
    width, height = Emu(int(chart.width * scale)), Emu(int(chart.height * scale))
    return slide.shapes.add_picture(
        io.BytesIO(image), left + (box_w - width) // 2, top, width, height
    )


def _summary_slide(
    prs: Presentation, pack: Pack, section: Section, images: dict[str, bytes]
) -> None:
    """The first slide: what, where and when in one line, the four numbers, the judgement."""
    slide = _slide(prs, pack.title_line, size=20)
    made = f"{pack.as_of} ／ 作成 {pack.generated:%Y年%m月%d日}"
    _textbox(slide, Inches(0.5), Inches(1.0), WIDE - Inches(1.0), Inches(0.35), [made], 12, GREY)
    top = Inches(1.45)
    if pack.is_sample:
        _textbox(
            slide, Inches(0.5), top, WIDE - Inches(1.0), Inches(0.35), pack.notes, 12, RED, True
        )
        top += Inches(0.45)
    width = (WIDE - Inches(1.0) - Inches(0.3) * 3) // 4
    for index, headline in enumerate(pack.headlines):
        left = Inches(0.5) + index * (width + Inches(0.3))
        card = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, left, top, width, Inches(1.75))
        card.fill.solid()
        card.fill.fore_color.rgb = PALE
        card.line.color.rgb = LIGHT
        frame = card.text_frame
        write(frame, [headline.label, headline.value, headline.delta or ""], 12, DARK)
        style_run(frame.paragraphs[1].runs[0], 26, True, BLUE)
        style_run(frame.paragraphs[2].runs[0], 12, False, DARK)
        for paragraph in frame.paragraphs:
            paragraph.alignment = PP_ALIGN.CENTER
    top += Inches(1.95)
    _textbox(
        slide, Inches(0.5), top, Inches(2.6), Inches(0.7), [f"判定: {pack.grade}"], 24, BLUE, True
    )
    _textbox(slide, Inches(3.2), top, WIDE - Inches(3.7), FOOTER_TOP - top, list(section.lines), 13)
    _footer(slide, pack)


def _trajectory_slide(
    prs: Presentation, pack: Pack, section: Section, images: dict[str, bytes]
) -> None:
    slide = _slide(prs, section.title)
    chart = section.chart
    if chart.key in images:
        _picture(
            slide, chart, images[chart.key], Inches(0.5), Inches(1.05), Inches(8.4), Inches(4.9)
        )
    _textbox(slide, Inches(9.1), Inches(1.2), WIDE - Inches(9.6), Inches(4.6), [chart.summary], 12)
    _source(slide, section)
    _footer(slide, pack)


def _chart_and_table_slide(
    prs: Presentation, pack: Pack, section: Section, images: dict[str, bytes]
) -> None:
    """The bureau table beside its chart, or the map beside the municipalities with most spend."""
    slide = _slide(prs, section.title)
    chart, table = section.chart, section.table
    map_first = section.id == "grant_map"
    chart_left = Inches(0.5) if map_first else Inches(7.6)
    chart_w = Inches(7.0) if map_first else WIDE - Inches(8.1)
    table_left = Inches(7.7) if map_first else Inches(0.5)
    table_w = WIDE - Inches(8.2) if map_first else Inches(6.9)
    if chart is not None and chart.key in images:
        _picture(slide, chart, images[chart.key], chart_left, Inches(1.05), chart_w, Inches(5.2))
    if table is not None:
        _grid(slide, table.printed, table_left, Inches(1.15), table_w, size=10 if map_first else 11)
    _source(slide, section)
    _footer(slide, pack)


def _findings_slide(
    prs: Presentation, pack: Pack, section: Section, images: dict[str, bytes]
) -> None:
    slide = _slide(prs, section.title)
    summary, *lines = section.lines
    _textbox(
        slide, Inches(0.5), Inches(1.1), WIDE - Inches(1.0), Inches(0.5), [summary], 16, DARK, True
    )
    if lines:
        _textbox(slide, Inches(0.5), Inches(1.7), WIDE - Inches(1.0), Inches(5.0), lines, 13)
    _footer(slide, pack)


def _sources_slide(
    prs: Presentation, pack: Pack, section: Section, images: dict[str, bytes]
) -> None:
    slide = _slide(prs, section.title)
    lines = list(section.lines)
    _textbox(slide, Inches(0.5), Inches(1.15), WIDE - Inches(1.0), Inches(4.5), lines, 15)
    if pack.is_sample:
        top = Inches(1.35) + Inches(0.5) * len(lines)
        _textbox(
            slide, Inches(0.5), top, WIDE - Inches(1.0), Inches(0.8), pack.notes, 14, RED, True
        )
    _footer(slide, pack)


SLIDES = {
    "summary": _summary_slide,
    "trajectory": _trajectory_slide,
    "bureaus": _chart_and_table_slide,
    "grant_map": _chart_and_table_slide,
    "findings": _findings_slide,
    "sources": _sources_slide,
}


def cell_text(value: object) -> str:
    if is_missing(value):
        return NO_DATA
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _column_widths(frame: pd.DataFrame, total: int) -> list[int]:
    """Widths by the longest text in each column (header included), within sensible bounds."""
    lengths = [
        min(max([len(str(name))] + [len(cell_text(v)) for v in frame[name]]), 60) + 2
        for name in frame.columns
    ]
    return [int(total * n / sum(lengths)) for n in lengths]


def _grid(slide, frame: pd.DataFrame, left, top, width, size: float = 10):
    """A native table (cells people can copy), header row in the theme's blue."""
    frame = unknowns_as_text(frame)  # a count with unknown rows: 「45（ほか不明4）」
    shape = slide.shapes.add_table(len(frame) + 1, max(len(frame.columns), 1), left, top, width,
                                   Inches(0.32) * (len(frame) + 1))  # fmt: skip
    grid = shape.table
    for col, column_width in enumerate(_column_widths(frame, int(width))):
        grid.columns[col].width = Emu(column_width)
    for col, name in enumerate(frame.columns):
        write(grid.cell(0, col).text_frame, [str(name)], size, RGBColor(0xFF, 0xFF, 0xFF), True)
    for row, values in enumerate(frame.itertuples(index=False), 1):
        for col, value in enumerate(values):
            write(grid.cell(row, col).text_frame, [cell_text(value)], size)
    return shape


def rows_per_slide(frame: pd.DataFrame) -> int:
    longest = max((len(cell_text(v)) for column in frame.columns for v in frame[column]), default=0)
    return TABLE_ROWS_WRAPPED if longest > 40 else TABLE_ROWS


def _appendix_slides(prs: Presentation, pack: Pack, table: Table) -> None:
    """A long table on even slides (no slide of a few orphan rows), its note on the last one."""
    frame = table.printed
    parts = balanced_parts(len(frame), rows_per_slide(frame))
    for number, (start, stop) in enumerate(parts, 1):
        suffix = f"（{number}/{len(parts)}）" if len(parts) > 1 else ""
        slide = _slide(prs, f"付録: {table.title}{suffix}")
        grid = _grid(slide, frame.iloc[start:stop], Inches(0.5), Inches(1.15), WIDE - Inches(1.0))
        if table.note and number == len(parts):
            below = min(grid.top + grid.height + Inches(0.15), FOOTER_TOP - Inches(0.6))
            _textbox(
                slide, Inches(0.5), below, WIDE - Inches(1.0), Inches(0.55), [table.note], 9, GREY
            )
        _footer(slide, pack)


def render_pptx(pack: Pack, images: dict[str, bytes]) -> bytes:
    """The pack as a 16:9 presentation (images: PNG per chart key, from render_charts): one slide
    per section of the story, in the pack's order, then the appendix when the pack has one."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDE, HIGH
    prs.core_properties.title = pack.title_line
    prs.core_properties.created = prs.core_properties.modified = pack.generated.replace(tzinfo=None)
    for section in pack.sections:
        SLIDES[section.id](prs, pack, section, images)
    for table in pack.appendix:
        _appendix_slides(prs, pack, table)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()
