"""補助金マップ: grant spend by municipality or bureau, with district markers and the tables."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go

from dashboard.columns import labelled
from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import fy_label, sen_yen, updated_text, with_fy_columns
from dashboard.maps import (
    boundary_credit,
    dissolve_by_bureau,
    district_positions,
    load_boundaries,
    plot_grant_choropleth,
    plot_grant_points,
)
from dashboard.metrics import Card
from dashboard.views import Loader
from dashboard.views.readings import spend_reading

LEVELS = ("municipality", "bureau")
NO_GRANT_DATA = "この都道府県の補助金データはまだ取り込まれていません。"
NO_BOUNDARIES = (
    "境界データがないため、市町村の代表点（役場付近）に円で表示しています。境界を表示するには "
    "`python -m etl boundaries --profile {profile}` を実行してください（国土数値情報をダウンロード"
    "します。オフラインでは `--from` で N03 のファイルを指定できます）。"
)


@dataclass(frozen=True)
class GrantMap:
    figure: go.Figure
    has_boundaries: bool
    note: str  # how to get boundaries, when the map falls back to points
    credit: str  # N03 credit line, only when boundaries are drawn
    caption: str
    table: pd.DataFrame
    districts_table: pd.DataFrame
    spend: Card  # grant_spend_period of the catalogue (the same card as on 概要)
    municipalities: Card
    is_empty: bool
    message: str
    summary: str = ""  # the map in words: the areas with the most grant spend


def _summary(values: pd.DataFrame, period: str) -> str:
    """「補助金額の多い順（令和2年度～…）: 只見町 8,550千円、…」, the five largest; unknown areas
    are counted, never taken as zero."""
    rows = values[values["is_selected"]]
    known = rows[rows["grant_yen"].notna() & (rows["grant_yen"].fillna(0) > 0)]
    top = known.sort_values("grant_yen", ascending=False, kind="stable").head(5)
    parts = [
        f"{name} {float(yen) / 1_000:,.0f}千円"
        for name, yen in zip(top["name"], top["grant_yen"], strict=True)
    ]
    text = (
        f"補助金額の多い順（{period}）: " + "、".join(parts)
        if parts
        else f"{period}の補助金の記録はありません"
    )
    unknown = int(rows["grant_yen"].isna().sum())
    return text + (f"。金額不明 {unknown}" if unknown and rows["grant_yen"].notna().any() else "")


def parse_level(value: object) -> str:
    """The map level from a URL value; anything unknown is the municipality level."""
    return value if value in LEVELS else LEVELS[0]


def _period(filters: Filters) -> str:
    return f"{fy_label(filters.from_fy)}～{fy_label(filters.to_fy)}"


def _scope(filters: Filters, option: ProfileOption) -> dict[str, object]:
    # Without any fiscal year (a profile with no data yet) nothing falls in the range.
    return {"pref": option.pref_code, "from_fy": filters.from_fy or 0, "to_fy": filters.to_fy or 0}


def _sen(values: pd.Series) -> pd.api.extensions.ExtensionArray:
    return pd.array([sen_yen(v) for v in values], dtype="Float64")


def municipality_values(load: Loader, filters: Filters, option: ProfileOption) -> pd.DataFrame:
    """One row per municipality: key (code), name, bureau, grant_yen (NULL = unknown), records,
    districts, is_selected (inside the chosen bureaus) and the representative point."""
    raw = load("grant_by_municipality", **_scope(filters, option))
    df = raw.rename(columns={"municipality_code": "key", "municipality_name": "name"})
    has_data = raw["grant_yen"].notna().any()
    df["grant_yen"] = df["grant_yen"].astype("Float64")  # NULL: unknown (see the query)
    for column in ("records", "districts"):
        df[column] = (
            df[column].astype("Int64") if has_data else pd.array([pd.NA] * len(df), "Int64")
        )
    df["is_selected"] = df["bureau"].isin(filters.bureaus) if filters.bureaus else True
    return df


def bureau_values(load: Loader, filters: Filters, option: ProfileOption) -> pd.DataFrame:
    """One row per bureau (grant_by_bureau: summed in SQL), shaped like municipality_values."""
    out = load("grant_by_bureau", **_scope(filters, option))
    out["grant_yen"] = out["grant_yen"].astype("Float64")
    for column in ("records", "districts"):
        out[column] = out[column].astype("Int64")
    out["is_selected"] = out["bureau"].isin(filters.bureaus) if filters.bureaus else True
    out["key"] = out["name"] = out["bureau"]
    return out.reset_index(drop=True)


def _table(values: pd.DataFrame, level: str, bureau_label: str) -> pd.DataFrame:
    rows = values[values["is_selected"]]
    if level == "bureau":
        head = {
            "bureau": rows["bureau"],
            "municipalities": rows["municipalities"],
            "with_grants": rows["with_grants"].astype("Int64").where(rows["grant_yen"].notna()),
        }
    else:
        head = {
            "municipality_code": rows["key"].astype(str),
            "municipality_name": rows["name"],
            "bureau": rows["bureau"],
        }
    table = pd.DataFrame(
        {
            **head,
            "grant_thousand_yen": _sen(rows["grant_yen"]),
            "records": rows["records"],
            "districts": rows["districts"],
        }
    )
    return labelled(table, bureau_label).reset_index(drop=True)


def _districts_table(districts: pd.DataFrame) -> pd.DataFrame:
    table = labelled(
        pd.DataFrame(
            {
                "district_name": districts["district_name"],
                "municipality": districts["municipality_name"],
                "cumulative_thousand_yen": _sen(districts["cumulative_grant_yen"]),
                "in_range_thousand_yen": _sen(districts["grant_in_range_yen"]),
                "cap_thousand_yen": _sen(districts["cap_yen"]),
                "cap_used_pct": districts["cap_used_pct"].astype("Float64"),
                "first_fy": districts["first_fy"],
                "last_fy": districts["last_fy"],
            }
        ),
        "",
    )
    table = with_fy_columns(table, "最初の年度", "最初の年度")
    return with_fy_columns(table, "最後の年度", "最後の年度").reset_index(drop=True)


def _caption(load: Loader, filters: Filters, option: ProfileOption) -> str:
    info = load("build_info").iloc[0]
    sources = load("grant_sources", pref=option.pref_code)
    files = "、".join(sources["source_file"]) if len(sources) else "なし"
    sample = "サンプルデータ（架空）、" if bool(info["is_sample"]) else ""
    return (
        f"出典: {option.pref_name} 補助金交付記録（{files}。{sample}取下げを除く） ／ 対象年度: {_period(filters)} ／ "
        "塗り分け: 選択年度の補助金額 ／ 地区の円: 大きさは全年度の累計補助金額、色は地区上限の使用率 ／ "
        + updated_text(info)
    )


def _emptiness(values: pd.DataFrame, option: ProfileOption) -> tuple[bool, str]:
    if values["records"].isna().all():  # the prefecture has no grant data at all
        return True, NO_GRANT_DATA
    if values.loc[values["is_selected"], "records"].fillna(0).sum() == 0:
        return True, f"選択した年度・{option.bureau_label}には補助金の記録がありません。"
    return False, ""


def _figure(
    values: pd.DataFrame,
    districts: pd.DataFrame,
    level: str,
    boundaries: gpd.GeoDataFrame | None,
    map_style: str,
    period: str,
    bureau_label: str,
) -> go.Figure:
    labels = {"period": period, "bureau_label": bureau_label}
    if boundaries is None:
        return plot_grant_points(values, districts, map_style, level=level, **labels)
    if level == "bureau":
        shapes = dissolve_by_bureau(boundaries).rename(columns={"bureau": "key"})
        shapes = shapes.drop(columns="municipalities").merge(values, on="key", how="left")
    else:
        shapes = boundaries[["code", "name", "geometry"]].rename(columns={"code": "key"})
        shapes = shapes.merge(values.drop(columns="name"), on="key", how="left")
    shapes["is_selected"] = shapes["is_selected"].fillna(True).astype(bool)
    return plot_grant_choropleth(shapes, level, districts, map_style, **labels)


def build_grant_map(
    load: Loader,
    filters: Filters,
    option: ProfileOption,
    level: str,
    boundaries_dir: Path,
    map_style: str,
) -> GrantMap:
    """Everything the 補助金マップ page renders, for the municipality or the bureau level."""
    level = parse_level(level)
    values = municipality_values(load, filters, option)
    raw_districts = load("districts", **_scope(filters, option), bureaus=filters.bureaus)
    districts = district_positions(raw_districts)
    shown = bureau_values(load, filters, option) if level == "bureau" else values
    boundaries = load_boundaries(boundaries_dir, option.pref_code)
    period = _period(filters)
    figure = _figure(shown, districts, level, boundaries, map_style, period, option.bureau_label)
    is_empty, message = _emptiness(values, option)
    spend = spend_reading(
        load,
        option,
        "grant_spend_period",
        filters.from_fy or 0,
        filters.to_fy or 0,
        filters.bureaus,
    )
    with_grants = load("grant_spend", pref=option.pref_code, from_fy=filters.from_fy or 0, to_fy=filters.to_fy or 0,
                       bureaus=filters.bureaus).iloc[0]["municipalities_with_grants"]  # fmt: skip
    municipalities = dataclasses.replace(spend, metric="grant_municipalities", unknown=0,
                                         value=None if spend.value is None else float(with_grants))  # fmt: skip
    return GrantMap(
        figure=figure,
        has_boundaries=boundaries is not None,
        note="" if boundaries is not None else NO_BOUNDARIES.format(profile=option.key),
        credit=boundary_credit(boundaries_dir, option.pref_code) if boundaries is not None else "",
        caption=_caption(load, filters, option),
        table=_table(shown, level, option.bureau_label),
        districts_table=_districts_table(districts),
        spend=Card(spend),
        municipalities=Card(municipalities),
        is_empty=is_empty,
        message=message,
        summary=_summary(shown, period),
    )
