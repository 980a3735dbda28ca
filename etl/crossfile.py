"""Checks of the input files against each other, before anything is built.

The same file twice, the same table saved as .xlsx and as .csv, and two files holding the same
rows would each count those rows twice; a survey year given by two lists would be counted from
both. Each is a problem naming both files (and sheets) and rows, in plain Japanese.
"""

from __future__ import annotations

from etl import normalize as nz
from etl.extract import ParsedFile

# The columns that identify one row of each kind across files.
ROW_KEYS = {
    "survey": ("pref_code", "fiscal_year", "municipality_code", "district_key", "hub_key"),
    "grants": ("pref_code", "fiscal_year", "municipality_code", "district_key", "program_id"),
    "cooperatives": ("pref_code", "fiscal_year", "cooperative_name"),
    "published_counts": ("pref_code", "indicator", "fiscal_year", "kind"),
}
SHOWN_ROWS = 5


def _same_file(parsed: list[ParsedFile]) -> None:
    first: dict[str, ParsedFile] = {}
    for item in parsed:
        other = first.setdefault(item.sha256, item)
        if other.name != item.name:
            reason = f"「{other.name}」とまったく同じファイルです（同じ行が二重に数えられます）"
            item.problem(None, None, None, reason)


def _survey_years(parsed: list[ParsedFile]) -> None:
    """One survey year of one prefecture comes from one list."""
    first: dict[tuple, ParsedFile] = {}
    for item in parsed:
        if item.kind != "survey":
            continue
        for year_key in sorted({(r.get("pref_code"), r.get("fiscal_year")) for r in item.records}):
            other = first.setdefault(year_key, item)
            if other is not item:
                pref, year = year_key
                reason = (
                    f"{year}年度の小さな拠点の一覧が「{other.place()}」にもあります。"
                    "1つの調査年度は1つのファイルにしてください（振興局ごとに分けるときは1つのブックのシートに。同じ拠点が二重に数えられないため）"
                )
                item.problem(None, item.headers.get("fiscal_year"), str(year), reason)


def _same_rows(parsed: list[ParsedFile]) -> None:
    seen: dict[tuple, tuple[ParsedFile, dict]] = {}
    for item in parsed:
        if item.kind not in ROW_KEYS:
            continue
        clashes: list[tuple[dict, ParsedFile, dict]] = []
        for record in item.records:
            key = (item.kind, *(nz.match_key(record.get(c) or "") for c in ROW_KEYS[item.kind]))
            earlier = seen.get(key)
            if earlier is None:
                seen[key] = (item, record)
            elif earlier[0] is not item:  # another file, or another table of this workbook
                clashes.append((record, *earlier))
        for record, other, other_record in clashes[:SHOWN_ROWS]:
            reason = f"{other.place(other_record)}と同じ行です（同じ年度・市町村・地区などが2か所にあります）"
            item.problem(record, None, None, reason)
        if len(clashes) > SHOWN_ROWS:
            names = "、".join(sorted({o.name for _, o, _ in clashes}))
            reason = f"ほかにも{len(clashes) - SHOWN_ROWS}行が「{names}」の行と重複しています"
            item.problem(None, None, None, reason)


def check_across_files(parsed: list[ParsedFile]) -> None:
    """Record on each file the problems it has with the files before it."""
    clean = [p for p in parsed if p.kind is not None]
    _same_file(clean)
    _survey_years([p for p in clean if not p.problems])
    _same_rows([p for p in clean if not p.problems])
