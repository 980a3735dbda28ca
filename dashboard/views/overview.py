"""概要 (KPI overview): headline cards, the status grade, the trajectory and national context."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts, kpi
from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import fy_label, pct_text, with_fy_columns
from dashboard.metrics import Card, Reading
from dashboard.views import Loader
from dashboard.views.pipeline import forecast_for


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
    notes: list[str] = field(default_factory=list)


def _target(profiles: pd.DataFrame, option: ProfileOption) -> kpi.Target:
    row = profiles[profiles["profile_key"] == option.key].iloc[0]
    return kpi.Target(
        int(row.base_year), int(row.base_value), int(row.target_year), int(row.target_value)
    )


def kpi_reading(kpi_frame: pd.DataFrame, pref: str, metric: str, indicator: str, to_fy: int | None,
                target: int | None = None) -> Reading:  # fmt: skip
    """A stock from kpi_actual: the latest value at or before the end of the selected period,
    with its 時点, source and change against the actual year before."""
    rows = kpi.actual_values(kpi_frame, pref, indicator, to_fy)
    if rows.empty:
        return Reading(metric, None, target=target)
    row = rows.iloc[-1]
    base = None if pd.isna(row["previous_fy"]) else int(row["previous_fy"])
    return Reading(
        metric, float(row["value"]), int(row["fiscal_year"]), unknown=int(row["unknown_rows"]),
        target=target, as_of=None if pd.isna(row["as_of"]) else str(row["as_of"]), source=str(row["source"]),
        change=None if base is None else float(row["change"]), change_base_fy=base,
        change_partial=bool(row["change_partial"]) if base is not None else False,
    )  # fmt: skip


def _prefecture_cards(kpi_frame, option, target, to_fy) -> list[Card]:
    pref = option.pref_code
    return [
        Card(kpi_reading(kpi_frame, pref, "hubs_total", "hubs_total", to_fy, target.target_value)),
        Card(kpi_reading(kpi_frame, pref, "rmo_in_hubs", "rmo_in_hubs", to_fy)),
        Card(kpi_reading(kpi_frame, pref, "rmo_share_pct", "rmo_share_pct", to_fy)),
    ]


def selection_readings(subset: pd.DataFrame, filters: Filters) -> list[Reading]:
    """The selected bureaus' hubs, RMOs and share, from hub_counts, as of the latest list at or
    before the end of the selected period."""
    where = "・".join(filters.bureaus)
    rows = subset[subset["fiscal_year"] <= filters.to_fy] if filters.to_fy is not None else subset
    ids = ("selection_hubs", "selection_rmo", "selection_rmo_share_pct")
    if rows.empty:
        return [Reading(m, None, where=where, note="拠点一覧がありません") for m in ids]
    latest = rows.iloc[-1]
    year, unknown = int(latest["fiscal_year"]), int(latest["rmo_unknown"])
    known = int(latest["hubs"]) - unknown  # hubs whose RMO status is known
    with_rmo = None if pd.isna(latest["hubs_with_rmo"]) else float(latest["hubs_with_rmo"])
    share = None if with_rmo is None or known <= 0 else 100 * with_rmo / known
    common = {"year": year, "where": where, "as_of": latest["as_of"], "source": "拠点一覧から集計"}
    return [
        Reading("selection_hubs", float(latest["hubs"]), **common),
        Reading("selection_rmo", with_rmo, unknown=unknown, **common),
        Reading("selection_rmo_share_pct", share, unknown=unknown, **common),
    ]


def spend_reading(load: Loader, option: ProfileOption, metric: str, from_fy: int, to_fy: int,
                  bureaus: tuple[str, ...]) -> Reading:  # fmt: skip
    """A flow from grant_spend: the grants of the years from_fy..to_fy in the selected bureaus."""
    where = "・".join(bureaus)
    row = load(
        "grant_spend", pref=option.pref_code, from_fy=from_fy, to_fy=to_fy, bureaus=bureaus
    ).iloc[0]
    if int(row["records_in_prefecture"]) == 0:
        note = "この都道府県の補助金データはまだ取り込まれていません"
        return Reading(metric, None, to_fy, from_fy, where, note=note)
    unknown = int(row["unknown_amounts"])
    note = "取下げを除く" + (f"。金額未定の{unknown}件は含まない" if unknown else "")
    yen = float(row["grant_yen"]) if int(row["records"]) and not pd.isna(row["grant_yen"]) else 0.0
    source = "補助金交付記録"
    return Reading(metric, yen, to_fy, from_fy, where, unknown, source=source, note=note)


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


def _national(kpi_frame: pd.DataFrame, option: ProfileOption, hubs: pd.DataFrame):
    index, base_year = kpi.national_index(kpi_frame, option.pref_code)
    if base_year is None:
        return None, pd.DataFrame(), "全国の拠点数と同じ年度の県の値がないため、比較できません。"
    figure = charts.plot_national_index(index, base_year, option.pref_name)
    growth_own = kpi.annual_growth(hubs)
    growth_nation = kpi.annual_growth(kpi.actual_values(kpi_frame, "00", "hubs_total"))
    caption = (f"各系列を{fy_label(base_year)}=100 とした指数。年平均の増加率: {option.pref_name} "
               f"{pct_text(growth_own)}、全国 {pct_text(growth_nation)}。出典: 内閣府「小さな拠点の形成に関する実態調査」ほか。")  # fmt: skip
    table = with_fy_columns(
        index.rename(columns={"series": "系列", "index": "指数", "value": "拠点数"})
    )
    table["系列"] = table["系列"].replace({"県": option.pref_name})
    return figure, table, caption


def scope_note(filters: Filters, option: ProfileOption) -> str:
    """With bureaus selected, what stays prefecture-wide: the target is the prefecture's."""
    if not filters.bureaus:
        return ""
    return f"県全体（{option.bureau_label}別の目標なし）"


def build_overview(load: Loader, filters: Filters, option: ProfileOption) -> Overview:
    target = _target(load("profiles"), option)
    kpi_frame = load("kpi_actual", pref=option.pref_code)
    cards = _prefecture_cards(kpi_frame, option, target, filters.to_fy)
    hubs = kpi.actual_values(kpi_frame, option.pref_code, "hubs_total", filters.to_fy)
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
    forecast = kpi.trend_forecast(hubs, target.target_year)
    pipeline = forecast_for(load, option, filters.to_fy)
    points = load("kpi_series", pref=option.pref_code)
    actual_points = points[(points["pref_code"] == option.pref_code) & (points["indicator"] == "hubs_total")
                           & (points["kind"] == "actual") & points["value"].notna()]  # fmt: skip
    figure = charts.plot_trajectory(actual_points, target, forecast, subset, (filters.from_fy, filters.to_fy),
                                    pipeline=pipeline.forecast)  # fmt: skip
    caption = (f"出典: {', '.join(sorted(set(actual_points['source'])))}。目標: "
               f"{fy_label(target.base_year)} {target.base_value}拠点 → {fy_label(target.target_year)} {target.target_value}拠点。")  # fmt: skip
    national, national_table, national_caption = _national(kpi_frame, option, hubs)
    scope = scope_note(filters, option)
    if scope:
        national_caption = f"{scope}の値です。" + national_caption
    view = Overview(cards, grade, target, figure, _trajectory_table(actual_points, forecast, target), caption,
                    national, national_table, national_caption,
                    kpi.outlook_text(hubs, forecast, target, current_fy), scope_note=scope)  # fmt: skip
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
        where = "・".join(filters.bureaus)
        view.rule_cards = [
            Card(Reading(metric, float(count), filters.to_fy, filters.from_fy, where, source="補助金交付記録"))
            for metric, count in (("rule_errors", view.errors), ("rule_advice", view.advice))
        ]  # fmt: skip
    return view
