"""The cells of an Excel workbook as the reader gives them (readers.read_workbook): openpyxl's
sheet parser made to read a number as Excel shows it, merged ranges, hidden rows. Kept apart from
the text reader so that a folder of CSV files is read without loading openpyxl."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser
from openpyxl.worksheet.cell_range import CellRange

from etl import readers
from etl.readers import RawSheet, UncachedFormula, UnreadableFile, Workbook, _refuse, check_archive


class _Parser(WorkSheetParser):
    """openpyxl's sheet parser that reads a number as Excel shows it: a formula without a saved
    result is not a blank, an error value is not text, a date shown as a year is that year, a
    number in a 和暦 or Japanese built-in date format is a date, and #,##0, (thousands) shows
    the number divided by 1,000."""

    actions: dict[int, object] | None = None  # set per sheet: style id → how it shows numbers

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        value, action = cell["value"], (self.actions or {}).get(cell["style_id"])
        if value is None and element.find(FORMULA_TAG) is not None:
            cell["value"] = UncachedFormula(element.findtext(FORMULA_TAG))
        elif action is None or isinstance(value, bool) or value is None:
            pass
        elif action in ("date", "year") and isinstance(value, int | float):
            date = from_excel(value, self.epoch)
            cell["value"] = date.year if action == "year" else date
        elif action == "year" and isinstance(value, dt.datetime):
            cell["value"] = value.year  # shown as 2024年度 / 令和6年度: the year it shows
        elif isinstance(action, Shown) and isinstance(value, int | float):
            cell["value"] = action.text(value)
        return cell


@dataclass(frozen=True)
class Shown:
    """How a number format shows a number: divided by 1,000 per trailing comma (#,##0,), with
    a unit after it (#,##0"千円") or an era before it ("令和"0"年度")."""

    thousands: int = 0
    unit: str | None = None
    era: str | None = None

    def text(self, value: int | float) -> object:
        number = _shown(value, self.thousands)
        if self.era:
            return f"{self.era}{number}年度"
        return f"{number}{self.unit}" if self.unit else number


def _shown(value: int | float, thousands: int) -> Decimal:
    """A number as a format with trailing commas shows it: 432000 in #,##0, is 432."""
    if isinstance(value, float) and abs(value - round(value)) < 1e-6:
        value = round(value)  # binary float noise of a computed yen amount
    return Decimal(repr(value)) / (1000**thousands)


ERA_TOKENS = re.compile(r"g{1,3}\s*e{1,2}")  # ggge: 令和6 (Excel's Japanese era tokens)
# Japanese Excel's built-in date formats, written without a <numFmt> (ids 27-36, 50-58): 和暦 and
# 年月日; 32 and 33 are times.
JA_BUILTIN_DATES = frozenset({*range(27, 32), *range(34, 37), *range(50, 59)})
THOUSANDS = re.compile(r"[0#?](,+)(?![0#?,])")


def _format_of(book, style) -> str:
    if style.numFmtId >= 164 and style.numFmtId - 164 < len(book._number_formats):
        return book._number_formats[style.numFmtId - 164]
    return BUILTIN_FORMATS.get(style.numFmtId) or ""


def _style_actions(book) -> dict[int, object]:
    """What each cell style's number format means for the value shown: 'date' (a number shown as
    a date), 'year' (a date shown only as its year), or a Shown (thousands, a unit, an era)."""
    out: dict[int, object] = {}
    for index, style in enumerate(book._cell_styles):
        fmt = _format_of(book, style).split(";")[0]
        code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", fmt)
        is_date = index in book._date_formats or ERA_TOKENS.search(code)
        if style.numFmtId in JA_BUILTIN_DATES or is_date:
            year_only = not re.search(r"[mdhsMDHS]", code)
            shows_year = ERA_TOKENS.search(code) or "y" in code.lower()
            out[index] = "year" if year_only and shows_year else "date"
            continue
        literals = "".join(re.findall(r'"([^"]*)"', fmt))
        match = THOUSANDS.search(code)
        shown = Shown(
            thousands=len(match.group(1)) if match else 0,
            unit="千円" if "千円" in literals else "円" if "円" in literals else None,
            era=next((e for e in ("令和", "平成") if e in literals and "年度" in literals), None),
        )
        if shown != Shown():
            out[index] = shown
    return out


def _merges(parser: WorkSheetParser) -> tuple[tuple[int, int, int, int], ...]:
    if parser.merged_cells is None:
        return ()
    out = []
    for merged in parser.merged_cells.mergeCell:
        cells = CellRange(merged.ref)
        out.append((cells.min_row, cells.min_col, cells.max_row, cells.max_col))
    return tuple(out)


def overlapping_merges(
    merges: tuple[tuple[int, int, int, int], ...],
) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]] | None:
    """Two merged ranges (first row, first column, last row, last column) sharing a cell, if
    any. Excel never writes them; which value such a cell shows is not defined."""
    open_ranges: list[tuple[int, int, int, int]] = []
    for merged in sorted(merges):
        open_ranges = [r for r in open_ranges if r[2] >= merged[0]]  # still open at this row
        for other in open_ranges:
            if other[1] <= merged[3] and merged[1] <= other[3]:
                return other, merged
        open_ranges.append(merged)
    return None


def _ref(merged: tuple[int, int, int, int]) -> str:
    """B2:B3, as Excel names a range."""
    first_row, first_col, last_row, last_col = merged
    return CellRange(min_col=first_col, min_row=first_row, max_col=last_col, max_row=last_row).coord


def _read_sheet(path: Path, book, sheet, actions, budget: list[int]) -> RawSheet:
    rows: list[tuple[int, list[object]]] = []
    hidden: set[int] = set()
    number = 0
    with book._archive.open(sheet._worksheet_path) as source:
        parser = _Parser(source, book.shared_strings, data_only=True, epoch=book.epoch,
                         date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)  # fmt: skip
        parser.actions = actions
        try:
            for number, cells in parser.parse():
                budget[0] -= max(len(cells), 1)
                if budget[0] < 0:
                    reason = f"セルが多すぎます（1ファイル{readers.MAX_CELLS:,}セルまで）"
                    raise _refuse(path, reason, number, sheet=sheet.title)
                attrs = parser.row_dimensions.get(str(number), {})
                if attrs.get("hidden") in ("1", "true"):
                    hidden.add(number)
                values: list[object] = [None] * (cells[-1]["column"] if cells else 0)
                for cell in cells:
                    values[cell["column"] - 1] = cell["value"]
                rows.append((number, values))
        except UnreadableFile:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad cell
            reason = f"シートのデータが壊れています（{type(exc).__name__}: {exc}）"
            raise _refuse(path, reason, number + 1, sheet=sheet.title) from exc
        merges = _merges(parser)
    overlap = overlapping_merges(merges)
    if overlap:
        first, second = overlap
        reason = (
            f"結合セルの範囲が重なっています（{_ref(first)} と {_ref(second)}）。どちらの値のセルか"
            "決められないため読みません。Excel で開いて結合を直してから保存してください"
        )
        raise _refuse(path, reason, second[0], _ref(second), sheet=sheet.title)
    return RawSheet(sheet.title, _fill_gaps(rows), None, frozenset(hidden), merges)


def _fill_gaps(rows: list[tuple[int, list[object]]]) -> list[tuple[int, list[object]]]:
    """Rows without cells in the file are still rows: number them as Excel does."""
    out: list[tuple[int, list[object]]] = []
    expected = 1
    for number, cells in rows:
        while expected < number and len(out) < 100_000:  # no padding beyond a sane gap
            out.append((expected, []))
            expected += 1
        out.append((number, cells))
        expected = number + 1
    return out


def read_xlsx(path: Path) -> Workbook:
    check_archive(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_vba=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise _refuse(path, f"xlsxとして開けません（{type(exc).__name__}）") from exc
    try:
        actions = _style_actions(book)
        budget = [readers.MAX_CELLS]  # read when called: the limit is a setting
        sheets, skipped = [], []
        for sheet in book.worksheets:
            if sheet.sheet_state != "visible":
                skipped.append((sheet.title, "非表示のシートは読みません"))
                continue
            sheets.append(_read_sheet(path, book, sheet, actions, budget))
        return Workbook(sheets, skipped)
    finally:
        book.close()
