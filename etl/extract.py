"""Find each sheet's header row, map headers through the alias table, and parse every cell.

`read_file` returns one `ParsedFile` per table of a file: the visible sheets of a workbook of
one kind are one table (one sheet per 地方振興局, say); sheets of other kinds are
other tables. A table is a list of records of canonical columns (each with its sheet and Excel
row number) plus every problem found. A file with any problem loads nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from etl import layout
from etl import normalize as nz
from etl.cells import NO_UNIT, UnitUnknown, parse_cell
from etl.errors import Problem
from etl.layout import MergedCopy, unwrap
from etl.parsed import MappedColumn, ParsedFile
from etl.readers import RawSheet, UncachedFormula, UnreadableFile, read_workbook, sha256_of
from etl.schemas import IDENTITY_COLUMNS, KINDS, Kind

MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
KNOWN_TEXTS = 1 << 14  # distinct texts per column whose reading is remembered within a sheet
_UNKNOWN = object()
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NUMERIC_PARSERS = ("amount", "int")
EXCEL_ERRORS = {
    "#REF!",
    "#N/A",
    "#VALUE!",
    "#DIV/0!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
}


def _column_unit(parsed: ParsedFile, own: str | None, stated: dict[str, set[str]], header_row: int,
                 written: str, sheet: str | None) -> str:  # fmt: skip
    """An amount column's unit: the one every statement of it agrees on (its header cell, a
    unit row, a group header, the title, the notes). Disagreement is a problem, never a guess."""
    if own is not None and own not in ("円", "千円"):
        reason = f"金額の単位「{own}」は円・千円のどちらでもありません"
        parsed.problem(header_row, written, None, reason, sheet)
        return NO_UNIT
    statements = ({"見出し": {own}} if own else {}) | stated
    units = set().union(*statements.values()) if statements else set()
    if len(units) > 1:
        said = "、".join(f"{where}は{'・'.join(sorted(u))}" for where, u in statements.items())
        reason = f"金額の単位が食い違っています（{said}）。どちらか一つにしてください"
        parsed.problem(header_row, written, None, reason, sheet)
        return NO_UNIT
    return units.pop() if units else NO_UNIT


def map_columns(parsed: ParsedFile, kind: Kind, header: layout.Header, header_row: int,
                units: layout.UnitSources, sheet: str | None) -> list[MappedColumn]:  # fmt: skip
    table = kind.by_label()
    mapped: dict[str, MappedColumn] = {}
    for index, written, label, unit in header:
        column = table.get(label)
        if unit and unit not in ("円", "千円") and table.get(unit) is not None:
            column, unit = table[unit], None  # 補助金額（交付決定額） is the 交付決定額 column
        if column is None:
            reason = "この列は読み込みません（名前が別名表にありません）"
            parsed.warn(header_row, written, None, reason, sheet)
            continue
        if column.name in mapped:
            other = mapped[column.name].header
            reason = f"「{other}」と同じ項目を表す列が2つあります"
            parsed.problem(header_row, written, None, reason, sheet)
            continue
        if column.parser == "amount":
            unit = _column_unit(parsed, unit, units.get(index, {}), header_row, written, sheet)
        mapped[column.name] = MappedColumn(index, column, written, unit)
        parsed.headers.setdefault(column.name, written)
    for column in kind.columns:
        if column.required and column.name not in mapped:
            parsed.problem(header_row, column.label, None, "必須の列がありません", sheet)
    if kind.name != "published_counts" and not {"municipality_code", "municipality_name"} & set(
        mapped
    ):
        reason = "市町村を表す列がありません"
        parsed.problem(header_row, "市町村コード／市町村名", None, reason, sheet)
    for problem in kind.conflicts(set(mapped)):
        parsed.problem(header_row, None, None, problem, sheet)
    return list(mapped.values())


def _check_cells(parsed: ParsedFile, row: int, cells: list[object], header_names: dict[int, str],
                 sheet: RawSheet) -> None:  # fmt: skip
    """Control characters, oversized text, and values where the header has no column."""
    texts = [c for c in cells if isinstance(c, str)]
    joined = "".join(texts)
    width = max(header_names, default=-1) + 1
    beyond = [i for i, c in enumerate(cells[width:], width) if not nz.is_blank(unwrap(c))]
    if beyond and not all(isinstance(cells[i], MergedCopy) for i in beyond):
        column = f"{beyond[0] + 1}列目"
        value = unwrap(cells[beyond[0]])
        if sheet.delimiter:  # text: a value past the header is a split cell, not a memo
            reason = (
                "見出しより右の列に値があります（カンマを含む金額が引用符なしで書かれていませんか）"
            )
            parsed.problem(row, column, value, reason, sheet.name)
        else:
            parsed.warn(row, column, value, "見出しのない列の値は読み込みません", sheet.name)
    if (
        not CONTROL_CHARS.search(joined)
        and len(joined) <= MAX_CELL_CHARS
        and MergedCopy not in map(type, cells)
    ):
        return  # the common case (no merged copies): one test for the whole row
    for index, value in enumerate(cells):
        value = unwrap(value)
        if not isinstance(value, str):
            continue
        column = header_names.get(index, f"{index + 1}列目")
        if CONTROL_CHARS.search(value):
            shown = CONTROL_CHARS.sub(lambda m: f"\\x{ord(m.group()):02x}", value[:50])
            parsed.problem(row, column, shown, "制御文字が含まれています", sheet.name)
        elif len(value) > MAX_CELL_CHARS:
            reason = f"セルの文字数が多すぎます（{len(value):,}文字。{MAX_CELL_CHARS:,}文字まで）"
            parsed.problem(row, column, value[:50] + "…", reason, sheet.name)


@dataclass
class _Sheet:
    """One sheet being read: its columns and what its rows that are not data were."""

    sheet: RawSheet
    columns: list[MappedColumn]
    header_names: dict[int, str]  # every header cell, read or not
    header_texts: dict[int, str]  # the mapped columns' header texts (a repeated header)
    group_texts: dict[int, str]  # the group header row above, if any
    total_labels: frozenset[str]
    skipped: dict[str, list[int]] = field(default_factory=dict)  # why → rows
    no_unit: set[str] = field(default_factory=set)  # amount headers without a unit anywhere
    sums_all: dict[str, int] = field(default_factory=dict)  # numeric column → sum of data rows
    sums_since: dict[str, int] = field(default_factory=dict)  # … since the last total row
    # column index → text → the value it was read as, for texts read without a problem, warning
    # or flag: a text seen again is not read again (each column holds at most KNOWN_TEXTS)
    known: dict[int, dict[str, object]] = field(default_factory=dict)

    @functools.cached_property
    def used(self) -> set[int]:
        return {m.index for m in self.columns}

    @functools.cached_property
    def numeric(self) -> list[MappedColumn]:
        """The numeric columns (amounts, counts), in the sheet's order."""
        return [m for m in self.columns if m.column.parser in NUMERIC_PARSERS]

    @functools.cached_property
    def lead_end(self) -> int:
        """Cells left of the first numeric column: where a row's labels (合計 …) are written."""
        numeric = [m.index for m in self.numeric]
        return min(numeric) if numeric else max(self.used, default=0) + 1


def _unlabelled_total(state: _Sheet, cells: list[object]) -> bool:
    """A row of sums without a label: every label cell blank, and each number it holds the sum
    of the data rows above it (all of them, or those since the last total row)."""
    numbers: dict[str, int] = {}
    for mapped in state.columns:
        value = unwrap(cells[mapped.index]) if mapped.index < len(cells) else None
        if mapped.column.parser not in NUMERIC_PARSERS:
            if not nz.is_blank(value):
                return False
            continue
        try:
            number = parse_cell(mapped.column, value, mapped.unit)
        except ValueError:
            return False
        if number is not None:
            numbers[mapped.column.name] = number
    return bool(numbers) and any(
        all(sums.get(name) == number for name, number in numbers.items())
        for sums in (state.sums_all, state.sums_since)
    )


def _count(state: _Sheet, record: dict) -> None:
    for mapped in state.numeric:
        name = mapped.column.name
        value = record.get(name)
        if isinstance(value, int):
            for sums in (state.sums_all, state.sums_since):
                sums[name] = sums.get(name, 0) + value


def _not_data(parsed: ParsedFile, state: _Sheet, row: int, cells: list[object],
              values: list[object]) -> str | None:  # fmt: skip
    """Why a row of the table is not data (None when it is); `values` are its filled cells."""
    if layout.is_total_row(cells, state.lead_end, state.total_labels):
        return "合計・小計の行"
    if len(values) < len(state.columns) and _unlabelled_total(state, cells):
        return "合計・小計の行"
    if layout.is_footnote_row(values):
        return "注記の行"
    header = len(state.header_texts)
    same = layout.same_texts(cells, state.header_texts) if len(values) >= min(3, header) else 0
    if same >= min(layout.MIN_HEADER_MATCHES, header):
        if same < header:
            reason = "繰り返された見出し行が最初の見出しと違います（単位や列が変わる場合はシートを分けてください）"
            parsed.problem(row, None, None, reason, state.sheet.name)
        return "ページごとに繰り返された見出し行"
    group = len(state.group_texts)
    if group and layout.same_texts(cells, state.group_texts) >= min(
        layout.MIN_HEADER_MATCHES, group
    ):
        return "ページごとに繰り返された見出し行"
    if len(values) < header and layout.is_template_row(cells, state.used):
        return "番号だけの様式の行"
    if layout.is_example_row(values):
        return "記入例の行"
    if layout.is_section_heading(values):
        return "区切りの見出しの行"
    return None


def _parse_value(parsed: ParsedFile, state: _Sheet, record: dict, mapped: MappedColumn,
                 raw: object, row: int) -> None:  # fmt: skip
    """One cell into the record, or a problem; a failed cell is marked so later checks skip it."""
    name, value = mapped.column.name, unwrap(raw)
    reason = None
    if isinstance(value, UncachedFormula):
        reason = (f"数式（{value}）の計算結果が保存されていません。"
                  "Excel で開いて保存し直すか、値として貼り付けてください")  # fmt: skip
        value = None
    elif isinstance(value, str) and "#" in value and value.strip() in EXCEL_ERRORS:
        reason = f"セルが Excel のエラー値（{value.strip()}）です。数式の参照先を確かめてください"
    elif (
        isinstance(raw, MergedCopy)
        and not nz.is_blank(value)
        and (mapped.column.parser in NUMERIC_PARSERS or name in IDENTITY_COLUMNS)
    ):
        reason = "このセルは結合されたセルの一部です（結合された値がどの行のものか決められません）"
    if reason is None:
        try:
            record[name] = parse_cell(mapped.column, value, mapped.unit)
        except UnitUnknown:
            state.no_unit.add(mapped.header)
            reason = ""
        except ValueError as exc:
            reason = str(exc)
    if reason is not None:
        record[name] = None
        record.setdefault("_failed", set()).add(name)
        if reason:
            parsed.problem(row, mapped.header, value, reason, state.sheet.name)
        return
    if (
        mapped.column.parser == "amount"
        and mapped.unit in ("円", "千円")
        and isinstance(value, str)
    ):
        own = nz.stated_yen_unit(value)
        if own and own != mapped.unit:
            reason = f"{mapped.unit}の列ですが、このセルは{own}で書かれている（表示されている）ため{own}として読みました"
            parsed.warn(row, mapped.header, value, reason, state.sheet.name)
    if mapped.column.parser == "bool":
        if nz.is_blank(value):
            record.setdefault("_blank", set()).add(name)
        elif nz.nfkc(value) not in nz.CHECK_MARKS:
            parsed.explicit_bool.add(name)  # once is enough: the same text again adds nothing
    if record[name] is None and mapped.column.required and not mapped.column.blank_ok:
        parsed.problem(row, mapped.header, value, "必須項目が空です", state.sheet.name)
    elif reason is None and name not in record.get("_blank", ()) and type(raw) is str:
        known = state.known.setdefault(mapped.index, {})  # read cleanly: the text reads alike
        if len(known) < KNOWN_TEXTS:
            known[raw] = record[name]


def parse_rows(parsed: ParsedFile, state: _Sheet, start: int) -> None:
    sheet = state.sheet
    for position in range(start, len(sheet.rows)):
        row_number, cells = sheet.rows[position]
        sheet.rows[position] = (row_number, [])  # read once: a large file's raw cells go as we go
        values = layout.filled(cells)
        if not values:
            continue
        _check_cells(parsed, row_number, cells, state.header_names, sheet)
        why = _not_data(parsed, state, row_number, cells, values)
        if why:
            state.skipped.setdefault(why, []).append(row_number)
            if why == "合計・小計の行":
                parsed.dropped_rows.append(row_number)
                state.sums_since.clear()
            continue
        record: dict[str, object] = {
            "source_file": parsed.name, "source_sheet": sheet.name, "source_row": row_number,
        }  # fmt: skip
        known = state.known
        for mapped in state.columns:
            raw = cells[mapped.index] if mapped.index < len(cells) else None
            if type(raw) is str:
                value = known.get(mapped.index, {}).get(raw, _UNKNOWN)
                if value is not _UNKNOWN:
                    record[mapped.column.name] = value
                    continue
            _parse_value(parsed, state, record, mapped, raw, row_number)
        if row_number in sheet.hidden_rows:
            state.skipped.setdefault("_hidden", []).append(row_number)
        _count(state, record)
        parsed.records.append(record)


def _rows_text(rows: list[int]) -> str:
    shown = ", ".join(str(r) for r in rows[:20])
    return shown + (f" ほか{len(rows) - 20}行" if len(rows) > 20 else "")


def no_header_problem(path: Path, sheet: str | None) -> Problem:
    kinds = "、".join(k.label for k in KINDS.values())
    reason = f"見出し行が見つかりません（{kinds}のいずれの形式とも一致しません）"
    return Problem(path.name, None, None, None, reason, sheet)


def _read_sheet(tables: dict[str, ParsedFile], path: Path, sha256: str, sheet: RawSheet,
                skipped: list[tuple[str, str]], problems: list[Problem],
                total_labels: frozenset[str]) -> None:  # fmt: skip
    found = layout.find_header(layout.header_view(sheet))
    if found is None:
        if sheet.name is None or layout.looks_like_table(sheet):
            problems.append(no_header_problem(path, sheet.name))
        else:
            skipped.append((sheet.name, "表の見出し行がないシート（表紙など）です"))
        return
    position, kind = found
    header_row = sheet.rows[position][0]
    view = layout.header_view(sheet, header_row)
    units, unit_row = layout.resolve_units(
        view, position, layout.header_cells(view.rows[position][1]), sheet
    )
    spans = layout.fill_merges(sheet, header_row)
    header = layout.header_cells(sheet.rows[position][1])  # merged header cells are filled now
    parsed = tables.get(kind.name)
    if parsed is None:  # the visible sheets of one kind are one table
        parsed = tables[kind.name] = ParsedFile(path=path, sha256=sha256, kind=kind.name)
        parsed.header_row, parsed.encoding = header_row, sheet.encoding
        parsed.title = layout.title_text(layout.title_block(sheet, position))
    parsed.titles[sheet.name] = layout.title_text(layout.title_block(sheet, position))
    parsed.sheet = "、".join(filter(None, [parsed.sheet, sheet.name])) or None
    before = len(parsed.problems)
    columns = map_columns(parsed, kind, header, header_row, units, sheet.name)
    if len(parsed.problems) > before:
        return  # this sheet's header is wrong: its rows cannot be read (other sheets still are)
    group = layout.group_row(layout.title_block(sheet, position)) or []
    used = {m.index for m in columns}
    cells = sheet.rows[position][1]
    state = _Sheet(
        sheet, columns, {index: written for index, written, *_ in header},
        {i: str(unwrap(cells[i])).strip() for i in used if i < len(cells)},
        {i: str(unwrap(group[i])).strip() for i in used if i < len(group) and not nz.is_blank(unwrap(group[i]))},
        total_labels,
    )  # fmt: skip
    parse_rows(parsed, state, position + 1 + unit_row)
    _note_sheet(parsed, state, spans)


def _note_sheet(parsed: ParsedFile, state: _Sheet, spans) -> None:
    name = state.sheet.name
    for header in sorted(state.no_unit):
        reason = (
            "金額の単位（円・千円）がどこにも書かれていません。見出しに（円）や（千円）を書くか、"
            "表の上に「（単位：千円）」のように書いてください"
        )
        parsed.problem(None, header, None, reason, name)
    for why, rows in state.skipped.items():
        if why == "_hidden":
            parsed.note(f"非表示の行も読み込みました（{_rows_text(rows)}行目）", name)
        else:
            parsed.note(f"{why}を除きました（{_rows_text(rows)}行目）", name)
    if spans:
        parsed.note(f"縦に結合されたセルの値を各行に補いました（{len(spans)}か所）", name)


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
                record.setdefault("_read_as_no", set()).add(name)
            header = parsed.headers[name]
            parsed.note(
                f"列「{header}」は○印と空欄だけのため、空欄を「無」としました", column=header
            )


def read_file(path: Path, max_bytes: int | None = None,
              total_labels: frozenset[str] = frozenset()) -> list[ParsedFile]:  # fmt: skip
    """Header detection and cell parsing for one file (no cross-row or reference checks).

    `total_labels` are match keys of labels that mark a subtotal row besides the usual ones
    (会津計: a bureau of a profile followed by 計)."""
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:  # refused before it is even read
        reason = f"ファイルが大きすぎます（{size / 2**20:,.1f}MB。上限{max_bytes / 2**20:,.0f}MB: KYOTEN_INPUT_MAX_MB）"
        return [ParsedFile(path, "", problems=[Problem(path.name, None, None, None, reason)])]
    sha256 = sha256_of(path)
    try:
        book = read_workbook(path)
    except UnreadableFile as exc:
        return [ParsedFile(path=path, sha256=sha256, problems=[exc.problem])]
    tables: dict[str, ParsedFile] = {}
    skipped = list(book.skipped)
    problems: list[Problem] = []
    for sheet in book.sheets:
        _read_sheet(tables, path, sha256, sheet, skipped, problems, total_labels)
    out = list(tables.values())
    if not out:
        problems = problems or [no_header_problem(path, None)]
        return [ParsedFile(path=path, sha256=sha256, problems=problems, skipped_sheets=skipped)]
    out[0].problems.extend(problems)
    for parsed in out:
        parsed.skipped_sheets = skipped
        if not parsed.problems:
            _apply_check_marks(parsed)
        for record in parsed.records:
            record.pop("_blank", None)
    return out
