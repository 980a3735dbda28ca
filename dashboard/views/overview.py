"""概要 (KPI overview): headline cards, the status grade, the trajectory and national context."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts, kpi
from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import (
    NO_DATA,
    count_with_unknown,
    fy_label,
    fy_range_label,
    money_text,
    pct_text,
    share_note,
    share_text,
    unknown_note,
    with_fy_columns,
)
from dashboard.views import Loader
from dashboard.views.pipeline import forecast_for


@dataclass(frozen=True)
class Figure:
    """A card's number for files: the number itself and a spreadsheet format that shows it as
    the card does (Excel keeps a number, never the text 「59 / 60拠点」 or 「'+4拠点」)."""

    number: float
    excel_format: str

    @classmethod
    def count(cls, number: float, suffix: str, digits: int = 0) -> Figure:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return cls(float(number), f'{pattern}"{suffix}"')

    @classmethod
    def change(cls, number: float, suffix: str, digits: int = 0) -> Figure:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return cls(float(number), f'+{pattern}"{suffix}";-{pattern}"{suffix}";{pattern}"{suffix}"')


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    delta: str | None = None
    help: str | None = None
    metric: str = ""  # what the card shows, for the exports (never found by its label)
    figure: Figure | None = None  # the value as a number, when there is one
    delta_figure: Figure | None = None


@dataclass
class Overview:
    cards: list[Card]
    grade: kpi.Grade
    target: kpi.Target
    trajectory: go.Figure
    trajectory_table: pd.DataFrame
    trajectory_caption: str
    national: go.Figure | None
    national_table: pd.DataFrame
    national_caption: str
    outlook: str = ""
    pipeline_text: str = ""
    errors: int | None = None  # rule findings in the selected scope; None without grant data
    advice: int | None = None
    notes: list[str] = field(default_factory=list)


def _target(profiles: pd.DataFrame, option: ProfileOption) -> kpi.Target:
    row = profiles[profiles["profile_key"] == option.key].iloc[0]
    return kpi.Target(
        int(row.base_year), int(row.base_value), int(row.target_year), int(row.target_value)
    )


def _delta(series: pd.DataFrame, unit: str) -> tuple[str | None, Figure | None]:
    """The change against the year before (text and number); a count that leaves out unknown
    rows says so."""
    if len(series) < 2:
        return None, None
    last, previous = series.iloc[-1], series.iloc[-2]
    change = int(last["value"]) - int(previous["value"])
    partial = "、不明を除く" if last["unknown_rows"] or previous["unknown_rows"] else ""
    suffix = f"{unit}（R{int(previous['fiscal_year']) - 2018}比{partial}）"
    return f"{change:+d}{suffix}", Figure.change(change, suffix)


def _source_line(row: pd.Series | None) -> str | None:
    if row is None:
        return None
    as_of = row["as_of"] if isinstance(row["as_of"], str) and row["as_of"] else "時点不明"
    return f"{fy_label(int(row['fiscal_year']))}・{as_of}・{row['source']}"


def _as_of(series: pd.DataFrame, to_fy: int | None) -> pd.DataFrame:
    """A stock figure is as of the latest survey at or before the end of the selected period."""
    return series if to_fy is None else series[series["fiscal_year"] <= to_fy]


def _prefecture_cards(kpi_frame, option, target, to_fy) -> tuple[list[Card], pd.DataFrame]:
    hubs = _as_of(kpi.actual_series(kpi_frame, option.pref_code, "hubs_total"), to_fy)
    rmo = _as_of(kpi.actual_series(kpi_frame, option.pref_code, "rmo_in_hubs"), to_fy)
    latest_hubs = hubs.iloc[-1] if len(hubs) else None
    latest_rmo = rmo.iloc[-1] if len(rmo) else None
    hubs_text = (
        NO_DATA
        if latest_hubs is None
        else f"{int(latest_hubs['value'])} / {target.target_value}拠点"
    )
    share = NO_DATA
    shares = _as_of(kpi.rmo_share(kpi_frame, option.pref_code), to_fy)
    if latest_hubs is not None and len(shares) and shares.iloc[-1]["fiscal_year"] == latest_hubs["fiscal_year"]:  # fmt: skip
        share = share_text(shares.iloc[-1]["share"], shares.iloc[-1]["unknown_rows"])
    rule = (
        "最新年度の地域運営組織数 ÷ 拠点数（同じ年度の値がなければデータなし）。"
        "地域運営組織の有無が不明な拠点があれば、有無の分かる拠点数で割り、不明の数を併記します"
    )
    rmo_text = (
        NO_DATA
        if latest_rmo is None
        else count_with_unknown(latest_rmo["value"], latest_rmo["unknown_rows"], "組織")
    )
    hubs_delta, hubs_change = _delta(hubs, "拠点")
    rmo_delta, rmo_change = _delta(rmo, "組織")
    hubs_figure = rmo_figure = share_figure = None
    if latest_hubs is not None:
        hubs_figure = Figure.count(latest_hubs["value"], f" / {target.target_value}拠点")
    if latest_rmo is not None and not pd.isna(latest_rmo["value"]):
        rmo_figure = Figure.count(
            latest_rmo["value"], "組織" + unknown_note(latest_rmo["unknown_rows"])
        )
    if share != NO_DATA:
        last = shares.iloc[-1]
        share_figure = Figure.count(last["share"], "%" + share_note(last["unknown_rows"]), 1)
    return [
        Card("拠点数 / 目標", hubs_text, hubs_delta, _source_line(latest_hubs), "hubs_vs_target",
             hubs_figure, hubs_change),
        Card("地域運営組織", rmo_text, rmo_delta, _source_line(latest_rmo), "rmo_in_hubs", rmo_figure,
             rmo_change),
        Card("組織のある拠点の割合", share, None, rule, "rmo_share", share_figure),
    ], hubs  # fmt: skip


def _subset_cards(subset: pd.DataFrame, option: ProfileOption, filters: Filters) -> list[Card]:
    subset = _as_of(subset, filters.to_fy)
    if subset.empty:
        return [Card("選択地域の拠点数", NO_DATA, None, "拠点一覧がありません", "subset_hubs")]
    latest = subset.iloc[-1]
    share = NO_DATA
    known = latest["hubs"] - latest["rmo_unknown"]  # hubs whose RMO status is known
    if not pd.isna(latest["hubs_with_rmo"]) and known > 0:
        share = share_text(100 * latest["hubs_with_rmo"] / known, latest["rmo_unknown"])
    where = "・".join(filters.bureaus)
    year = fy_label(int(latest["fiscal_year"]))
    helptext = f"{where}の拠点一覧（{year}、{latest['as_of']}時点）から集計"
    rmo_figure = share_figure = None
    if not pd.isna(latest["hubs_with_rmo"]):
        rmo_figure = Figure.count(
            latest["hubs_with_rmo"], "組織" + unknown_note(latest["rmo_unknown"])
        )
    if share != NO_DATA:
        ratio = 100 * latest["hubs_with_rmo"] / known
        share_figure = Figure.count(ratio, "%" + share_note(latest["rmo_unknown"]), 1)
    return [
        Card("選択地域の拠点数", f"{int(latest['hubs'])}拠点", None, helptext, "subset_hubs",
             Figure.count(latest["hubs"], "拠点")),
        Card("選択地域の地域運営組織",
             count_with_unknown(latest["hubs_with_rmo"], latest["rmo_unknown"], "組織"),
             None, helptext, "subset_rmo", rmo_figure),
        Card("選択地域の組織のある割合", share, None, helptext, "subset_rmo_share", share_figure),
    ]  # fmt: skip


def _spend_card(spend: pd.DataFrame, filters: Filters) -> Card:
    """A flow: the grants of the selected period, summed; the label states the period."""
    row = spend.iloc[0]
    period = fy_range_label(filters.from_fy, filters.to_fy)
    label = f"補助金額（{period}{'' if filters.from_fy == filters.to_fy else 'の累計'}）"
    if int(row["records_in_prefecture"]) == 0:
        note = "この都道府県の補助金データはまだ取り込まれていません"
        return Card(label, NO_DATA, None, note, "grant_spend")
    unknown = int(row["unknown_amounts"])
    note = "取下げを除く" + (f"。金額未定の{unknown}件は含まない" if unknown else "")
    yen = float(row["grant_yen"]) if int(row["records"]) else 0.0
    figure = Figure.count(round(yen / 1000), "千円")
    return Card(label, money_text(yen), None, note, "grant_spend", figure)


def _trajectory_table(
    actual: pd.DataFrame, forecast: pd.DataFrame, target: kpi.Target
) -> pd.DataFrame:
    rows = [{"fiscal_year": int(r.fiscal_year), "区分": f"実績（{charts.BASIS_LABEL[r.basis]}）", "拠点数": int(r.value),
             "時点": r.as_of if isinstance(r.as_of, str) else None, "出典": r.source} for r in actual.itertuples()]  # fmt: skip
    rows += [{"fiscal_year": int(r.fiscal_year), "区分": "目標経路", "拠点数": round(r.value, 1), "時点": None, "出典": None}
             for r in target.path().itertuples()]  # fmt: skip
    rows += [{"fiscal_year": int(r.fiscal_year), "区分": "トレンド予測", "拠点数": round(r.value, 1), "時点": None,
              "出典": "最小二乗法による直線"} for r in forecast.itertuples()]  # fmt: skip
    frame = pd.DataFrame(rows).sort_values(["fiscal_year", "区分"], kind="stable")
    return with_fy_columns(frame)


def build_overview(load: Loader, filters: Filters, option: ProfileOption) -> Overview:
    target = _target(load("profiles"), option)
    kpi_frame = load("kpi_series", pref=option.pref_code)
    cards, hubs = _prefecture_cards(kpi_frame, option, target, filters.to_fy)
    subset = None
    if filters.bureaus:
        subset = load("hubs_by_year", pref=option.pref_code, bureaus=filters.bureaus)
        cards = cards[:1] + _subset_cards(subset, option, filters)
    if filters.from_fy is not None:
        spend = load("grant_spend", pref=option.pref_code, from_fy=filters.from_fy, to_fy=filters.to_fy,
                     bureaus=filters.bureaus)  # fmt: skip
        cards.append(_spend_card(spend, filters))
    grade = kpi.grade(hubs, target)
    note = kpi.age_note(grade.year, kpi.current_fiscal_year())
    grade = replace(grade, explanation=grade.explanation + note) if note else grade
    forecast = kpi.trend_forecast(hubs, target.target_year)
    pipeline = forecast_for(load, option)
    actual_points = kpi_frame[(kpi_frame["pref_code"] == option.pref_code) & (kpi_frame["indicator"] == "hubs_total")
                              & (kpi_frame["kind"] == "actual") & kpi_frame["value"].notna()]  # fmt: skip
    figure = charts.plot_trajectory(actual_points, target, forecast, subset, (filters.from_fy, filters.to_fy),
                                    pipeline=pipeline.forecast)  # fmt: skip

    caption = (f"出典: {', '.join(sorted(set(actual_points['source'])))}。目標: "
               f"{fy_label(target.base_year)} {target.base_value}拠点 → {fy_label(target.target_year)} {target.target_value}拠点。")  # fmt: skip
    index, base_year = kpi.national_index(kpi_frame, option.pref_code)
    national, national_caption = None, "全国の拠点数と同じ年度の県の値がないため、比較できません。"
    national_table = pd.DataFrame()
    if base_year is not None:
        national = charts.plot_national_index(index, base_year, option.pref_name)
        growth_own = kpi.annual_growth(hubs)
        growth_nation = kpi.annual_growth(kpi.actual_series(kpi_frame, "00", "hubs_total"))
        national_caption = (f"各系列を{fy_label(base_year)}=100 とした指数。年平均の増加率: {option.pref_name} "
                            f"{pct_text(growth_own)}、全国 {pct_text(growth_nation)}。出典: 内閣府「小さな拠点の形成に関する実態調査」ほか。")  # fmt: skip
        national_table = with_fy_columns(
            index.rename(columns={"series": "系列", "index": "指数", "value": "拠点数"})
        )
        national_table["系列"] = national_table["系列"].replace({"県": option.pref_name})
    view = Overview(cards, grade, target, figure, _trajectory_table(actual_points, forecast, target), caption,
                    national, national_table, national_caption,
                    kpi.outlook_text(hubs, forecast, target, kpi.current_fiscal_year()))  # fmt: skip
    view.pipeline_text = (
        pipeline.summary() if pipeline.cohort or pipeline.latest_value is not None else ""
    )
    if (
        filters.from_fy is not None
        and not load("grants_history", pref=option.pref_code, bureaus=()).empty
    ):
        findings = load("rule_findings", pref=option.pref_code, from_fy=filters.from_fy, to_fy=filters.to_fy,
                        bureaus=filters.bureaus)  # fmt: skip
        view.errors = int((findings["severity"] == "error").sum())
        view.advice = int((findings["severity"] == "advice").sum())
    return view
