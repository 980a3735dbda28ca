"""ブリーフィング: the one-screen summary a manager takes into the room, from the same Pack as
the PPTX and PDF downloads."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import NO_DATA, era_short, unknowns_as_text
from dashboard.metrics import Card
from dashboard.views import Loader
from dashboard.views.pack import Pack, build_pack

SHOWN_FINDINGS = 4


@dataclass
class BriefingView:
    pack: Pack
    headlines: list[Card]
    grade: str
    grade_text: list[str]
    trajectory: go.Figure
    trajectory_name: str
    trajectory_source: str
    trajectory_summary: str
    trajectory_table: pd.DataFrame
    table_title: str | None
    table: pd.DataFrame | None
    findings_title: str
    findings_text: str


def _display_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers as text for a print-friendly table: 1 decimal for shares, データなし for unknown,
    a count with unknown rows as 「45（ほか不明4）」."""
    shown = unknowns_as_text(frame).drop(columns=["選択中"], errors="ignore")
    if "選択中" in frame.columns:  # the selected bureaus are marked where the eye lands: ● 会津
        names = frame[frame.columns[0]].where(
            frame["選択中"] != "選択", "● " + frame[frame.columns[0]]
        )
        shown[frame.columns[0]] = names
    shown = shown.set_index(frame.columns[0])
    for column in shown.columns:
        if pd.api.types.is_float_dtype(shown[column]) or "%" in column:
            shown[column] = [NO_DATA if pd.isna(v) else f"{float(v):,.1f}" for v in shown[column]]
        else:
            shown[column] = [
                NO_DATA if pd.isna(v) else f"{v:,}" if isinstance(v, int) else str(v)
                for v in shown[column]
            ]
    return shown


def build_briefing(load: Loader, filters: Filters, option: ProfileOption, boundaries_dir: Path,
                   map_style: str, view=None) -> BriefingView:  # fmt: skip
    pack = build_pack(
        load, filters, option, boundaries_dir, map_style, include_map=False, view=view
    )

    chart = pack.charts[0]
    trajectory = go.Figure(chart.figure)  # a copy: compact for one screen
    # The legend above the plot: below it, it would cover the year axis (in print too).
    trajectory.update_layout(height=330, margin={"t": 10, "b": 10, "l": 50, "r": 10}, title=None,
                             legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom",
                                     "font": {"size": 11}})  # fmt: skip
    ticks = list(trajectory.layout.xaxis.tickvals or [])
    # Short era labels, turned by plotly when a narrow screen has no room for them side by side.
    trajectory.update_xaxes(ticktext=[era_short(y) for y in ticks], title_text=None)
    bureau = next((t for t in pack.tables if t.id == "bureaus"), None)
    lines = pack.findings[:SHOWN_FINDINGS]
    more = len(pack.findings) - SHOWN_FINDINGS
    text = "\n".join(lines) + (f"\n…ほか{more}件（事業パイプラインに一覧）" if more > 0 else "")
    return BriefingView(
        pack=pack, headlines=pack.headlines, grade=pack.grade, grade_text=pack.grade_text, trajectory=trajectory,
        trajectory_name=chart.title, trajectory_source=chart.caption, trajectory_summary=chart.summary,
        trajectory_table=next(t.frame for t in pack.tables if t.id == "trajectory"),
        table_title=bureau.title if bureau else None, table=_display_table(bureau.frame) if bureau else None,
        findings_title=f"補助金の規則チェック（{pack.findings_summary}）", findings_text=text or pack.findings_summary,
    )  # fmt: skip
