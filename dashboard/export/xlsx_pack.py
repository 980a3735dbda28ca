"""The briefing pack as an Excel workbook: a 概要 sheet, then one sheet per table of the pack.

Numbers stay numbers, unknowns stay empty cells (never 0), codes stay text (07201), and every
string is escaped so that no cell runs as a formula. The same pack gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import os
import re
import unicodedata
import zipfile

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from dashboard.formatting import NO_DATA, escape_formula, is_missing
from dashboard.metrics import Card, Figure
from dashboard.views.pack import SAMPLE_LABEL, Pack, Table

SUMMARY_SHEET = "概要"
HEADER_ROW = 4  # title in row 1, note in row 2, header in row 4, data from row 5
MAX_SHEET_NAME = 31
INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
LEADING_ZERO_DIGITS = re.compile(r"0\d+")
TEXT_FORMAT = "@"
MAX_WIDTH, MIN_WIDTH = 60, 6
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="F2F4F7")
EMPTY_CELL_NOTE = f"空欄のセルは「{NO_DATA}」（不明）です。0 とは区別しています。"


def render_xlsx(pack: Pack) -> bytes:
    """The pack as .xlsx bytes (identical bytes for an identical pack)."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = SUMMARY_SHEET
    used = {SUMMARY_SHEET.casefold()}
    names = []
    for table in pack.tables:
        name = sheet_name(table.key, used)
        names.append((name, table.title))
        _write_table(workbook.create_sheet(name), table)
    _write_summary(summary, pack, names)
    stamp = pack.generated.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    workbook.properties.created = workbook.properties.modified = stamp
    workbook.properties.creator = "小さな拠点モニター"
    workbook.properties.title = pack.title
    return _save(workbook, pack.generated.replace(tzinfo=None, microsecond=0))


def sheet_name(key: str, used: set[str]) -> str:
    """A valid, unique Excel sheet name: no []:*?/\\, at most 31 characters, no edge quotes."""
    base = INVALID_SHEET_CHARS.sub("_", key).strip("'").strip() or "表"
    name, number = base[:MAX_SHEET_NAME], 1
    while name.casefold() in used:
        number += 1
        suffix = f"({number})"
        name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
    used.add(name.casefold())
    return name


def _text(value: object) -> str:
    return escape_formula(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _display_width(text: str) -> int:
    """Columns a text needs: full-width (Japanese) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _set_widths(sheet: Worksheet, widths: dict[int, int]) -> None:
    for column, width in widths.items():
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))


def _cell_value(value: object, header: str) -> tuple[object, str | None]:
    """An Excel value and number format: None for unknowns, numbers as numbers, codes as text."""
    if is_missing(value) or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None, None
    is_code = "コード" in header
    if isinstance(value, str):
        is_code = is_code or bool(LEADING_ZERO_DIGITS.fullmatch(value))
        return _text(value), TEXT_FORMAT if is_code else None
    if is_code:
        return _text(int(value) if pd.api.types.is_integer(value) else value), TEXT_FORMAT
    if pd.api.types.is_bool(value):
        return bool(value), None
    if pd.api.types.is_integer(value):
        return int(value), "0" if "西暦" in header else "#,##0"
    if pd.api.types.is_float(value) or isinstance(value, decimal.Decimal):
        return float(value), "#,##0.0"
    if isinstance(value, dt.datetime | dt.date):
        stamp = pd.Timestamp(value)
        stamp = stamp.tz_convert("Asia/Tokyo").tz_localize(None) if stamp.tzinfo else stamp
        return stamp.to_pydatetime(), "yyyy-mm-dd hh:mm" if isinstance(value, dt.datetime) else "yyyy-mm-dd"  # fmt: skip
    return _text(value), None


def _shown(value: object, number_format: str | None) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.1f}" if number_format == "#,##0.0" else f"{value:,}"
    return "" if value is None else str(value)


def _write_table(sheet: Worksheet, table: Table) -> None:
    frame = table.frame
    headers = [str(column) for column in frame.columns]
    sheet.cell(1, 1, _text(table.title)).font = Font(bold=True, size=14)
    if table.note:
        sheet.cell(2, 1, _text(table.note))
    widths = {}
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(HEADER_ROW, column, _text(header))
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths[column] = min(_display_width(header), 30)  # long headers wrap
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=HEADER_ROW + 1):
        for column, (raw, header) in enumerate(zip(values, headers, strict=True), start=1):
            value, number_format = _cell_value(raw, header)
            cell = sheet.cell(row, column, value)
            if number_format:
                cell.number_format = number_format
            widths[column] = max(widths[column], _display_width(_shown(value, number_format)))
    _set_widths(sheet, widths)
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    if headers:
        last = f"{get_column_letter(len(headers))}{HEADER_ROW + len(frame)}"
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"


def _signed(change: str | None) -> str | None:
    """'-126千円' with a real minus sign: a leading '-' would be escaped as a possible formula."""
    if change and change.startswith("-") and change[1:2].isdigit():
        return "\u2212" + change[1:]
    return change


def _summary_rows(pack: Pack, tables: list[tuple[str, str]]) -> list[tuple[str, tuple]]:
    """(style, cells) per row of the 概要 sheet; an empty tuple is a blank row."""
    rows: list[tuple[str, tuple]] = [
        ("title", (pack.title,)), ("", ()),
        ("label", ("範囲", pack.scope)), ("label", ("データ時点", pack.as_of)),
        ("label", ("作成日時", f"{pack.generated:%Y-%m-%d %H:%M}（日本時間）")),
    ]  # fmt: skip
    if pack.is_sample:
        rows += [("warn", ("注意", note)) for note in pack.notes or [SAMPLE_LABEL]]
    if pack.headlines:  # a page without headline figures has no such section (never an empty one)
        rows += [("", ()), ("header", ("主要指標", "値", "前年度比", "注記"))]
        rows += [("label", (h.label, h.figure or h.value, h.delta_figure or _signed(h.delta), h.help))
                 for h in pack.headlines]  # fmt: skip
    if pack.grade:
        rows += [("", ()), ("label", ("評価", pack.grade))]
        rows += [("", (None, line)) for line in pack.grade_text]
    if pack.findings_summary:
        rows += [("", ()), ("label", ("規則チェック", pack.findings_summary))]
    rows += [("", ()), ("label", ("表の見方", EMPTY_CELL_NOTE)),
             ("", (None, "単位は各列の見出しにあります（千円・拠点など）。年度は和暦と西暦の列で示します。")),
             ("", (None, "市町村コードなどのコードは文字列です（先頭の 0 を保持）。"))]  # fmt: skip
    rows += [("", ()), ("header", ("シート", "内容"))]
    rows += [("label", (name, title)) for name, title in tables]
    if pack.credit is not None:
        rows += [("", ()), ("label", ("地図の出典", pack.credit))]
    return rows


def _write_summary(sheet: Worksheet, pack: Pack, tables: list[tuple[str, str]]) -> None:
    for number, (style, values) in enumerate(_summary_rows(pack, tables), start=1):
        for column, value in enumerate(values, start=1):
            if isinstance(value, Figure):  # a number that shows as the card does
                cell = sheet.cell(number, column, value.number)
                cell.number_format = value.excel_format
            elif value is not None:
                sheet.cell(number, column, _text(value))
        if style == "title":
            sheet.cell(number, 1).font = Font(bold=True, size=16)
        elif style == "header":
            for column in range(1, len(values) + 1):
                cell = sheet.cell(number, column)
                cell.font, cell.fill = BOLD, HEADER_FILL
        elif style in {"label", "warn"}:
            sheet.cell(number, 1).font = BOLD
        if style == "warn":
            sheet.cell(number, 2).font = Font(bold=True, color="C00000")
    for letter, width in zip("ABCD", (30, 28, 24, 60), strict=True):
        sheet.column_dimensions[letter].width = width


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry one timestamp, so that equal packs give equal bytes."""

    def __init__(self, file: io.BytesIO, date_time: tuple[int, ...]) -> None:
        super().__init__(file, "w", zipfile.ZIP_DEFLATED)
        self._date_time = date_time

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            info.compress_type = self.compression
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl writes each worksheet through a temporary file: its bytes go in under the
        # same timestamp, not the file's modification time (which changes with the second)
        with open(filename, "rb") as handle:
            data = handle.read()
        self.writestr(arcname or os.path.basename(filename), data, compress_type, compresslevel)


def _save(workbook: Workbook, when: dt.datetime) -> bytes:
    # openpyxl's save_workbook stamps "modified" with now(); ExcelWriter keeps ours.
    buffer = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    ExcelWriter(workbook, _FixedTimeZip(buffer, stamp)).save()
    return buffer.getvalue()


def view_workbook(title: str, profile, filters, scope: str, as_of: str, is_sample: bool,
                  tables: list[Table], generated: dt.datetime, headlines: list[Card] | None = None,
                  grade: str = "", grade_text: list[str] | None = None) -> bytes:  # fmt: skip
    """The tables one page shows, as a workbook with the same conventions as the pack's, and
    the page's headline cards and judgement when it has them (概要)."""
    pack = Pack(title=title, profile=profile, filters=filters, scope=scope, as_of=as_of, generated=generated,
                is_sample=is_sample, headlines=headlines or [], grade=grade, grade_text=grade_text or [], charts=[],
                tables=tables, findings=[],
                findings_summary="", sources=[], notes=[SAMPLE_LABEL] if is_sample else [])  # fmt: skip
    return render_xlsx(pack)
