"""概要 (KPI overview): headline cards, the status grade, the trajectory and national context."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts, kpi
from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import fy_label, pct_text, with_fy_columns
from dashboard.metrics import Card
from dashboard.views import Loader
from dashboard.views.pipeline import forecast_for, target_of
from dashboard.views.readings import (
    kpi_reading,
    rule_cards,
    scope_note,
    selection_readings,
    spend_reading,
)


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
    rule_cards: list[Card] = field(default_factory=list)  # the two counts as catalogue cards
    scope_note: str = ""  # what the judgement and forecasts cover when bureaus are selected

    @property
    def scope_sentence(self) -> str:
        return f"判定と予測は{self.scope_note}の拠点数によります。" if self.scope_note else ""

    notes: list[str] = field(default_factory=list)


def _prefecture_cards(kpi_frame, option, target, to_fy) -> list[Card]:
    pref, graded = option.pref_code, option.kpi_indicator
    goal = None if target is None else target.target_value
    return [
        Card(kpi_reading(kpi_frame, pref, graded, graded, to_fy, goal)),
        Card(kpi_reading(kpi_frame, pref, "rmo_in_hubs", "rmo_in_hubs", to_fy)),
        Card(kpi_reading(kpi_frame, pref, "rmo_share_pct", "rmo_share_pct", to_fy)),
    ]


def _trajectory_table(
    actual: pd.DataFrame, forecast: pd.DataFrame, target: kpi.Target | None
) -> pd.DataFrame:
    rows = [{"fiscal_year": int(r.fiscal_year), "区分": f"実績（{charts.BASIS_LABEL[r.basis]}）", "拠点数": int(r.value),
             "時点": r.as_of if isinstance(r.as_of, str) else None, "出典": r.source} for r in actual.itertuples()]  # fmt: skip
    path = target.path() if target is not None else pd.DataFrame(columns=["fiscal_year", "value"])
    rows += [{"fiscal_year": int(r.fiscal_year), "区分": "目標経路", "拠点数": round(r.value, 1), "時点": None, "出典": None}
             for r in path.itertuples()]  # fmt: skip
    rows += [{"fiscal_year": int(r.fiscal_year), "区分": "トレンド予測", "拠点数": round(r.value, 1), "時点": None,
              "出典": "最小二乗法による直線"} for r in forecast.itertuples()]  # fmt: skip
    frame = pd.DataFrame(rows).sort_values(["fiscal_year", "区分"], kind="stable")
    return with_fy_columns(frame)


def _national(kpi_frame: pd.DataFrame, option: ProfileOption, hubs: pd.DataFrame):
    index, base_year = kpi.national_index(kpi_frame, option.pref_code, option.kpi_indicator)
    if base_year is None:
        return None, pd.DataFrame(), "全国の拠点数と同じ年度の県の値がないため、比較できません。"
    figure = charts.plot_national_index(index, base_year, option.pref_name)
    growth_own = kpi.annual_growth(hubs)
    growth_nation = kpi.annual_growth(kpi.actual_values(kpi_frame, "00", option.kpi_indicator))
    caption = (f"各系列を{fy_label(base_year)}=100 とした指数。年平均の増加率: {option.pref_name} "
               f"{pct_text(growth_own)}、全国 {pct_text(growth_nation)}。出典: 内閣府「小さな拠点の形成に関する実態調査」ほか。")  # fmt: skip
    table = with_fy_columns(
        index.rename(columns={"series": "系列", "index": "指数", "value": "拠点数"})
    )
    table["系列"] = table["系列"].replace({"県": option.pref_name})
    return figure, table, caption


def build_overview(load: Loader, filters: Filters, option: ProfileOption) -> Overview:
    kpi_frame = load("kpi_actual", pref=option.pref_code)
    target = target_of(load, option, kpi_frame)
    cards = _prefecture_cards(kpi_frame, option, target, filters.to_fy)
    hubs = kpi.actual_values(kpi_frame, option.pref_code, option.kpi_indicator, filters.to_fy)
    subset = None
    if filters.bureaus:
        subset = load("hubs_by_year", pref=option.pref_code, bureaus=filters.bureaus)
        cards = cards[:1] + [Card(r) for r in selection_readings(subset, filters)]
    if filters.from_fy is not None:
        cards.append(Card(spend_reading(load, option, "grant_spend_period", filters.from_fy, filters.to_fy,
                                        filters.bureaus)))  # fmt: skip
    current_fy = kpi.current_fiscal_year()
    grade = kpi.grade(hubs, target)
    note = kpi.age_note(grade.year, current_fy)
    grade = replace(grade, explanation=grade.explanation + note) if note else grade
    forecast = kpi.trend_forecast(hubs, target.target_year if target else 0)
    if target is None or target.target_year < current_fy:  # no target, or past: no forecast line
        forecast = forecast.iloc[0:0]
    pipeline = forecast_for(load, option, filters.to_fy)
    points = load("kpi_series", pref=option.pref_code)
    actual_points = points[(points["pref_code"] == option.pref_code) & (points["indicator"] == option.kpi_indicator)
                           & (points["kind"] == "actual") & points["value"].notna()]  # fmt: skip
    figure = charts.plot_trajectory(actual_points, target, forecast, subset, (filters.from_fy, filters.to_fy),
                                    pipeline=None if pipeline is None else pipeline.forecast)  # fmt: skip
    goal = ("設定なし" if target is None else f"{fy_label(target.base_year)} {target.base_value}拠点 → "
            f"{fy_label(target.target_year)} {target.target_value}拠点")  # fmt: skip
    caption = f"出典: {', '.join(sorted(set(actual_points['source']))) or 'なし'}。目標: {goal}。"
    national, national_table, national_caption = _national(kpi_frame, option, hubs)
    scope = scope_note(filters, option)
    if scope:
        national_caption = f"{scope}の値です。" + national_caption
    view = Overview(cards, grade, target, figure, _trajectory_table(actual_points, forecast, target), caption,
                    national, national_table, national_caption,
                    kpi.outlook_text(hubs, forecast, target, current_fy), scope_note=scope)  # fmt: skip
    view.pipeline_text = (
        pipeline.summary()
        if pipeline and (pipeline.cohort or pipeline.latest_value is not None)
        else ""
    )
    if (
        filters.from_fy is not None
        and not load("grants_history", pref=option.pref_code, bureaus=()).empty
    ):
        findings = load("rule_findings", pref=option.pref_code, from_fy=filters.from_fy, to_fy=filters.to_fy,
                        bureaus=filters.bureaus)  # fmt: skip
        view.rule_cards = rule_cards(findings, filters)
        view.errors, view.advice = (int(card.reading.value) for card in view.rule_cards)
    return view
