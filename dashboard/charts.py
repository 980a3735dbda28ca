"""Plotly figure builders: pure functions from frames to figures, Japanese labels and units."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import count_with_unknown, fy_label, fy_short, is_missing
from dashboard.kpi import Target

# The デジタル庁 dashboard theme's blue ramp, using for meaning only the steps at 3:1 or more on
# white (#0017C1 11:1, #3460FB 5:1); the lighter steps fill areas behind text and marks. Others
# at 3:1 or more: the accent red (3.6:1) for targets and breaches, a dark orange for forecasts
# and advice, a dark grey for reference lines, teal for the selected bureaus.
BLUE, MID_BLUE, LIGHT_BLUE, PALE_BLUE, WASH = "#0017c1", "#3460fb", "#7096f8", "#c5d7fb", "#e8f1fe"
ACCENT = "#fe3939"
ORANGE = "#b35900"  # 4.8:1
GREY = "#626264"  # 6.1:1
TEAL = "#00796b"  # 5.3:1
PURPLE = "#6c3fb5"  # 7.0:1
FONT = "Noto Sans CJK JP, Noto Sans JP, sans-serif"
SELECTION = (
    TEAL  # the selected bureaus' series: its own colour and shape (not the forecast's purple)
)
INK = "#1a1a1c"  # text on charts: ticks, axis titles and legends at well over 4.5:1 on white
BASIS_LABEL = {"published": "公表値", "survey_list": "拠点一覧から集計"}


def _layout(figure: go.Figure, height: int = 420, **kwargs) -> go.Figure:
    figure.update_layout(
        height=height,
        font={"family": FONT, "size": 14, "color": INK},
        margin={"l": 50, "r": 20, "t": 40, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"font": {"family": FONT}},
        separators=".,",
        **kwargs,
    )
    # Explicit colours: the app's theme would otherwise draw ticks in a light grey (~3.8:1).
    figure.update_xaxes(tickfont={"color": INK}, title_font={"color": INK})
    figure.update_yaxes(tickfont={"color": INK}, title_font={"color": INK})
    return figure


def _year_axis(figure: go.Figure, years: list[int]) -> None:
    years = sorted(set(int(y) for y in years))
    step = 1 if len(years) <= 12 else 2
    ticks = years[::step]
    figure.update_xaxes(tickvals=ticks, ticktext=[fy_short(y) for y in ticks], title_text="年度")


def _as_of(value: object) -> str:
    return "時点不明" if is_missing(value) or value in ("", None) else f"{value}時点"


def plot_trajectory(actual: pd.DataFrame, target: Target | None, forecast: pd.DataFrame,
                    subset: pd.DataFrame | None = None, selected: tuple[int, int] | None = None,
                    unit: str = "拠点", pipeline: float | None = None) -> go.Figure:  # fmt: skip
    """Actual points (with as-of and basis), the straight target path, the trend forecast with
    its band, the target marker, and the hubs of the selected bureaus when a subset is given.
    Without a target (none set in the profile) there is no path, marker or forecast to it."""
    figure = go.Figure()
    if selected and selected[0] is not None:
        figure.add_vrect(x0=selected[0] - 0.5, x1=selected[1] + 0.5, fillcolor=WASH, line_width=0,
                         layer="below", annotation_text="選択した年度", annotation_position="top left")  # fmt: skip
    if target is not None:
        path = target.path()
        figure.add_trace(go.Scatter(
            x=path["fiscal_year"], y=path["value"], mode="lines", name="目標経路（直線）",
            line={"color": GREY, "dash": "dash"},
            hovertemplate="目標経路 %{x}年度: %{y:.1f}" + unit + "<extra></extra>",
        ))  # fmt: skip
    if not forecast.empty and forecast["low"].notna().any():
        figure.add_trace(go.Scatter(
            x=list(forecast["fiscal_year"]) + list(forecast["fiscal_year"][::-1]),
            y=list(forecast["high"]) + list(forecast["low"][::-1]), fill="toself", mode="lines",
            line={"width": 0}, fillcolor="rgba(179,89,0,0.15)", name="予測の80%区間", hoverinfo="skip",
        ))  # fmt: skip
    if not forecast.empty:
        figure.add_trace(go.Scatter(
            x=forecast["fiscal_year"], y=forecast["value"], mode="lines", name="トレンド予測",
            line={"color": ORANGE, "dash": "dot"},
            hovertemplate="予測 %{x}年度: %{y:.1f}" + unit + "<extra></extra>",
        ))  # fmt: skip
    # Survey-list counts first, published figures on top (they often coincide).
    for basis, color, symbol, size in (
        ("survey_list", MID_BLUE, "diamond", 9),
        ("published", BLUE, "circle-open", 16),
    ):
        rows = actual[actual["basis"] == basis]
        if rows.empty:
            continue
        hover = [
            f"{fy_label(r.fiscal_year)}<br>{int(r.value)}{unit}（{_as_of(r.as_of)}）<br>{html.escape(str(r.source))}"
            for r in rows.itertuples()
        ]
        figure.add_trace(go.Scatter(
            x=rows["fiscal_year"], y=rows["value"], mode="lines+markers", name=f"実績（{BASIS_LABEL[basis]}）",
            marker={"size": size, "color": color, "symbol": symbol, "line": {"width": 3, "color": color}},
            line={"color": color, "width": 1 if basis == "survey_list" else 2},
            text=hover, hovertemplate="%{text}<extra></extra>",
        ))  # fmt: skip
    if subset is not None and not subset.empty:
        figure.add_trace(go.Scatter(
            x=subset["fiscal_year"], y=subset["hubs"], mode="lines+markers", name="選択した地域（拠点一覧）",
            marker={"size": 9, "color": SELECTION, "symbol": "square"}, line={"color": SELECTION},
            hovertemplate="選択した地域 %{x}年度: %{y}" + unit + "<extra></extra>",
        ))  # fmt: skip
    if pipeline is not None and target is not None:
        figure.add_trace(go.Scatter(
            x=[target.target_year], y=[pipeline], mode="markers", name="パイプライン予測",
            marker={"symbol": "diamond", "size": 14, "color": PURPLE},
            hovertemplate=f"パイプライン予測 {fy_label(target.target_year)}: %{{y:.1f}}{unit}<extra></extra>",
        ))  # fmt: skip
    ends = [int(y) for y in actual["fiscal_year"]]
    if target is not None:
        figure.add_trace(go.Scatter(
            x=[target.target_year], y=[target.target_value], mode="markers+text", name="目標",
            marker={"symbol": "star", "size": 18, "color": ACCENT}, text=[f"目標 {target.target_value}{unit}"],
            textposition="bottom left", hovertemplate=f"目標 {fy_label(target.target_year)}: %{{y}}{unit}<extra></extra>",
        ))  # fmt: skip
        ends += [target.base_year, target.target_year]
    ends += [int(y) for y in forecast["fiscal_year"]]
    years = list(range(min(ends), max(ends) + 1)) if ends else []
    _year_axis(figure, years)
    figure.update_yaxes(title_text=f"小さな拠点数（{unit}）", rangemode="tozero")
    return _layout(figure, height=460)


def plot_national_index(index: pd.DataFrame, base_year: int, pref_name: str) -> go.Figure:
    """The prefecture's and the nation's hub counts indexed to 100 in the base year."""
    figure = go.Figure()
    for series, color, name in (("県", BLUE, pref_name), ("全国", GREY, "全国")):
        rows = index[index["series"] == series]
        figure.add_trace(go.Scatter(
            x=rows["fiscal_year"], y=rows["index"], mode="lines+markers", name=name,
            marker={"size": 9, "color": color}, line={"color": color},
            customdata=rows["value"], hovertemplate=name + " %{x}年度: 指数 %{y:.1f}（%{customdata:,}拠点）<extra></extra>",
        ))  # fmt: skip
    figure.add_hline(y=100, line={"color": "#ccd3db", "width": 1})
    _year_axis(figure, list(index["fiscal_year"]))
    figure.update_yaxes(title_text=f"指数（{base_year}年度=100）")
    return _layout(figure, height=340)


def plot_bureau_bars(
    frame: pd.DataFrame, selected: tuple[str, ...], bureau_label: str
) -> go.Figure:
    """Hubs and hubs with an RMO per bureau; the selected bureaus stand out, the rest are faded."""
    opacity = [1.0 if not selected or b in selected else 0.3 for b in frame["bureau"]]
    figure = go.Figure()
    figure.add_trace(go.Bar(
        x=frame["bureau"], y=frame["hubs"], name="小さな拠点", marker={"color": BLUE, "opacity": opacity},
        hovertemplate="%{x}: %{y}拠点<extra></extra>", text=frame["hubs"], textposition="outside",
    ))  # fmt: skip
    rmo = frame["hubs_with_rmo"]
    figure.add_trace(go.Bar(
        x=frame["bureau"], y=rmo.fillna(0), name="うち地域運営組織あり",
        marker={"color": MID_BLUE, "opacity": opacity,
                "pattern": {"shape": "/", "fgcolor": "#ffffff", "fillmode": "overlay"}},  # hatch over the colour
        text=[count_with_unknown(v, u) for v, u in zip(rmo, frame["rmo_unknown"], strict=True)],
        textposition="outside",
        hovertemplate="%{x}: %{text}<extra></extra>",
    ))  # fmt: skip
    figure.update_xaxes(title_text=bureau_label)
    figure.update_yaxes(title_text="拠点数（拠点）", rangemode="tozero")
    return _layout(figure, height=380, barmode="group")


def plot_counts(frame: pd.DataFrame, label_column: str, value_column: str, axis_title: str,
                unit: str) -> go.Figure:  # fmt: skip
    """A horizontal bar chart of counts (e.g. RMO legal forms)."""
    figure = go.Figure(go.Bar(
        y=frame[label_column], x=frame[value_column], orientation="h", marker={"color": BLUE},
        text=frame[value_column], textposition="outside", hovertemplate="%{y}: %{x}" + unit + "<extra></extra>",
    ))  # fmt: skip
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title_text=axis_title, rangemode="tozero")
    return _layout(figure, height=max(220, 60 + 40 * len(frame)), showlegend=False)


def plot_service_heatmap(
    matrix: pd.DataFrame,
    bureau_label: str,
    zero_label: str = "提供なし",
    no_hubs: set[str] = frozenset(),
) -> go.Figure:
    """Bureau × service: how many hubs offer each service. An empty cell of a bureau with hubs is
    a gap (提供なし); a bureau without any hub reads 拠点なし and stays blank, not a gap."""
    values = matrix.astype(float)
    text = [
        ["拠点なし" if bureau in no_hubs else zero_label if v == 0 else f"{int(v)}" for v in row]
        for bureau, row in zip(matrix.index, matrix.to_numpy(), strict=True)
    ]
    values.loc[[b for b in matrix.index if b in no_hubs]] = float(
        "nan"
    )  # no colour: nothing to count
    figure = go.Figure(go.Heatmap(
        z=values.to_numpy(), x=list(matrix.columns), y=list(matrix.index), text=text, texttemplate="%{text}",
        colorscale=[[0, "#fdeeee"], [0.0001, PALE_BLUE], [1, BLUE]], colorbar={"title": {"text": "拠点数"}},
        hovertemplate="%{y} × %{x}: %{text}<extra></extra>", xgap=2, ygap=2,
    ))  # fmt: skip
    figure.update_yaxes(title_text=bureau_label, autorange="reversed")
    figure.update_xaxes(title_text="提供サービス", side="top")
    return _layout(figure, height=max(260, 80 + 44 * len(matrix)))


def plot_pipeline_timeline(districts: pd.DataFrame, findings: pd.DataFrame) -> go.Figure:
    """One row per district: 計画策定 and 拠点づくり事業 years, withdrawals, the year its hub first
    appears in a survey list, and the years with rule findings."""
    labels = [f"{html.escape(str(r.municipality_name))} {html.escape(str(r.district_name))}"
              for r in districts.itertuples()]  # fmt: skip
    figure = go.Figure()

    def points(column: str, name: str, colour: str, symbol: str, size: int = 14) -> None:
        xs, ys, texts = [], [], []
        for label, row in zip(labels, districts.itertuples(), strict=True):
            for year in getattr(row, column):
                xs.append(year)
                ys.append(label)
                texts.append(f"{label}<br>{fy_label(year)}: {name}")
        figure.add_trace(go.Scatter(x=xs, y=ys, mode="markers", name=name, text=texts, hovertemplate="%{text}<extra></extra>",
                                    marker={"symbol": symbol, "size": size, "color": colour, "line": {"width": 1, "color": "white"}}))  # fmt: skip

    # Shape as well as colour tells the stages apart (never colour alone): planning a triangle.
    points("plan_fys", "計画策定事業", MID_BLUE, "triangle-up")
    points("project_fys", "拠点づくり事業", BLUE, "square")
    points("withdrawn_fys", "取下げ", GREY, "x-thin-open", 12)
    formed = districts.assign(label=labels)[districts["first_listed_fy"].notna()]
    if len(formed):
        figure.add_trace(go.Scatter(
            x=formed["first_listed_fy"], y=formed["label"], mode="markers", name="拠点一覧に掲載（拠点形成）",
            marker={"symbol": "star", "size": 17, "color": TEAL},
            text=[f"{label}<br>{fy_label(int(y))}の拠点一覧に掲載: {html.escape(str(h))}"
                  for label, y, h in zip(formed["label"], formed["first_listed_fy"], formed["hub_name"], strict=True)],
            hovertemplate="%{text}<extra></extra>",
        ))  # fmt: skip
    label_of = dict(
        zip(
            zip(districts["municipality_code"], districts["district_key"], strict=True),
            labels,
            strict=True,
        )
    )
    # A breach is a ring, advice a square frame: told apart by shape, not only by colour.
    for severity, colour, name, symbol in (("error", ACCENT, "規則違反", "circle-open"),
                                           ("advice", ORANGE, "助言", "square-open")):  # fmt: skip
        rows = findings[findings["severity"] == severity]
        rows = rows[
            [
                (c, k) in label_of
                for c, k in zip(rows["municipality_code"], rows["district_key"], strict=True)
            ]
        ]
        if rows.empty:
            continue
        figure.add_trace(go.Scatter(
            x=rows["fiscal_year"], y=[label_of[(c, k)] for c, k in zip(rows["municipality_code"], rows["district_key"], strict=True)],
            mode="markers", name=name, marker={"symbol": symbol, "size": 24, "color": colour, "line": {"width": 2}},
            text=[f"{r.rule_id}（{fy_label(r.fiscal_year)}）: {html.escape(str(r.message))}" for r in rows.itertuples()],
            hovertemplate="%{text}<extra></extra>",
        ))  # fmt: skip
    years = [
        y
        for column in ("plan_fys", "project_fys", "withdrawn_fys")
        for ys in districts[column]
        for y in ys
    ]
    years += [int(y) for y in districts["first_listed_fy"].dropna()]
    _year_axis(figure, years or [2020])
    figure.update_yaxes(categoryorder="array", categoryarray=labels[::-1], title_text=None)
    return _layout(figure, height=max(320, 110 + 30 * len(districts)))


def plot_cooperatives(frame: pd.DataFrame) -> go.Figure:
    """Members and dispatched workers of each 特定地域づくり事業協同組合 by fiscal year."""
    from plotly.subplots import make_subplots

    figure = make_subplots(
        rows=1, cols=2, subplot_titles=("組合員数（者）", "派遣人員（人）"), horizontal_spacing=0.1
    )
    palette = [BLUE, TEAL, ORANGE, PURPLE, ACCENT]
    for index, (name, rows) in enumerate(frame.groupby("cooperative_name", sort=True)):
        colour = palette[index % len(palette)]
        label = html.escape(str(name))
        for column, col in (("members", 1), ("dispatched_workers", 2)):
            figure.add_trace(go.Scatter(
                x=rows["fiscal_year"], y=rows[column], mode="lines+markers", name=label, legendgroup=label,
                showlegend=col == 1, marker={"color": colour, "size": 9}, line={"color": colour},
                hovertemplate=label + " %{x}年度: %{y}<extra></extra>",
            ), row=1, col=col)  # fmt: skip
    years = sorted(set(int(y) for y in frame["fiscal_year"]))
    figure.update_xaxes(tickvals=years, ticktext=[fy_short(y) for y in years])
    figure.update_yaxes(rangemode="tozero")
    _layout(figure, height=380)
    figure.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0}, margin={"t": 40, "b": 80}
    )
    return figure


SUMMARY_POINTS = 6  # a time series with more points is summarised by its first and last


def _tick_labels(figure: go.Figure) -> dict[object, str]:
    """What the x axis shows for each tick value (read once: plotly properties are slow)."""
    axis = figure.layout.xaxis
    values, texts = axis.tickvals, axis.ticktext
    if values is None or texts is None:
        return {}
    return dict(zip(list(values), [str(t) for t in texts], strict=False))


def _tick_text(labels: dict[object, str], value: object) -> str:
    """The label the x axis shows for a value (fiscal years read as R6 (2024)), else the value."""
    if value in labels:
        return labels[value]
    if isinstance(value, int | float) and float(value).is_integer() and 1900 < value < 2200:
        return fy_short(int(value))
    return str(value)


def _number(value: object) -> str:
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"


def _is_number(value: object) -> bool:
    if is_missing(value) or isinstance(value, bool | str):
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def describe(figure: go.Figure, unit: str = "") -> str:
    """A text summary of a bar or line chart for people who cannot see it: each named series
    with its values (first and last only when there are many). Bands and unnamed traces are
    left out; a horizontal bar reads category then value."""
    parts, ticks = [], _tick_labels(figure)
    for trace in figure.data:
        name = getattr(trace, "name", None)
        if (
            not name
            or getattr(trace, "fill", None) == "toself"
            or trace.type not in ("scatter", "bar")
        ):
            continue
        horizontal = getattr(trace, "orientation", None) == "h"
        xs = list(trace.y if horizontal else trace.x)
        ys = list(trace.x if horizontal else trace.y)
        pairs = [(x, y) for x, y in zip(xs, ys, strict=False) if _is_number(y)]
        if not pairs:
            continue
        if len(pairs) > SUMMARY_POINTS and all(_is_number(x) for x, _ in pairs):  # a long series
            pairs = [pairs[0], pairs[-1]]
            joiner = " → "
        else:
            joiner = "、"
        label = (lambda x: str(x)) if horizontal else (lambda x: _tick_text(ticks, x))
        values = joiner.join(f"{label(x)} {_number(y)}{unit}" for x, y in pairs)
        parts.append(f"{name}: {values}")
    return "。".join(parts) + ("。" if parts else "")
