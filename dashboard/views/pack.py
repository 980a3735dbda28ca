"""What a briefing pack says: one `Pack` built from the same view builders the pages use, so
the PPTX, the PDF, the Excel file and the ブリーフィング page all show the same numbers.

The pack is a view (typed cards from the metric catalogue, figures, tables); `dashboard.export`
only renders it. Views never import the exporters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from dashboard.filters import Filters, ProfileOption, scope_text
from dashboard.formatting import JST, latest_list_text, updated_text
from dashboard.metrics import Card, Reading
from dashboard.views import Loader
from dashboard.views.data import build_data_view
from dashboard.views.grant_map import build_grant_map
from dashboard.views.hubs import build_hubs
from dashboard.views.overview import build_overview
from dashboard.views.pipeline import build_pipeline
from dashboard.views.readings import spend_reading

SAMPLE_LABEL = "サンプルデータ（架空）: 拠点数・地域運営組織数の合計は公表値と一致しますが、個々の拠点・地区・補助金は架空です。"
TOP_FINDINGS = 8


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    figure: go.Figure
    caption: str
    width: int = 1200
    height: int = 560


@dataclass(frozen=True)
class Table:
    key: str  # the Excel sheet name (words people read)
    title: str
    frame: pd.DataFrame
    note: str = ""
    id: str = ""  # what the table is, for code: bureaus, municipalities, findings, budget, …


@dataclass
class Pack:
    title: str
    profile: ProfileOption
    filters: Filters
    scope: str
    as_of: str
    generated: dt.datetime
    is_sample: bool
    headlines: list[Card]
    grade: str
    grade_text: list[str]
    charts: list[Chart]
    tables: list[Table]
    findings: list[str]
    findings_summary: str
    sources: list[str]
    credit: str | None = None
    notes: list[str] = field(default_factory=list)


def direct_views(load: Loader):
    """Views built on demand without a cache (exports run outside the app)."""
    builders = {"overview": build_overview, "hubs": build_hubs, "pipeline": build_pipeline, "data": build_data_view,
                "grant_map": lambda ld, f, o, level, bdir, style, _stamp: build_grant_map(ld, f, o, level, bdir, style)}  # fmt: skip
    return lambda name, *arguments: builders[name](load, *arguments)


def _as_of(load: Loader, option: ProfileOption, to_fy: int | None) -> tuple[str, bool]:
    info = load("build_info").iloc[0]
    listed = latest_list_text(load("survey_years", pref=option.pref_code), to_fy)
    return f"{listed} ／ {updated_text(info)}", bool(info["is_sample"])


def _spend_year(load: Loader, filters: Filters, option: ProfileOption) -> Card:
    """The grant spend of the last selected year and its change against the year before."""
    year = filters.to_fy
    if year is None:
        return Card(Reading("grant_spend_year", None))
    now = spend_reading(load, option, "grant_spend_year", year, year, filters.bureaus)
    if now.value is None:
        return Card(now)
    before = spend_reading(load, option, "grant_spend_year", year - 1, year - 1, filters.bureaus)
    change = None if before.value is None else now.value - before.value
    return Card(replace(now, change=change, change_base_fy=year - 1))


def _headlines(overview, load: Loader, filters: Filters, option: ProfileOption) -> list[Card]:
    """Four numbers, the overview's cards for the same filters: the prefecture's hubs against
    the target, then RMOs and their share (or, with bureaus selected, the selection's hubs and
    RMOs), and the grant spend of the last selected year."""
    cards = {card.metric: card for card in overview.cards}
    middle = (
        ("selection_hubs", "selection_rmo") if filters.bureaus else ("rmo_in_hubs", "rmo_share_pct")
    )
    return [
        cards[option.kpi_indicator],
        *(cards[m] for m in middle),
        _spend_year(load, filters, option),
    ]


def _findings(pipeline) -> tuple[list[str], str]:
    """The top findings, breaches first, as one line each."""
    if not pipeline.has_grants or pipeline.findings is None:
        return [], pipeline.message or "補助金の記録がありません。"
    order = pipeline.findings["種別"].map({"違反": 0, "助言": 1})
    frame = pipeline.findings.assign(order=order).sort_values(
        ["order", "年度（西暦）"], kind="stable"
    )
    lines = [f"【{r['種別']}】{r['年度（和暦）']} {r['市町村']} {r['地区名']}: {r['内容']}"
             for r in frame.head(TOP_FINDINGS).to_dict("records")]  # fmt: skip
    return lines, f"違反 {pipeline.errors}件、助言 {pipeline.advice}件（選択した年度・地域）"


def build_pack(load: Loader, filters: Filters, option: ProfileOption, boundaries_dir: Path, map_style: str,
               now: dt.datetime | None = None, include_map: bool = True, view=None) -> Pack:  # fmt: skip
    """Everything a briefing says for the current filters (the grant map only when asked:
    the ブリーフィング page does not show it; the PPTX and PDF do).

    `view(name, *arguments)` gives a page's view model; in the app it is the shared cache, so a
    briefing reuses what the other pages already built for the same filters."""
    view = view or direct_views(load)
    overview = view("overview", filters, option)
    hubs = view("hubs", filters, option, None)
    pipeline = view("pipeline", filters, option)
    grant_map = (
        view("grant_map", filters, option, "municipality", boundaries_dir, map_style, 0.0)
        if include_map
        else None
    )
    sources = view("data", option).sources
    as_of, is_sample = _as_of(load, option, filters.to_fy)
    label = option.bureau_label
    charts = [
        Chart("trajectory", "拠点数の推移と目標", overview.trajectory, overview.trajectory_caption)
    ]
    if hubs.bureau_figure is not None:
        charts.append(
            Chart(
                "bureaus",
                f"{label}別の拠点と地域運営組織",
                hubs.bureau_figure,
                hubs.source,
                height=460,
            )
        )
    if overview.national is not None:
        charts.append(
            Chart(
                "national", "全国との比較", overview.national, overview.national_caption, height=420
            )
        )
    if grant_map is not None:
        charts.append(Chart("grant_map", "補助金マップ（選択した年度の補助金額）", grant_map.figure, grant_map.caption,
                            width=1000, height=700))  # fmt: skip
    tables = []
    if hubs.bureau_table is not None:
        tables.append(
            Table(
                f"{label}別",
                f"{label}別の拠点と地域運営組織",
                hubs.bureau_table,
                hubs.source,
                "bureaus",
            )
        )
        tables.append(
            Table(
                "市町村別", "市町村別の拠点", hubs.municipality_table, hubs.source, "municipalities"
            )
        )
    if pipeline.findings is not None:
        tables.append(
            Table(
                "規則チェック",
                "補助金の規則チェック",
                pipeline.findings,
                pipeline.caption,
                "findings",
            )
        )
        tables.append(
            Table(
                "地区の上限と残り",
                "地区ごとの上限と残り",
                pipeline.budget,
                pipeline.caption,
                "budget",
            )
        )
    if grant_map is not None:
        tables.append(
            Table(
                "補助金（市町村別）",
                "補助金額（市町村別）",
                grant_map.table,
                grant_map.caption,
                "grant_municipalities",
            )
        )
    tables.append(Table("出典", "公表値の出典と時点", sources, id="sources"))
    findings, summary = _findings(pipeline)
    scope = [overview.scope_sentence] if overview.scope_sentence else []
    outlook = [*scope, overview.grade.explanation, overview.outlook] + (
        [overview.pipeline_text] if overview.pipeline_text else []
    )
    source_lines = sorted({str(s) for s in sources["出典"]})
    notes = [SAMPLE_LABEL] if is_sample else []
    return Pack(
        title="小さな拠点 ブリーフィング", profile=option, filters=filters, scope=scope_text(filters, option),
        as_of=as_of, generated=now or dt.datetime.now(JST), is_sample=is_sample,
        headlines=_headlines(overview, load, filters, option), grade=overview.grade.label, grade_text=outlook,
        charts=charts, tables=tables, findings=findings, findings_summary=summary, sources=source_lines,
        credit=grant_map.credit if grant_map is not None and grant_map.has_boundaries else None, notes=notes,
    )  # fmt: skip


def pack_file_name(pack: Pack, suffix: str) -> str:
    """小さな拠点ブリーフィング_fukushima_会津-南会津_20261122.pptx"""
    bureaus = "-".join(pack.filters.bureaus) if pack.filters.bureaus else "全域"
    return f"小さな拠点ブリーフィング_{pack.profile.key}_{bureaus}_{pack.generated:%Y%m%d}.{suffix}"
