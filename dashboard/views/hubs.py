"""拠点・地域運営組織: hubs and RMOs by bureau and municipality, gaps, legal forms, services."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts
from dashboard.columns import labelled
from dashboard.coverage import CoverageGaps, coverage_gaps, hubs_without_rmo
from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import RMO_COLUMN, fy_label, with_fy_columns
from dashboard.views import Loader


@dataclass
class HubsView:
    survey_years: list[int]
    year: int | None
    message: str | None = None
    source: str = ""
    bureau_figure: go.Figure | None = None
    bureau_table: pd.DataFrame | None = None
    municipality_table: pd.DataFrame | None = None
    without_rmo: pd.DataFrame | None = None
    rmo_note: str | None = None
    legal_forms_figure: go.Figure | None = None
    legal_forms_table: pd.DataFrame | None = None
    kaso_without_hub: pd.DataFrame | None = None
    kaso_note: str | None = None
    services_figure: go.Figure | None = None
    services_table: pd.DataFrame | None = None
    service_gaps: pd.DataFrame | None = None
    cooperatives_figure: go.Figure | None = None
    cooperatives_table: pd.DataFrame | None = None
    cooperatives_caption: str = ""


COUNT_COLUMNS = ["hubs", "hubs_with_rmo", "rmo_unknown", "rmo_share_pct"]
SHARE_NOTE = (
    "地域運営組織の有無が不明な拠点が{n}か所あります。「{rmo}」は有無の分かる拠点の数（表示は"
    "「45（ほか不明4）」の形）、「組織のある割合」は有無の分かる拠点に対する割合です。"
)


def _share(hubs: object, with_rmo: object, unknown: object = 0) -> float | None:
    """Percent of the hubs whose RMO status is known that have an RMO (None: nothing known)."""
    known = (0 if pd.isna(hubs) else int(hubs)) - (0 if pd.isna(unknown) else int(unknown))
    if pd.isna(with_rmo) or known <= 0:
        return None
    return round(100 * float(with_rmo) / known, 1)


def _with_share(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts as whole numbers (NULL stays NULL, never 0) and the share of the known hubs."""
    counts = frame.astype({"hubs": "Int64", "hubs_with_rmo": "Int64", "rmo_unknown": "Int64"})
    return counts.assign(rmo_share_pct=[_share(h, r, u) for h, r, u in
                                zip(counts["hubs"], counts["hubs_with_rmo"], counts["rmo_unknown"], strict=True)])  # fmt: skip


def _bureau_table(
    frame: pd.DataFrame, total: pd.Series, filters: Filters, label: str
) -> pd.DataFrame:
    """Every bureau, then the prefecture's row (hub_counts summed in SQL for the whole
    prefecture: its RMO count is unknown only when no hub's status is known)."""
    columns = ["bureau", "hubs", "hubs_with_rmo", "rmo_unknown"]
    whole = {"bureau": "県全体", "hubs": total["hubs"], "hubs_with_rmo": total["hubs_with_rmo"],
             "rmo_unknown": total["rmo_unknown"]}  # fmt: skip
    table = pd.concat([frame[columns], pd.DataFrame([whole])], ignore_index=True)
    table = _with_share(table)
    if filters.bureaus:  # the selected rows are marked; without a selection there is no column
        table["selected"] = [("選択" if b in filters.bureaus else "") for b in table["bureau"]]
    return labelled(table, label)


def _municipality_table(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    columns = ["municipality_code", "municipality_name", "bureau", "kaso", *COUNT_COLUMNS]
    return labelled(_with_share(frame)[columns], label)


def _legal_forms(hubs: pd.DataFrame) -> pd.DataFrame:
    with_rmo = hubs[hubs["has_rmo"].eq(True)]
    forms = (
        with_rmo["rmo_legal_form"]
        .fillna("不明")
        .value_counts()
        .rename_axis("法人格")
        .reset_index(name="組織数")
    )
    return forms.sort_values(["組織数", "法人格"], ascending=[False, True], ignore_index=True)


def _add_rmo_sections(view: HubsView, hubs: pd.DataFrame, label: str) -> None:
    """Hubs without an RMO and the RMOs' legal forms, for the selected bureaus."""
    without, unknown = hubs_without_rmo(hubs)
    if without is None:
        view.rmo_note = "この年度の拠点一覧には地域運営組織の有無がありません（データなし）。"
        return
    view.rmo_note = f"地域運営組織の有無が不明な拠点が{unknown}か所あります。" if unknown else None
    columns = ["municipality_name", "bureau", "hub_name", "district_name", "population"]
    view.without_rmo = labelled(without[columns], label)
    view.legal_forms_table = _legal_forms(hubs)
    if not view.legal_forms_table.empty:
        view.legal_forms_figure = charts.plot_counts(
            view.legal_forms_table, "法人格", "組織数", "組織数（組織）", "組織"
        )


def _add_gap_sections(view: HubsView, gaps: CoverageGaps, filters: Filters, label: str) -> None:
    """過疎 municipalities without a hub, and the bureau × service coverage."""
    if gaps.kaso_without_hub is None:
        view.kaso_note = "この都道府県の市町村別の過疎区分は参照データにありません（データなし）。"
    else:
        view.kaso_without_hub = labelled(gaps.kaso_without_hub, label)
    if gaps.service_matrix is None:
        return
    names = {b: f"● {b}" if b in filters.bureaus else b for b in gaps.service_matrix.index}
    marked = gaps.service_matrix.rename(index=names)
    view.services_figure = charts.plot_service_heatmap(
        marked, label, no_hubs={names[b] for b in gaps.without_hubs}
    )
    view.services_table = gaps.service_matrix.rename_axis(label).reset_index()
    service_gaps = gaps.service_gaps
    if filters.bureaus:  # the gaps of the selected bureaus only (the heatmap marks them among all)
        service_gaps = service_gaps[service_gaps["bureau"].isin(filters.bureaus)].reset_index(
            drop=True
        )
    view.service_gaps = service_gaps.rename(columns={
        "bureau": label, "service": "提供のないサービス", "hubs": f"その{label}の拠点数（拠点）"})  # fmt: skip


def build_hubs(
    load: Loader, filters: Filters, option: ProfileOption, year: int | None = None
) -> HubsView:
    survey = load("survey_years", pref=option.pref_code)
    in_range = [int(y) for y in survey["fiscal_year"]
                if filters.from_fy is not None and filters.from_fy <= y <= filters.to_fy]  # fmt: skip
    if not in_range:
        listed = "、".join(fy_label(int(y)) for y in survey["fiscal_year"]) or "なし"
        return HubsView(
            [], None, f"選択した年度の範囲に拠点一覧がありません（拠点一覧のある年度: {listed}）。"
        )
    year = year if year in in_range else in_range[-1]
    row = survey[survey["fiscal_year"] == year].iloc[0]
    label, pref = option.bureau_label, option.pref_code
    view = HubsView(
        in_range,
        year,
        source=f"出典: 小さな拠点一覧（{row['files']}）、{fy_label(year)}・{row['as_of']}時点。",
    )
    by_bureau = load("hubs_by_bureau", pref=pref, year=year)
    years = load("hubs_by_year", pref=pref, bureaus=())
    total = years[years["fiscal_year"] == year].iloc[0]  # the whole prefecture, from hub_counts
    if 0 < int(total["rmo_unknown"]) < int(total["hubs"]):  # a list without the column: rmo_note
        view.source += " " + SHARE_NOTE.format(n=int(total["rmo_unknown"]), rmo=RMO_COLUMN)
    if option.bureaus:  # without bureaus: no bureau chart or table (hidden, not empty)
        view.bureau_figure = charts.plot_bureau_bars(by_bureau, filters.bureaus, label)
        view.bureau_table = _bureau_table(by_bureau, total, filters, label)
    municipalities = load("hubs_by_municipality", pref=pref, year=year, bureaus=filters.bureaus)
    view.municipality_table = _municipality_table(municipalities, label)
    hubs = load("hubs_list", pref=pref, year=year, bureaus=filters.bureaus)
    if hubs.empty:
        view.message = "選択した地域には、この年度の拠点がありません。"
    else:
        _add_rmo_sections(view, hubs, label)
    all_hubs = load("hubs_list", pref=pref, year=year, bureaus=())
    areas = option.bureaus
    if not areas:  # without bureaus the service coverage is one row: the whole prefecture
        areas, all_hubs = (option.pref_name,), all_hubs.assign(bureau=option.pref_name)
    _add_gap_sections(
        view, coverage_gaps(municipalities, all_hubs, areas), filters, label or "地域"
    )
    _add_cooperatives(view, load("cooperatives", pref=pref), filters)
    return view


def _add_cooperatives(view: HubsView, frame: pd.DataFrame, filters: Filters) -> None:
    """特定地域づくり事業協同組合 in the selected years (and bureaus), when there are records."""
    frame = frame[frame["fiscal_year"].between(filters.from_fy, filters.to_fy)]
    if filters.bureaus:
        frame = frame[frame["bureau"].isin(filters.bureaus)]
    if frame.empty:
        return
    view.cooperatives_figure = charts.plot_cooperatives(frame)
    columns = {"fiscal_year": "fiscal_year", "cooperative_name": "組合名", "municipality_name": "市町村",
               "certified_on": "認定日", "members": "組合員数（者）", "dispatched_workers": "派遣人員（人）"}  # fmt: skip
    view.cooperatives_table = with_fy_columns(frame[list(columns)].rename(columns=columns))
    sample = "サンプルデータ（架空）。" if frame["is_sample"].all() else ""
    view.cooperatives_caption = f"出典: 特定地域づくり事業協同組合の記録（各年度末）。{sample}"
