"""Readings: the catalogue's metrics for a scope, as typed values read from the marts (no
text). The pages' views, the briefing pack and the map share these builders, so one metric is
computed one way."""

from __future__ import annotations

import pandas as pd

from dashboard import kpi
from dashboard.filters import Filters, ProfileOption
from dashboard.metrics import Card, Reading
from dashboard.views import Loader


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


def scope_note(filters: Filters, option: ProfileOption) -> str:
    """With bureaus selected, what stays prefecture-wide: the target is the prefecture's."""
    if not filters.bureaus:
        return ""
    return f"県全体（{option.bureau_label}別の目標なし）"


def rule_cards(findings: pd.DataFrame, filters: Filters) -> list[Card]:
    """The rule findings of the selected years and bureaus, counted as the catalogue's
    rule_errors and rule_advice (the same cards on 概要 and 事業パイプライン)."""
    where = "・".join(filters.bureaus)
    counts = (("rule_errors", (findings["severity"] == "error").sum()),
              ("rule_advice", (findings["severity"] == "advice").sum()))  # fmt: skip
    return [Card(Reading(metric, float(count), filters.to_fy, filters.from_fy, where, source="補助金交付記録"))
            for metric, count in counts]  # fmt: skip
