"""What a briefing pack says: one `Pack` built from the same view builders the pages use, so
the PPTX, the PDF, the Excel file and the ブリーフィング page all show the same numbers.

The pack is a view (typed cards from the metric catalogue, figures, tables); `dashboard.export`
only renders it. Views never import the exporters."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import describe
from dashboard.filters import Filters, ProfileOption, scope_text
from dashboard.formatting import JST, fy_range_label, latest_list_text, updated_text
from dashboard.maps import load_boundaries
from dashboard.metrics import CATALOGUE, Card, Reading
from dashboard.print_map import plot_print_map
from dashboard.views import Loader, citations
from dashboard.views.data import build_data_view
from dashboard.views.grant_map import build_grant_map, municipality_values
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
    summary: str = ""  # the chart in words (for people who cannot see it, and for print)


@dataclass(frozen=True)
class Table:
    key: str  # the Excel sheet name (words people read)
    title: str
    frame: pd.DataFrame
    note: str = ""
    id: str = ""  # what the table is, for code: bureaus, municipalities, findings, budget, …
    print_columns: tuple[str, ...] = ()  # the columns a page or slide shows (Excel has all)

    @property
    def printed(self) -> pd.DataFrame:
        wanted = [c for c in self.print_columns if c in self.frame.columns]
        return self.frame[wanted] if wanted else self.frame


@dataclass(frozen=True)
class Section:
    """One part of the briefing story. The PDF and the PPTX render the same sections in the same
    order (a page may hold two short ones; a slide holds one)."""

    id: str  # summary, trajectory, bureaus, grant_map, findings
    title: str
    lines: tuple[str, ...] = ()
    chart: Chart | None = None
    table: Table | None = None
    source: str = ""  # 「出典: …」, datasets by name (no file names, no build ids)


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
    sources: list[str]  # one line per dataset: publisher, title, 時点
    credit: str | None = None
    notes: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)  # the story, in order
    appendix: list[Table] = field(default_factory=list)  # the long tables, when asked for

    @property
    def title_line(self) -> str:
        """The one line that says what, where and when: title, scope and 時点."""
        return f"{self.title}（{self.scope}）"


def direct_views(load: Loader):
    """Views built on demand without a cache (exports run outside the app)."""
    builders = {"overview": build_overview, "hubs": build_hubs, "pipeline": build_pipeline, "data": build_data_view,
                "grant_map": lambda ld, f, o, level, bdir, style, _stamp: build_grant_map(ld, f, o, level, bdir, style)}  # fmt: skip
    return lambda name, *arguments: builders[name](load, *arguments)


def _as_of(load: Loader, option: ProfileOption, to_fy: int | None) -> tuple[str, bool]:
    """「拠点一覧 令和6年度 (2024)（2024-05-31時点） ／ データ更新 2026-12-01」: the build id stays
    on the データ page."""
    info = load("build_info").iloc[0]
    listed = latest_list_text(load("survey_years", pref=option.pref_code), to_fy)
    return f"{listed} ／ {updated_text(info, with_build=False)}", bool(info["is_sample"])


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
               now: dt.datetime | None = None, include_map: bool = True, view=None,
               appendix: bool = False) -> Pack:  # fmt: skip
    """Everything a briefing says for the current filters: the story (`sections`), the tables of
    the Excel file, and the long tables of the appendix when asked for (`appendix`).

    The grant map is built only when asked: the ブリーフィング page does not show it; the PPTX and
    PDF do. `view(name, *arguments)` gives a page's view model; in the app it is the shared cache,
    so a briefing reuses what the other pages already built for the same filters."""
    view = view or direct_views(load)
    overview = view("overview", filters, option)
    hubs = view("hubs", filters, option, None)
    pipeline = view("pipeline", filters, option)
    has_grants = not load("grant_sources", pref=option.pref_code).empty
    grant_map = (
        view("grant_map", filters, option, "municipality", boundaries_dir, map_style, 0.0)
        if include_map and has_grants
        else None
    )
    as_of, is_sample = _as_of(load, option, filters.to_fy)
    credit = grant_map.credit if grant_map is not None and grant_map.has_boundaries else None
    sources = citations.dataset_lines(load, option, filters, credit)
    hub_source = citations.short_source(sources, "拠点一覧")
    kpi_source = citations.short_source(sources, "拠点一覧", "公表値")
    grant_source = citations.short_source(sources, "補助金", "地図")
    label = option.bureau_label

    unit = CATALOGUE[option.kpi_indicator].unit
    trajectory = Chart("trajectory", "拠点数の推移と目標", _print_legend(overview.trajectory), kpi_source,
                       width=900, height=440, summary=describe(overview.trajectory, unit))  # fmt: skip
    charts = [trajectory]
    tables = [
        Table(
            "拠点数の推移",
            "拠点数の推移と目標",
            overview.trajectory_table,
            kpi_source,
            "trajectory",
        )
    ]
    findings, summary = _findings(pipeline)
    outlook = [overview.scope_sentence, overview.grade.explanation, overview.outlook,
               overview.pipeline_text]  # fmt: skip
    sections = [
        Section("summary", "主な指標と評価", tuple(line for line in outlook if line)),
        Section("trajectory", trajectory.title, chart=trajectory, source=kpi_source),
    ]  # fmt: skip
    if hubs.bureau_table is not None:
        title = f"{label}別の拠点と地域運営組織"
        bureau_chart = Chart("bureaus", title, _print_legend(hubs.bureau_figure), hub_source,
                             width=800, height=460, summary=describe(hubs.bureau_figure, "拠点"))  # fmt: skip
        bureau_table = Table(f"{label}別", title, hubs.bureau_table, hub_source, "bureaus",
                             tuple(c for c in hubs.bureau_table.columns if c != "選択中"))  # fmt: skip
        charts.append(bureau_chart)
        tables += [bureau_table, Table("市町村別", "市町村別の拠点", hubs.municipality_table, hub_source,
                                       "municipalities")]  # fmt: skip
        sections.append(
            Section("bureaus", title, chart=bureau_chart, table=bureau_table, source=hub_source)
        )
    if grant_map is not None:
        period = fy_range_label(filters.from_fy, filters.to_fy) if filters.from_fy else ""
        printed = plot_print_map(municipality_values(load, filters, option),
                                 load_boundaries(boundaries_dir, option.pref_code), label)  # fmt: skip
        map_chart = Chart("grant_map", f"補助金マップ（{period}の補助金額）", printed, grant_source,
                          width=1000, height=760)  # fmt: skip
        charts.append(map_chart)
    if pipeline.findings is not None:
        rule_source = citations.short_source(sources, "補助金")
        tables += [
            Table("規則チェック", "補助金の規則チェック", pipeline.findings, rule_source, "findings",
                  FINDING_COLUMNS),
            Table("地区の上限と残り", "地区ごとの上限と残り", pipeline.budget, rule_source, "budget",
                  BUDGET_COLUMNS),
        ]  # fmt: skip
    if grant_map is not None:
        tables.append(Table("補助金（市町村別）", "補助金額（市町村別）", grant_map.table, grant_source,
                            "grant_municipalities"))  # fmt: skip
    published = view("data", option).sources
    tables.append(Table("出典", "公表値の出典と時点", published, id="sources",
                        print_columns=SOURCE_COLUMNS))  # fmt: skip
    if findings:
        sections.append(
            Section("findings", "補助金の規則チェック（主なもの）", (summary, *findings))
        )
    else:  # nothing to list: one line in the summary rather than an empty page
        sections[0] = replace(
            sections[0], lines=(*sections[0].lines, f"補助金の規則チェック: {summary}")
        )
    if grant_map is not None:
        top = _top_spend(grant_map.table)
        sections.append(Section("grant_map", map_chart.title, chart=map_chart, source=grant_source,
                                table=Table("補助金の多い市町村", "補助金額の多い市町村", top, grant_source, "top_spend")))  # fmt: skip
    notes = [SAMPLE_LABEL] if is_sample else []
    sections.append(Section("sources", "出典", tuple(sources)))
    return Pack(
        title="小さな拠点 ブリーフィング", profile=option, filters=filters, scope=scope_text(filters, option),
        as_of=as_of, generated=now or dt.datetime.now(JST), is_sample=is_sample,
        headlines=_headlines(overview, load, filters, option), grade=overview.grade.label,
        grade_text=[line for line in outlook if line], charts=charts, tables=tables, findings=findings,
        findings_summary=summary, sources=sources, credit=credit, notes=notes, sections=sections,
        appendix=_appendix(tables) if appendix else [],
    )  # fmt: skip


FINDING_COLUMNS = ("年度（和暦）", "規則", "種別", "市町村", "地区名", "内容")
BUDGET_COLUMNS = ("市町村", "地区名", "累計補助金額（千円）", "上限（千円）", "残り（千円）", "終了期限",
                  "状況", "超過・来年度の制約")  # fmt: skip
SOURCE_COLUMNS = ("範囲", "指標", "年度（和暦）", "値", "種別", "時点", "出典")
TOP_SPEND = 10
SPEND = "補助金額（千円）"


def _print_legend(figure: go.Figure) -> go.Figure:
    """A copy for print and images: the legend above the plot, never over an axis."""
    printed = go.Figure(figure)
    printed.update_layout(legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0,
                                  "xanchor": "left"})  # fmt: skip
    return printed


def _top_spend(table: pd.DataFrame) -> pd.DataFrame:
    """The municipalities with the most grant spend in the period (only those with any)."""
    if SPEND not in table.columns:
        return table.head(0)
    spent = table[pd.to_numeric(table[SPEND], errors="coerce").fillna(0) > 0]
    columns = [c for c in table.columns if c != "市町村コード"]
    return spent.sort_values(SPEND, ascending=False, kind="stable").head(TOP_SPEND)[columns]


def _appendix(tables: list[Table]) -> list[Table]:
    """The long tables for the appendix: rows that say something (a municipality with a hub or a
    grant), the rest named in one line; print columns only."""
    out = []
    for table in tables:
        if table.id in ("trajectory", "bureaus"):
            continue  # already in the story
        frame, note = table.frame, table.note
        key = {"municipalities": "拠点数（拠点）", "grant_municipalities": SPEND}.get(table.id)
        if key in frame.columns:
            empty = pd.to_numeric(frame[key], errors="coerce").fillna(-1) == 0
            if empty.any():
                names = "、".join(frame.loc[empty, "市町村名"].astype(str))
                what = "拠点" if table.id == "municipalities" else "補助金"
                note = f"{what}のない市町村（{int(empty.sum())}）: {names}。" + (
                    f" {note}" if note else ""
                )
                frame = frame[~empty]
        out.append(replace(table, frame=frame.reset_index(drop=True), note=note))
    return out


def pack_file_name(pack: Pack, suffix: str) -> str:
    """小さな拠点ブリーフィング_fukushima_会津-南会津_20261122.pptx"""
    bureaus = "-".join(pack.filters.bureaus) if pack.filters.bureaus else "全域"
    return f"小さな拠点ブリーフィング_{pack.profile.key}_{bureaus}_{pack.generated:%Y%m%d}.{suffix}"


def balanced_parts(rows: int, per_page: int) -> list[tuple[int, int]]:
    """Cut `rows` into the fewest pages of at most `per_page` rows, as even as possible, so no
    page carries a few orphan rows: 30 rows at 24 a page are 15 + 15, not 24 + 6."""
    if rows <= 0:
        return [(0, 0)]
    pages = math.ceil(rows / per_page)
    size, extra = divmod(rows, pages)
    bounds, start = [], 0
    for page in range(pages):
        stop = start + size + (1 if page < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds
