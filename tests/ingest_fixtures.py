"""Small input files the ingest tests write themselves."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import openpyxl

# A grant table as many offices keep it: no 地方振興局 column.
GRANT_HEADER_PLAIN = [
    "年度",
    "市町村",
    "地区名",
    "事業区分",
    "補助対象経費（円）",
    "補助金額（円）",
    "状態",
]


def workbook(path: Path | BinaryIO, sheets: dict[str, list[list[object]]], hidden=()):
    """An .xlsx (or .xlsm) with one sheet per entry, saved to a path or a buffer; names in
    `hidden` are hidden sheets; an empty list is an empty row."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path
