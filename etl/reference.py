"""Reference facts the project carries: municipalities, prefecture names, published counts."""

from __future__ import annotations

import collections
import csv
import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.vocabulary import PREF_NAME_BY_CODE
from etl.errors import EtlError
from etl.normalize import CACHED_TEXTS, match_key

if TYPE_CHECKING:
    import pandas as pd

PREF_CODE_BY_KEY = {match_key(n): c for c, n in PREF_NAME_BY_CODE.items()} | {
    match_key(re.sub(r"[都府県]$", "", n)): c for c, n in PREF_NAME_BY_CODE.items() if n != "北海道"
}

MUNICIPALITY_COLUMNS = ["pref_code", "code", "name", "kana", "bureau", "kaso", "rep_lat", "rep_lon"]
# county (郡) is optional: the hand-made list has none; lists made from N03 carry it.
PUBLISHED_COLUMNS = ["scope", "indicator", "fiscal_year", "value", "kind", "as_of", "source"]
KASO_VALUES = {"全部過疎", "一部過疎", "非過疎"}


def pref_code_of(name: object) -> str | None:
    """'福島県' or '福島' → '07'; None when it is not a prefecture name."""
    return PREF_CODE_BY_KEY.get(match_key(name))


MunicipalityRow = collections.namedtuple("MunicipalityRow", [*MUNICIPALITY_COLUMNS, "county"])


@dataclass(frozen=True)
class Reference:
    """The reference facts as rows (what a build reads: no pandas); `municipalities` and
    `published` give the same as frames, for the commands that work with frames."""

    municipality_rows: tuple[MunicipalityRow, ...]
    published_rows: tuple[dict, ...]  # PUBLISHED_COLUMNS ("national" read as "00"), source_row
    variants: dict[str, str] | None = None  # old or variant character → the one it is read as

    def __post_init__(self) -> None:
        by_code = {r.code: r for r in self.municipality_rows}
        by_name = {(r.pref_code, match_key(r.name)): r.code for r in by_code.values()}
        folded: dict[tuple[str, str], set[str]] = {}
        for (pref, key), code in by_name.items():
            folded.setdefault((pref, self.fold(key)), set()).add(code)
        # a folded name that two municipalities share is never used: only exact names match
        by_folded = {k: codes.pop() for k, codes in folded.items() if len(codes) == 1}
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_by_folded", by_folded)
        object.__setattr__(self, "pref_codes", frozenset(r.pref_code for r in by_code.values()))

    @functools.cached_property
    def municipalities(self) -> pd.DataFrame:
        rows = [row._asdict() for row in self.municipality_rows]
        return _frame(rows, MunicipalityRow._fields, {"rep_lat": "float64", "rep_lon": "float64"})

    @functools.cached_property
    def published(self) -> pd.DataFrame:
        rows = list(self.published_rows)
        return _frame(rows, PUBLISHED_COLUMNS, {"fiscal_year": "int64", "value": "Int64"})

    def fold(self, key: str) -> str:
        """A name with variant characters read as their usual form (飯館 → 飯舘 read alike)."""
        table = self.variants or {}
        return "".join(table.get(c, c) for c in key)

    def municipality(self, code: str):
        return self._by_code.get(code)

    @staticmethod
    @functools.lru_cache(maxsize=CACHED_TEXTS)
    def _candidates(pref_code: str, name: str) -> tuple[str, ...]:
        """The name as written, without its prefecture (only if it is this prefecture: 山形県金山町
        is never 福島県's 金山町) and without a 郡 name."""
        key = match_key(name)
        prefix = re.match(r"^(北海道|.{2,3}?[都府県])(?=.)", key)
        if prefix and PREF_CODE_BY_KEY.get(prefix.group(1)) is not None:
            if PREF_CODE_BY_KEY[prefix.group(1)] != pref_code:
                return ()
            key = key[prefix.end() :]
        return (key, re.sub(r"^.+?郡(?=.+[町村]$)", "", key))

    def code_for_name(self, pref_code: str, name: str) -> str | None:
        """Resolve a municipality name within one prefecture, tolerating 県名 and 郡名 prefixes
        and the variant characters of the reference table (桧枝岐村 is 檜枝岐村)."""
        candidates = self._candidates(pref_code, name)
        for candidate in candidates:
            code = self._by_name.get((pref_code, candidate))
            if code:
                return code
        for candidate in candidates:
            code = self._by_folded.get((pref_code, self.fold(candidate)))
            if code:
                return code
        return None

    def is_variant_spelling(self, pref_code: str, name: str) -> bool:
        """True when a name matched only through the variant-character table."""
        candidates = self._candidates(pref_code, name)
        return not any(self._by_name.get((pref_code, c)) for c in candidates)


def _frame(rows: list[dict], columns, numbers: dict[str, str]) -> pd.DataFrame:
    """Rows as a frame of text columns (a column with an empty cell holds None, as objects) and
    the given number columns (made from the values themselves: an Int64 never passes a float)."""
    import pandas as pd

    frame = pd.DataFrame({
        column: pd.Series([row[column] for row in rows], dtype=object) for column in columns
    })  # fmt: skip
    for column in frame.columns:
        if column in numbers:
            frame[column] = frame[column].astype(numbers[column])
        elif frame[column].notna().all():
            frame[column] = frame[column].astype("str")
    return frame


def _read_csv(
    path: Path, columns: list[str], optional: set[str] = frozenset()
) -> list[tuple[int, dict]]:
    """The rows of a reference CSV (UTF-8, a BOM allowed) as (line, {column: text}), an empty
    cell as None, `line` the line the row starts on. Blank lines (spaces and tabs at most) are
    skipped; a row with more cells than the header, or a quote left open, is refused."""
    if not path.exists():
        raise EtlError(f"参照データがありません: {path}")
    lines, end = [], 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, strict=True)
        try:
            for cells in reader:
                start, end = end + 1, reader.line_num
                if cells and not (len(cells) == 1 and cells[0] and not cells[0].strip(" \t")):
                    lines.append((start, cells))
        except csv.Error as exc:  # a quote left open, or text after a closing quote
            reason = f'CSV として読めません（{exc}。引用符 " の閉じ忘れはありませんか）'
            raise EtlError(f"{path.name} {end + 1}行目: {reason}") from None
        except UnicodeDecodeError:
            reason = "UTF-8 として読めません（Shift_JIS などで保存されていませんか）。UTF-8 で保存し直してください"
            raise EtlError(f"{path.name}: {reason}") from None
    if not lines:
        raise EtlError(f"{path.name}: 見出し行がありません（空のファイルです）")
    header = lines[0][1]
    position: dict[str, int] = {}
    for index, name in enumerate(header):
        position.setdefault(name, index)  # a repeated header name: its first column
    missing = set(columns) - set(position) - set(optional)
    if missing:
        raise EtlError(f"{path.name}: 列がありません: {sorted(missing)}")
    rows = []
    for line, cells in lines[1:]:
        if len(cells) > len(header):
            reason = f"見出しより多い{len(cells)}列があります（見出しは{len(header)}列）"
            raise EtlError(f"{path.name} {line}行目: {reason}")
        cells = cells + [""] * (len(header) - len(cells))
        rows.append((line, {c: cells[position[c]] if c in position else "" for c in columns}))
    return [(line, {c: text or None for c, text in row.items()}) for line, row in rows]


INTEGER = re.compile(r"-?[0-9]{1,18}")  # a year or a count, as written in the reference lists


def _integer(text: str) -> int:
    if not INTEGER.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _number(path: Path, line: int, text: str | None, column: str, read: Callable) -> object:
    """A number of a reference row (None when the cell is empty); a cell that is not one is an
    error naming the file, the line, the column and the text."""
    if text is None:
        return None
    try:
        return read(text)
    except ValueError:
        raise EtlError(f"{path.name} {line}行目: {column} が数ではありません（{text!r}）") from None


def municipality_files(reference_dir: Path) -> list[Path]:
    """The hand-made list (municipalities.csv) and one list per prefecture that
    `python -m etl profile new` wrote from N03 (municipalities/<pref_code>.csv)."""
    return [
        reference_dir / "municipalities.csv",
        *sorted((reference_dir / "municipalities").glob("*.csv")),
    ]


def _municipalities(reference_dir: Path) -> list[MunicipalityRow]:
    rows: list[MunicipalityRow] = []
    for path in municipality_files(reference_dir):
        listing = _read_csv(path, MUNICIPALITY_COLUMNS + ["county"], optional={"county"})
        bad = [r["code"] for _, r in listing if not re.fullmatch(r"\d{5}", r["code"] or "")]
        if bad:
            raise EtlError(f"{path.name}: 5桁でないコードがあります: {bad[:5]}")
        bad = [
            r["kaso"] for _, r in listing if r["kaso"] is not None and r["kaso"] not in KASO_VALUES
        ]
        if bad:
            raise EtlError(f"{path.name}: 過疎区分が不正です: {bad[:5]}")
        for line, row in listing:
            for column in ("rep_lat", "rep_lon"):
                row[column] = _number(path, line, row[column], column, _coordinate)
            rows.append(MunicipalityRow(**row))
    seen: set[str] = set()
    twice = [r.code for r in rows if r.code in seen or seen.add(r.code)]
    if twice:
        raise EtlError(
            f"市町村の参照データでコードが重複しています（二つのファイルに同じ市町村）: {twice[:5]}"
        )
    return rows


def _coordinate(text: str) -> float | None:
    value = float(text)
    return None if math.isnan(value) else value  # "nan" is an unknown point, as an empty cell


def _published(path: Path) -> list[dict]:
    """The published counts, each with the line it was read from (`source_row`)."""
    rows = []
    for line, row in _read_csv(path, PUBLISHED_COLUMNS):
        if row["fiscal_year"] is None:
            raise EtlError(f"{path.name} {line}行目: fiscal_year が空です")
        rows.append(row | {
            "scope": "00" if row["scope"] == "national" else row["scope"],
            "fiscal_year": _number(path, line, row["fiscal_year"], "fiscal_year", _integer),
            "value": _number(path, line, row["value"], "value", _integer),
            "source_row": line,
        })  # fmt: skip
    bad = [
        r["as_of"] for r in rows
        if r["as_of"] is not None and not re.fullmatch(r"\d{4}-\d\d(-\d\d)?", r["as_of"])
    ]  # fmt: skip
    if bad:
        raise EtlError(f"published_counts.csv: as_of は YYYY-MM(-DD) です: {bad[:5]}")
    return rows


def load_reference(reference_dir: Path) -> Reference:
    """Municipalities and published counts, checked on the way in."""
    return Reference(
        tuple(_municipalities(reference_dir)),
        tuple(_published(reference_dir / "published_counts.csv")),
        _variants(reference_dir / "name_variants.csv"),
    )


def _variants(path: Path) -> dict[str, str]:
    """The variant-character table (variant, canonical, note); none when the file is absent."""
    if not path.exists():
        return {}
    rows = [row for _, row in _read_csv(path, ["variant", "canonical", "note"])]
    bad = [
        r["variant"] for r in rows if len(r["variant"] or "") != 1 or len(r["canonical"] or "") != 1
    ]
    if bad:
        raise EtlError(f"{path.name}: 1文字ずつ書いてください: {bad[:5]}")
    return {r["variant"]: r["canonical"] for r in rows}
