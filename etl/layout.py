"""Where the table is on a sheet: its header row, the title block above it, merged cells, the
money units stated around it, and the rows inside it that are not data (totals, notes,
repeated headers, form rows, section headings, filled-in examples)."""

from __future__ import annotations

import functools
import re

from etl import normalize as nz
from etl.readers import RawSheet, UncachedFormula
from etl.schemas import KINDS, Kind

HEADER_SCAN_ROWS = 200
MIN_HEADER_MATCHES = 3
OTHER_UNITS = {"%", "％", "人", "集落", "件", "戸", "世帯", "か所", "箇所", "拠点", "団体", "年", "年度", "回",
               "台", "㎡", "m2", "km", "ha", "割", "名", "日", "月"}  # fmt: skip
EXAMPLE_LABELS = {"記入例", "入力例", "記載例", "例", "見本", "サンプル"}
SECTION_HEADING = re.compile(
    r"^[【\[［■◆●◇□〔<＜].*|.*(振興局|地域|管内|地方|事務所|総合事務所)[】\]］〕>＞]?$"
)

Header = list[tuple[int, str, str, str | None]]  # (column index, as written, label, unit)


class MergedCopy:
    """A value a merged cell gives to the cells below or beside its first, in the data rows."""

    __slots__ = ("value",)

    def __init__(self, value: object):
        self.value = value


def unwrap(value: object) -> object:
    return value.value if isinstance(value, MergedCopy) else value


def filled(cells: list[object]) -> list[object]:
    """The row's values that are not blank (nz.is_blank), merged copies unwrapped."""
    out = []
    for value in cells:
        if type(value) is MergedCopy:
            value = value.value
        if value.strip() if value.__class__ is str else not nz.is_blank(value):
            out.append(value)
    return out


def header_cells(cells: list[object]) -> Header:
    out = []
    for index, cell in enumerate(cells):
        cell = unwrap(cell)
        if nz.is_blank(cell) or isinstance(cell, UncachedFormula):
            continue
        label, unit = nz.split_header(cell)
        out.append((index, str(cell).replace("\n", " ").strip(), label, unit))
    return out


def matches(kind: Kind, header: Header) -> set[str]:
    table = kind.by_label()
    return {table[label].name for _, _, label, _ in header if label in table}


def _best_kind(cells: list[object]) -> tuple[int, Kind] | None:
    header = header_cells(cells)
    best: tuple[int, Kind] | None = None
    for kind in KINDS.values():
        names = matches(kind, header)
        if kind.identified_by(names) and len(names) >= MIN_HEADER_MATCHES:
            if best is None or len(names) > best[0]:
                best = (len(names), kind)
    return best


def _complete(kind: Kind, cells: list[object]) -> bool:
    """Whether a header row names every column the kind needs (a summary table's header above
    the detail table names only some)."""
    names = matches(kind, header_cells(cells))
    needed = {c.name for c in kind.columns if c.required}
    return needed <= names and (kind.name == "published_counts" or bool(
        {"municipality_code", "municipality_name"} & names
    ))  # fmt: skip


def find_header(sheet: RawSheet) -> tuple[int, Kind] | None:
    """The first row (within the top rows) that reads as the complete header of a known kind;
    else the first that reads as a header at all (its missing columns are then reported).

    In a header written over two rows (「事業費（千円）」 over 総事業費 and 補助対象経費), the lower
    row names every column: it is the header when it reads as the same kind at least as well."""
    rows = sheet.rows[:HEADER_SCAN_ROWS]
    first: tuple[int, Kind] | None = None
    for position, (_, cells) in enumerate(rows):
        best = _best_kind(cells)
        if best is None:
            continue
        if position + 1 < len(rows):
            lower = _best_kind(rows[position + 1][1])
            if lower is not None and lower[1] is best[1] and lower[0] >= best[0]:
                position += 1
        if _complete(best[1], rows[position][1]):
            return position, best[1]
        first = first or (position, best[1])
    return first


def fill_merges(sheet: RawSheet, header_row: int | None) -> list[tuple[int, int, int, int]]:
    """Give every cell of a merged range its value (Excel shows it across the range); in data
    rows (below `header_row`) the copies are MergedCopy, so a number is never counted twice.

    Returns the merged ranges that reach into the data rows over several rows."""
    if not sheet.merges:  # a text file has none: its rows are not even read here
        return []
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
                    in_data = header_row is not None and number > header_row
                    cells[col - 1] = MergedCopy(value) if in_data else value
        if header_row and last_row > first_row and last_row > header_row:
            spans.append((first_row, first_col, last_row, last_col))
    return spans


def header_view(sheet: RawSheet, header_row: int | None = None) -> RawSheet:
    """The top rows with merged cells filled (a copy): to find a header written over two rows,
    and, once it is found, to tell a unit row under it from header cells merged down over it."""
    rows = [(number, list(cells)) for number, cells in sheet.rows[: HEADER_SCAN_ROWS + 2]]
    view = RawSheet(sheet.name, rows, sheet.encoding, merges=sheet.merges)
    fill_merges(view, header_row)
    return view


def table_like(cells: list[object]) -> bool:
    return len({str(v) for v in filled(cells)}) >= 3


def title_block(sheet: RawSheet, position: int) -> list[list[object]]:
    """The rows above the header that belong to this table: up to the row above a group header,
    stopping at another table (a summary above the detail speaks of its own columns)."""
    block = []
    for offset, (_, cells) in enumerate(reversed(sheet.rows[:position])):
        if offset > 0 and table_like(cells):
            break
        block.append(cells)
    return list(reversed(block))


def group_row(block: list[list[object]]) -> list[object] | None:
    """The row right above the header when it is a group header (「金額（千円）」 over columns)."""
    return block[-1] if block and table_like(block[-1]) else None


def title_text(block: list[list[object]]) -> str:
    seen: list[str] = []
    for cells in block:
        for value in filled(cells):
            text = str(value).strip()
            if text not in seen:  # merged titles repeat their text
                seen.append(text)
    return " ".join(seen)


def _unit_cell(cell: object) -> str | None:
    """A cell that holds a unit and nothing else: 千円, （円）, 単位：千円, ％, （人）."""
    text = re.sub(r"[\s()（）\[\]【】]", "", nz.nfkc(cell)).removeprefix("単位").strip(":：")
    if text in ("円", "千円"):
        return text
    return "other" if text in OTHER_UNITS else None


def _stated_units(rows: list[list[object]], group_row: list[object] | None) -> set[str]:
    """Units stated for the whole table in title or note rows: a cell that says 単位 (単位：千円,
    千円単位), or a row of one text that is a unit ((千円) alone). The group header row above the
    header speaks of its own columns only."""
    found = set()
    for cells in rows:
        values = filled(cells)
        if cells is group_row:
            values = [v for v in values if nz.states_unit(v)]
        for value in values:
            if nz.states_unit(value) or (len(set(map(str, values))) == 1 and _unit_cell(value)):
                unit = nz.find_unit(value)
                if unit:
                    found.add(unit)
    return found


def _note_rows(sheet: RawSheet) -> list[list[object]]:
    """The notes under the table (注）…, ※…, 単位：千円 …): rows of one text, from the bottom up."""
    out = []
    for _, cells in reversed(sheet.rows):
        values = filled(cells)
        if not values:
            continue
        if len({str(v) for v in values}) != 1 or not isinstance(values[0], str):
            break
        out.append(cells)
    return out


UnitSources = dict[int, dict[str, set[str]]]  # column → where a unit is stated → the units


def resolve_units(view: RawSheet, position: int, header: Header,
                  sheet: RawSheet) -> tuple[UnitSources, bool]:  # fmt: skip
    """Every unit stated for each column, by where it is stated (a unit row under the header, a
    group header right above it, the title rows, the notes under the table), and whether the row
    under the header is a unit row (not data). The caller refuses a column whose statements
    disagree: a table is never read in one unit where another place says the other."""
    sources: UnitSources = {index: {} for index, *_ in header}
    unit_row = False
    below = view.rows[position + 1][1] if position + 1 < len(view.rows) else []
    own = [(i, c) for i, c in enumerate(below) if not isinstance(c, MergedCopy)]
    own = [(i, c) for i, c in own if not nz.is_blank(c)]
    if own and all(_unit_cell(c) for _, c in own):
        unit_row = True
        for i, c in own:
            if _unit_cell(c) in ("円", "千円") and i in sources:
                sources[i]["見出しの下の単位行"] = {_unit_cell(c)}
    block = title_block(view, position)
    group = group_row(block)
    above = block[-1] if block else []  # the cell right above a column speaks of that column
    for index in sources:
        if index < len(above):
            unit = nz.find_unit(unwrap(above[index]))
            if unit:
                sources[index]["見出しの上のまとめ見出し"] = {unit}
    for where, stated in (("表の上のタイトル", _stated_units(block, group)),
                          ("表の下の注記", _stated_units(_note_rows(sheet), None))):  # fmt: skip
        if stated:
            for index in sources:
                sources[index][where] = stated
    return sources, unit_row


# --- rows that are not data ------------------------------------------------------------------


def is_total_row(cells: list[object], lead_end: int, total_labels: frozenset[str]) -> bool:
    """合計, 小計, 県北地方振興局計, 喜多方市 計, 会津計 (a bureau of a profile) … in the cells left of
    the first numeric column."""
    for cell in cells[:lead_end]:
        value = unwrap(cell)
        if not isinstance(value, str) or "計" not in value:
            continue  # neither a total label nor a profile's total (both need 計)
        if nz.is_total_label(value) or nz.match_key(value) in total_labels:
            return True
    return False


def one_text(values: list[object]) -> bool:
    """The row's filled cells hold one text (a merged note or heading repeats it)."""
    return bool(values) and isinstance(values[0], str) and values.count(values[0]) == len(values)


def is_footnote_row(values: list[object]) -> bool:
    """A note under (or inside) the table: 注）…, ※…, 出典：…, or a unit alone (（単位：円））."""
    if not one_text(values):
        return False
    return nz.is_footnote(values[0]) or nz.states_unit(values[0])


def same_texts(cells: list[object], texts: dict[int, str]) -> int:
    """How many of `texts` (column → text) the row repeats in the same columns."""
    width, same = len(cells), 0
    for index, text in texts.items():
        if index < width:
            value = cells[index]
            if type(value) is MergedCopy:
                value = value.value
            if (value.strip() if value.__class__ is str else str(value or "").strip()) == text:
                same += 1
    return same


def is_template_row(cells: list[object], used: set[int]) -> bool:
    """A row of the form with only its running number filled in."""
    if any(not nz.is_blank(unwrap(cells[i])) for i in used if i < len(cells)):
        return False
    rest = [unwrap(c) for i, c in enumerate(cells) if i not in used and not nz.is_blank(unwrap(c))]
    return all(isinstance(c, int) or re.fullmatch(r"\d+", nz.nfkc(c)) for c in rest)


def is_example_row(values: list[object]) -> bool:
    """A filled-in example of the form: 記入例, （例）, 【入力例】 in one of its first cells."""
    return any(isinstance(value, str) and _is_example_label(value) for value in values[:3])


@functools.lru_cache(maxsize=nz.CACHED_TEXTS)
def _is_example_label(text: str) -> bool:
    return re.sub(r"[\s()（）【】\[\]<>＜＞]", "", text) in EXAMPLE_LABELS


def is_section_heading(values: list[object]) -> bool:
    """A heading between groups of rows: 【会津地方振興局】, ■県北, 相双地域 — one text alone."""
    if not one_text(values):
        return False
    return bool(SECTION_HEADING.match(nz.nfkc(values[0]).strip()))


def looks_like_table(sheet: RawSheet) -> bool:
    """Two or more rows of three or more filled cells: data, not a cover sheet (表紙)."""
    wide = 0
    for _, cells in sheet.rows:
        if sum(1 for c in cells if not nz.is_blank(c)) >= 3:
            wide += 1
            if wide >= 2:
                return True
    return False
