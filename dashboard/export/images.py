"""Chart images for the packs: every chart of a pack rendered in one kaleido (Chromium) session."""

from __future__ import annotations

import tempfile
from pathlib import Path

import plotly.io as pio

from dashboard.views.pack import Chart

SCALE = 2  # 2x pixels: sharp on a projector and in print


def render_charts(charts: list[Chart]) -> dict[str, bytes]:
    """PNG bytes per chart key. One browser session renders them all (a start costs seconds)."""
    if not charts:
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"{index}.png" for index in range(len(charts))]
        figures = [chart.figure for chart in charts]
        pio.write_images(figures, paths, format="png", width=[c.width for c in charts],
                         height=[c.height for c in charts], scale=SCALE)  # fmt: skip
        return {chart.key: path.read_bytes() for chart, path in zip(charts, paths, strict=True)}
