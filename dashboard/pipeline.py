"""The district pipeline: 計画策定 → 拠点づくり事業 → 拠点形成, each district's limits under the
profile's rules, and a forecast of hubs built from the pipeline.

Pure functions on frames from the warehouse (grants_history, district_hubs, rule_findings,
rules, programs); the 事業パイプライン page writes each method out for readers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from dashboard.formatting import fy_label

PLANNING, PROJECT, FORMED, EXISTING, WITHDRAWN = (
    "計画策定中",
    "事業実施中",
    "拠点形成",
    "既存拠点の発展",
    "取下げのみ",
)
STAGE_ORDER = (PLANNING, PROJECT, FORMED, EXISTING, WITHDRAWN)
FORECAST_METHOD = (
    "パイプライン予測は、最新の拠点数に「事業実施中でまだ拠点一覧に載っていない地区の数 × これまでの転換率」を"
    "足したものです。転換率は、最新の拠点一覧より前の年度に小さな拠点づくり事業を始めた地区のうち、拠点一覧に"
    "拠点として載った地区の割合です（補助を受ける前から拠点だった地区は除きます）。計画策定中の地区は数えず、"
    "拠点の廃止も見込んでいません。"
)
KEY = ["municipality_code", "district_key"]


DISTRICT_COLUMNS = [
    *KEY, "municipality_name", "bureau", "district_name", "plan_fys", "project_fys", "withdrawn_fys",
    "first_fy", "last_fy", "first_project_fy", "first_listed_fy", "hub_name", "stage", "error", "advice",
]  # fmt: skip


def _stage(first_fy: int, plan: tuple, project: tuple, listed: int | None) -> str:
    if listed is not None:
        return EXISTING if listed <= first_fy else FORMED
    if project:
        return PROJECT
    return PLANNING if plan else WITHDRAWN


def _by_district(grants: pd.DataFrame) -> dict[tuple[str, str], list[dict]]:
    """Grant records grouped by district, in their order (plain dicts: cheap to scan)."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for record in grants.to_dict("records"):
        groups.setdefault((record["municipality_code"], record["district_key"]), []).append(record)
    return groups


def _years(records: list[dict], keep=lambda r: True) -> tuple[int, ...]:
    return tuple(sorted({int(r["fiscal_year"]) for r in records if keep(r)}))


def district_table(
    grants: pd.DataFrame, district_hubs: pd.DataFrame, findings: pd.DataFrame
) -> pd.DataFrame:
    """One row per district: its years by program stage, hub listing, stage and finding counts."""
    hubs = {(r.municipality_code, r.district_key): r for r in district_hubs.itertuples(index=False)}
    counts = findings.groupby([*KEY, "severity"]).size().to_dict() if len(findings) else {}
    rows = []
    for key, records in _by_district(grants).items():
        active = [r for r in records if not r["is_withdrawn"]]
        plan = _years(active, lambda r: r["program_stage"] == "plan")
        project = _years(active, lambda r: r["program_stage"] == "project")
        years = _years(active) or _years(records)
        hub = hubs.get(key)
        listed = None if hub is None else int(hub.first_listed_fy)
        first = records[0]
        rows.append({
            "municipality_code": key[0], "district_key": key[1], "municipality_name": first["municipality_name"],
            "bureau": first["bureau"], "district_name": first["district_name"], "plan_fys": plan,
            "project_fys": project, "withdrawn_fys": _years(records, lambda r: r["is_withdrawn"]),
            "first_fy": years[0], "last_fy": years[-1], "first_project_fy": project[0] if project else None,
            "first_listed_fy": listed, "hub_name": None if hub is None else hub.hub_name,
            "stage": _stage(years[0], plan, project, listed),
            "error": counts.get((*key, "error"), 0), "advice": counts.get((*key, "advice"), 0),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=DISTRICT_COLUMNS)


@dataclass(frozen=True)
class PipelineForecast:
    target_year: int
    latest_year: int | None
    latest_value: int | None
    cohort: int
    converted: int
    pending: int
    rate: float | None = None
    expected: float | None = None
    forecast: float | None = None
    upper: int | None = None
    pending_names: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        if self.forecast is None:
            if self.cohort == 0 and self.pending == 0:
                return (
                    "補助金の記録（事業を実施中の地区）がないため、パイプライン予測はできません。"
                )
            if self.latest_value is None:
                return "拠点数の実績がないため、パイプライン予測はできません。"
            return "事業を始めて拠点一覧に載るまでを見られる地区がないため、転換率がわからず予測できません。"
        return (
            f"パイプライン予測: {fy_label(self.target_year)}までに{self.forecast:.1f}拠点"
            f"（{fy_label(self.latest_year)}の{self.latest_value}拠点 + 事業実施中{self.pending}地区 × 転換率"
            f"{self.rate:.0%}〈{self.converted}/{self.cohort}地区〉＝{self.expected:.1f}。すべて拠点になれば最大{self.upper}拠点）。"
        )


def pipeline_forecast(districts: pd.DataFrame, latest_year: int | None, latest_value: int | None,
                      target_year: int) -> PipelineForecast:  # fmt: skip
    """Hubs by the target year: the latest count plus the pending project-stage districts times
    the share of earlier project-stage districts that became hubs."""
    if districts.empty or latest_year is None or latest_value is None:
        return PipelineForecast(target_year, latest_year, latest_value, 0, 0, 0)
    started = districts[districts["first_project_fy"].notna() & (districts["stage"] != EXISTING)]
    cohort = started[started["first_project_fy"] <= latest_year - 1]
    converted = cohort[(cohort["stage"] == FORMED) & (cohort["first_listed_fy"] <= latest_year)]
    pending = districts[districts["stage"] == PROJECT]
    names = tuple(f"{r.municipality_name} {r.district_name}" for r in pending.itertuples())
    base = PipelineForecast(target_year, latest_year, latest_value, len(cohort), len(converted), len(pending),
                            pending_names=names)  # fmt: skip
    if len(cohort) == 0:
        return base
    rate = len(converted) / len(cohort)
    expected = rate * len(pending)
    return PipelineForecast(target_year, latest_year, latest_value, len(cohort), len(converted), len(pending),
                            rate, expected, latest_value + expected, latest_value + len(pending), names)  # fmt: skip
