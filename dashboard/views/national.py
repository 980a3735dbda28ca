"""全国比較: every loaded prefecture side by side, with the national published totals as context.

The figures (latest hubs, RMO share, hubs per municipality, change) come whole from the SQL
`national_comparison`; this module only selects, formats and draws them. The map dissolves each
prefecture's municipality boundaries into one simplified outline (in its UTM zone)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard import charts
from dashboard.columns import labelled
from dashboard.formatting import (
    NO_DATA,
    count_text,
    fy_label,
    fy_short,
    is_missing,
    md_escape,
    share_text,
    updated_text,
    with_fy_columns,
)
from dashboard.maps import (
    WEB_CRS,
    boundary_credit,
    feature_collection,
    load_boundaries,
    local_utm,
    map_view,
)
from dashboard.metrics import Card
from dashboard.views import Loader
from dashboard.views.readings import kpi_reading

SIMPLIFY_M = 300  # outline tolerance: a prefecture seen whole needs no finer detail
HUBS_SCALE = [[0.0, "#c6dbef"], [0.5, "#4a98c9"], [1.0, "#08306b"]]
GREY_FILL = "#b9b9b9"  # データなし, as on the grant map
MAP_PX = 560
PAD_DEG = 0.3
SHARE_SOURCE = "同じ年度の地域運営組織 ÷ 拠点数"
NATIONAL = (("national_hubs", "hubs_total"), ("national_rmo", "rmo_in_hubs"),
            ("national_rmo_share_pct", "rmo_share_pct"))  # fmt: skip
OTHERS_NOTE = (
    "表示しているのは、プロファイルを読み込んだ{n}都道府県（{names}）です。ほかの都道府県は、その拠点一覧と"
    "プロファイルを読み込むと表示されます（`python -m etl profile new <都道府県コード>`）。"
)
NO_BOUNDARIES = (
    "境界データがないため棒グラフで表示しています。地図で表示するには "
    "`python -m etl boundaries --from FILE`（国土数値情報 行政区域データ N03）で境界を取り込んでください。"
)
PARTIAL_BOUNDARIES = (
    "{names}は境界データがないため地図にありません（値は表にあります）。"
    "`python -m etl boundaries --from FILE` で境界を取り込むと表示されます。"
)
NO_FIGURES = "読み込んだ都道府県には、まだ拠点数の実績がありません（データなし）。"
SCOPE_NOTE = (
    "各都道府県の最新の実績（公表値を優先し、なければ拠点一覧から数えた値）です。"
    "サイドバーの都道府県・年度・振興局の選択はこの画面の値を変えません。"
)
SOURCE = (
    "出典: 各都道府県の最新の実績（公表値を優先し、なければ拠点一覧から集計。各行の出典と時点は表に記載）、"
    "市町村数は市町村表（総務省 全国地方公共団体コード）"
)
DEFINITIONS = (
    "1市町村あたりの拠点数: 最新の拠点数 ÷ その都道府県の市町村数。組織のある拠点の割合: 地域運営組織の"
    "有無が分かる拠点に対する割合（年度は表に記載）。前回からの増減: 最新の拠点数と、その前の実績の年度との差"
)
# Table headers of this page's columns (the others come from dashboard.columns).
HEADERS = {
    "pref_code": "都道府県コード",
    "pref_name": "都道府県",
    "as_of": "時点",
    "basis": "根拠",
    "change": "前回からの増減（拠点）",
    "hubs_per_municipality": "1市町村あたりの拠点数（拠点）",
    "source": "出典",
}


@dataclass(frozen=True)
class NationalView:
    national_cards: list[Card]  # the nation's published totals (catalogue national_*)
    national_caption: str  # their years and sources
    others_note: str  # markdown: which prefectures are shown and how others appear
    scope_note: str
    has_map: bool
    figure: go.Figure  # the choropleth map, or horizontal bars without boundaries
    map_note: str  # markdown: how to get boundaries (bar chart, or prefectures left off the map)
    figure_caption: str
    comparison_figure: go.Figure  # hubs per municipality, RMO share and change, side by side
    comparison_caption: str
    table: pd.DataFrame  # behind the map or bars
    comparison_table: pd.DataFrame
    is_empty: bool  # no prefecture has any actual figure
    message: str  # what the empty state says


def boundary_stamps(boundaries_dir: Path, pref_codes: list[str]) -> tuple[float, ...]:
    """The boundary files' mtimes (0 when absent), a cache key part: new files show at once."""
    paths = (Path(boundaries_dir) / f"{code}.geojson" for code in pref_codes)
    return tuple(p.stat().st_mtime if p.exists() else 0.0 for p in paths)


def prefecture_shapes(boundaries_dir: Path, pref_codes: list[str]) -> gpd.GeoDataFrame | None:
    """One simplified outline per prefecture that has boundaries (EPSG:4326), else None."""
    parts = []
    for code in pref_codes:
        municipalities = load_boundaries(boundaries_dir, code)
        if municipalities is None or municipalities.empty:
            continue
        projected = municipalities.to_crs(local_utm(municipalities))
        outline = projected.union_all().simplify(SIMPLIFY_M)
        shape = gpd.GeoDataFrame({"pref_code": [code]}, geometry=[outline], crs=projected.crs)
        parts.append(shape.to_crs(WEB_CRS))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=WEB_CRS) if parts else None


def _change_text(row: pd.Series) -> str:
    if is_missing(row["change"]) or is_missing(row["previous_fy"]):
        return NO_DATA
    partial = "、不明を除く" if bool(row["change_partial"]) else ""
    return f"{float(row['change']):+,.0f}拠点（{fy_short(row['previous_fy'])}比{partial}）"


def _hover(row: pd.Series) -> str:
    """Every figure of one prefecture (names escaped: data text is never markup)."""
    hubs = count_text(row["hubs"], "拠点")
    if not is_missing(row["hubs"]):
        as_of = row["as_of"] if not is_missing(row["as_of"]) else "時点不明"
        hubs += f"（{fy_label(row['hubs_fy'])}・{html.escape(str(as_of))}）"
    per = NO_DATA
    if not is_missing(row["hubs_per_municipality"]):
        per = f"{row['hubs_per_municipality']:.2f}拠点（{int(row['municipalities'])}市町村）"
    share = share_text(row["rmo_share_pct"], row["rmo_unknown"])
    if not is_missing(row["rmo_share_pct"]):
        share += f"（{fy_label(row['rmo_share_fy'])}）"
    return "<br>".join([f"<b>{html.escape(str(row['pref_name']))}</b>", f"拠点数: {hubs}",
                        f"前回からの増減: {_change_text(row)}", f"1市町村あたり: {per}",
                        f"組織のある拠点の割合: {share}"])  # fmt: skip


def _layout(fig: go.Figure, height: int, **margin: int) -> go.Figure:
    fig.update_layout(height=height, font={"family": charts.FONT, "size": 14}, separators=".,",
                      margin={"l": 10, "r": 20, "t": 40, "b": 40, **margin}, hoverlabel={"align": "left"})  # fmt: skip
    return fig


def plot_hubs_map(values: pd.DataFrame, shapes: gpd.GeoDataFrame, map_style: str) -> go.Figure:
    """Prefectures coloured by hubs; a prefecture without a hub figure is grey (データなし)."""
    gdf = shapes.merge(values, on="pref_code", how="inner")
    known, unknown = gdf[gdf["hubs"].notna()], gdf[gdf["hubs"].isna()]
    common = {
        "hoverinfo": "text",
        "marker": {"opacity": 0.9, "line": {"color": "#555555", "width": 0.8}},
    }
    fig = go.Figure()
    if len(unknown):
        fig.add_trace(go.Choroplethmap(
            geojson=feature_collection(unknown, "pref_code"), locations=unknown["pref_code"],
            z=[1] * len(unknown), colorscale=[[0, GREY_FILL], [1, GREY_FILL]], showscale=False,
            name=NO_DATA, showlegend=True, hovertext=unknown["hover"], **common,
        ))  # fmt: skip
    if len(known):
        fig.add_trace(go.Choroplethmap(
            geojson=feature_collection(known, "pref_code"), locations=known["pref_code"], z=known["hubs"],
            zmin=0, zmax=float(known["hubs"].max()), colorscale=HUBS_SCALE, name="拠点数", showlegend=False,
            colorbar={"title": {"text": "拠点数（拠点）"}}, hovertext=known["hover"], **common,
        ))  # fmt: skip
    minx, miny, maxx, maxy = gdf.total_bounds  # padded: the colour bar takes the right edge
    view = map_view((minx - PAD_DEG, miny - PAD_DEG, maxx + PAD_DEG, maxy + PAD_DEG), 700, MAP_PX)
    fig.update_layout(
        map={"style": map_style, **view}, legend={"x": 0.01, "y": 0.99}, uirevision="national"
    )
    return _layout(fig, MAP_PX, l=0, r=0, t=0, b=0)


def _bars(fig: go.Figure, values: pd.DataFrame, column: str, texts: list[str], col: int = 1,
          position: str = "auto") -> list[dict]:  # fmt: skip
    """Horizontal bars of one figure; an unknown value gets no bar, only the word データなし
    (returned as annotations, which the caller adds at once: plotly re-validates every
    annotation on each `add_annotation`, quadratic in the number of prefectures)."""
    fig.add_trace(go.Bar(x=values[column], y=values["pref_name"], orientation="h", text=texts,
                         textposition=position, cliponaxis=False, hovertext=values["hover"], hoverinfo="text",
                         marker_color=charts.BLUE, showlegend=False), row=1, col=col)  # fmt: skip
    axes = fig.get_subplot(1, col)
    refs = {"xref": axes.xaxis.plotly_name.replace("axis", ""),
            "yref": axes.yaxis.plotly_name.replace("axis", "")}  # fmt: skip
    return [{"x": 0, "y": name, "text": NO_DATA, "showarrow": False, "xanchor": "left",
             "font": {"color": charts.GREY}, **refs}
            for name in values.loc[values[column].isna(), "pref_name"]]  # fmt: skip


def _add_annotations(fig: go.Figure, annotations: list[dict]) -> None:
    fig.update_layout(annotations=[*fig.layout.annotations, *annotations])


def _height(values: pd.DataFrame) -> int:
    return 140 + 36 * len(values)


def plot_hubs_bars(values: pd.DataFrame) -> go.Figure:
    """The fallback without boundaries: hubs per prefecture as horizontal bars."""
    fig = make_subplots(rows=1, cols=1)
    _add_annotations(
        fig, _bars(fig, values, "hubs", [count_text(v, "拠点") for v in values["hubs"]])
    )
    fig.update_xaxes(title_text="小さな拠点数（拠点）", rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, _height(values))


def _room_for_labels(values: pd.Series) -> list[float]:
    """An axis range with room beside the bars for their labels (「+4拠点（R5 (2023)比）」)."""
    low, high = min(0.0, *values.dropna()), max(0.0, *values.dropna())
    span = max(high - low, 1.0)
    return [low - 1.5 * span if low < 0 else 0.0, high + 1.5 * span if high > 0 else 0.5 * span]


def plot_comparison(values: pd.DataFrame) -> go.Figure:
    """Hubs per municipality, RMO share and change since the previous survey, side by side."""
    titles = ("1市町村あたりの拠点数", "組織のある拠点の割合（%）", "前回からの増減（拠点）")
    fig = make_subplots(
        rows=1, cols=3, shared_yaxes=True, subplot_titles=titles, horizontal_spacing=0.06
    )
    per = [NO_DATA if is_missing(v) else f"{v:.2f}" for v in values["hubs_per_municipality"]]
    shares = zip(values["rmo_share_pct"], values["rmo_unknown"], strict=True)
    _add_annotations(fig, [
        *_bars(fig, values, "hubs_per_municipality", per, 1),
        *_bars(fig, values, "rmo_share_pct", [share_text(v, u) for v, u in shares], 2),
        *_bars(fig, values, "change", [_change_text(row) for _, row in values.iterrows()], 3, "outside"),
    ])  # fmt: skip
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(rangemode="tozero")
    fig.update_xaxes(range=[0, 100], row=1, col=2)
    fig.update_xaxes(range=_room_for_labels(values["change"]), row=1, col=3)
    return _layout(fig, _height(values) + 40)


def _tables(values: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tables behind the map (or bars) and the comparison; NULL stays NULL (データなし)."""
    plain = pd.DataFrame({
        "pref_code": values["pref_code"].astype(str), "pref_name": values["pref_name"],
        "hubs": values["hubs"].astype("Int64"), "hubs_fy": values["hubs_fy"].astype("Int64"),
        "as_of": values["as_of"], "basis": values["basis"].map(charts.BASIS_LABEL), "source": values["source"],
        "municipalities": values["municipalities"].astype("Int64"),
        "hubs_per_municipality": values["hubs_per_municipality"].astype("Float64").round(2),
        "rmo_share_pct": values["rmo_share_pct"].astype("Float64").round(1),
        "rmo_unknown": values["rmo_unknown"].astype("Int64"), "rmo_share_fy": values["rmo_share_fy"].astype("Int64"),
        "change": values["change"].astype("Int64"), "previous_fy": values["previous_fy"].astype("Int64"),
    })  # fmt: skip
    place, hubs = ["pref_code", "pref_name"], ["hubs", "hubs_fy"]
    hubs_table = plain[[*place, *hubs, "as_of", "basis", "source"]]
    comparison = plain[[*place, *hubs, "municipalities", "hubs_per_municipality", "rmo_share_pct",
                        "rmo_unknown", "rmo_share_fy", "change", "previous_fy"]]  # fmt: skip
    years = {"hubs_fy": "拠点数の年度", "rmo_share_fy": "割合の年度", "previous_fy": "前回の年度"}
    out = []
    for table in (hubs_table, comparison):
        table = labelled(table.rename(columns=HEADERS), "")
        for column in [c for c in years if c in table.columns]:
            table = with_fy_columns(table, column, years[column])
        out.append(table.reset_index(drop=True))
    return out[0], out[1]


def _national(load: Loader) -> tuple[list[Card], str]:
    """The nation's published totals as cards, and a caption naming each one's year and source."""
    frame = load("kpi_actual", pref="00")
    cards = [
        Card(kpi_reading(frame, "00", metric, indicator, None)) for metric, indicator in NATIONAL
    ]
    parts = []
    for card in cards:
        if card.reading.value is not None:
            is_share = card.metric == "national_rmo_share_pct"
            origin = SHARE_SOURCE if is_share else f"出典: {card.reading.source}"
            parts.append(f"{card.definition.label} {fy_label(card.reading.year)}（{origin}）")
    return cards, "全国の公表値: " + (" ／ ".join(parts) if parts else NO_DATA)


def _map_note(values: pd.DataFrame, shapes: gpd.GeoDataFrame | None) -> str:
    """How to get boundaries: for the bar chart, or for the prefectures the map leaves out."""
    if shapes is None:
        return NO_BOUNDARIES
    missing = values.loc[~values["pref_code"].isin(shapes["pref_code"]), "pref_name"]
    return PARTIAL_BOUNDARIES.format(names=md_escape("・".join(missing))) if len(missing) else ""


def build_national(load: Loader, boundaries_dir: Path, map_style: str) -> NationalView:
    """Everything the 全国比較 page renders: national cards, the map (or bars) and the tables."""
    values = load("national_comparison")
    values["hover"] = [_hover(row) for _, row in values.iterrows()] if len(values) else []
    shapes = prefecture_shapes(boundaries_dir, list(values["pref_code"]))
    cards, national_caption = _national(load)
    source = f"{SOURCE} ／ {updated_text(load('build_info').iloc[0])}"
    codes = [] if shapes is None else shapes["pref_code"]
    credits = sorted({boundary_credit(boundaries_dir, code) for code in codes})
    table, comparison_table = _tables(values)
    return NationalView(
        national_cards=cards, national_caption=national_caption,
        others_note=OTHERS_NOTE.format(n=len(values), names=md_escape("・".join(values["pref_name"]))),
        scope_note=SCOPE_NOTE, has_map=shapes is not None,
        figure=plot_hubs_map(values, shapes, map_style) if shapes is not None else plot_hubs_bars(values),
        map_note=_map_note(values, shapes), figure_caption=" ／ ".join([source, *credits]),
        comparison_figure=plot_comparison(values), comparison_caption=f"{DEFINITIONS} ／ {source}",
        table=table, comparison_table=comparison_table,
        is_empty=bool(values["hubs"].isna().all()), message=NO_FIGURES,
    )  # fmt: skip
