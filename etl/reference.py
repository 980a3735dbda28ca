"""Reference facts the project carries: municipalities, prefecture names, published counts."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.vocabulary import PREF_NAME_BY_CODE
from etl.errors import EtlError
from etl.normalize import CACHED_TEXTS, match_key

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


@dataclass(frozen=True)
class Reference:
    municipalities: pd.DataFrame
    published: pd.DataFrame
    variants: dict[str, str] | None = None  # old or variant character → the one it is read as

    def __post_init__(self) -> None:
        by_code = {r.code: r for r in self.municipalities.itertuples(index=False)}
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


def _read_csv(path: Path, columns: list[str], optional: set[str] = frozenset()) -> pd.DataFrame:
    if not path.exists():
        raise EtlError(f"参照データがありません: {path}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    for column in optional - set(frame.columns):
        frame[column] = ""
    missing = set(columns) - set(frame.columns)
    if missing:
        raise EtlError(f"{path.name}: 列がありません: {sorted(missing)}")
    return frame[columns].replace({"": None})


def municipality_files(reference_dir: Path) -> list[Path]:
    """The hand-made list (municipalities.csv) and one list per prefecture that
    `python -m etl profile new` wrote from N03 (municipalities/<pref_code>.csv)."""
    return [
        reference_dir / "municipalities.csv",
        *sorted((reference_dir / "municipalities").glob("*.csv")),
    ]


def _municipalities(reference_dir: Path) -> pd.DataFrame:
    frames = []
    for path in municipality_files(reference_dir):
        frame = _read_csv(path, MUNICIPALITY_COLUMNS + ["county"], optional={"county"})
        bad = frame[~frame["code"].fillna("").str.fullmatch(r"\d{5}")]
        if len(bad):
            raise EtlError(f"{path.name}: 5桁でないコードがあります: {bad['code'].tolist()[:5]}")
        frames.append(frame)
    muni = pd.concat(frames, ignore_index=True)
    twice = muni.loc[muni["code"].duplicated(), "code"].tolist()
    if twice:
        raise EtlError(
            f"市町村の参照データでコードが重複しています（二つのファイルに同じ市町村）: {twice[:5]}"
        )
    return muni


def load_reference(reference_dir: Path) -> Reference:
    """Municipalities and published counts, checked on the way in."""
    muni = _municipalities(reference_dir)
    bad_kaso = muni[muni["kaso"].notna() & ~muni["kaso"].isin(KASO_VALUES)]
    if len(bad_kaso):
        raise EtlError(f"municipalities.csv: 過疎区分が不正です: {bad_kaso['kaso'].tolist()[:5]}")
    muni["rep_lat"] = muni["rep_lat"].astype(float)
    muni["rep_lon"] = muni["rep_lon"].astype(float)
    published = _read_csv(reference_dir / "published_counts.csv", PUBLISHED_COLUMNS)
    published["scope"] = published["scope"].map(lambda s: "00" if s == "national" else s)
    published["fiscal_year"] = published["fiscal_year"].astype(int)
    published["value"] = published["value"].astype("Int64")
    bad_as_of = published[
        published["as_of"].notna()
        & ~published["as_of"].fillna("").str.fullmatch(r"\d{4}-\d\d(-\d\d)?")
    ]
    if len(bad_as_of):
        raise EtlError(
            f"published_counts.csv: as_of は YYYY-MM(-DD) です: {bad_as_of['as_of'].tolist()[:5]}"
        )
    return Reference(muni, published, _variants(reference_dir / "name_variants.csv"))


def _variants(path: Path) -> dict[str, str]:
    """The variant-character table (variant, canonical, note); none when the file is absent."""
    if not path.exists():
        return {}
    frame = _read_csv(path, ["variant", "canonical", "note"])
    bad = frame[(frame["variant"].str.len() != 1) | (frame["canonical"].str.len() != 1)]
    if len(bad):
        raise EtlError(f"{path.name}: 1文字ずつ書いてください: {bad['variant'].tolist()[:5]}")
    return dict(zip(frame["variant"], frame["canonical"], strict=True))
