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

from dashboard.formatting import fy_label, is_missing, man_yen

WEB_CRS = "EPSG:4326"
COORD_DIGITS = 5
OFFSET_DEG = 0.03  # radius of the circle on which districts of one municipality are spread
MAX_MARKER_PX = 30
MIN_MARKER_PX = 7
SPEND_SCALE = [[0.0, "#c6dbef"], [0.5, "#4a98c9"], [1.0, "#08306b"]]
CAP_SCALE = [[0.0, "#fdd49e"], [0.5, "#ef6548"], [1.0, "#7f0000"]]
OVER_CAP_COLOR = "#111111"
# Flat categories besides the continuous scale: (legend name, fill, outline, opacity).
CATEGORIES = {
    "no_grant": ("補助なし", "#f3e6b8", "#8c8c8c", 0.9),
    "no_data": ("データなし", "#b9b9b9", "#7a7a7a", 0.9),
    "outside": ("選択外の{bureau_label}", "#ffffff", "#c8c8c8", 0.5),
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
    from etl.boundaries import CREDIT

    meta = Path(boundaries_dir) / f"{pref_code}.json"
    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("credit") or CREDIT
    except (FileNotFoundError, json.JSONDecodeError):
        return CREDIT


def dissolve_by_bureau(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One polygon per bureau: the union of its municipalities (shared edges vanish, no gaps),
    with its area in km² computed in the local UTM zone; returned in EPSG:4326."""
    projected = gdf.to_crs(gdf.estimate_utm_crs("JGD2011"))
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
        {"type": "Feature", "id": str(k), "properties": {}, "geometry": json.loads(shapely.to_geojson(g))}
        for k, g in zip(gdf[key], geoms, strict=True)
    ]  # fmt: skip
    return {"type": "FeatureCollection", "features": features}


def category(grant_yen: object, is_selected: bool) -> str:
    """Which layer an area belongs to: outside, no_data (unknown), no_grant (0 yen) or spend."""
    if not is_selected:
        return "outside"
    if is_missing(grant_yen):
        return "no_data"
    return "no_grant" if float(grant_yen) == 0 else "spend"


def _money(value_yen: float) -> str:
    return man_yen(value_yen, 0 if value_yen >= 1_000_000 else 1)


def area_hover(row: pd.Series, level: str, period: str, bureau_label: str) -> str:
    """Hover text of one municipality or bureau (names escaped: data text is never markup)."""
    name = html.escape(str(row["name"]))
    title = f"{name}（{bureau_label}）" if level == "bureau" else name
    if is_missing(row["grant_yen"]):
        spend = "補助金額: データなし"
    elif float(row["grant_yen"]) == 0:
        spend = f"補助金額: 0円（{period}）"
    else:
        spend = f"補助金額: {_money(float(row['grant_yen']))}（{period}）"
    lines = [title, spend, f"地区数: {'データなし' if is_missing(row['districts']) else int(row['districts'])}"]  # fmt: skip
    if level == "bureau" and "municipalities" in row:
        lines.append(f"市町村数: {int(row['municipalities'])}")
    if not bool(row["is_selected"]):
        lines.append(f"（選択外の{bureau_label}）")
    return "<br>".join(lines)


def district_hover(row: pd.Series) -> str:
    """Hover text of one district marker."""
    title = (
        f"{html.escape(str(row['district_name']))}（{html.escape(str(row['municipality_name']))}）"
    )
    cap = (
        "上限 データなし" if is_missing(row["cap_yen"]) else f"上限 {_money(float(row['cap_yen']))}"
    )
    pct = "" if is_missing(row["cap_used_pct"]) else f"（{float(row['cap_used_pct']):.1f}%）"
    lines = [
        title,
        f"累計: {man_yen(row['cumulative_grant_yen'], 1)} / {cap}{pct}",
        f"期間: {fy_label(row['first_fy'])}～{fy_label(row['last_fy'])}",
    ]
    if not is_missing(row["cap_used_pct"]) and float(row["cap_used_pct"]) > 100:
        lines.append("<b>上限超過</b>")
    return "<br>".join(lines)


def _colorbar(title: str, y: float, yanchor: str, **extra: object) -> dict:
    return dict(title=dict(text=title, side="top"), x=1.0, xanchor="left", y=y, yanchor=yanchor,
                len=0.46, thickness=14, **extra)  # fmt: skip


def _spend_colorbar() -> dict:
    return _colorbar("補助金額（万円）", 1.0, "top", tickformat=",.0f")


def _cap_colorbar() -> dict:
    return _colorbar("上限使用率（%）", 0.0, "bottom", tickvals=[0, 50, 100],
                     ticktext=["0", "50", "100以上"])  # fmt: skip


def district_traces(districts: pd.DataFrame) -> list[go.Scattermap]:
    """Markers sized by cumulative grant, coloured by cap use; over-cap ones get a dark ring."""
    if districts is None or districts.empty:
        return []
    df = districts if "lat" in districts else district_positions(districts)
    df = df.dropna(subset=["lat", "lon"])
    size = df["cumulative_grant_yen"].astype(float).clip(lower=0)
    sizeref = 2.0 * max(size.max(), 1.0) / MAX_MARKER_PX**2
    pct = df["cap_used_pct"].astype(float)
    over = pct > 100
    ring_px = np.maximum(np.sqrt(size[over] / sizeref), MIN_MARKER_PX) + 7
    common = dict(mode="markers", hoverinfo="text")
    traces = []
    if over.any():
        traces.append(go.Scattermap(
            lat=df.loc[over, "lat"], lon=df.loc[over, "lon"], name="上限超過（100%超）",
            marker=dict(size=sizeref * ring_px**2, sizemode="area", sizeref=sizeref, color=OVER_CAP_COLOR),
            hovertext=df.loc[over].apply(district_hover, axis=1), **common))  # fmt: skip
    traces.append(go.Scattermap(
        lat=df["lat"], lon=df["lon"], name="地区（大きさ: 累計補助金額）",
        marker=dict(size=size, sizemode="area", sizeref=sizeref, sizemin=MIN_MARKER_PX,
                    color=pct.clip(upper=100), cmin=0, cmax=100, colorscale=CAP_SCALE,
                    showscale=True, colorbar=_cap_colorbar(), opacity=0.95),
        hovertext=df.apply(district_hover, axis=1), **common))  # fmt: skip
    return traces


def map_view(bounds: tuple[float, float, float, float], width_px: int = 900,
             height_px: int = 600) -> dict:  # fmt: skip
    """`layout.map` center and zoom that fit (minx, miny, maxx, maxy) into a plot of that size."""
    minx, miny, maxx, maxy = bounds

    def merc(lat: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))

    span_x = max(maxx - minx, 0.05)
    span_y = max(merc(maxy) - merc(miny), 0.05)
    zoom = min(math.log2(width_px * 360 / (512 * span_x)), math.log2(height_px * 360 / (512 * span_y)))  # fmt: skip
    center = {"lat": round((miny + maxy) / 2, COORD_DIGITS), "lon": round((minx + maxx) / 2, COORD_DIGITS)}  # fmt: skip
    return {"center": center, "zoom": round(zoom - 0.15, 2)}


def _layout(fig: go.Figure, bounds: tuple[float, float, float, float], map_style: str,
            level: str) -> go.Figure:  # fmt: skip
    fig.update_layout(
        map=dict(style=map_style, **map_view(bounds)),
        height=640,
        margin=dict(l=0, r=0, t=0, b=0),
        legend=dict(x=0.01, y=0.99, xanchor="left", yanchor="top", bgcolor="rgba(255,255,255,0.85)",
                    bordercolor="#cccccc", borderwidth=1, font=dict(size=12)),
        font=dict(family="Noto Sans CJK JP, Hiragino Sans, Meiryo, sans-serif"),
        hoverlabel=dict(align="left"),
        uirevision=level,  # keep the user's pan/zoom across reruns of the same view
    )  # fmt: skip
    return fig


def _with_hover(frame: pd.DataFrame, level: str, period: str, bureau_label: str) -> pd.DataFrame:
    out = frame.copy()
    out["category"] = [category(g, s) for g, s in zip(out["grant_yen"], out["is_selected"], strict=True)]  # fmt: skip
    out["hover"] = out.apply(area_hover, axis=1, args=(level, period, bureau_label))
    return out


def plot_grant_choropleth(gdf_with_values: gpd.GeoDataFrame, level: str, districts: pd.DataFrame,
                          map_style: str = "white-bg", *, period: str = "",
                          bureau_label: str = "地方振興局") -> go.Figure:  # fmt: skip
    """Grant spend (万円) per area as choropleth traces with flat category layers, plus districts.

    `gdf_with_values` has key (5-digit code or bureau), name, grant_yen (NULL = unknown),
    districts, is_selected and the geometry; each layer carries only its own features."""
    gdf = _with_hover(gdf_with_values, level, period, bureau_label)
    fig = go.Figure()
    for cat, (label, fill, line, opacity) in CATEGORIES.items():
        part = gdf[gdf["category"] == cat]
        if part.empty:
            continue
        fig.add_trace(go.Choroplethmap(
            geojson=feature_collection(part, "key"), locations=part["key"], z=[0] * len(part),
            colorscale=[[0, fill], [1, fill]], showscale=False, showlegend=True,
            name=label.format(bureau_label=bureau_label), marker=dict(opacity=opacity, line=dict(color=line, width=0.7)),
            hovertext=part["hover"], hoverinfo="text"))  # fmt: skip
    spend = gdf[gdf["category"] == "spend"]
    if not spend.empty:
        fig.add_trace(go.Choroplethmap(
            geojson=feature_collection(spend, "key"), locations=spend["key"],
            z=(spend["grant_yen"].astype(float) / 10_000).round(1), zmin=0, colorscale=SPEND_SCALE,
            colorbar=_spend_colorbar(), name="補助あり", showlegend=False,
            marker=dict(opacity=0.9, line=dict(color="#ffffff", width=0.7)),
            hovertext=spend["hover"], hoverinfo="text"))  # fmt: skip
    fig.add_traces(district_traces(districts))
    return _layout(fig, tuple(gdf.to_crs(WEB_CRS).total_bounds), map_style, level)


def plot_grant_points(municipalities: pd.DataFrame, districts: pd.DataFrame,
                      map_style: str = "white-bg", *, level: str = "municipality",
                      period: str = "", bureau_label: str = "地方振興局") -> go.Figure:  # fmt: skip
    """Fallback without boundaries: circles at rep_lat/rep_lon sized by spend, same categories."""
    df = _with_hover(
        municipalities.dropna(subset=["rep_lat", "rep_lon"]), level, period, bureau_label
    )
    df["lat"], df["lon"] = df["rep_lat"].round(COORD_DIGITS), df["rep_lon"].round(COORD_DIGITS)
    fig = go.Figure()
    for cat, (label, fill, line, opacity) in CATEGORIES.items():
        part = df[df["category"] == cat]
        if not part.empty:
            fig.add_trace(go.Scattermap(
                lat=part["lat"], lon=part["lon"], mode="markers", name=label.format(bureau_label=bureau_label),
                marker=dict(size=10, color=fill if cat != "outside" else line, opacity=opacity),
                hovertext=part["hover"], hoverinfo="text"))  # fmt: skip
    spend = df[df["category"] == "spend"]
    if not spend.empty:
        yen = spend["grant_yen"].astype(float)
        fig.add_trace(go.Scattermap(
            lat=spend["lat"], lon=spend["lon"], mode="markers", name="補助あり（大きさ・色: 金額）",
            marker=dict(size=yen, sizemode="area", sizeref=2.0 * yen.max() / 36**2, sizemin=10,
                        color=(yen / 10_000).round(1), cmin=0, colorscale=SPEND_SCALE, opacity=0.6,
                        showscale=True, colorbar=_spend_colorbar()),
            hovertext=spend["hover"], hoverinfo="text"))  # fmt: skip
    fig.add_traces(district_traces(districts))
    pad = 0.1
    bounds = (
        df["lon"].min() - pad,
        df["lat"].min() - pad,
        df["lon"].max() + pad,
        df["lat"].max() + pad,
    )
    return _layout(fig, bounds, map_style, level)
