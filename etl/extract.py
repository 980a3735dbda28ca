"""Find the header row, map headers through the alias table, and parse every cell.

The result of `parse_file` is a `ParsedFile`: a frame of canonical columns (one row per data row,
each with its Excel row number) plus every problem found. A file with any problem loads nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etl import normalize as nz
from etl.errors import Problem
from etl.readers import RawSheet, UnreadableFile, read_sheets, sha256_of
from etl.schemas import KINDS, SERVICES, Column, Kind

HEADER_SCAN_ROWS = 30
MIN_HEADER_MATCHES = 3
SERVICE_SYNONYMS = {
    "移動": (
        "移動",
        "外出支援",
        "送迎",
        "デマンド",
        "コミュニティバス",
        "乗合",
        "移動支援",
        "交通",
    ),
    "買い物": ("買い物", "買物", "移動販売", "日用品", "商店", "売店"),
    "見守り": ("見守り", "声かけ", "安否確認"),
    "医療・福祉": ("医療・福祉", "医療", "福祉", "診療", "健康", "介護"),
    "雪かき": ("雪かき", "除雪", "雪下ろし"),
    "配食": ("配食", "弁当"),
    "サロン": ("サロン", "カフェ", "居場所", "交流"),
}


@dataclass(frozen=True)
class MappedColumn:
    index: int
    column: Column
    header: str  # the header as written, for messages
    unit: str | None


@dataclass
class ParsedFile:
    path: Path
    sha256: str
    kind: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    header_row: int | None = None
    title: str = ""
    records: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    dropped_rows: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # canonical name → header as written

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, row: int | None, column: str | None, value: object, reason: str) -> None:
        """Record a problem; a cell that already has one keeps its first (the most specific)."""
        if row is not None and column is not None:
            if any(p.row == row and p.column == column for p in self.problems):
                return
        shown = None if nz.is_blank(value) else str(value)
        self.problems.append(Problem(self.name, row, column, shown, reason))

    def warn(self, row: int | None, column: str | None, value: object, reason: str) -> None:
        shown = None if nz.is_blank(value) else str(value)
        self.warnings.append(Problem(self.name, row, column, shown, reason))

    def frame(self, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame.from_records(self.records, columns=columns)


def parse_services(value: object) -> str | None:
    """Services as one '、'-joined text of canonical names (unknown items kept as written)."""
    text = nz.clean_text(value)
    if text is None:
        return None
    items = [i.strip() for i in re.split(r"[、,，/／;；\n]", text) if i.strip()]
    out: list[str] = []
    for item in items:
        canonical = next(
            (s for s, words in SERVICE_SYNONYMS.items() if any(w in item for w in words)), item
        )
        if canonical not in out:
            out.append(canonical)
    order = {s: i for i, s in enumerate(SERVICES)}
    return "、".join(sorted(out, key=lambda s: (order.get(s, len(order)), s)))


@functools.lru_cache(maxsize=8192)
def _cached(parser: str, value_type: type, value: object, unit: str | None) -> object:
    # value_type keeps True, 1 and 1.0 apart in the cache.
    return _PARSERS[parser](value, unit)


_PARSERS = {
    "text": lambda v, u: nz.clean_text(v),
    "int": lambda v, u: nz.parse_int(v),
    "amount": lambda v, u: nz.parse_amount_yen(v, u or "円"),
    "fy": lambda v, u: nz.parse_fiscal_year(v),
    "date": lambda v, u: nz.parse_date(v),
    "as_of": lambda v, u: nz.parse_as_of(v),
    "bool": lambda v, u: nz.parse_bool(v),
    "code": lambda v, u: nz.parse_municipality_code(v),
    "services": lambda v, u: parse_services(v),
}


def parse_cell(column: Column, value: object, unit: str | None) -> object:
    """One cell through its column's parser; raises ValueError with the reason."""
    try:
        return _cached(column.parser, type(value), value, unit)
    except TypeError:  # unhashable cell value
        return _PARSERS[column.parser](value, unit)


def _header_cells(cells: list[object]) -> list[tuple[int, str, str, str | None]]:
    out = []
    for index, cell in enumerate(cells):
        if nz.is_blank(cell):
            continue
        label, unit = nz.split_header(cell)
        out.append((index, str(cell).replace("\n", " ").strip(), label, unit))
    return out


def find_header(sheet: RawSheet) -> tuple[int, Kind, list[tuple[int, str, str, str | None]]] | None:
    """The first row (within the top rows) that reads as the header of a known kind."""
    for position, (_, cells) in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        header = _header_cells(cells)
        best: tuple[int, Kind] | None = None
        for kind in KINDS.values():
            table = kind.by_label()
            names = {table[label].name for _, _, label, _ in header if label in table}
            if all(s in names for s in kind.signature) and len(names) >= MIN_HEADER_MATCHES:
                if best is None or len(names) > best[0]:
                    best = (len(names), kind)
        if best:
            return position, best[1], header
    return None


def map_columns(parsed: ParsedFile, kind: Kind, header, header_row: int) -> list[MappedColumn]:
    table = kind.by_label()
    mapped: dict[str, MappedColumn] = {}
    for index, written, label, unit in header:
        column = table.get(label)
        if column is None:
            parsed.warn(
                header_row, written, None, "この列は読み込みません（名前が別名表にありません）"
            )
            continue
        if column.name in mapped:
            other = mapped[column.name].header
            parsed.problem(header_row, written, None, f"「{other}」と同じ項目を表す列が2つあります")
            continue
        if column.parser == "amount":
            if unit is None:
                unit = "円"
                parsed.warn(header_row, written, None, "単位の記載がないため円として読み込みました")
            elif unit not in ("円", "千円"):
                parsed.problem(
                    header_row,
                    written,
                    None,
                    f"金額の単位「{unit}」は円・千円のどちらでもありません",
                )
        mapped[column.name] = MappedColumn(index, column, written, unit)
        parsed.headers[column.name] = written
    for column in kind.columns:
        if column.required and column.name not in mapped:
            parsed.problem(header_row, column.label, None, "必須の列がありません")
    if kind.name != "published_counts" and not {"municipality_code", "municipality_name"} & set(
        mapped
    ):
        parsed.problem(header_row, "市町村コード／市町村名", None, "市町村を表す列がありません")
    return list(mapped.values())


def _is_total_row(cells: list[object]) -> bool:
    filled = [c for c in cells if not nz.is_blank(c)]
    return any(nz.is_total_label(c) for c in filled[:3])


def parse_rows(
    parsed: ParsedFile, sheet: RawSheet, start: int, columns: list[MappedColumn]
) -> None:
    for row_number, cells in sheet.rows[start:]:
        if all(nz.is_blank(c) for c in cells):
            continue
        if _is_total_row(cells):
            parsed.dropped_rows.append(row_number)
            continue
        record: dict[str, object] = {"source_file": parsed.name, "source_row": row_number}
        for mapped in columns:
            value = cells[mapped.index] if mapped.index < len(cells) else None
            try:
                record[mapped.column.name] = parse_cell(mapped.column, value, mapped.unit)
            except ValueError as exc:
                record[mapped.column.name] = None
                record.setdefault("_failed", set()).add(mapped.column.name)
                parsed.problem(row_number, mapped.header, value, str(exc))
                continue
            if record[mapped.column.name] is None and mapped.column.required:
                if not mapped.column.blank_ok:
                    parsed.problem(row_number, mapped.header, value, "必須項目が空です")
        parsed.records.append(record)


def read_file(path: Path) -> ParsedFile:
    """Header detection and cell parsing for one file (no cross-row or reference checks)."""
    parsed = ParsedFile(path=path, sha256=sha256_of(path))
    try:
        sheets = read_sheets(path)
    except UnreadableFile as exc:
        parsed.problems.append(exc.problem)
        return parsed
    for sheet in sheets:
        found = find_header(sheet)
        if found is None:
            continue
        position, kind, header = found
        header_row = sheet.rows[position][0]
        parsed.kind, parsed.sheet, parsed.encoding = kind.name, sheet.name, sheet.encoding
        parsed.header_row = header_row
        parsed.title = " ".join(
            str(c).strip()
            for _, cells in sheet.rows[:position]
            for c in cells
            if not nz.is_blank(c)
        )
        columns = map_columns(parsed, kind, header, header_row)
        if not parsed.problems:
            parse_rows(parsed, sheet, position + 1, columns)
        if parsed.dropped_rows:
            rows = ", ".join(str(r) for r in parsed.dropped_rows)
            parsed.warn(None, None, None, f"合計・小計の行を除きました（{rows}行目）")
        others = [s.name for s in sheets if s is not sheet and find_header(s) is not None]
        if others:
            reason = f"シート「{'」「'.join(others)}」も一覧のようですが読み込んでいません（1ファイル1シート）"
            parsed.warn(None, None, None, reason)
        return parsed
    kinds = "、".join(k.label for k in KINDS.values())
    parsed.problem(
        None, None, None, f"見出し行が見つかりません（{kinds}のいずれの形式とも一致しません）"
    )
    return parsed
