"""Grant map: boundaries (geopandas → GeoJSON for the browser) and pure plotly map figures.

Geodata discipline: every GeoDataFrame has a CRS, areas are computed in a projected CRS (JGD2011 /
UTM), EPSG:4326 is only for the browser, and values join on the 5-digit code string. Maps render
offline with `map_style="white-bg"`.
"""

from __future__ import annotations

import functools
import html
import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely

from core.geo import jgd2011_utm
from core.vocabulary import N03_CREDIT
from dashboard.formatting import NO_DATA, fy_label, is_missing, money_text

WEB_CRS = "EPSG:4326"
COORD_DIGITS = 5
JAPAN_BOUNDS = (129.0, 31.0, 146.0, 45.5)  # the view when no point has a position
OFFSET_DEG = 0.03  # radius of the circle on which districts of one municipality are spread
MAX_MARKER_PX = 30  # diameter of the largest district marker
MIN_MARKER_PX = 6  # sizemin: the smallest marker radius
SPEND_SCALE = [[0.0, "#c5d7fb"], [0.5, "#3460fb"], [1.0, "#0017c1"]]  # デジタル庁 blue ramp
CAP_SCALE = [[0.0, "#fdd49e"], [0.5, "#ef6548"], [1.0, "#7f0000"]]
OVER_CAP_COLOR = "#111111"
# Flat categories besides the continuous scale: legend name, polygon fill, outline, opacity and
# the colour of the fallback points (a point needs more contrast than an area).
CATEGORIES = {
    "no_grant": ("補助なし", "#f3e6b8", "#8c8c8c", 0.9, "#9a7d0a"),  # point at 4:1 on white
    "no_data": ("データなし", "#b9b9b9", "#7a7a7a", 0.9, "#8f8f8f"),
    "outside": ("選択外の{bureau_label}", "#f2f2f2", "#c8c8c8", 0.6, "#d6d6d6"),
}


@functools.lru_cache(maxsize=8)
def _read_boundaries(path: str, mtime_ns: int) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path)
    if gdf.crs is None:
        gdf = gdf.set_crs(WEB_CRS)  # written by `python -m etl boundaries` in EPSG:4326
    gdf["code"] = gdf["code"].astype(str).str.zfill(5)
    return gdf.to_crs(WEB_CRS)


def load_boundaries(boundaries_dir: Path, pref_code: str) -> gpd.GeoDataFrame | None:
    """The prefecture's municipality polygons (EPSG:4326), or None when not downloaded yet.

    Cached on (path, mtime) so a re-downloaded file is picked up; the caller gets its own copy."""
    path = Path(boundaries_dir) / f"{pref_code}.geojson"
    try:
        mtime_ns = path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    return _read_boundaries(str(path), mtime_ns).copy()


def boundary_credit(boundaries_dir: Path, pref_code: str) -> str:
    """The credit line stored next to the boundaries (the N03 terms of use require it)."""
    meta = Path(boundaries_dir) / f"{pref_code}.json"
    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("credit") or N03_CREDIT
    except (FileNotFoundError, json.JSONDecodeError):
        return N03_CREDIT


def local_utm(gdf: gpd.GeoDataFrame) -> str:
    """JGD2011 / UTM zone (EPSG:6688–6692) of the centre of the frame's extent: the zone
    GeoPandas' `estimate_utm_crs("JGD2011")` picks, without its 65 ms database query."""
    minx, _, maxx, _ = gdf.to_crs(WEB_CRS).total_bounds
    return jgd2011_utm((minx + maxx) / 2)


def dissolve_by_bureau(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One polygon per bureau: the union of its municipalities (shared edges vanish, no gaps),
    with its area in km² computed in the local UTM zone; returned in EPSG:4326."""
    projected = gdf.to_crs(local_utm(gdf))
    dissolved = projected.dissolve(by="bureau", as_index=False, aggfunc={"code": "count"})
    dissolved = dissolved.rename(columns={"code": "municipalities"})
    dissolved["area_km2"] = (dissolved.geometry.area / 1e6).round(2)
    return dissolved[["bureau", "municipalities", "area_km2", "geometry"]].to_crs(WEB_CRS)


def district_positions(districts: pd.DataFrame) -> pd.DataFrame:
    """Districts with `lat`/`lon`: the municipality's representative point, spread on a small
    circle (north first, clockwise, in district_key order) when it has several districts."""
    out = districts.sort_values(["municipality_code", "district_key"]).reset_index(drop=True)
    rank = out.groupby("municipality_code").cumcount()
    count = out.groupby("municipality_code")["district_key"].transform("size")
    angle = 2 * np.pi * rank / count
    radius = np.where(count > 1, OFFSET_DEG, 0.0)
    lat = out["rep_lat"].astype(float)
    out["lat"] = (lat + radius * np.cos(angle)).round(COORD_DIGITS)
    out["lon"] = (
        out["rep_lon"].astype(float) + radius * np.sin(angle) / np.cos(np.radians(lat))
    ).round(COORD_DIGITS)
    return out


def feature_collection(gdf: gpd.GeoDataFrame, key: str) -> dict:
    """A GeoJSON FeatureCollection in EPSG:4326 with `id` = the key column, coordinates rounded."""
    geoms = shapely.transform(gdf.to_crs(WEB_CRS).geometry.values, lambda c: c.round(COORD_DIGITS))
    features = [
        {"type": "Feature", "id": str(k), "geometry": json.loads(shapely.to_geojson(g))}
        for k, g in zip(gdf[key], geoms, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def category(grant_yen: object, is_selected: bool) -> str:
    """Which layer an area belongs to: outside, no_data (unknown), no_grant (0 yen) or spend."""
    if not is_selected:
        return "outside"
    if is_missing(grant_yen):
        return "no_data"
    return "no_grant" if float(grant_yen) == 0 else "spend"


def _money(value_yen: float) -> str:
    return money_text(value_yen, 0 if value_yen >= 1_000 else 3)


def area_hover(row: pd.Series, level: str, period: str, bureau_label: str) -> str:
    """Hover text of one municipality or bureau (names escaped: data text is never markup)."""
    name = html.escape(str(row["name"]))
    title = f"{name}（{bureau_label}）" if level == "bureau" else name
    if is_missing(row["grant_yen"]):
        spend = f"補助金額: {NO_DATA}"
    elif float(row["grant_yen"]) == 0:
        spend = f"補助金額: 0円（{period}）"
    else:
        spend = f"補助金額: {_money(float(row['grant_yen']))}（{period}）"
    districts = NO_DATA if is_missing(row["districts"]) else int(row["districts"])
    lines = [title, spend, f"地区数: {districts}"]
    if level == "bureau" and "municipalities" in row:
        known = not is_missing(row["grant_yen"]) and not is_missing(row.get("with_grants"))
        with_grants = f"（補助あり {int(row['with_grants'])}）" if known else ""
        lines.append(f"市町村数: {int(row['municipalities'])}{with_grants}")
    if not bool(row["is_selected"]):
        lines.append(f"（選択外の{bureau_label}）")
    return "<br>".join(lines)


def district_hover(row: pd.Series) -> str:
    """Hover text of one district marker."""
    name = html.escape(str(row["district_name"]))
    municipality = html.escape(str(row["municipality_name"]))
    cap = NO_DATA if is_missing(row["cap_yen"]) else _money(float(row["cap_yen"]))
    pct = "" if is_missing(row["cap_used_pct"]) else f"（{float(row['cap_used_pct']):.1f}%）"
    lines = [
        f"{name}（{municipality}）",
        f"累計: {_money(float(row['cumulative_grant_yen']))} / 上限 {cap}{pct}",
        f"期間: {fy_label(row['first_fy'])}～{fy_label(row['last_fy'])}",
    ]
    if not is_missing(row["cap_used_pct"]) and float(row["cap_used_pct"]) > 100:
        lines.append("<b>上限超過</b>")
    return "<br>".join(lines)


def _colorbar(title: str, y: float, yanchor: str, **extra: object) -> dict:
    placement = {"x": 1.0, "xanchor": "left", "y": y, "yanchor": yanchor, "len": 0.46}
    return {"title": {"text": title, "side": "top"}, "thickness": 14, **placement, **extra}


SPEND_COLORBAR = _colorbar("補助金額（千円）", 1.0, "top", tickformat=",.0f")
CAP_COLORBAR = _colorbar("上限使用率（%）", 0.0, "bottom", tickvals=[0, 50, 100],
                         ticktext=["0", "50", "100以上"])  # fmt: skip
LEGEND = {"x": 0.01, "y": 0.99, "xanchor": "left", "yanchor": "top", "font": {"size": 12},
          "bgcolor": "rgba(255,255,255,0.85)", "bordercolor": "#cccccc", "borderwidth": 1}  # fmt: skip


def _bubbles(values: pd.Series, max_px: float, min_radius_px: float, **extra: object) -> dict:
    """An area-sized marker whose largest value is `max_px` across (plotly's sizeref rule)."""
    sizeref = 2.0 * max(float(values.max()), 1.0) / max_px**2
    return {
        "size": values,
        "sizemode": "area",
        "sizeref": sizeref,
        "sizemin": min_radius_px,
        **extra,
    }


def _points(df: pd.DataFrame, name: str, marker: dict, hover: pd.Series) -> go.Scattermap:
    return go.Scattermap(lat=df["lat"], lon=df["lon"], mode="markers", name=name, marker=marker,
                         hovertext=hover, hoverinfo="text")  # fmt: skip


def _areas(gdf: gpd.GeoDataFrame, name: str, **trace: object) -> go.Choroplethmap:
    return go.Choroplethmap(geojson=feature_collection(gdf, "key"), locations=gdf["key"], name=name,
                            hovertext=gdf["hover"], hoverinfo="text", **trace)  # fmt: skip


def district_traces(districts: pd.DataFrame) -> list[go.Scattermap]:
    """Markers sized by cumulative grant, coloured by cap use; over-cap ones get a dark ring."""
    if districts is None or districts.empty:
        return []
    df = districts if "lat" in districts else district_positions(districts)
    df = df.dropna(subset=["lat", "lon"]).reset_index(drop=True)
    pct = df["cap_used_pct"].astype(float)
    hover = df.apply(district_hover, axis=1)
    grant_yen = df["cumulative_grant_yen"].astype(float).clip(lower=0)
    colour = {"color": pct.clip(upper=100), "cmin": 0, "cmax": 100, "colorscale": CAP_SCALE}
    marker = _bubbles(grant_yen, MAX_MARKER_PX, MIN_MARKER_PX, **colour, opacity=0.95,
                      showscale=True, colorbar=CAP_COLORBAR)  # fmt: skip
    traces = [_points(df, "地区（大きさ: 累計補助金額）", marker, hover)]
    over = pct > 100
    if over.any():
        # plotly draws radius sqrt(size / 2 / sizeref), at least sizemin: the ring is 4 px wider
        sizeref = marker["sizeref"]
        radius = np.maximum(np.sqrt(marker["size"][over] / 2 / sizeref), MIN_MARKER_PX) + 4
        ring = {"size": 2 * sizeref * radius**2, "sizemode": "area", "sizeref": sizeref,
                "color": OVER_CAP_COLOR}  # fmt: skip
        traces.insert(0, _points(df[over], "上限超過（100%超）", ring, hover[over]))
    return traces


def map_view(bounds: tuple[float, float, float, float], width_px: int = 900,
             height_px: int = 600) -> dict:  # fmt: skip
    """`layout.map` center and zoom that fit (minx, miny, maxx, maxy) into a plot of that size."""
    minx, miny, maxx, maxy = bounds

    def merc(lat: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))

    span_x = max(maxx - minx, 0.05)
    span_y = max(merc(maxy) - merc(miny), 0.05)
    zoom_x = math.log2(width_px * 360 / (512 * span_x))  # MapLibre: 512 px tiles
    zoom_y = math.log2(height_px * 360 / (512 * span_y))
    center = {"lat": round((miny + maxy) / 2, COORD_DIGITS),
              "lon": round((minx + maxx) / 2, COORD_DIGITS)}  # fmt: skip
    return {"center": center, "zoom": round(min(zoom_x, zoom_y) - 0.15, 2)}


FIT_WIDTH_PX = 640  # the narrowest map frame to fit (a tablet upright, colour bars beside it)


def _layout(fig: go.Figure, bounds: tuple[float, ...], map_style: str, level: str) -> go.Figure:
    fig.update_layout(
        map={"style": map_style, **map_view(bounds, FIT_WIDTH_PX, 600)},
        height=640,
        margin={"l": 0, "r": 110, "t": 0, "b": 0},  # the colour bars beside the map, not over it
        legend=LEGEND,
        showlegend=True,  # even a single category (e.g. all データなし) needs its key
        font={"family": "Noto Sans CJK JP, Hiragino Sans, Meiryo, sans-serif"},
        hoverlabel={"align": "left"},
        uirevision=level,  # keep the user's pan/zoom across reruns of the same view
    )
    return fig


def _with_hover(frame: pd.DataFrame, level: str, period: str, bureau_label: str) -> pd.DataFrame:
    out = frame.copy()
    pairs = zip(out["grant_yen"], out["is_selected"], strict=True)
    out["category"] = [category(grant, selected) for grant, selected in pairs]
    out["hover"] = out.apply(area_hover, axis=1, args=(level, period, bureau_label))
    return out


def plot_grant_choropleth(gdf_with_values: gpd.GeoDataFrame, level: str, districts: pd.DataFrame,
                          map_style: str = "white-bg", *, period: str = "",
                          bureau_label: str = "地方振興局") -> go.Figure:  # fmt: skip
    """Grant spend (千円) per area as choropleth traces with flat category layers, plus districts.

    `gdf_with_values` has key (5-digit code or bureau), name, grant_yen (NULL = unknown),
    districts, is_selected and the geometry; each layer carries only its own features."""
    gdf = _with_hover(gdf_with_values, level, period, bureau_label)
    fig = go.Figure()
    for cat, (label, fill, line, opacity, _) in CATEGORIES.items():
        part = gdf[gdf["category"] == cat]
        if not part.empty:
            marker = {"opacity": opacity, "line": {"color": line, "width": 0.7}}
            fig.add_trace(_areas(part, label.format(bureau_label=bureau_label), z=[0] * len(part),
                                 colorscale=[[0, fill], [1, fill]], showscale=False,
                                 showlegend=True, marker=marker))  # fmt: skip
    spend = gdf[gdf["category"] == "spend"]
    if not spend.empty:
        man = (spend["grant_yen"].astype(float) / 1_000).round(1)
        marker = {"opacity": 0.9, "line": {"color": "#ffffff", "width": 0.7}}
        fig.add_trace(_areas(spend, "補助あり", z=man, zmin=0, colorscale=SPEND_SCALE,
                             colorbar=SPEND_COLORBAR, showlegend=False, marker=marker))  # fmt: skip
    fig.add_traces(district_traces(districts))
    return _layout(fig, tuple(gdf.to_crs(WEB_CRS).total_bounds), map_style, level)


def plot_grant_points(municipalities: pd.DataFrame, districts: pd.DataFrame,
                      map_style: str = "white-bg", *, level: str = "municipality",
                      period: str = "", bureau_label: str = "地方振興局") -> go.Figure:  # fmt: skip
    """Fallback without boundaries: circles at rep_lat/rep_lon sized by spend, same categories."""
    df = municipalities.dropna(subset=["rep_lat", "rep_lon"])
    df = _with_hover(df, level, period, bureau_label)
    df["lat"], df["lon"] = df["rep_lat"].round(COORD_DIGITS), df["rep_lon"].round(COORD_DIGITS)
    fig = go.Figure()
    for cat, (label, _, _, opacity, point) in CATEGORIES.items():
        part = df[df["category"] == cat]
        if not part.empty:
            marker = {"size": 10, "color": point, "opacity": opacity}
            name = label.format(bureau_label=bureau_label)
            fig.add_trace(_points(part, name, marker, part["hover"]))
    spend = df[df["category"] == "spend"]
    if not spend.empty:
        yen = spend["grant_yen"].astype(float)
        marker = _bubbles(yen, 48, 8, color=(yen / 1_000).round(1), cmin=0, opacity=0.75,
                          colorscale=SPEND_SCALE, showscale=True, colorbar=SPEND_COLORBAR)  # fmt: skip
        fig.add_trace(_points(spend, "補助あり（大きさ・色: 金額）", marker, spend["hover"]))
    fig.add_traces(district_traces(districts))
    lon, lat = df["lon"], df["lat"]
    bounds = (lon.min() - 0.1, lat.min() - 0.1, lon.max() + 0.1, lat.max() + 0.1)
    return _layout(fig, bounds if len(df) else JAPAN_BOUNDS, map_style, level)
