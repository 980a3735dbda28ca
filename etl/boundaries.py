"""`python -m etl boundaries`: municipality boundaries from 国土数値情報 行政区域 (N03).

Source: the MLIT download named in the profile, or a local zip / GeoJSON / Shapefile. The result
is one simplified polygon per municipality (joined on the 5-digit code in N03_007, never on
names), written to `<boundaries_dir>/<pref_code>.geojson` in EPSG:4326 with a metadata file.
Simplification runs in a projected CRS (JGD2011 / UTM) with `shapely.coverage_simplify`, which
keeps neighbouring municipalities gap-free.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import shapely

from core.geo import jgd2011_utm
from core.settings import Settings
from core.vocabulary import N03_CREDIT, PREF_NAME_BY_CODE
from etl.errors import BoundaryError
from etl.profiles import load_profiles
from etl.reference import load_reference

SIMPLIFY_TOLERANCE_M = 80.0
JGD2011 = "EPSG:6668"


def _download(url: str, folder: Path, timeout: float) -> Path:
    target = folder / url.rsplit("/", 1)[-1]
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, target.open("wb") as out:  # noqa: S310
            shutil.copyfileobj(response, out)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BoundaryError(
            f"境界データをダウンロードできません（{url}: {reason}）。"
            "ネットワークに接続できない場合は --from でローカルのファイルを指定してください"
        ) from exc
    return target


def _data_file(path: Path, folder: Path) -> Path:
    """The vector file to read: the path itself, or the GeoJSON/Shapefile inside a zip."""
    if path.suffix.lower() != ".zip":
        return path
    try:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(folder / "unzipped")
    except zipfile.BadZipFile as exc:
        raise BoundaryError(f"{path.name}: zipファイルとして開けません") from exc
    found = sorted((folder / "unzipped").rglob("*.geojson")) or sorted(
        (folder / "unzipped").rglob("*.shp")
    )
    if not found:
        raise BoundaryError(f"{path.name}: 中に GeoJSON も Shapefile もありません")
    return found[0]


CODE_COLUMNS = ("N03_007", "lg_code_5", "code", "id")  # the 5-digit 地方公共団体コード
NAME_COLUMNS = ("city_name", "name")
COUNTY_COLUMNS = ("county_name", "county")


def _read(path: Path) -> gpd.GeoDataFrame:
    try:
        return gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several types for unreadable data
        raise BoundaryError(f"{path.name}: 境界データとして読めません（{exc}）") from exc


def _first(gdf: gpd.GeoDataFrame, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in gdf.columns), None)


def read_polygons(path: Path) -> gpd.GeoDataFrame:
    """Municipal polygons from N03 (zip contents, GeoJSON, Shapefile) or from any GeoJSON /
    TopoJSON keyed by the 5-digit code (a national file too), as columns code, name, county
    (郡, or None) and geometry, in lon/lat. Joined on the code, never on names."""
    gdf = _read(path)
    if "N03_007" in gdf.columns:
        if (path.suffix.lower() == ".shp"
                and not gdf["N03_001"].dropna().astype(str).str.endswith(("都", "道", "府", "県")).all()):  # fmt: skip
            gdf = gpd.read_file(path, encoding="cp932")  # Shapefiles without a .cpg
        ward = gdf["N03_005"].fillna("") if "N03_005" in gdf.columns else ""
        county = (
            gdf["N03_003"].where(gdf["N03_003"].fillna("").str.endswith("郡"))
            if "N03_003" in gdf.columns
            else None
        )
        out = gpd.GeoDataFrame({"code": gdf["N03_007"], "name": gdf["N03_004"].fillna("") + ward,
                                "county": county}, geometry=gdf.geometry, crs=gdf.crs or JGD2011)  # fmt: skip
    else:
        code, name = _first(gdf, CODE_COLUMNS), _first(gdf, NAME_COLUMNS)
        if code is None or name is None:
            raise BoundaryError(
                f"{path.name}: 市町村コードの列（N03_007 または lg_code_5・code・id）と名前の列"
                "（N03_004 または city_name・name）がありません"
            )
        county = _first(gdf, COUNTY_COLUMNS)
        out = gpd.GeoDataFrame({"code": gdf[code], "name": gdf[name],
                                "county": gdf[county].replace("", None) if county else None},
                               geometry=gdf.geometry, crs=gdf.crs or "EPSG:4326")  # fmt: skip
    out["code"] = out["code"].astype("string").str.strip()
    out.loc[out["code"].notna(), "code"] = out["code"].str.zfill(5)
    out["geometry"] = shapely.make_valid(out.geometry.values)
    return out


def for_prefecture(polygons: gpd.GeoDataFrame, pref_code: str, source: str) -> gpd.GeoDataFrame:
    """The polygons of one prefecture (a national file is filtered by the code's first two
    digits); an error when the file holds none of it."""
    rows = polygons[polygons["code"].fillna("").str.startswith(pref_code) | polygons["code"].isna()]
    if not rows["code"].notna().any():
        raise BoundaryError(
            f"{source}: {PREF_NAME_BY_CODE.get(pref_code, pref_code)}の市町村がありません"
        )
    return rows


def utm_crs(gdf: gpd.GeoDataFrame) -> str:
    """The UTM zone of the polygons' centroid (the areas stored with the boundaries use it)."""
    return jgd2011_utm(gdf.to_crs("EPSG:4326").union_all().centroid.x)


def prepare(
    gdf: gpd.GeoDataFrame, municipalities, pref_code: str, tolerance_m: float
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check codes against the municipality table, dissolve by code, simplify, orient."""
    notes = []
    unassigned = gdf["code"].isna()
    if unassigned.any():
        notes.append(f"所属未定地など市町村コードのない{int(unassigned.sum())}区画を除きました")
    gdf = gdf[~unassigned].copy()
    known = municipalities[municipalities["pref_code"] == pref_code].set_index("code")
    other_pref = sorted(set(gdf.loc[~gdf["code"].str.startswith(pref_code), "code"]))
    if other_pref:
        raise BoundaryError(f"他の都道府県のコードが含まれています: {', '.join(other_pref[:5])}")
    unknown = sorted(set(gdf["code"]) - set(known.index))
    if unknown:
        raise BoundaryError(f"市町村表にない市町村コードがあります: {', '.join(unknown[:10])}")
    absent = sorted(set(known.index) - set(gdf["code"]))
    if absent:
        notes.append(f"境界データにない市町村があります: {', '.join(known.loc[absent, 'name'])}")
    projected = gdf.to_crs(utm_crs(gdf))
    dissolved = projected.dissolve(by="code", as_index=False)[["code", "geometry"]]
    dissolved["geometry"] = shapely.coverage_simplify(dissolved.geometry.values, tolerance_m)
    dissolved["area_km2"] = (dissolved.geometry.area / 1e6).round(2)
    out = dissolved.to_crs("EPSG:4326")
    out["geometry"] = shapely.orient_polygons(
        shapely.make_valid(out.geometry.values), exterior_cw=True
    )
    out["name"] = out["code"].map(known["name"])
    out["bureau"] = out["code"].map(known["bureau"])
    return out[["code", "name", "bureau", "area_km2", "geometry"]].sort_values("code"), notes


def write_boundaries(gdf: gpd.GeoDataFrame, out_dir: Path, pref_code: str, meta: dict) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{pref_code}.geojson"
    staging = out_dir / f".{pref_code}.geojson.tmp"
    staging.unlink(missing_ok=True)
    gdf.to_file(staging, driver="GeoJSON", layer_options={"COORDINATE_PRECISION": 5})
    staging.replace(target)  # readers see the old file or the new one, never half of one
    (out_dir / f"{pref_code}.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return target


def existing_boundaries(settings: Settings, profile_key: str | None) -> Path | None:
    profile = load_profiles(settings.profiles_dir).get(profile_key or settings.default_profile)
    path = settings.boundaries_dir / f"{profile.pref_code}.geojson" if profile else None
    return path if path and path.exists() else None


@contextlib.contextmanager
def source_polygons(origin: str, timeout: float, progress: Callable[[str], None]):
    """(polygons, sha256) of a URL (downloaded) or a local file (a zip is opened)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if origin.startswith(("http://", "https://")):
            progress(f"ダウンロード {origin}")
            path = _download(origin, folder, timeout)
        else:
            path = Path(origin)
            if not path.exists():
                raise BoundaryError(f"ファイルがありません: {path}")
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        progress(f"読み込み {path.name}")
        yield read_polygons(_data_file(path, folder)), sha256


def _write_profile(settings: Settings, pref_code: str, polygons: gpd.GeoDataFrame, municipalities,
                   origin: str, sha256: str, tolerance_m: float, progress) -> Path:  # fmt: skip
    gdf = for_prefecture(polygons, pref_code, Path(origin).name)
    progress(f"{PREF_NAME_BY_CODE.get(pref_code, pref_code)}: コードの照合と簡略化")
    out, notes = prepare(gdf, municipalities, pref_code, tolerance_m)
    meta = {
        "pref_code": pref_code, "source": origin, "sha256": sha256,
        "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "municipalities": len(out), "simplify_tolerance_m": tolerance_m, "notes": notes, "credit": N03_CREDIT,
    }  # fmt: skip
    for note in notes:
        progress(f"注意: {note}")
    return write_boundaries(out, settings.boundaries_dir, pref_code, meta)


def fetch_boundaries(settings: Settings, profile_key: str | None, source: str | None,
                     progress: Callable[[str], None] = lambda _: None, timeout: float = 30.0,
                     tolerance_m: float = SIMPLIFY_TOLERANCE_M) -> Path:  # fmt: skip
    """One profile's boundaries, from the profile's MLIT download or `source`."""
    profiles = load_profiles(settings.profiles_dir)
    profile = profiles.get(profile_key or settings.default_profile)
    if profile is None:
        raise BoundaryError(f"プロファイル「{profile_key}」がありません（{', '.join(profiles)}）")
    reference = load_reference(settings.reference_dir)
    origin = source or profile.n03_url
    with source_polygons(origin, timeout, progress) as (polygons, sha256):
        return _write_profile(settings, profile.pref_code, polygons, reference.municipalities, origin,
                              sha256, tolerance_m, progress)  # fmt: skip


def boundaries_from_file(settings: Settings, source: str, progress: Callable[[str], None] = lambda _: None,
                         tolerance_m: float = SIMPLIFY_TOLERANCE_M) -> list[Path]:  # fmt: skip
    """The boundaries of every profile whose prefecture the file holds (a national N03 zip, or a
    TopoJSON / GeoJSON of all municipalities keyed by the 5-digit code)."""
    profiles = load_profiles(settings.profiles_dir)
    reference = load_reference(settings.reference_dir)
    with source_polygons(source, 30.0, progress) as (polygons, sha256):
        present = set(polygons["code"].dropna().str[:2])
        wanted = [p for p in profiles.values() if p.pref_code in present]
        if not wanted:
            names = "、".join(p.pref_name for p in profiles.values())
            raise BoundaryError(
                f"{Path(source).name}: プロファイルのある都道府県（{names}）の市町村がありません"
            )
        return [_write_profile(settings, p.pref_code, polygons, reference.municipalities, source, sha256,
                               tolerance_m, progress) for p in wanted]  # fmt: skip
