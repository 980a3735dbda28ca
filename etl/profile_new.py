"""`python -m etl profile new PREF`: a profile for any of the 47 prefectures in one command.

The municipalities (5-digit code, name, 郡) and their boundaries come from 国土数値情報 N03:
downloaded from MLIT for the prefecture, or read from a file (an N03 zip, GeoJSON, Shapefile, or
a TopoJSON / GeoJSON keyed by the code — a national file is filtered to the prefecture).
Representative points come from the polygons; facts N03 does not hold (過疎 status, kana) stay
unknown. `--bureaus` maps municipalities (by 5- or 6-digit code, or name) to the prefecture's
own regional units, whose column header becomes the profile's bureau label.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from core.settings import Settings
from core.vocabulary import N03_CREDIT, N03_PAGE, N03_URL, PREF_KEY_BY_CODE, PREF_NAME_BY_CODE
from etl import boundaries as bd
from etl.errors import BoundaryError, EtlError
from etl.normalize import match_key
from etl.profiles import load_profiles
from etl.readers import read_sheets
from etl.reference import MUNICIPALITY_COLUMNS, pref_code_of

KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class NewProfile:
    key: str
    pref_code: str
    profile_path: Path
    municipalities_path: Path
    boundaries_path: Path
    municipalities: int
    bureau_label: str
    bureaus: tuple[str, ...]


def resolve_prefecture(text: str) -> str:
    """'32', '島根県' or '島根' → '32'; an error naming the accepted forms otherwise."""
    text = text.strip()
    if re.fullmatch(r"\d{1,2}", text) and f"{int(text):02d}" in PREF_NAME_BY_CODE:
        return f"{int(text):02d}"
    code = pref_code_of(text)
    if code is None:
        raise EtlError(
            f"都道府県がわかりません: {text!r}（2桁のコード 01〜47 か、「島根県」のような名前で指定してください）"
        )
    return code


def municipality_table(polygons: gpd.GeoDataFrame, pref_code: str) -> pd.DataFrame:
    """One row per municipality: code, name, 郡, and a representative point inside its polygon."""
    rows = polygons[polygons["code"].notna()]
    projected = rows.to_crs(bd.utm_crs(rows))
    dissolved = projected.dissolve(by="code", as_index=False, aggfunc="first")
    points = gpd.GeoSeries(dissolved.geometry.representative_point(), crs=projected.crs).to_crs(
        "EPSG:4326"
    )
    return pd.DataFrame({
        "pref_code": pref_code, "code": dissolved["code"], "name": dissolved["name"], "kana": None,
        "bureau": None, "kaso": None, "rep_lat": points.y.round(5), "rep_lon": points.x.round(5),
        "county": dissolved["county"],
    }).sort_values("code", ignore_index=True)  # fmt: skip


def _table(path: Path) -> tuple[list[str], list[tuple[int, list[object]]]]:
    """The header and the data rows of the first sheet (or text table) of a bureau file."""
    sheets = read_sheets(path)
    rows = [(n, cells) for n, cells in sheets[0].rows if any(c not in (None, "") for c in cells)]
    if len(rows) < 2:
        raise EtlError(f"{path.name}: 見出しの行と、市町村ごとの行が必要です")
    header = [str(c).strip() if c is not None else "" for c in rows[0][1]]
    return header, rows[1:]


def _municipality_column(header: list[str], rows, municipalities: pd.DataFrame) -> int:
    """The column whose cells name municipalities (a code or a name); the other is the bureau."""
    best, hits = None, 0
    for index in range(len(header)):
        found = sum(
            1 for _, cells in rows if index < len(cells) and _code_of(cells[index], municipalities)
        )
        if found > hits:
            best, hits = index, found
    if best is None:
        raise EtlError("市町村（コードまたは名前）の列が見つかりません")
    return best


def _code_of(cell: object, municipalities: pd.DataFrame) -> str | None:
    """The municipality a bureau-file cell names: a 5-digit code, a 6-digit code (with its
    check digit), or a name (with or without its 郡)."""
    text = "" if cell is None else str(cell).strip()
    digits = re.sub(r"\D", "", text) if re.fullmatch(r"[\d\s\-]+", text) else ""
    if len(digits) in (5, 6) and digits[:5] in set(municipalities["code"]):
        return digits[:5]  # a 6-digit code carries a check digit
    key = match_key(re.sub(r"^.+?郡(?=.+[町村]$)", "", text))
    match = municipalities.loc[municipalities["name"].map(match_key) == key, "code"]
    return match.iloc[0] if len(match) == 1 else None


def read_bureaus(
    path: Path, municipalities: pd.DataFrame
) -> tuple[str, dict[str, str], tuple[str, ...]]:
    """(bureau label, code → bureau, bureaus in file order) from a CSV or Excel file with a
    municipality column and a bureau column. Every municipality must be given exactly one."""
    header, rows = _table(path)
    place = _municipality_column(header, rows, municipalities)
    others = [i for i, h in enumerate(header) if i != place and h]
    if len(others) != 1:
        raise EtlError(
            f"{path.name}: 市町村の列のほかに、振興局などの列を1つだけ置いてください（見出し: {header}）"
        )
    column = others[0]
    label, mapping, order = header[column], {}, []
    for number, cells in rows:
        code = _code_of(cells[place] if place < len(cells) else None, municipalities)
        bureau = (
            str(cells[column]).strip() if column < len(cells) and cells[column] is not None else ""
        )
        if code is None:
            raise EtlError(
                f"{path.name} {number}行目「{header[place]}」: この都道府県の市町村ではありません: {cells[place]!r}"
            )
        if not bureau:
            raise EtlError(f"{path.name} {number}行目「{label}」: 空です（{cells[place]}）")
        if code in mapping and mapping[code] != bureau:
            raise EtlError(
                f"{path.name} {number}行目: {cells[place]} が二つの{label}にあります（{mapping[code]}、{bureau}）"
            )
        mapping[code] = bureau
        order += [bureau] if bureau not in order else []
    missing = municipalities.loc[~municipalities["code"].isin(mapping), "name"].tolist()
    if missing:
        raise EtlError(f"{path.name}: {label}のない市町村があります: {'、'.join(missing[:10])}")
    return label, mapping, tuple(order)


def _toml_text(code: str, key: str, source: str, label: str, bureaus: tuple[str, ...],
               target: tuple[int, int] | None) -> str:  # fmt: skip
    def q(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)  # a TOML basic string

    lines = [f"# {PREF_NAME_BY_CODE[code]} profile, made by `python -m etl profile new {code}` from {source}.",
             f"key = {q(key)}", f"pref_code = {q(code)}", f"pref_name = {q(PREF_NAME_BY_CODE[code])}"]  # fmt: skip
    if bureaus:
        lines += [f"bureau_label = {q(label)}", f"bureaus = [{', '.join(q(b) for b in bureaus)}]"]
    else:
        lines += ["# No bureaus: run `python -m etl profile new` with --bureaus FILE to add them."]
    lines += [f"n03_url = {q(N03_URL.format(code=code))}", "", "[kpi]", 'indicator = "hubs_total"']
    if target:
        lines += [f"target_year = {target[0]}", f"target_value = {target[1]}"]
    else:
        lines += ["# No target yet: add target_year and target_value (and base_year, base_value)."]
    lines += ["", "# Fiscal years a grant record may carry.", "[limits]", "grants_first_year = 2015",
              "grant_horizon_years = 1", "",
              "# Grant programmes ([[programs]]) and rules ([[rules]]): none yet. See the README",
              "# (「補助金の規則を加える」); fukushima.toml and tottori.toml are worked examples.", ""]  # fmt: skip
    return "\n".join(lines)


def _check_free(settings: Settings, code: str, key: str) -> Path:
    if not KEY.match(key):
        raise EtlError(f"--key は英小文字で始まる英数字と _ です: {key!r}")
    path = settings.profiles_dir / f"{key}.toml"
    if path.exists():
        raise EtlError(
            f"プロファイルがすでにあります: {path}（上書きしません。別の --key を指定するか、ファイルを移してください）"
        )
    same = [p.key for p in load_profiles(settings.profiles_dir).values() if p.pref_code == code]
    if same:
        raise EtlError(f"{PREF_NAME_BY_CODE[code]}のプロファイルはすでにあります: {same[0]}")
    return path


def _polygons(
    code: str, source: str | None, timeout: float, progress
) -> tuple[gpd.GeoDataFrame, str, str]:
    origin = source or N03_URL.format(code=code)
    try:
        with bd.source_polygons(origin, timeout, progress) as (polygons, sha256):
            return bd.for_prefecture(polygons, code, Path(origin).name), origin, sha256
    except BoundaryError as exc:
        if source:
            raise
        raise BoundaryError(
            f"{exc}\n国土数値情報「行政区域」（N03）の{PREF_NAME_BY_CODE[code]}のファイルを {N03_PAGE} から"
            f"ダウンロードし、python -m etl profile new {code} --boundaries <ダウンロードしたzip> を実行してください"
            "（全国の N03 や、市町村コードで引ける TopoJSON / GeoJSON も使えます）。"
        ) from exc


def new_profile(settings: Settings, pref: str, boundaries: str | None = None, bureaus: Path | None = None,
                target: tuple[int, int] | None = None, key: str | None = None, timeout: float = 30.0,
                progress: Callable[[str], None] = lambda _: None) -> NewProfile:  # fmt: skip
    """Write the profile, the municipality list and the boundaries of one prefecture; nothing is
    written when anything is wrong."""
    code = resolve_prefecture(pref)
    key = key or PREF_KEY_BY_CODE[code]
    profile_path = _check_free(settings, code, key)
    polygons, origin, sha256 = _polygons(code, boundaries, timeout, progress)
    municipalities = municipality_table(polygons, code)
    label, order = "", ()
    if bureaus is not None:
        label, mapping, order = read_bureaus(bureaus, municipalities)
        municipalities["bureau"] = municipalities["code"].map(mapping)
    out, notes = bd.prepare(polygons, municipalities, code, bd.SIMPLIFY_TOLERANCE_M)
    listing = settings.reference_dir / "municipalities" / f"{code}.csv"
    listing.parent.mkdir(parents=True, exist_ok=True)
    municipalities[[*MUNICIPALITY_COLUMNS, "county"]].to_csv(listing, index=False, encoding="utf-8")
    meta = {"pref_code": code, "source": origin, "sha256": sha256, "municipalities": len(out),
            "simplify_tolerance_m": bd.SIMPLIFY_TOLERANCE_M, "notes": notes, "credit": N03_CREDIT}  # fmt: skip
    written = bd.write_boundaries(out, settings.boundaries_dir, code, meta)
    settings.profiles_dir.mkdir(parents=True, exist_ok=True)
    profile_path.write_text(_toml_text(code, key, origin, label, order, target), encoding="utf-8")
    return NewProfile(key, code, profile_path, listing, written, len(municipalities), label, order)
