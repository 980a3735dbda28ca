"""district_limits.sql and district_budget.sql: each district against every limit of the REAL
福島県 profile (rows in, rows out), and the words the 事業パイプライン table gives them.

No warehouse build: a grant history goes into an in-memory DuckDB next to the profile's rules
(converted by etl.warehouse.reference_rows, as the build converts them), then the two mart
files run on it.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from core.settings import PROJECT_DIR
from dashboard.views.pipeline import _budget_display
from etl import warehouse
from etl.profiles import load_profile

MARTS = PROJECT_DIR / "etl" / "sql" / "marts"
PROFILE = load_profile(PROJECT_DIR / "data" / "profiles" / "fukushima.toml")
NAMES = {p.id: p.name for p in PROFILE.programs}


def grant(district, year, program, amount=100_000, withdrawn=False, muni="07001"):
    return {"pref_code": "07", "fiscal_year": year, "municipality_code": muni, "municipality_name": "甲町",
            "bureau": "会津", "district_name": f"{district}地区", "district_key": district, "program": program,
            "program_name": NAMES[program], "is_withdrawn": withdrawn, "grant_yen": amount, "is_sample": False}  # fmt: skip


def run(grants: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(district_budget, district_limits) for the grant history."""
    con = duckdb.connect()
    con.execute("create schema staging")
    con.register(
        "rules_frame", pd.DataFrame(warehouse.reference_rows({PROFILE.key: PROFILE})["ref_rules"])
    )
    con.execute(
        "create table staging.ref_rules as select * exclude (params), params::json as params from rules_frame"
    )
    con.execute("create table profile_rules as " + (MARTS / "profile_rules.sql").read_text())
    con.register("grants_frame", pd.DataFrame(grants))
    con.execute("create table grants as select * from grants_frame")
    for name in ("district_limits", "district_budget"):
        con.execute(f"create table {name} as " + (MARTS / f"{name}.sql").read_text())  # noqa: S608
    return con.execute("select * from district_budget").df(), con.execute(
        "select * from district_limits"
    ).df()


def shown(grants: list[dict]) -> pd.Series:
    """The one district's row of the table the page shows."""
    budget, limits = run(grants)
    lists = limits.groupby(["municipality_code", "district_key"]).apply(
        lambda f: f.to_dict("records"), include_groups=False).rename("limits").reset_index()  # fmt: skip
    return _budget_display(budget.merge(lists), NAMES, "地方振興局").iloc[0]


def test_cap_years_and_finish_by():
    budget, limits = run([grant("A", 2024, "plan", 500_000), grant("A", 2025, "project", 1_800_000),
                          grant("A", 2026, "project", 1_500_000), grant("A", 2026, "plan", 9_999, withdrawn=True)])  # fmt: skip
    row = budget.iloc[0]
    assert (
        row["cap_rule_id"],
        row["cap_yen"],
        row["cumulative_grant_yen"],
        row["cap_left_yen"],
    ) == ("R4", 5_000_000, 3_800_000, 1_200_000)  # the cap is the profile's cumulative_cap rule
    assert (row["finish_by_fy"], row["evaluated_fy"]) == (2028, 2026)  # 2024 + 5 - 1
    used = limits.set_index(["rule_id", "kind"])["used"].to_dict()
    assert used[("R3", "max_years")] == 1 and used[("R5", "max_years")] == 2
    # 1,200,000 left is less than this year's 1,500,000: the cap stops a similar grant next year.
    assert row["status"] == "来年度に上限" and row["stops_next_year"] and not row["is_over"]
    assert shown([grant("A", 2024, "plan", 500_000), grant("A", 2025, "project", 1_800_000),
                  grant("A", 2026, "project", 1_500_000)])["超過・来年度の制約"] == (
        "R4: 累計上限まで残り1,200千円（今年度の補助金1,500千円より少ない）")  # fmt: skip


@pytest.mark.parametrize(
    ("grants", "status", "words"),
    [
        # past the cap in an earlier year, nothing this year: still 上限超過, never blank
        ([grant("A", 2023, "plan", 500_000), grant("A", 2024, "project", 4_720_000), grant("B", 2026, "plan")],
         "上限超過", "R4: 累計上限を220千円超えています"),
        # four project years against three allowed
        ([grant("A", y, "project") for y in (2021, 2022, 2023, 2024)] + [grant("B", 2026, "plan")],
         "上限超過", "R5: 小さな拠点づくり事業が上限の3か年度を超えています（4か年度）"),
        # a grant after the 5-year window
        ([grant("A", 2019, "plan"), grant("A", 2024, "project"), grant("B", 2026, "plan")],
         "上限超過", "R5: 最長5か年度の期間（令和5年度 (2023)まで）を過ぎて補助があります"),
        # third project year this year: R5 years reached
        ([grant("A", 2023, "plan")] + [grant("A", y, "project") for y in (2024, 2025, 2026)],
         "来年度に上限", "R5: 小さな拠点づくり事業が上限の3か年度に達しています"),
        # the 5-year window ends this year
        ([grant("A", 2022, "plan"), grant("A", 2026, "project")],
         "来年度に上限", "R5: 最長5か年度の期間が今年度（令和8年度 (2026)）で終わります"),
        # second planning year this year
        ([grant("A", 2025, "plan"), grant("A", 2026, "plan")], "来年度に上限", "R3: 計画策定事業が上限の2か年度に達しています"),
        # nothing this year (B has the prefecture's latest grant): not active, no warning
        ([grant("A", 2021, "plan"), grant("A", 2022, "project"), grant("B", 2026, "plan")], "余裕", "なし"),
        # plenty of room
        ([grant("A", 2025, "plan"), grant("A", 2026, "project")], "余裕", "なし"),
        # a withdrawn grant counts for nothing
        ([grant("A", 2025, "plan"), grant("A", 2026, "plan", withdrawn=True)], "余裕", "なし"),
    ],
)  # fmt: skip
def test_status_and_words(grants, status, words):
    budget, _ = run(grants)
    assert budget.set_index("district_key").loc["A", "status"] == status
    assert shown(grants)["超過・来年度の制約"] == words


def test_an_unknown_amount_is_counted_apart_never_as_zero():
    budget, _ = run([grant("A", 2025, "plan", 300_000), grant("A", 2026, "project", None)])
    row = budget.iloc[0]
    assert (row["cumulative_grant_yen"], row["unknown_amount_records"]) == (300_000, 1)


def test_every_limit_comes_from_the_rules():
    _, limits = run([grant("A", 2025, "plan")])
    declared = [
        (r.id, r.kind)
        for r in PROFILE.rules
        if r.kind in ("cumulative_cap", "max_years", "window_years")
    ]
    assert list(zip(limits["rule_id"], limits["kind"], strict=True)) == declared


def test_a_second_declaration_of_the_cap_is_refused(tmp_path):
    """The cap is declared once, as the cumulative_cap rule; a [district_cap] table beside it
    could drift from the rule, so the profile is refused with the reason."""
    from etl.errors import EtlError

    text = (PROJECT_DIR / "data" / "profiles" / "fukushima.toml").read_text(encoding="utf-8")
    copy = tmp_path / "fukushima.toml"
    copy.write_text(text + '\n[district_cap]\ncap_yen = 5000000\nprograms = ["plan"]\nsource = "x"\n',
                    encoding="utf-8")  # fmt: skip
    with pytest.raises(EtlError, match=r"\[district_cap\] は使えません.*cumulative_cap"):
        load_profile(copy)
    assert (PROFILE.district_cap_yen, PROFILE.district_cap_programs) == (
        5_000_000,
        ("plan", "project"),
    )
