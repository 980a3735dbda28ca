"""Small N03-shaped boundary fixtures: adjacent squares with the N03 attribute columns."""

from __future__ import annotations

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
