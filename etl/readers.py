"""Read the raw cells of the spreadsheets prefectures have: .xlsx and .csv (UTF-8, BOM, CP932)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from etl.errors import Problem

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SUPPORTED_SUFFIXES = (*EXCEL_SUFFIXES, *TEXT_SUFFIXES)


@dataclass
class RawSheet:
    """The cells of one sheet or CSV file, each row with its row number as Excel shows it."""

    name: str | None
    rows: list[tuple[int, list[object]]]
    encoding: str | None = None


class UnreadableFile(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sniff_type(path: Path) -> str:
    """'xlsx' or 'csv' from the file's content (not only its name); raises UnreadableFile."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    suffix = path.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            raise UnreadableFile(Problem(path.name, None, None, None, "壊れたxlsxファイルです"))
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        reason = "旧形式のExcel（.xls）は読めません。.xlsx で保存し直してください"
        raise UnreadableFile(Problem(path.name, None, None, None, reason))
    if suffix in EXCEL_SUFFIXES:
        raise UnreadableFile(
            Problem(path.name, None, None, None, "xlsxファイルの中身ではありません")
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"  # UTF-16 with BOM: Excel's 「Unicode テキスト」
    if b"\x00" in head:
        raise UnreadableFile(Problem(path.name, None, None, None, "テキスト（CSV）ではありません"))
    return "csv"


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """The text and its encoding: UTF-8 with BOM, UTF-8, or CP932 (Shift_JIS as Windows writes it)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass  # a BOM in front of something else: refused below
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    reason = "文字コードを判別できません（UTF-8 または Shift_JIS(CP932) で保存してください）"
    raise UnreadableFile(Problem(name, None, None, None, reason))


def _read_csv(path: Path) -> list[RawSheet]:
    text, encoding = decode_text(path.read_bytes(), path.name)
    rows = [
        (i, list(cells)) for i, cells in enumerate(csv.reader(io.StringIO(text, newline="")), 1)
    ]
    return [RawSheet(None, rows, encoding)]


def _read_xlsx(path: Path) -> list[RawSheet]:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a bad file
        reason = f"xlsxとして開けません（{type(exc).__name__}）"
        raise UnreadableFile(Problem(path.name, None, None, None, reason)) from exc
    try:
        sheets = []
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # some tools store a stale used range; read every row
            rows = [
                (i, list(r)) for i, r in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1)
            ]
            sheets.append(RawSheet(sheet.title, rows))
        return sheets
    finally:
        book.close()


def check_type(path: Path) -> str:
    """'xlsx' or 'csv' when the name's suffix is supported and the content fits it (compared
    case-insensitively: .CSV is .csv); raises UnreadableFile otherwise."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        reason = f"対応していない形式です（{', '.join(SUPPORTED_SUFFIXES)} のみ）"
        raise UnreadableFile(Problem(path.name, None, None, None, reason))
    kind = sniff_type(path)
    if (kind == "xlsx") != (suffix in EXCEL_SUFFIXES):
        reason = f"拡張子は{path.suffix}ですが中身は{kind}です"
        raise UnreadableFile(Problem(path.name, None, None, None, reason))
    return kind


def read_sheets(path: Path) -> list[RawSheet]:
    """Every sheet of an .xlsx, or the one table of a .csv."""
    kind = check_type(path)
    return _read_xlsx(path) if kind == "xlsx" else _read_csv(path)


# Files that look like data are all read, so an unsupported one is refused rather than skipped.
DATA_SUFFIXES = (*SUPPORTED_SUFFIXES, ".xls", ".xlsm", ".xlsb", ".ods", ".tsv")


def iter_input_files(directory: Path) -> Iterator[Path]:
    """Data files of a folder in name order (hidden files and Excel lock files skipped)."""
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix.lower() in DATA_SUFFIXES:
            if not path.name.startswith((".", "~$")):
                yield path
