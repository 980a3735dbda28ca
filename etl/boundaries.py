"""`python -m etl boundaries`: municipality boundaries from 国土数値情報 行政区域 (N03).

Source: the MLIT download named in the profile, or a local zip / GeoJSON / Shapefile. The result
is one simplified polygon per municipality (joined on the 5-digit code in N03_007, never on
names), written to `<boundaries_dir>/<pref_code>.geojson` in EPSG:4326 with a metadata file.
Simplification runs in a projected CRS (JGD2011 / UTM) with `shapely.coverage_simplify`, which
keeps neighbouring municipalities gap-free.
"""

from __future__ import annotations

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

from core.settings import Settings
from core.vocabulary import N03_CREDIT
from etl.errors import BoundaryError
from etl.profiles import load_profiles
from etl.reference import load_reference

N03_COLUMNS = ("N03_001", "N03_004", "N03_007")
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


def read_n03(path: Path) -> gpd.GeoDataFrame:
    """An N03 file with its attributes; Shapefiles without a .cpg are tried as CP932 too."""
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # noqa: BLE001 - pyogrio raises several types for unreadable data
        raise BoundaryError(f"{path.name}: 境界データとして読めません（{exc}）") from exc
    missing = [c for c in N03_COLUMNS if c not in gdf.columns]
    if missing:
        raise BoundaryError(f"{path.name}: N03の列がありません: {', '.join(missing)}")
    if (
        path.suffix.lower() == ".shp"
        and not gdf["N03_001"].dropna().astype(str).str.endswith(("都", "道", "府", "県")).all()
    ):
        gdf = gpd.read_file(path, encoding="cp932")
    if gdf.crs is None:
        gdf = gdf.set_crs(JGD2011)  # N03 is published in JGD2011 geographic coordinates
    return gdf


def _utm_crs(gdf: gpd.GeoDataFrame) -> str:
    lon = gdf.to_crs("EPSG:4326").union_all().centroid.x
    zone = int((lon + 180) // 6) + 1
    return f"EPSG:{6637 + zone}"  # JGD2011 / UTM zone 51N..55N = EPSG:6688..6692


def prepare(
    gdf: gpd.GeoDataFrame, municipalities, pref_code: str, tolerance_m: float
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Check codes against the municipality table, dissolve by code, simplify, orient."""
    notes = []
    unassigned = gdf["N03_007"].isna()
    if unassigned.any():
        notes.append(f"所属未定地など市町村コードのない{int(unassigned.sum())}区画を除きました")
    gdf = gdf[~unassigned].copy()
    gdf["code"] = gdf["N03_007"].astype(str).str.zfill(5)
    known = municipalities[municipalities["pref_code"] == pref_code].set_index("code")
    other_pref = sorted(set(gdf.loc[~gdf["code"].str.startswith(pref_code), "code"]))
    if other_pref:
        raise BoundaryError(f"他の都道府県のコードが含まれています: {', '.join(other_pref[:5])}")
    unknown = sorted(set(gdf["code"]) - set(known.index))
    if unknown:
        raise BoundaryError(f"市町村表にないN03_007のコードがあります: {', '.join(unknown[:10])}")
    absent = sorted(set(known.index) - set(gdf["code"]))
    if absent:
        notes.append(f"境界データにない市町村があります: {', '.join(known.loc[absent, 'name'])}")
    projected = gdf.to_crs(_utm_crs(gdf))
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


def fetch_boundaries(settings: Settings, profile_key: str | None, source: str | None,
                     progress: Callable[[str], None] = lambda _: None, timeout: float = 30.0,
                     tolerance_m: float = SIMPLIFY_TOLERANCE_M) -> Path:  # fmt: skip
    profiles = load_profiles(settings.profiles_dir)
    profile = profiles.get(profile_key or settings.default_profile)
    if profile is None:
        raise BoundaryError(f"プロファイル「{profile_key}」がありません（{', '.join(profiles)}）")
    reference = load_reference(settings.reference_dir)
    origin = source or profile.n03_url
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
        gdf = read_n03(_data_file(path, folder))
        progress("コードの照合と簡略化")
        out, notes = prepare(gdf, reference.municipalities, profile.pref_code, tolerance_m)
    meta = {
        "pref_code": profile.pref_code, "source": origin, "sha256": sha256,
        "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "municipalities": len(out), "simplify_tolerance_m": tolerance_m, "notes": notes, "credit": N03_CREDIT,
    }  # fmt: skip
    for note in notes:
        progress(f"注意: {note}")
    return write_boundaries(out, settings.boundaries_dir, profile.pref_code, meta)
