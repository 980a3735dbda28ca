"""The grant map for print and slides: municipality polygons as plain shapes on hidden axes.

A printed map needs no tiles, no pan and no hover, but it must name places. MapLibre draws text
only with glyphs from a server (none offline), so this map is drawn without it: polygons filled
by class of grant spend, with the names of the municipalities that received grants, in the
fonts of the machine (Noto CJK)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import FONT, INK
from dashboard.maps import WEB_CRS

RAMP = ("#c5d7fb", "#7096f8", "#3460fb", "#0017c1")  # デジタル庁 blue ramp, light to dark
NO_GRANT = ("補助なし", "#f2f2f2", "#8c8c8c")
NO_DATA = ("データなし", "#a6a6a6", "#595959")
OUTSIDE = ("選択外の{bureau_label}", "#ffffff", "#c8c8c8")
MAX_NAMES = 25  # more names than this on one prefecture's map run into each other
DIGITS = 4


def _nice(value: float) -> float:
    """A round number near `value` (two significant digits): 1,234 → 1,200."""
    if value <= 0:
        return 0.0
    power = 10 ** (math.floor(math.log10(value)) - 1)
    return round(value / power) * power


def spend_classes(thousand_yen: pd.Series) -> list[tuple[float, float, str, str]]:
    """Up to four classes of positive spend (千円) at rounded quartiles, light to dark:
    (low, high, legend label, colour). Equal values make fewer classes, never empty ones."""
    values = thousand_yen.dropna().astype(float)
    values = values[values > 0]
    if values.empty:
        return []
    cuts = sorted({_nice(q) for q in values.quantile([0.25, 0.5, 0.75])} - {0.0})
    cuts = [c for c in cuts if values.min() < c <= values.max()]
    edges = [0.0, *cuts, math.inf]
    classes = []
    for low, high in zip(edges, edges[1:], strict=False):
        if not ((values > low) & (values <= high)).any():
            continue
        if math.isinf(high):
            label = f"{low:,.0f}千円超" if low else "補助あり"
        elif low == 0:
            label = f"{high:,.0f}千円以下"
        else:
            label = f"{low:,.0f}超～{high:,.0f}千円"
        classes.append((low, high, label))
    colours = RAMP[len(RAMP) - len(classes) :] if len(classes) < len(RAMP) else RAMP
    return [
        (low, high, label, colour)
        for (low, high, label), colour in zip(classes, colours, strict=True)
    ]


def _class_of(grant_yen: object, is_selected: bool, classes) -> tuple[str, str, str]:
    if not is_selected:
        return OUTSIDE
    if grant_yen is None or pd.isna(grant_yen):
        return NO_DATA
    value = float(grant_yen) / 1_000
    if value <= 0:
        return NO_GRANT
    for low, high, label, colour in classes:
        if low < value <= high:
            return label, colour, "#ffffff"
    return classes[-1][2], classes[-1][3], "#ffffff"


def _rings(geometry, scale_x: float) -> tuple[list[float | None], list[float | None]]:
    """The outer rings of a (multi)polygon as one path with gaps (None) between parts."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    parts = getattr(geometry, "geoms", [geometry])
    for part in parts:
        if part.is_empty or part.geom_type != "Polygon":
            continue
        coords = np.asarray(part.exterior.coords)
        xs += [*np.round(coords[:, 0] * scale_x, DIGITS).tolist(), None]
        ys += [*np.round(coords[:, 1], DIGITS).tolist(), None]
    return xs, ys


def _places(frame: pd.DataFrame, x: pd.Series, y: pd.Series, classes) -> tuple[pd.DataFrame, list]:
    """Where each municipality's name goes (x, y on the drawing), and its fill class."""
    points = pd.DataFrame({"x": list(x), "y": list(y), "name": list(frame["name"]),
                           "grant_yen": list(frame["grant_yen"]), "is_selected": list(frame["is_selected"])})  # fmt: skip
    kinds = [
        _class_of(g, s, classes)
        for g, s in zip(points["grant_yen"], points["is_selected"], strict=True)
    ]
    return points, kinds


def plot_print_map(values: pd.DataFrame, boundaries: gpd.GeoDataFrame | None, bureau_label: str,
                   max_names: int = MAX_NAMES) -> go.Figure:  # fmt: skip
    """Grant spend per municipality for print. `values` has key (code), name, grant_yen (NULL =
    unknown), is_selected, rep_lat and rep_lon (municipality_values); without boundaries the
    municipalities are circles at their representative points."""
    classes = spend_classes(
        values.loc[values["is_selected"], "grant_yen"].astype("Float64") / 1_000
    )
    order = [OUTSIDE, NO_GRANT, NO_DATA] + [
        (label, colour, "#ffffff") for _, _, label, colour in classes
    ]
    figure = go.Figure()
    if boundaries is not None:
        shapes = boundaries.to_crs(WEB_CRS)[["code", "geometry"]].rename(columns={"code": "key"})
        shapes = shapes.merge(
            values.drop(columns=["geometry"], errors="ignore"), on="key", how="left"
        )
        shapes["is_selected"] = shapes["is_selected"].fillna(True).astype(bool)
        bounds = shapes.total_bounds
        scale_x = math.cos(math.radians((bounds[1] + bounds[3]) / 2))
        spots = shapes.geometry.representative_point()
        points, kinds = _places(shapes, spots.x * scale_x, spots.y, classes)
        for kind in order:
            chosen = [i for i, k in enumerate(kinds) if k == kind]
            if not chosen:
                continue
            xs, ys = [], []
            for index in chosen:
                ring_x, ring_y = _rings(shapes.geometry.iloc[index], scale_x)
                xs += ring_x
                ys += ring_y
            name = kind[0].format(bureau_label=bureau_label)
            figure.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=kind[1], name=name,
                                        line={"color": "#8c8c8c" if kind[1] != "#ffffff" else kind[2], "width": 0.6},
                                        hoverinfo="skip"))  # fmt: skip
    else:
        rows = values.dropna(subset=["rep_lat", "rep_lon"])
        scale_x = math.cos(math.radians(float(rows["rep_lat"].mean()))) if len(rows) else 1.0
        points, kinds = _places(rows, rows["rep_lon"] * scale_x, rows["rep_lat"], classes)
        for kind in order:
            chosen = [i for i, k in enumerate(kinds) if k == kind]
            if chosen:
                part = points.iloc[chosen]
                figure.add_trace(go.Scatter(x=part["x"], y=part["y"], mode="markers", name=kind[0].format(bureau_label=bureau_label),
                                            marker={"size": 13, "color": kind[1], "line": {"color": "#595959", "width": 1}},
                                            hoverinfo="skip"))  # fmt: skip
    named = points[points["is_selected"] & (points["grant_yen"].astype("Float64").fillna(0) > 0)]
    named = named.sort_values("grant_yen", ascending=False, kind="stable").head(max_names)
    if not named.empty:
        figure.add_trace(go.Scatter(
            x=named["x"].round(DIGITS), y=named["y"].round(DIGITS), mode="text", text=named["name"],
            textposition="middle center", showlegend=False, hoverinfo="skip", name="市町村名",
            textfont={"size": 12, "color": INK, "family": FONT, "shadow": "0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff"},
        ))  # fmt: skip
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x", scaleratio=1)
    figure.update_layout(
        font={"family": FONT, "size": 13, "color": INK}, plot_bgcolor="#ffffff", paper_bgcolor="#ffffff",
        margin={"l": 5, "r": 5, "t": 5, "b": 5}, showlegend=True,
        legend={"title": {"text": "補助金額"}, "x": 1.01, "xanchor": "left", "y": 1, "yanchor": "top",
                "traceorder": "reversed"},
    )  # fmt: skip
    return figure
