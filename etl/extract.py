"""Find each sheet's header row, map headers through the alias table, and parse every cell.

`read_file` returns one `ParsedFile` per table of a file: the visible sheets of a workbook that
share one kind and header are one table (one sheet per 地方振興局, say); sheets of other kinds are
other tables. A table is a list of records of canonical columns (each with its sheet and Excel
row number) plus every problem found. A file with any problem loads nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etl import normalize as nz
from etl.errors import Problem
from etl.readers import RawSheet, UncachedFormula, UnreadableFile, read_workbook, sha256_of
from etl.schemas import KINDS, SERVICES, Column, Kind

HEADER_SCAN_ROWS = 200
MIN_HEADER_MATCHES = 3
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NUMERIC_PARSERS = ("amount", "int")
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
NO_UNIT = "（単位なし）"  # an amount column whose unit was found nowhere


@dataclass(frozen=True)
class MappedColumn:
    index: int
    column: Column
    header: str  # the header as written, for messages
    unit: str | None


@dataclass
class ParsedFile:
    """One table of one input file (a CSV, or the sheets of a workbook sharing one header)."""

    path: Path
    sha256: str
    kind: str | None = None
    sheet: str | None = None  # the sheets read, joined with 、
    encoding: str | None = None
    header_row: int | None = None
    title: str = ""  # the title rows of the first sheet
    titles: dict[str | None, str] = field(default_factory=dict)  # sheet → its title rows
    records: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    dropped_rows: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # canonical name → header as written
    notes: list[str] = field(default_factory=list)  # what load_log says of the reading
    skipped_sheets: list[tuple[str, str]] = field(default_factory=list)
    explicit_bool: set[str] = field(default_factory=set)  # tick columns that also say 無/不明
    variants: set[tuple[str, str]] = field(default_factory=set)  # (as written, official name)
    rows_loaded: int = 0  # set when the records are loaded into a build (and let go)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def ok(self) -> bool:
        return not self.problems

    @staticmethod
    def _where(row) -> tuple[int | None, str | None]:
        if isinstance(row, dict):  # a record: its own row and sheet
            return row.get("source_row"), row.get("source_sheet")
        return row, None

    def problem(self, row, column: str | None, value: object, reason: str,
                sheet: str | None = None) -> None:  # fmt: skip
        """Record a problem; a cell that already has one keeps its first (the most specific).

        `row` is a row number or a record (whose sheet and row are used)."""
        row, record_sheet = self._where(row)
        sheet = sheet or record_sheet
        if row is not None and column is not None:
            if any(p.row == row and p.column == column and p.sheet == sheet for p in self.problems):
                return
        shown = None if nz.is_blank(value) else str(value)
        self.problems.append(Problem(self.name, row, column, shown, reason, sheet))

    def warn(self, row, column: str | None, value: object, reason: str,
             sheet: str | None = None) -> None:  # fmt: skip
        row, record_sheet = self._where(row)
        shown = None if nz.is_blank(value) else str(value)
        self.warnings.append(Problem(self.name, row, column, shown, reason, sheet or record_sheet))

    def title_of(self, record: dict) -> str:
        return self.titles.get(record.get("source_sheet"), self.title)

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


def _amount(value: object, unit: str | None) -> int | None:
    if unit == NO_UNIT:
        text = re.sub(r"\s+", "", nz.nfkc(value)) if isinstance(value, str) else ""
        if not nz.is_blank(value) and not text.endswith("円") and nz.clean_text(value) is not None:
            raise UnitUnknown
        unit = "円"  # blank, unknown, or a cell that states its own unit
    return nz.parse_amount_yen(value, unit or "円")


class UnitUnknown(ValueError):
    """An amount without a unit in its cell, its column or its title rows."""


@functools.lru_cache(maxsize=8192)
def _cached(parser: str, value_type: type, value: object, unit: str | None) -> object:
    # value_type keeps True, 1 and 1.0 apart in the cache.
    return _PARSERS[parser](value, unit)


_PARSERS = {
    "text": lambda v, u: nz.clean_text(v),
    "int": lambda v, u: nz.parse_int(v),
    "amount": _amount,
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
        if nz.is_blank(cell) or isinstance(cell, UncachedFormula):
            continue
        label, unit = nz.split_header(cell)
        out.append((index, str(cell).replace("\n", " ").strip(), label, unit))
    return out


def _matches(kind: Kind, header) -> set[str]:
    table = kind.by_label()
    return {table[label].name for _, _, label, _ in header if label in table}


def _best_kind(cells: list[object]) -> tuple[int, Kind] | None:
    header = _header_cells(cells)
    best: tuple[int, Kind] | None = None
    for kind in KINDS.values():
        names = _matches(kind, header)
        if kind.identified_by(names) and len(names) >= MIN_HEADER_MATCHES:
            if best is None or len(names) > best[0]:
                best = (len(names), kind)
    return best


def find_header(sheet: RawSheet) -> tuple[int, Kind, list[tuple[int, str, str, str | None]]] | None:
    """The first row (within the top rows) that reads as the header of a known kind.

    In a header written over two rows (「事業費（千円）」 over 総事業費 and 補助対象経費), the lower
    row names every column: it is the header when it reads as the same kind at least as well."""
    rows = sheet.rows[:HEADER_SCAN_ROWS]
    for position, (_, cells) in enumerate(rows):
        best = _best_kind(cells)
        if best is None:
            continue
        if position + 1 < len(rows):
            lower = _best_kind(rows[position + 1][1])
            if lower is not None and lower[1] is best[1] and lower[0] >= best[0]:
                position += 1
        return position, best[1], _header_cells(rows[position][1])
    return None


def _fill_merges(sheet: RawSheet, header_row: int | None) -> list[tuple[int, int]]:
    """Give every cell of a merged range its value (Excel shows it across the range).

    Returns the merged ranges over data rows that span several rows, as (first, last) rows:
    a number merged over rows cannot be given to each row (it would be counted twice)."""
    by_number = {number: cells for number, cells in sheet.rows}
    spans = []
    for first_row, first_col, last_row, last_col in sheet.merges:
        top = by_number.get(first_row)
        if top is None or first_col > len(top):
            continue
        value = top[first_col - 1]
        for number in range(first_row, last_row + 1):
            cells = by_number.get(number)
            if cells is None:
                continue
            if len(cells) < last_col:
                cells.extend([None] * (last_col - len(cells)))
            for col in range(first_col, last_col + 1):
                if (number, col) != (first_row, first_col):
                    cells[col - 1] = (
                        MergedCopy(value) if header_row and number > header_row else value
                    )
        if header_row and last_row > first_row and last_row > header_row:
            spans.append((first_row, first_col, last_row, last_col))
    return spans


def _header_view(sheet: RawSheet) -> RawSheet:
    """The top rows with merged cells filled, to find a header written over two rows."""
    rows = [(number, list(cells)) for number, cells in sheet.rows[:HEADER_SCAN_ROWS]]
    view = RawSheet(sheet.name, rows, sheet.encoding, merges=sheet.merges)
    _fill_merges(view, None)
    return view


class MergedCopy:
    """A value a vertically merged cell gives to the rows below its first (fill-down)."""

    __slots__ = ("value",)

    def __init__(self, value: object):
        self.value = value


def _unwrap(value: object) -> object:
    return value.value if isinstance(value, MergedCopy) else value


def _resolve_units(parsed: ParsedFile, sheet: RawSheet, position: int, header) -> tuple[
        dict[int, str], bool]:  # fmt: skip
    """Units of the amount columns from a unit row under the header, a group header above it,
    or the title rows; and whether the row under the header is a unit row (not data)."""
    units: dict[int, str] = {}
    unit_row = False
    below = sheet.rows[position + 1][1] if position + 1 < len(sheet.rows) else []
    filled = [(i, c) for i, c in enumerate(below) if not nz.is_blank(c)]
    if filled and all(_unit_only(c) for _, c in filled):
        unit_row = True
        units.update({i: nz.find_unit(f"({nz.nfkc(c).strip('()（）')})") for i, c in filled})
    above = sheet.rows[position - 1][1] if position > 0 else []
    for index, *_ in header:
        # a group header right above (「金額（千円）」 merged over the amount columns)
        if index not in units and index < len(above) and nz.find_unit(_unwrap(above[index])):
            units[index] = nz.find_unit(_unwrap(above[index]))
    title_unit = _title_unit(sheet, position)
    if title_unit:
        for index, *_ in header:
            units.setdefault(index, title_unit)
    return units, unit_row


def _title_unit(sheet: RawSheet, position: int) -> str | None:
    """The unit a title row states for the whole table: 「令和6年度 補助金（単位：千円）」 or a row
    of 「（千円）」 alone. A row of several cells (a group header such as 「事業費（千円）」 over some
    columns) speaks of its own columns only; two title units that disagree state nothing."""
    found = set()
    for _, cells in sheet.rows[:position]:
        texts = {str(_unwrap(c)).strip() for c in cells if not nz.is_blank(_unwrap(c))}
        if len(texts) != 1:
            continue
        (text,) = texts
        unit = nz.find_unit(text)
        if unit and ("単位" in nz.nfkc(text) or _unit_only(text)):
            found.add(unit)
    return found.pop() if len(found) == 1 else None


def _unit_only(cell: object) -> bool:
    text = re.sub(r"[\s()（）\[\]【】]", "", nz.nfkc(cell)).removeprefix("単位").strip(":：")
    return text in ("円", "千円")


def map_columns(parsed: ParsedFile, kind: Kind, header, header_row: int,
                units: dict[int, str], sheet: str | None) -> list[MappedColumn]:  # fmt: skip
    table = kind.by_label()
    mapped: dict[str, MappedColumn] = {}
    for index, written, label, unit in header:
        column = table.get(label)
        if column is None:
            parsed.warn(
                header_row, written, None, "この列は読み込みません（名前が別名表にありません）",
                sheet,
            )  # fmt: skip
            continue
        if column.name in mapped:
            other = mapped[column.name].header
            reason = f"「{other}」と同じ項目を表す列が2つあります"
            parsed.problem(header_row, written, None, reason, sheet)
            continue
        if column.parser == "amount":
            unit = unit or units.get(index) or NO_UNIT
            if unit not in ("円", "千円", NO_UNIT):
                reason = f"金額の単位「{unit}」は円・千円のどちらでもありません"
                parsed.problem(header_row, written, None, reason, sheet)
        mapped[column.name] = MappedColumn(index, column, written, unit)
        parsed.headers.setdefault(column.name, written)
    for column in kind.columns:
        if column.required and column.name not in mapped:
            parsed.problem(header_row, column.label, None, "必須の列がありません", sheet)
    if kind.name != "published_counts" and not {"municipality_code", "municipality_name"} & set(
        mapped
    ):
        parsed.problem(
            header_row, "市町村コード／市町村名", None, "市町村を表す列がありません", sheet
        )
    for problem in kind.conflicts(set(mapped)):
        parsed.problem(header_row, None, None, problem, sheet)
    return list(mapped.values())


def _lead_end(columns: list[MappedColumn], width: int) -> int:
    """Cells left of the first numeric column: where a row's labels (合計, 小計 …) are written."""
    numeric = [m.index for m in columns if m.column.parser in NUMERIC_PARSERS]
    return min(numeric) if numeric else width


def _is_total_row(cells: list[object], lead_end: int) -> bool:
    return any(nz.is_total_label(_unwrap(c)) for c in cells[:lead_end])


def _is_footnote_row(cells: list[object]) -> bool:
    first = next((c for c in map(_unwrap, cells) if not nz.is_blank(c)), None)
    if not nz.is_footnote(first):
        return False
    filled = [_unwrap(c) for c in cells if not nz.is_blank(_unwrap(c))]
    return len({str(c) for c in filled}) == 1


def _is_header_again(cells: list[object], header_texts: dict[int, str]) -> bool:
    """The header repeated at a page break: the header's own texts in its own columns."""
    same = 0
    for index, text in header_texts.items():
        if index < len(cells) and isinstance(cells[index], str) and cells[index].strip() == text:
            same += 1
            if same >= MIN_HEADER_MATCHES:
                return True
    return same == len(header_texts)


def _is_template_row(cells: list[object], columns: list[MappedColumn]) -> bool:
    """A row of the form with only its running number filled in."""
    used = {m.index for m in columns}
    rest = [c for i, c in enumerate(cells) if i not in used and not nz.is_blank(c)]
    mapped_blank = all(
        nz.is_blank(_unwrap(cells[m.index])) for m in columns if m.index < len(cells)
    )
    return mapped_blank and all(
        isinstance(c, int) or re.fullmatch(r"\d+", nz.nfkc(c)) for c in rest
    )


def _check_cells(parsed: ParsedFile, row: int, cells: list[object], header_names: dict[int, str],
                 sheet: str | None) -> None:  # fmt: skip
    """Control characters and oversized text anywhere in a row, read or not."""
    texts = [c for c in cells if isinstance(c, str)]
    joined = "".join(texts)
    if (
        not CONTROL_CHARS.search(joined)
        and len(joined) <= MAX_CELL_CHARS
        and len(texts) == sum(1 for c in cells if isinstance(c, str | MergedCopy))
    ):
        return  # the common case: one test for the whole row
    for index, value in enumerate(cells):
        value = _unwrap(value)
        if not isinstance(value, str):
            continue
        column = header_names.get(index, f"{index + 1}列目")
        if CONTROL_CHARS.search(value):
            shown = CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", value[:50])
            parsed.problem(row, column, shown, "制御文字が含まれています", sheet)
        elif len(value) > MAX_CELL_CHARS:
            reason = f"セルの文字数が多すぎます（{len(value):,}文字。{MAX_CELL_CHARS:,}文字まで）"
            parsed.problem(row, column, value[:50] + "…", reason, sheet)


@dataclass
class _SheetState:
    skipped: dict[str, list[int]] = field(default_factory=dict)  # why → rows
    no_unit: dict[str, int] = field(default_factory=dict)  # amount header → first row


def parse_rows(parsed: ParsedFile, sheet: RawSheet, start: int, columns: list[MappedColumn],
               header_names: dict[int, str], header_cells: list[object]) -> _SheetState:  # fmt: skip
    state = _SheetState()
    used = {m.index for m in columns}
    header_texts = {i: str(c).strip() for i, c in enumerate(header_cells) if i in used}
    width = max((m.index for m in columns), default=0) + 1
    lead_end = _lead_end(columns, width)
    for position in range(start, len(sheet.rows)):
        row_number, cells = sheet.rows[position]
        sheet.rows[position] = (row_number, [])  # read once: a large file's raw cells go as we go
        if all(nz.is_blank(_unwrap(c)) for c in cells):
            continue
        _check_cells(parsed, row_number, cells, header_names, sheet.name)
        why = (
            "合計・小計の行" if _is_total_row(cells, lead_end)
            else "注記の行" if _is_footnote_row(cells)
            else "ページごとに繰り返された見出し行" if _is_header_again(cells, header_texts)
            else "番号だけの様式の行" if _is_template_row(cells, columns)
            else None
        )  # fmt: skip
        if why:
            state.skipped.setdefault(why, []).append(row_number)
            if why == "合計・小計の行":
                parsed.dropped_rows.append(row_number)
            continue
        record: dict[str, object] = {
            "source_file": parsed.name, "source_sheet": sheet.name, "source_row": row_number,
        }  # fmt: skip
        for mapped in columns:
            raw = cells[mapped.index] if mapped.index < len(cells) else None
            value = _unwrap(raw)
            if isinstance(value, UncachedFormula):
                record[mapped.column.name] = None
                record.setdefault("_failed", set()).add(mapped.column.name)
                reason = (
                    f"数式（{value}）の計算結果が保存されていません。"
                    "Excel で開いて保存し直すか、値として貼り付けてください"
                )
                parsed.problem(row_number, mapped.header, None, reason, sheet.name)
                continue
            if isinstance(raw, MergedCopy) and mapped.column.parser in NUMERIC_PARSERS:
                if not nz.is_blank(value):
                    reason = "数値のセルが複数の行にまたがって結合されています（どの行の値か決められません）"
                    parsed.problem(row_number, mapped.header, value, reason, sheet.name)
                    continue
            try:
                record[mapped.column.name] = parse_cell(mapped.column, value, mapped.unit)
            except UnitUnknown:
                record[mapped.column.name] = None
                record.setdefault("_failed", set()).add(mapped.column.name)
                state.no_unit.setdefault(mapped.header, row_number)
                continue
            except ValueError as exc:
                record[mapped.column.name] = None
                record.setdefault("_failed", set()).add(mapped.column.name)
                parsed.problem(row_number, mapped.header, value, str(exc), sheet.name)
                continue
            if mapped.column.parser == "bool":
                record.setdefault("_blank", set())
                if nz.is_blank(value):
                    record["_blank"].add(mapped.column.name)
                elif nz.nfkc(value) not in nz.CHECK_MARKS:
                    parsed.explicit_bool.add(mapped.column.name)
            if record[mapped.column.name] is None and mapped.column.required:
                if not mapped.column.blank_ok:
                    parsed.problem(row_number, mapped.header, value, "必須項目が空です", sheet.name)
        if sheet.hidden_rows and row_number in sheet.hidden_rows:
            state.skipped.setdefault("_hidden", []).append(row_number)
        parsed.records.append(record)
    return state


def _title(sheet: RawSheet, position: int) -> str:
    seen: list[str] = []
    for _, cells in sheet.rows[:position]:
        for cell in cells:
            text = str(_unwrap(cell)).strip()
            if not nz.is_blank(cell) and text not in seen:  # merged titles repeat their text
                seen.append(text)
    return " ".join(seen)


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:20])
    return shown + (f" ほか{len(rows) - 20}行" if len(rows) > 20 else "")


def _looks_like_table(sheet: RawSheet) -> bool:
    """Two or more rows of three or more filled cells: data, not a cover sheet (表紙)."""
    wide = 0
    for _, cells in sheet.rows:
        if sum(1 for c in cells if not nz.is_blank(c)) >= 3:
            wide += 1
            if wide >= 2:
                return True
    return False


def _read_sheet(tables: dict, path: Path, sha256: str, sheet: RawSheet,
                skipped: list[tuple[str, str]], problems: list[Problem]) -> None:  # fmt: skip
    found = find_header(_header_view(sheet))
    if found is None:
        label = sheet.name or path.name
        if sheet.name is None or _looks_like_table(sheet):
            kinds = "、".join(k.label for k in KINDS.values())
            reason = f"見出し行が見つかりません（{kinds}のいずれの形式とも一致しません）"
            problems.append(Problem(path.name, None, None, None, reason, sheet.name))
        else:
            skipped.append((label, "表の見出し行がないシート（表紙など）です"))
        return
    position, kind, header = found
    header_row = sheet.rows[position][0]
    spans = _fill_merges(sheet, header_row)
    header = _header_cells(sheet.rows[position][1])  # merged header cells are filled now
    key = (kind.name, tuple(sorted(_matches(kind, header))))
    parsed = tables.get(key)
    if parsed is None:
        parsed = tables[key] = ParsedFile(path=path, sha256=sha256, kind=kind.name)
        parsed.header_row, parsed.encoding = header_row, sheet.encoding
        parsed.title = _title(sheet, position)
    parsed.titles[sheet.name] = _title(sheet, position)
    parsed.sheet = "、".join(filter(None, [parsed.sheet, sheet.name])) or None
    units, unit_row = _resolve_units(parsed, sheet, position, header)
    columns = map_columns(parsed, kind, header, header_row, units, sheet.name)
    if parsed.problems:
        return
    header_names = {index: written for index, written, *_ in header}
    header_cells = [_unwrap(c) for c in sheet.rows[position][1]]
    state = parse_rows(parsed, sheet, position + 1 + unit_row, columns, header_names, header_cells)
    _note_sheet(parsed, sheet, state, spans)


def _note_sheet(parsed: ParsedFile, sheet: RawSheet, state: _SheetState, spans) -> None:
    where = f"シート「{sheet.name}」: " if sheet.name else ""
    for header in state.no_unit:
        reason = (
            "金額の単位（円・千円）がどこにも書かれていません。見出しに（円）や（千円）を書くか、"
            "タイトル行に「単位：千円」のように書いてください"
        )
        parsed.problem(None, header, None, reason, sheet.name)
    for why, rows in state.skipped.items():
        if why == "_hidden":
            parsed.notes.append(f"{where}非表示の行も読み込みました（{_rows_text(rows)}行目）")
            parsed.warn(None, None, None, f"非表示の行も読み込みました（{_rows_text(rows)}行目）",
                        sheet.name)  # fmt: skip
        else:
            parsed.notes.append(f"{where}{why}を除きました（{_rows_text(rows)}行目）")
            parsed.warn(
                None, None, None, f"{why}を除きました（{_rows_text(rows)}行目）", sheet.name
            )
    if spans:
        note = f"縦に結合されたセルの値を各行に補いました（{len(spans)}か所）"
        parsed.notes.append(where + note)
        parsed.warn(None, None, None, note, sheet.name)


def _apply_check_marks(parsed: ParsedFile) -> None:
    """A column of ticks (○/✓) and blanks only: a blank box means 無. Where the column also has
    explicit no-marks (無, ×) or unknowns (-, 不明), a blank stays unknown."""
    bool_columns = [c.name for c in KINDS[parsed.kind].columns if c.parser == "bool"]
    for name in bool_columns:
        if name in parsed.explicit_bool or name not in parsed.headers:
            continue
        blanks = [r for r in parsed.records if name in r.get("_blank", ())]
        if blanks and len(blanks) < len(parsed.records):
            for record in blanks:
                record[name] = False
            header = parsed.headers[name]
            note = f"列「{header}」は○印と空欄だけのため、空欄を「無」としました"
            parsed.notes.append(note)
            parsed.warn(None, header, None, note)


def read_file(path: Path, max_bytes: int | None = None) -> list[ParsedFile]:
    """Header detection and cell parsing for one file (no cross-row or reference checks)."""
    sha256 = sha256_of(path)

    def refused(problem: Problem) -> list[ParsedFile]:
        return [ParsedFile(path=path, sha256=sha256, problems=[problem])]

    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        reason = f"ファイルが大きすぎます（{size / 1e6:,.1f}MB。上限{max_bytes / 1e6:,.0f}MB: KYOTEN_INPUT_MAX_MB）"
        return refused(Problem(path.name, None, None, None, reason))
    try:
        book = read_workbook(path)
    except UnreadableFile as exc:
        return refused(exc.problem)
    tables: dict[tuple, ParsedFile] = {}
    skipped = list(book.skipped)
    problems: list[Problem] = []
    for sheet in book.sheets:
        _read_sheet(tables, path, sha256, sheet, skipped, problems)
    out = list(tables.values())
    if not out:
        if not problems:
            kinds = "、".join(k.label for k in KINDS.values())
            reason = f"見出し行が見つかりません（{kinds}のいずれの形式とも一致しません）"
            problems.append(Problem(path.name, None, None, None, reason))
        return [ParsedFile(path=path, sha256=sha256, problems=problems, skipped_sheets=skipped)]
    out[0].problems.extend(problems)
    for parsed in out:
        parsed.skipped_sheets = skipped
        if not parsed.problems:
            _apply_check_marks(parsed)
        for record in parsed.records:
            record.pop("_blank", None)
    return out
