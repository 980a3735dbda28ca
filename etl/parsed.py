"""What reading one table of an input file gives: its records and everything found wrong.

A `ParsedFile` is one table of one file (a CSV, or the visible sheets of a workbook of one
kind): records of canonical columns, each with its sheet and Excel row number, the problems that
keep the whole file out of a build, and the notes load_log keeps of how it was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from etl import normalize as nz
from etl.errors import Problem
from etl.schemas import Column


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
    _cells_reported: set[tuple] = field(default_factory=set, repr=False)

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
            if (sheet, row, column) in self._cells_reported:
                return
            self._cells_reported.add((sheet, row, column))
        shown = None if nz.is_blank(value) else str(value)
        self.problems.append(Problem(self.name, row, column, shown, reason, sheet))

    def note(self, text: str, sheet: str | None = None, column: str | None = None) -> None:
        """How the file was read: in load_log, and as a warning in the quality report."""
        self.notes.append((f"シート「{sheet}」: " if sheet else "") + text)
        self.warn(None, column, None, text, sheet)

    def warn(self, row, column: str | None, value: object, reason: str,
             sheet: str | None = None) -> None:  # fmt: skip
        row, record_sheet = self._where(row)
        shown = None if nz.is_blank(value) else str(value)
        self.warnings.append(Problem(self.name, row, column, shown, reason, sheet or record_sheet))

    def place(self, record: dict | None = None, with_file: bool = True) -> str:
        """Where a row is, as people read it: 「a.xlsx［県北］ 5行目」 or 「シート「県北」5行目」."""
        sheet = (record or {}).get("source_sheet") or (None if record else self.sheet)
        if with_file:
            where = self.name + (f"［{sheet}］" if sheet else "")
            return where + (f" {record['source_row']}行目" if record else "")
        return (f"シート「{sheet}」" if sheet else "") + f"{record['source_row']}行目"

    def title_of(self, record: dict) -> str:
        return self.titles.get(record.get("source_sheet"), self.title)
