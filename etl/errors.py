"""The few exceptions of the ETL. Each carries enough to name the file, row, column and value."""

from __future__ import annotations

from dataclasses import asdict, dataclass

UNCHANGED = "公開中のデータは変わっていません。"  # said after every refusal: nothing was published


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file. `row` is the row number as Excel shows it."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    sheet: str | None = None  # the sheet of a workbook, when the file has sheets

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            where += f"［{self.sheet}］"
        if self.row is not None:
            where += f" {self.row}行目"
        if self.column:
            where += f" 列「{self.column}」"
        value = "" if self.value is None else f" 値「{self.value}」"
        return f"{where}{value}: {self.reason}"


class EtlError(Exception):
    """Base class: something the user must fix; the CLI turns it into an exit code."""


class ValidationFailed(EtlError):
    """One or more input files have problems; nothing from them is loaded."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(
            problems, key=lambda p: (p.file, p.sheet or "", p.row or 0, p.column or "")
        )
        files = sorted({p.file for p in problems})
        super().__init__(f"{len(problems)}件の問題があります（{', '.join(files)}）")


class DataTestFailed(EtlError):
    """A data test on the new build returned offending rows; the build is not published."""

    def __init__(self, failures: dict[str, list[dict]]):
        self.failures = failures
        names = ", ".join(sorted(failures))
        super().__init__(f"データテストに失敗しました: {names}")


class PublishBusy(EtlError):
    """Another build is publishing right now."""


class BoundaryError(EtlError):
    """Boundary data could not be read or does not match the municipality table."""
