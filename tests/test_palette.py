"""Charts in the デジタル庁 palette at AA contrast: every mark that carries meaning (a line, a
marker, a bar) at 3:1 or more on white, text at 4.5:1; a chart's values in words; a bureau with no
hub is 拠点なし in the service heatmap, not a row of gaps."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import pytest

from dashboard import charts
from dashboard.db import Warehouse
from dashboard.filters import build_profile_options, parse_filters
from dashboard.views import direct_loader
from dashboard.views.hubs import build_hubs
from dashboard.views.overview import build_overview
from dashboard.views.pipeline import build_pipeline


def luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    channels = [int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str = "#ffffff") -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def meaningful_colours(figure: go.Figure) -> list[tuple[str, str]]:
    """(trace name, colour) of every line, marker and bar colour given as one hex value."""
    found = []
    for trace in figure.data:
        if trace.type not in ("scatter", "bar") or getattr(trace, "fill", None) == "toself":
            continue
        for part in ("marker", "line"):
            colour = getattr(getattr(trace, part, None), "color", None)
            if isinstance(colour, str) and colour.startswith("#") and len(colour) == 7:
                if part == "line" and getattr(trace.line, "width", None) == 0:
                    continue
                found.append((trace.name, colour))
    return found


@pytest.fixture(scope="module")
def load(sample_settings):
    return direct_loader(Warehouse(sample_settings.warehouse_dir))


def scope(load, params):
    options = build_profile_options(load)
    filters, _ = parse_filters(params, options, "fukushima")
    return filters, options[filters.profile]


def figures(load) -> dict[str, go.Figure]:
    out = {}
    for name, params in (
        ("fukushima", {"bureau": ["会津"]}),
        ("tottori", {"profile": ["tottori"]}),
    ):
        filters, option = scope(load, params)
        overview = build_overview(load, filters, option)
        hubs = build_hubs(load, filters, option)
        out[f"{name}-trajectory"] = overview.trajectory
        if overview.national is not None:
            out[f"{name}-national"] = overview.national
        for key in ("bureau_figure", "legal_forms_figure", "cooperatives_figure"):
            if getattr(hubs, key) is not None:
                out[f"{name}-{key}"] = getattr(hubs, key)
        pipeline = build_pipeline(load, filters, option)
        if getattr(pipeline, "timeline", None) is not None:
            out[f"{name}-timeline"] = pipeline.timeline
    return out


def test_palette_constants_meet_their_contrast():
    for colour in (charts.BLUE, charts.MID_BLUE, charts.ACCENT, charts.ORANGE, charts.GREY, charts.TEAL,
                   charts.PURPLE):  # fmt: skip
        assert contrast(colour) >= 3, colour  # graphics that carry meaning (1.4.11)
    assert contrast(charts.INK) >= 4.5  # text
    assert charts.BLUE == "#0017c1" and charts.ACCENT == "#fe3939"  # the デジタル庁 theme


def test_every_meaningful_mark_has_3_to_1_on_white(load):
    shown = figures(load)
    assert len(shown) >= 6
    for key, figure in shown.items():
        for name, colour in meaningful_colours(figure):
            assert contrast(colour) >= 3, f"{key}: {name} in {colour} ({contrast(colour):.2f}:1)"


def test_rmo_bars_differ_by_pattern_as_well_as_colour(load):
    filters, option = scope(load, {})
    bars = build_hubs(load, filters, option).bureau_figure.data
    assert bars[0].marker.pattern.shape in (None, "") and bars[1].marker.pattern.shape == "/"


def test_rmo_bars_show_their_colour_under_the_hatch(load):
    """A white hatch replacing the fill (plotly's default fill mode) left the bars invisible on
    the page's white background in the browser's plotly.js: the hatch goes over the colour."""
    filters, option = scope(load, {})
    bars = build_hubs(load, filters, option).bureau_figure.data
    assert bars[1].marker.pattern.fillmode == "overlay"
    assert contrast(bars[1].marker.color) >= 3


def test_a_bureau_without_hubs_reads_no_hubs_not_gaps(load):
    filters, option = scope(load, {})
    hubs = build_hubs(load, filters, option)
    heatmap = hubs.services_figure.data[0]
    rows = dict(zip(heatmap.y, heatmap.text, strict=True))
    assert set(rows["いわき"]) == {"拠点なし"}  # the sample's いわき has no hub in R6
    assert all(math.isnan(v) for v in heatmap.z[list(heatmap.y).index("いわき")])
    assert "提供なし" not in set(rows["いわき"])
    assert "いわき" not in set(hubs.service_gaps.iloc[:, 0])


def test_describe_reads_the_values_of_a_chart(load):
    filters, option = scope(load, {})
    text = charts.describe(build_overview(load, filters, option).trajectory, "拠点")
    assert "実績（公表値）: R2 (2020) 48拠点、R5 (2023) 55拠点、R6 (2024) 59拠点" in text
    assert "目標: R12 (2030) 60拠点" in text
    bars = charts.describe(build_hubs(load, filters, option).bureau_figure)
    assert "小さな拠点: 県北 3、県中 11" in bars
