"""Read the raw cells of the spreadsheets prefectures have.

Excel workbooks (.xlsx, .xlsm: cells only, macros are never run or kept) and delimited text
(.csv, .tsv, .txt: comma or tab, UTF-8 with or without BOM, CP932, or UTF-16 with BOM as Excel's
「Unicode テキスト」 writes it). A workbook is checked as an archive before it is parsed, so a
zip bomb is refused in seconds instead of being inflated.
"""

from __future__ import annotations

import array
import csv
import datetime as dt
import hashlib
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser
from openpyxl.worksheet.cell_range import CellRange

from etl.errors import Problem

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SUPPORTED_SUFFIXES = (*EXCEL_SUFFIXES, *TEXT_SUFFIXES)

# Archive limits: a real workbook of this domain inflates to tens of MB at ten to twenty times
# its size; a zip bomb inflates to gigabytes at a ratio of hundreds or thousands.
MAX_UNCOMPRESSED_BYTES = 1 << 30
MAX_RATIO = 100
RATIO_CHECK_FROM_BYTES = 1 << 20
MAX_CELLS = 5_000_000  # per workbook: cells read, filled or not
# The csv module's own limit (128 KiB) would crash on a long cell; long cells are refused
# cell by cell after reading instead.
CSV_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


class UncachedFormula:
    """A formula cell whose result was never saved (written by a tool, not by Excel)."""

    def __init__(self, formula: str | None):
        self.formula = formula or ""

    def __str__(self) -> str:
        return f"={self.formula}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UncachedFormula) and other.formula == self.formula

    def __hash__(self) -> int:
        return hash(self.formula)


@dataclass
class RawSheet:
    """The cells of one sheet or text file, each row with its row number as Excel shows it.

    `merges` are Excel's merged ranges as (first_row, first_col, last_row, last_col), 1-based;
    only the first cell of a range holds its value, as openpyxl reads it."""

    name: str | None
    rows: Sequence[tuple[int, list[object]]]  # a list, or TextRows for a text file
    encoding: str | None = None
    hidden_rows: frozenset[int] = field(default_factory=frozenset)
    merges: tuple[tuple[int, int, int, int], ...] = ()
    delimiter: str | None = None


@dataclass(frozen=True)
class Workbook:
    """The visible sheets of a file and the sheets skipped with the reason."""

    sheets: list[RawSheet]
    skipped: list[tuple[str, str]] = field(default_factory=list)


class UnreadableFile(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def _refuse(path: Path, reason: str, row: int | None = None, column: str | None = None,
            value: str | None = None, sheet: str | None = None) -> UnreadableFile:  # fmt: skip
    return UnreadableFile(Problem(path.name, row, column, value, reason, sheet))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def sniff_type(path: Path) -> str:
    """'xlsx' or 'csv' from the file's content (not only its name); raises UnreadableFile."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            raise _refuse(path, "壊れたxlsxファイルです")
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        with path.open("rb") as handle:
            start = handle.read(1 << 20)
        if "EncryptedPackage".encode("utf-16-le") in start:
            raise _refuse(
                path, "パスワードで保護されたファイルは読めません。保護を外して保存し直してください"
            )
        raise _refuse(path, "旧形式のExcel（.xls）は読めません。.xlsx で保存し直してください")
    if suffix in EXCEL_SUFFIXES:
        raise _refuse(path, "xlsxファイルの中身ではありません")
    if head.startswith(UTF16_BOMS):
        return "csv"  # UTF-16 with BOM: Excel's 「Unicode テキスト」
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if head and controls > len(head) // 10:  # text has a stray control byte, binary has many
        raise _refuse(path, "テキスト（CSV）ではありません")
    return "csv"


def check_type(path: Path) -> str:
    """'xlsx' or 'csv' when the name's suffix is supported and the content fits it (compared
    case-insensitively: .CSV is .csv); raises UnreadableFile otherwise."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _refuse(path, f"対応していない形式です（{', '.join(SUPPORTED_SUFFIXES)} のみ）")
    kind = sniff_type(path)
    if (kind == "xlsx") != (suffix in EXCEL_SUFFIXES):
        raise _refuse(path, f"拡張子は{path.suffix}ですが中身は{kind}です")
    return kind


# --- text ----------------------------------------------------------------------------------


def _undecodable(data: bytes, exc: UnicodeDecodeError, name: str) -> Problem:
    """Where the first undecodable byte is: its row and, where the line splits, its column."""
    start = data.rfind(b"\n", 0, exc.start) + 1
    row = data.count(b"\n", 0, exc.start) + 1
    before = data[start : exc.start]
    delimiter = b"\t" if before.count(b"\t") > before.count(b",") else b","
    column = f"{before.count(delimiter) + 1}列目"
    value = data[exc.start : exc.start + 4].hex(" ")
    reason = "文字コードを判別できません（UTF-8 または Shift_JIS(CP932) で保存してください）"
    return Problem(name, row, column, f"0x{value}", reason)


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """The text and its encoding: UTF-16 with BOM, UTF-8 with BOM, UTF-8, or CP932."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            reason = "UTF-16 として読めません"
            raise UnreadableFile(Problem(name, None, None, None, reason)) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:  # a BOM in front of something else
            raise UnreadableFile(_undecodable(data[3:], exc, name)) from exc
    failures = []
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            failures.append(exc)
    # Report the row under the reading that got further: that is most likely the file's encoding.
    worst = max(failures, key=lambda e: e.start)
    raise UnreadableFile(_undecodable(data, worst, name))


def _excel_text(cell: str) -> str:
    """="07208" (how spreadsheets export a code to keep its leading zero) is the text 07208."""
    if cell.startswith('="') and cell.endswith('"') and len(cell) >= 3:
        return cell[2:-1].replace('""', '"')
    return cell


def _delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    head = text[:20000].splitlines()[:30]
    tabs = sum(line.count("\t") for line in head)
    commas = sum(line.count(",") for line in head)
    return "\t" if tabs > commas else ","


LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")  # a line as io.StringIO(newline="") gives it


class TextRows(Sequence):
    """The rows of a delimited text, parsed on access: (row number, cells) as a list would hold
    them, without holding them. A large file's cells would take several times the file's size as
    Python strings; here the text is kept once, with where each row starts, and each row is parsed
    again when it is read. Rows are numbered 1, 2, 3 … as a spreadsheet shows them (a cell's line
    breaks do not count). Assigning a row replaces it (a reader that is done with a row may give
    back an empty one, which releases nothing but is never read again)."""

    def __init__(self, text: str, delimiter: str, path: Path):
        self._text, self._delimiter = text, delimiter
        self._starts = array.array("q")
        self._replaced: dict[int, tuple[int, list[object]]] = {}
        end = 0

        def lines():
            nonlocal end
            for match in LINE.finditer(text):
                if match.start() == match.end():
                    return
                end = match.end()
                yield match.group()

        reader = csv.reader(lines(), delimiter=delimiter)
        start = 0
        try:
            for _ in reader:  # csv reads no further than the row it returns
                self._starts.append(start)
                start = end
        except csv.Error as exc:
            raise _refuse(
                path, f"区切りテキストとして読めません（{exc}）", len(self._starts) + 1
            ) from exc
        self._starts.append(start)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def _row(self, position: int) -> tuple[int, list[object]]:
        if position in self._replaced:
            return self._replaced[position]
        line = self._text[self._starts[position] : self._starts[position + 1]]
        if '"' not in line:  # no quoting: one line, split as csv splits it
            line = line.rstrip("\r\n")
            return position + 1, line.split(self._delimiter) if line else []
        lines = (m.group() for m in LINE.finditer(
            self._text, self._starts[position], self._starts[position + 1]) if m.start() != m.end())  # fmt: skip
        cells = next(csv.reader(lines, delimiter=self._delimiter), [])
        return position + 1, [_excel_text(c) if c[:2] == '="' else c for c in cells]

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self)))]
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError(index)
        return self._row(position)

    def __eq__(self, other: object) -> bool:  # equal to a list of the same rows
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # mutable, like the list it stands for

    def __setitem__(self, index: int, row: tuple[int, list[object]]) -> None:
        position = index + len(self) if index < 0 else index
        if row[1]:
            self._replaced[position] = row
        else:
            self._replaced.pop(position, None)


def _read_text(path: Path) -> list[RawSheet]:
    text, encoding = decode_text(path.read_bytes(), path.name)
    delimiter = _delimiter(text, path.suffix.lower())
    csv.field_size_limit(CSV_FIELD_LIMIT)
    return [RawSheet(None, TextRows(text, delimiter, path), encoding, delimiter=delimiter)]


# --- workbooks -------------------------------------------------------------------------------


def check_archive(path: Path) -> None:
    """Refuse an archive that would inflate far beyond what a real workbook does."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(path, "壊れたxlsxファイルです") from exc
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        reason = f"展開すると{total / (1 << 20):,.0f}MBになります（上限{MAX_UNCOMPRESSED_BYTES >> 20}MB）"
        raise _refuse(path, reason)
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECK_FROM_BYTES and ratio > MAX_RATIO:
            reason = (
                f"圧縮率が異常です（{member.filename} が{ratio:,.0f}倍に展開されます）。"
                "zip爆弾の疑いがあるため読みません"
            )
            raise _refuse(path, reason)


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
                    reason = f"セルが多すぎます（1ファイル{MAX_CELLS:,}セルまで）"
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


def _read_workbook(path: Path) -> Workbook:
    check_archive(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_vba=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise _refuse(path, f"xlsxとして開けません（{type(exc).__name__}）") from exc
    try:
        actions = _style_actions(book)
        budget = [MAX_CELLS]
        sheets, skipped = [], []
        for sheet in book.worksheets:
            if sheet.sheet_state != "visible":
                skipped.append((sheet.title, "非表示のシートは読みません"))
                continue
            sheets.append(_read_sheet(path, book, sheet, actions, budget))
        return Workbook(sheets, skipped)
    finally:
        book.close()


def read_workbook(path: Path) -> Workbook:
    """The visible sheets of a workbook, or the one table of a text file."""
    kind = check_type(path)
    return _read_workbook(path) if kind == "xlsx" else Workbook(_read_text(path))


def read_sheets(path: Path) -> list[RawSheet]:
    """Every visible sheet of a workbook, or the one table of a text file."""
    return read_workbook(path).sheets


# --- input folders ---------------------------------------------------------------------------

NOT_DATA_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "manifest.json"}
NOT_DATA_STEMS = ("readme", "license", "licence")


def not_data_reason(path: Path) -> str | None:
    """Why a file in an input folder is clearly not data (None when it should be read)."""
    name = path.name.lower()
    if path.is_dir():
        return "フォルダの中は読みません"
    if name.startswith("~$"):
        return "Excelが開いている間の一時ファイルです"
    if name.startswith(".") or name in NOT_DATA_NAMES:
        return "データではない管理用のファイルです"
    if name.split(".", 1)[0] in NOT_DATA_STEMS:
        return "説明書きのファイルです"
    return None


def scan_input_folder(directory: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Every entry of a folder in name order: the files to read (each is read or refused) and
    the entries skipped as clearly not data, with the reason."""
    inputs, skipped = [], []
    for path in sorted(directory.iterdir()):
        reason = not_data_reason(path)
        if reason is None:
            inputs.append(path)
        else:
            skipped.append((path.name, reason))
    return inputs, skipped
