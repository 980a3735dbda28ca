"""事業パイプライン: each district's path 計画策定 → 拠点づくり事業 → 拠点形成, its rule findings
and limits, and the two forecasts of hubs by the target year."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts, kpi
from dashboard import pipeline as pl
from dashboard.columns import labelled
from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import fy_label, money_text, sen_yen, with_fy_columns
from dashboard.views import Loader
from dashboard.views.readings import rule_cards, scope_note

SEVERITY_LABELS = {"error": "違反", "advice": "助言"}


@dataclass
class PipelineView:
    has_grants: bool
    message: str | None
    rules: pd.DataFrame
    forecast: pl.PipelineForecast | None = None
    trend_text: str = ""
    timeline: go.Figure | None = None
    districts: pd.DataFrame | None = None
    findings: pd.DataFrame | None = None
    errors: int = 0
    advice: int = 0
    budget: pd.DataFrame | None = None
    next_year: pd.DataFrame | None = None
    current_fy: int | None = None
    caption: str = ""
    rule_cards: list = field(default_factory=list)  # rule_errors and rule_advice (as on 概要)
    scope_note: str = ""  # what the forecasts cover when bureaus are selected


def _rules_table(rules: pd.DataFrame, programs: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(programs["program"], programs["program_name"], strict=True))
    return labelled(pd.DataFrame({
        "rule_id": rules["rule_id"], "title": rules["title"],
        "programs": ["・".join(names.get(p, p) for p in ps) for ps in rules["programs"]],
        "severity": rules["severity"].map(SEVERITY_LABELS), "source_ref": rules["source"],
    }), "")  # fmt: skip


def _districts_display(districts: pd.DataFrame, label: str) -> pd.DataFrame:
    def years(values: tuple) -> str:
        return "、".join(fy_label(y) for y in values) or "なし"  # none, not unknown

    return labelled(pd.DataFrame({
        "municipality": districts["municipality_name"], "bureau": districts["bureau"],
        "district_name": districts["district_name"], "stage": districts["stage"],
        "plan_years": districts["plan_fys"].map(years), "project_years": districts["project_fys"].map(years),
        "withdrawn_years": districts["withdrawn_fys"].map(years),
        "listed": districts["first_listed_fy"].map(lambda y: fy_label(int(y)) if pd.notna(y) else "未掲載"),
        "errors": districts["error"], "advice": districts["advice"],
    }), label)  # fmt: skip


def _findings_display(findings: pd.DataFrame, label: str) -> pd.DataFrame:
    table = pd.DataFrame({
        "fiscal_year": findings["fiscal_year"], "rule_id": findings["rule_id"],
        "severity": findings["severity"].map(SEVERITY_LABELS), "municipality": findings["municipality_name"],
        "bureau": findings["bureau"], "district_name": findings["district_name"], "message": findings["message"],
        "source_ref": findings["source_ref"],
    })  # fmt: skip
    return with_fy_columns(labelled(table, label))


def _limit_text(limit: dict, names: dict[str, str], evaluated_fy: int) -> tuple[str, str]:
    """What a district has gone past, and what stops it next year, for one limit of
    district_limits (typed fields in, words out)."""
    rule, kind, used, allowed = limit["rule_id"], limit["kind"], limit["used"], limit["limit_value"]
    programs = "・".join(names.get(p, p) for p in limit["programs"])
    over = stops = ""
    if kind == "cumulative_cap":
        left = allowed - used
        if limit["is_over"]:
            over = f"{rule}: 累計上限を{money_text(-left)}超えています"
        elif limit["stops_next_year"]:
            stops = (f"{rule}: 累計上限に達しています" if left <= 0 else
                     f"{rule}: 累計上限まで残り{money_text(left)}（今年度の補助金{money_text(limit['this_year_yen'])}より少ない）")  # fmt: skip
    elif kind == "max_years":
        if limit["is_over"]:
            over = f"{rule}: {programs}が上限の{allowed}か年度を超えています（{used}か年度）"
        elif limit["stops_next_year"]:
            stops = f"{rule}: {programs}が上限の{allowed}か年度に達しています"
    else:  # window_years
        end = limit["window_end_fy"]
        if limit["is_over"]:
            over = f"{rule}: 最長{allowed}か年度の期間（{fy_label(end)}まで）を過ぎて補助があります"
        elif limit["stops_next_year"]:
            stops = (f"{rule}: 最長{allowed}か年度の期間が今年度（{fy_label(end)}）で終わります" if end == evaluated_fy
                     else f"{rule}: 最長{allowed}か年度の期間（{fy_label(end)}まで）を過ぎています")  # fmt: skip
    return over, stops


def _budget_display(budget: pd.DataFrame, names: dict[str, str], label: str) -> pd.DataFrame:
    """district_budget and its limits as a table: cap used and left, years used per rule, the
    year to finish by, the status, and what is past or stops next year (「なし」 when nothing)."""
    years: dict[str, list[str]] = {}
    notes = []
    for row in budget.itertuples(index=False):
        limits = list(row.limits) if row.limits is not None else []
        texts = [_limit_text(limit, names, int(row.evaluated_fy)) for limit in limits]
        over = [o for o, _ in texts if o]
        stops = [s for _, s in texts if s]
        notes.append("、".join(over + stops) or "なし")  # none, never データなし
        for limit in limits:
            if limit["kind"] == "max_years":
                programs = "・".join(names.get(p, p) for p in limit["programs"])
                title = f"{programs}の年数（{limit['rule_id']}、使用/上限）"
                years.setdefault(title, [""] * len(budget))
    for position, row in enumerate(budget.itertuples(index=False)):
        for limit in list(row.limits) if row.limits is not None else []:
            if limit["kind"] == "max_years":
                programs = "・".join(names.get(p, p) for p in limit["programs"])
                title = f"{programs}の年数（{limit['rule_id']}、使用/上限）"
                years[title][position] = f"{limit['used']}/{limit['limit_value']}"
    return labelled(pd.DataFrame({
        "municipality": budget["municipality_name"], "bureau": budget["bureau"], "district_name": budget["district_name"],
        "cumulative_thousand_yen": budget["cumulative_grant_yen"].map(sen_yen),
        "cap_thousand_yen": budget["cap_yen"].map(sen_yen), "left_thousand_yen": budget["cap_left_yen"].map(sen_yen),
        **years,  # one column per years rule, titled from the rule
        "finish_by": budget["finish_by_fy"].map(lambda y: fy_label(int(y)) if pd.notna(y) else "期限なし"),
        "status": budget["status"], "limits": notes,
    }), label)  # fmt: skip


def outlook_for(load: Loader, option: ProfileOption, to_fy: int | None) -> str:
    """The trend outlook sentence (the same on 概要 and 事業パイプライン): the graded series up to
    the end of the selected period."""
    kpi_frame = load("kpi_actual", pref=option.pref_code)
    target = target_of(load, option, kpi_frame)
    series = kpi.actual_values(kpi_frame, option.pref_code, option.kpi_indicator, to_fy)
    forecast = kpi.trend_forecast(series, target.target_year) if target else series.iloc[0:0]
    return kpi.outlook_text(series, forecast, target, kpi.current_fiscal_year())


def target_of(load: Loader, option: ProfileOption, kpi_frame: pd.DataFrame) -> kpi.Target | None:
    """The profile's target (None without one), its path starting at the profile's base or the
    first actual value of the graded indicator."""
    row = load("profiles").set_index("profile_key").loc[option.key]
    return kpi.target_from(
        row, kpi.actual_values(kpi_frame, option.pref_code, option.kpi_indicator)
    )


def forecast_for(
    load: Loader, option: ProfileOption, to_fy: int | None = None
) -> pl.PipelineForecast | None:
    """The prefecture-wide pipeline forecast (all bureaus) from the data up to the end of the
    selected period; None without a target year to forecast for, or when the profile grades
    something other than the hub count."""
    kpi_frame = load("kpi_actual", pref=option.pref_code)
    target = target_of(load, option, kpi_frame)
    if target is None or option.kpi_indicator != "hubs_total":
        return None
    last = 9999 if to_fy is None else to_fy
    grants = load("grants_history", pref=option.pref_code, bureaus=())
    grants = grants[grants["fiscal_year"] <= last]
    findings = load("rule_findings", pref=option.pref_code, from_fy=1900, to_fy=last, bureaus=())
    listed = load("district_hubs", pref=option.pref_code)
    districts = pl.district_table(grants, listed[listed["first_listed_fy"] <= last], findings)
    series = kpi.actual_values(kpi_frame, option.pref_code, "hubs_total", to_fy)
    latest = series.iloc[-1] if len(series) else None
    surveys = load("survey_years", pref=option.pref_code)
    surveys = surveys[surveys["fiscal_year"] <= last]
    latest_list = int(surveys["fiscal_year"].max()) if len(surveys) else None
    value = None if latest is None else int(latest["value"])
    return pl.pipeline_forecast(districts, latest_list, value, target.target_year)


def build_pipeline(load: Loader, filters: Filters, option: ProfileOption) -> PipelineView:
    rules, programs = load("rules", pref=option.pref_code), load("programs", pref=option.pref_code)
    view = PipelineView(False, None, _rules_table(rules, programs))
    all_grants = load("grants_history", pref=option.pref_code, bureaus=())
    if all_grants.empty:
        view.message = "この都道府県の補助金データはまだ取り込まれていません。規則は取り込み後に自動で確認されます。"
        return view
    view.has_grants = True
    view.forecast = forecast_for(load, option, filters.to_fy)
    view.scope_note = scope_note(filters, option)
    view.trend_text = outlook_for(load, option, filters.to_fy)
    grants = load("grants_history", pref=option.pref_code, bureaus=filters.bureaus)
    in_range = grants[grants["fiscal_year"].between(filters.from_fy, filters.to_fy)]
    keys = set(zip(in_range["municipality_code"], in_range["district_key"], strict=True))
    grants = grants[
        [k in keys for k in zip(grants["municipality_code"], grants["district_key"], strict=True)]
    ]
    if grants.empty:
        view.message = f"選択した年度・{option.bureau_label}に補助金の記録がありません。"
        return view
    findings = load("rule_findings", pref=option.pref_code, from_fy=filters.from_fy, to_fy=filters.to_fy,
                    bureaus=filters.bureaus)  # fmt: skip
    districts = pl.district_table(grants, load("district_hubs", pref=option.pref_code), findings)
    districts = districts.sort_values(
        ["first_fy", "municipality_code", "district_key"], ignore_index=True
    )
    label = option.bureau_label
    view.timeline = charts.plot_pipeline_timeline(districts, findings)
    view.districts = _districts_display(districts, label)
    view.findings = _findings_display(findings, label)
    view.rule_cards = rule_cards(findings, filters)
    view.errors, view.advice = (int(card.reading.value) for card in view.rule_cards)
    names = dict(zip(programs["program"], programs["program_name"], strict=True))
    budget = load("district_budget", pref=option.pref_code, from_fy=filters.from_fy, to_fy=filters.to_fy,
                  bureaus=filters.bureaus)  # fmt: skip
    view.current_fy = int(budget["evaluated_fy"].max()) if len(budget) else None
    view.budget = _budget_display(budget, names, label)
    view.next_year = view.budget[budget["stops_next_year"].to_numpy(dtype=bool)]
    sources = load("grant_sources", pref=option.pref_code)
    view.caption = (f"出典: 補助金交付記録（{'、'.join(sources['source_file'])}）。対象: {fy_label(filters.from_fy)}～"
                    f"{fy_label(filters.to_fy)}に記録のある地区。拠点形成は拠点一覧（地区名で照合）への初めての掲載年度。")  # fmt: skip
    return view
