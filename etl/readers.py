"""Read the raw cells of the spreadsheets prefectures have.

Excel workbooks (.xlsx, .xlsm: cells only, macros are never run or kept) and delimited text
(.csv, .tsv, .txt: comma or tab, UTF-8 with or without BOM, CP932, or UTF-16 with BOM as Excel's
「Unicode テキスト」 writes it). A workbook is checked as an archive before it is parsed, so a
zip bomb is refused in seconds instead of being inflated.
"""

from __future__ import annotations

import array
import csv
import hashlib
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
        single = line.rstrip("\r\n")  # the row without its line ending
        if '"' not in line:  # no quoting: one line, split as csv splits it
            return position + 1, single.split(self._delimiter) if single else []
        if "\r" in single or "\n" in single:  # a quoted cell with line breaks: the lines as read
            lines = (m.group() for m in LINE.finditer(line) if m.start() != m.end())
        else:
            lines = (line,)
        cells = next(csv.reader(lines, delimiter=self._delimiter), [])
        if '="' in line:
            cells = [_excel_text(c) if c[:2] == '="' else c for c in cells]
        return position + 1, cells

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


def read_workbook(path: Path) -> Workbook:
    """The visible sheets of a workbook, or the one table of a text file."""
    if check_type(path) != "xlsx":
        return Workbook(_read_text(path))
    from etl.xlsx import read_xlsx  # openpyxl is loaded only when a workbook is read

    return read_xlsx(path)


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
