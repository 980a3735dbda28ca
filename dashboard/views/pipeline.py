"""事業パイプライン: each district's path 計画策定 → 拠点づくり事業 → 拠点形成, its rule findings
and limits, and the two forecasts of hubs by the target year."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts, kpi
from dashboard import pipeline as pl
from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import fy_label, sen_yen, with_fy_columns
from dashboard.views import Loader

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


def _rules_table(rules: pd.DataFrame, programs: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(programs["program"], programs["program_name"], strict=True))
    return pd.DataFrame({
        "規則": rules["rule_id"], "内容": rules["title"],
        "対象事業": ["・".join(names.get(p, p) for p in ps) for ps in rules["programs"]],
        "種別": rules["severity"].map(SEVERITY_LABELS), "根拠": rules["source"],
    })  # fmt: skip


def _districts_display(districts: pd.DataFrame, label: str) -> pd.DataFrame:
    def years(values: tuple) -> str:
        return "、".join(fy_label(y) for y in values) or "なし"  # none, not unknown

    return pd.DataFrame({
        "市町村": districts["municipality_name"], label: districts["bureau"], "地区名": districts["district_name"],
        "段階": districts["stage"], "計画策定事業": districts["plan_fys"].map(years),
        "小さな拠点づくり事業": districts["project_fys"].map(years), "取下げ": districts["withdrawn_fys"].map(years),
        "拠点一覧への掲載": districts["first_listed_fy"].map(lambda y: fy_label(int(y)) if pd.notna(y) else "未掲載"),
        "違反（件）": districts["error"], "助言（件）": districts["advice"],
    })  # fmt: skip


def _findings_display(findings: pd.DataFrame, label: str) -> pd.DataFrame:
    table = pd.DataFrame({
        "fiscal_year": findings["fiscal_year"], "規則": findings["rule_id"],
        "種別": findings["severity"].map(SEVERITY_LABELS), "市町村": findings["municipality_name"],
        label: findings["bureau"], "地区名": findings["district_name"], "内容": findings["message"],
        "根拠": findings["source_ref"],
    })  # fmt: skip
    return with_fy_columns(table)


def _budget_display(budget: pd.DataFrame, label: str) -> pd.DataFrame:
    years = {
        c: f"{c.split(':')[2]}の年数（{c.split(':')[1]}、使用/上限）"
        for c in budget.columns
        if c.startswith("years:")
    }
    table = pd.DataFrame({
        "市町村": budget["municipality_name"], label: budget["bureau"], "地区名": budget["district_name"],
        "累計補助金額（千円）": budget["cap_used_yen"].map(sen_yen), "上限（千円）": budget["cap_yen"].map(sen_yen),
        "残り（千円）": budget["cap_left_yen"].map(sen_yen),  # every profile has a cap: a number
        **{title: budget[column] for column, title in years.items()},
        "終了期限": budget["finish_by_fy"].map(lambda y: fy_label(int(y)) if pd.notna(y) else "期限なし"),
        "状況": budget["status"],
        # what is past and what stops next year; 「なし」 when nothing does (never データなし)
        "超過・来年度の制約": [
            "、".join(t for t in (over, notes) if t) or "なし"
            for over, notes in zip(budget["over_limits"], budget["limits_next_year"], strict=True)
        ],
    })  # fmt: skip
    return table


def _trend_text(load: Loader, option: ProfileOption, target: kpi.Target) -> str:
    series = kpi.actual_series(
        load("kpi_series", pref=option.pref_code), option.pref_code, "hubs_total"
    )
    forecast = kpi.trend_forecast(series, target.target_year)
    return kpi.outlook_text(series, forecast, target, kpi.current_fiscal_year())


def target_of(load: Loader, option: ProfileOption) -> kpi.Target:
    row = load("profiles").set_index("profile_key").loc[option.key]
    return kpi.Target(
        int(row.base_year), int(row.base_value), int(row.target_year), int(row.target_value)
    )


def forecast_for(load: Loader, option: ProfileOption) -> pl.PipelineForecast:
    """The prefecture-wide pipeline forecast (all bureaus, all years)."""
    target = target_of(load, option)
    grants = load("grants_history", pref=option.pref_code, bureaus=())
    findings = load("rule_findings", pref=option.pref_code, from_fy=1900, to_fy=2999, bureaus=())
    districts = pl.district_table(grants, load("district_hubs", pref=option.pref_code), findings)
    series = kpi.actual_series(
        load("kpi_series", pref=option.pref_code), option.pref_code, "hubs_total"
    )
    latest = series.iloc[-1] if len(series) else None
    surveys = load("survey_years", pref=option.pref_code)
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
    view.forecast = forecast_for(load, option)
    view.trend_text = _trend_text(load, option, target_of(load, option))
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
    view.errors = int((findings["severity"] == "error").sum())
    view.advice = int((findings["severity"] == "advice").sum())
    cap = int(load("profiles").set_index("profile_key").loc[option.key, "district_cap_yen"])
    view.current_fy = int(all_grants.loc[~all_grants["is_withdrawn"], "fiscal_year"].max())
    names = dict(zip(programs["program"], programs["program_name"], strict=True))
    budget = pl.budget_table(grants, pl.rule_set(rules, programs, cap), names, view.current_fy)
    view.budget = _budget_display(budget, label)
    view.next_year = view.budget[budget["hits_limit_next_year"].to_numpy()]
    sources = load("grant_sources", pref=option.pref_code)
    view.caption = (f"出典: 補助金交付記録（{'、'.join(sources['source_file'])}）。対象: {fy_label(filters.from_fy)}～"
                    f"{fy_label(filters.to_fy)}に記録のある地区。拠点形成は拠点一覧（地区名で照合）への初めての掲載年度。")  # fmt: skip
    return view
