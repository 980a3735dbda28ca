"""District stages, per-district limits and the pipeline forecast on small known histories."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import pipeline as pl
from dashboard.db import Warehouse
from dashboard.views import direct_loader


def grant(muni, district, year, stage, amount=400_000, withdrawn=False, program=None):
    return {"fiscal_year": year, "municipality_code": muni, "municipality_name": f"町{muni[-2:]}", "bureau": "会津",
            "district_name": district, "district_key": district, "program": program or stage,
            "program_name": {"plan": "計画策定事業", "project": "小さな拠点づくり事業"}[stage], "program_stage": stage,
            "status": "取下げ" if withdrawn else "完了", "is_withdrawn": withdrawn, "grant_yen": amount}  # fmt: skip


def hubs(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["municipality_code", "district_key", "first_listed_fy", "hub_name"]
    )


NO_FINDINGS = pd.DataFrame(columns=["municipality_code", "district_key", "severity"])


@pytest.mark.parametrize(
    ("grants", "listed", "stage"),
    [
        ([grant("07001", "A", 2021, "plan")], None, pl.PLANNING),
        (
            [grant("07001", "A", 2021, "plan"), grant("07001", "A", 2022, "project")],
            None,
            pl.PROJECT,
        ),
        (
            [grant("07001", "A", 2021, "plan"), grant("07001", "A", 2022, "project")],
            2023,
            pl.FORMED,
        ),
        (
            [grant("07001", "A", 2022, "project")],
            2020,
            pl.EXISTING,
        ),  # a hub before the grants began
        (
            [grant("07001", "A", 2022, "project")],
            2022,
            pl.EXISTING,
        ),  # listed in May of the first year
        ([grant("07001", "A", 2024, "plan", withdrawn=True)], None, pl.WITHDRAWN),
        (
            [
                grant("07001", "A", 2024, "project", withdrawn=True),
                grant("07001", "A", 2025, "plan"),
            ],
            None,
            pl.PLANNING,
        ),
    ],
)
def test_stage(grants, listed, stage):
    district_hubs = hubs(("07001", "A", listed, "拠点")) if listed else hubs()
    table = pl.district_table(pd.DataFrame(grants), district_hubs, NO_FINDINGS)
    assert table["stage"].tolist() == [stage]


def test_district_table_years_and_findings():
    grants = pd.DataFrame([grant("07001", "A", 2021, "plan"), grant("07001", "A", 2022, "project"),
                           grant("07001", "A", 2023, "project"), grant("07001", "A", 2024, "plan", withdrawn=True)])  # fmt: skip
    findings = pd.DataFrame([("07001", "A", "error"), ("07001", "A", "advice"), ("07001", "A", "advice")],
                            columns=["municipality_code", "district_key", "severity"])  # fmt: skip
    row = pl.district_table(grants, hubs(), findings).iloc[0]
    assert (row["plan_fys"], row["project_fys"], row["withdrawn_fys"]) == (
        (2021,),
        (2022, 2023),
        (2024,),
    )
    assert (row["first_fy"], row["last_fy"], row["first_project_fy"]) == (2021, 2023, 2022)
    assert (row["error"], row["advice"]) == (1, 2)


def districts(*specs) -> pd.DataFrame:
    """(district, first_project_fy, first_listed_fy, first_fy) → a district table."""
    rows = []
    for name, project, listed, first in specs:
        stage = pl._stage(first, (first,), (project,) if project else (), listed)
        rows.append({"municipality_code": "07001", "district_key": name, "municipality_name": "町", "district_name": name,
                     "first_project_fy": project, "first_listed_fy": listed, "first_fy": first, "stage": stage})  # fmt: skip
    return pd.DataFrame(rows)


def test_pipeline_forecast_exact():
    # Cohort: projects begun by 2023 (latest list 2024): A, B, C, D; A, B, C became hubs → 3/4.
    # Pending: D (2023, not listed) and E (2024) → 2 × 0.75 = 1.5; forecast 50 + 1.5 = 51.5.
    # F was a hub before its grants (existing): neither cohort nor pending. G only plans.
    table = districts(("A", 2021, 2022, 2020), ("B", 2022, 2023, 2021), ("C", 2023, 2024, 2022),
                      ("D", 2023, None, 2022), ("E", 2024, None, 2024), ("F", 2022, 2020, 2022),
                      ("G", None, None, 2024))  # fmt: skip
    forecast = pl.pipeline_forecast(table, 2024, 50, 2030)
    assert (forecast.cohort, forecast.converted, forecast.pending) == (4, 3, 2)
    assert forecast.rate == pytest.approx(0.75)
    assert forecast.expected == pytest.approx(1.5)
    assert forecast.forecast == pytest.approx(51.5)
    assert forecast.upper == 52
    assert "51.5拠点" in forecast.summary() and "3/4" in forecast.summary()


def test_pipeline_forecast_without_history_says_so():
    table = districts(("E", 2024, None, 2024))
    forecast = pl.pipeline_forecast(table, 2024, 50, 2030)
    assert forecast.forecast is None and forecast.pending == 1
    assert "転換率がわからず" in forecast.summary()
    assert pl.pipeline_forecast(table.iloc[0:0], None, None, 2030).forecast is None


def test_sample_pipeline(sample_settings):
    load = direct_loader(Warehouse(sample_settings.warehouse_dir))
    table = pl.district_table(load("grants_history", pref="07", bureaus=()), load("district_hubs", pref="07"),
                              load("rule_findings", pref="07", from_fy=2020, to_fy=2026, bureaus=()))  # fmt: skip
    assert len(table) == 23
    assert table["stage"].value_counts().to_dict() == {
        pl.FORMED: 10,
        pl.PROJECT: 10,
        pl.PLANNING: 2,
        pl.EXISTING: 1,
    }
    forecast = pl.pipeline_forecast(table, 2024, 59, 2030)
    # Cohort: 12 districts began projects by FY2023; 10 of them appear in the 2023/2024 lists.
    assert (forecast.cohort, forecast.converted, forecast.pending) == (12, 10, 10)
    assert forecast.forecast == pytest.approx(59 + 10 * 10 / 12)


def test_sample_districts_past_a_limit_are_shown_as_such(sample_settings):
    from dashboard.filters import Filters, build_profile_options
    from dashboard.views.pipeline import build_pipeline

    load = direct_loader(Warehouse(sample_settings.warehouse_dir))
    option = build_profile_options(load)["fukushima"]
    view = build_pipeline(load, Filters("fukushima", option.first_fy, option.last_fy, ()), option)
    table = view.budget.set_index("地区名")
    assert table.loc["早森田地区", "状況"] == "上限超過"
    assert "累計上限を220千円超えています" in table.loc["早森田地区", "超過・来年度の制約"]
    assert table.loc["東倉沢地区", "状況"] == "上限超過"
    assert "上限の3か年度を超えています（4か年度）" in table.loc["東倉沢地区", "超過・来年度の制約"]
    assert (
        "データなし" not in set(table["超過・来年度の制約"])
        and not table["超過・来年度の制約"].isna().any()
    )


def test_none_and_not_yet_have_their_own_words_not_no_data(sample_settings):
    from dashboard.filters import Filters, build_profile_options
    from dashboard.views.pipeline import build_pipeline

    load = direct_loader(Warehouse(sample_settings.warehouse_dir))
    option = build_profile_options(load)["fukushima"]
    view = build_pipeline(load, Filters("fukushima", option.first_fy, option.last_fy, ()), option)
    districts = view.districts
    assert (
        "未掲載" in set(districts["拠点一覧への掲載"])
        and districts["拠点一覧への掲載"].notna().all()
    )
    assert "なし" in set(districts["取下げ"]) and (districts["取下げ"] != "").all()
    assert view.budget["終了期限"].notna().all() and view.budget["残り（千円）"].notna().all()
