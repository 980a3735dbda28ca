"""拠点・地域運営組織: hubs and RMOs by bureau and municipality, gaps, legal forms, services."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard import charts
from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import fy_label
from dashboard.views import Loader
from etl.schemas import SERVICES


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


def _share(hubs: object, with_rmo: object) -> float | None:
    if pd.isna(with_rmo) or not hubs:
        return None
    return round(100 * float(with_rmo) / float(hubs), 1)


def _bureau_table(frame: pd.DataFrame, filters: Filters, label: str) -> pd.DataFrame:
    total = pd.DataFrame([{"bureau": "県全体", "hubs": frame["hubs"].sum(),
                           "hubs_with_rmo": frame["hubs_with_rmo"].sum(min_count=len(frame))}])  # fmt: skip
    table = pd.concat([frame[["bureau", "hubs", "hubs_with_rmo"]], total], ignore_index=True)
    table["share"] = [
        _share(h, r) for h, r in zip(table["hubs"], table["hubs_with_rmo"], strict=True)
    ]
    table["selected"] = [("選択" if b in filters.bureaus else "") for b in table["bureau"]]
    return table.rename(columns={"bureau": label, "hubs": "拠点数（拠点）", "hubs_with_rmo": "うち地域運営組織あり（拠点）",
                                 "share": "組織のある割合（%）", "selected": "選択中"})  # fmt: skip


def _municipality_table(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    table = frame.assign(
        share=[_share(h, r) for h, r in zip(frame["hubs"], frame["hubs_with_rmo"], strict=True)]
    )
    table = table[
        [
            "municipality_code",
            "municipality_name",
            "bureau",
            "kaso",
            "hubs",
            "hubs_with_rmo",
            "share",
        ]
    ]
    return table.rename(columns={
        "municipality_code": "市町村コード", "municipality_name": "市町村名", "bureau": label, "kaso": "過疎区分",
        "hubs": "拠点数（拠点）", "hubs_with_rmo": "うち地域運営組織あり（拠点）", "share": "組織のある割合（%）",
    })  # fmt: skip


def _without_rmo(hubs: pd.DataFrame, label: str) -> tuple[pd.DataFrame | None, str | None]:
    if hubs["has_rmo"].isna().all():
        return None, "この年度の拠点一覧には地域運営組織の有無がありません（データなし）。"
    rows = hubs[hubs["has_rmo"].eq(False)]
    note = (
        None
        if hubs["has_rmo"].notna().all()
        else f"地域運営組織の有無が不明な拠点が{int(hubs['has_rmo'].isna().sum())}か所あります。"
    )
    table = rows[["municipality_name", "bureau", "hub_name", "district_name", "population"]].rename(columns={
        "municipality_name": "市町村名", "bureau": label, "hub_name": "小さな拠点の名称", "district_name": "地区名",
        "population": "人口（人）"})  # fmt: skip
    return table, note


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


def _kaso_without_hub(
    municipalities: pd.DataFrame, label: str
) -> tuple[pd.DataFrame | None, str | None]:
    if municipalities["kaso"].isna().all():
        return None, "この都道府県の市町村別の過疎区分は参照データにありません（データなし）。"
    rows = municipalities[
        municipalities["kaso"].isin(["全部過疎", "一部過疎"]) & municipalities["hubs"].eq(0)
    ]
    return rows[["municipality_code", "municipality_name", "bureau", "kaso"]].rename(columns={
        "municipality_code": "市町村コード", "municipality_name": "市町村名", "bureau": label, "kaso": "過疎区分"}), None  # fmt: skip


def service_matrix(hubs: pd.DataFrame, bureaus: tuple[str, ...]) -> pd.DataFrame:
    """Bureau × service: the number of hubs offering each service (0 where none does)."""
    known = hubs[hubs["services"].notna()]
    exploded = known.explode("services")
    counts = exploded.groupby(["bureau", "services"]).size().unstack(fill_value=0)
    return counts.reindex(index=list(bureaus), columns=list(SERVICES), fill_value=0).astype(int)


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
    label = option.bureau_label
    view = HubsView(
        in_range,
        year,
        source=f"出典: 小さな拠点一覧（{row['files']}）、{fy_label(year)}・{row['as_of']}時点。",
    )
    by_bureau = load("hubs_by_bureau", pref=option.pref_code, year=year)
    view.bureau_figure = charts.plot_bureau_bars(by_bureau, filters.bureaus, label)
    view.bureau_table = _bureau_table(by_bureau, filters, label)
    municipalities = load(
        "hubs_by_municipality", pref=option.pref_code, year=year, bureaus=filters.bureaus
    )
    view.municipality_table = _municipality_table(municipalities, label)
    hubs = load("hubs_list", pref=option.pref_code, year=year, bureaus=filters.bureaus)
    if hubs.empty:
        view.message = "選択した地域には、この年度の拠点がありません。"
    else:
        view.without_rmo, view.rmo_note = _without_rmo(hubs, label)
        if view.without_rmo is not None:
            view.legal_forms_table = _legal_forms(hubs)
            if not view.legal_forms_table.empty:
                view.legal_forms_figure = charts.plot_counts(
                    view.legal_forms_table, "法人格", "組織数", "組織数（組織）", "組織"
                )
    view.kaso_without_hub, view.kaso_note = _kaso_without_hub(municipalities, label)
    all_hubs = load("hubs_list", pref=option.pref_code, year=year, bureaus=())
    if all_hubs["services"].notna().any():
        matrix = service_matrix(all_hubs, option.bureaus)
        marked = matrix.rename(index=lambda b: f"● {b}" if b in filters.bureaus else b)
        view.services_figure = charts.plot_service_heatmap(marked, label)
        view.services_table = matrix.rename_axis(label).reset_index()
    return view
