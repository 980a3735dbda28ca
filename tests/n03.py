"""Small N03-shaped boundary fixtures: adjacent squares with the N03 attribute columns."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

FUKUSHIMA = {"07201": "福島市", "07202": "会津若松市", "07208": "喜多方市", "07367": "只見町"}


def n03_frame(municipalities: dict[str, str] = FUKUSHIMA, pref_name: str = "福島県",
              origin: tuple[float, float] = (139.5, 37.3), unassigned: bool = True) -> gpd.GeoDataFrame:  # fmt: skip
    """One 0.2° square per municipality in a row (each split in two parts, as islands are in
    N03), plus a 所属未定地 part without a code when `unassigned`."""
    rows = []
    x0, y0 = origin
    for i, (code, name) in enumerate(municipalities.items()):
        left = x0 + 0.2 * i
        for part in (
            box(left, y0, left + 0.2, y0 + 0.1),
            box(left, y0 + 0.1, left + 0.2, y0 + 0.2),
        ):
            rows.append({"N03_001": pref_name, "N03_002": None, "N03_003": None, "N03_004": name,
                         "N03_005": None, "N03_007": code, "geometry": part})  # fmt: skip
    if unassigned:
        left = x0 + 0.2 * len(municipalities)
        rows.append({"N03_001": pref_name, "N03_002": None, "N03_003": None, "N03_004": None,
                     "N03_005": None, "N03_007": None, "geometry": box(left, y0, left + 0.05, y0 + 0.05)})  # fmt: skip
    return gpd.GeoDataFrame(rows, crs="EPSG:6668")


def write_geojson(path: Path, **kwargs) -> Path:
    n03_frame(**kwargs).to_file(path, driver="GeoJSON")
    return path


# 島根県's 19 municipalities (総務省 全国地方公共団体コード): code → (name, 郡 or None).
SHIMANE = {
    "32201": ("松江市", None), "32202": ("浜田市", None), "32203": ("出雲市", None), "32204": ("益田市", None),
    "32205": ("大田市", None), "32206": ("安来市", None), "32207": ("江津市", None), "32209": ("雲南市", None),
    "32343": ("奥出雲町", "仁多郡"), "32386": ("飯南町", "飯石郡"), "32441": ("川本町", "邑智郡"),
    "32448": ("美郷町", "邑智郡"), "32449": ("邑南町", "邑智郡"), "32501": ("津和野町", "鹿足郡"),
    "32505": ("吉賀町", "鹿足郡"), "32525": ("海士町", "隠岐郡"), "32526": ("西ノ島町", "隠岐郡"),
    "32527": ("知夫村", "隠岐郡"), "32528": ("隠岐の島町", "隠岐郡"),
}  # fmt: skip


def shimane_n03(path: Path) -> Path:
    """An N03-shaped GeoJSON of 島根県: one square per municipality, 郡 in N03_003."""
    rows = []
    for i, (code, (name, county)) in enumerate(SHIMANE.items()):
        left, bottom = 131.8 + 0.2 * (i % 10), 34.6 + 0.2 * (i // 10)
        rows.append({"N03_001": "島根県", "N03_002": None, "N03_003": county, "N03_004": name,
                     "N03_005": None, "N03_007": code, "geometry": box(left, bottom, left + 0.2, bottom + 0.2)})  # fmt: skip
    gpd.GeoDataFrame(rows, crs="EPSG:6668").to_file(path, driver="GeoJSON")
    return path


def write_topojson(path: Path, municipalities: dict[str, tuple[str, str | None]],
                   origin: tuple[float, float] = (131.0, 34.0)) -> Path:  # fmt: skip
    """A TopoJSON keyed by the 5-digit code like the national files people download (id,
    lg_code_5, city_name, county_name, prefecture_code): one square arc per municipality."""
    arcs, geometries = [], []
    for i, (code, (name, county)) in enumerate(municipalities.items()):
        x, y = origin[0] + 0.1 * (i % 20), origin[1] + 0.1 * (i // 20)
        arcs.append([[x, y], [x + 0.1, y], [x + 0.1, y + 0.1], [x, y + 0.1], [x, y]])
        geometries.append({"type": "Polygon", "arcs": [[i]], "id": code, "properties": {
            "lg_code_5": code, "city_name": name, "county_name": county or "", "prefecture_code": code[:2]}})  # fmt: skip
    topology = {"type": "Topology", "arcs": arcs,
                "objects": {"municipalities": {"type": "GeometryCollection", "geometries": geometries}}}  # fmt: skip
    path.write_text(json.dumps(topology, ensure_ascii=False), encoding="utf-8")
    return path


TOTTORI = {"31201": "鳥取市", "31302": "岩美町", "31325": "若桜町"}


def sample_boundaries(root: Path) -> Path:
    """N03-shaped boundaries of both sample profiles under root, written by the project's own
    `etl.boundaries` (as `python -m etl boundaries --from FILE` does); the boundaries folder."""
    from etl.boundaries import fetch_boundaries
    from tests.conftest import settings_for

    settings = settings_for(root)
    fetch_boundaries(settings, "fukushima", str(write_geojson(root / "n03_07.geojson")))
    source = write_geojson(root / "n03_31.geojson", municipalities=TOTTORI, pref_name="鳥取県",
                           origin=(133.8, 35.3))  # fmt: skip
    fetch_boundaries(settings, "tottori", str(source))
    return settings.boundaries_dir
