"""dashboard.kpi: target path, status grade, trend forecast, national index, growth."""

from __future__ import annotations

import math

import duckdb
import pandas as pd
import pytest

from core.settings import PROJECT_DIR
from dashboard import kpi
from dashboard.db import Warehouse
from dashboard.kpi import Grade, Target
from dashboard.views import direct_loader

FUKUSHIMA = Target(2020, 48, 2030, 60)  # 48 → 60: +1.2 a year
ROUND = Target(2020, 100, 2030, 200)  # 100 → 200: +10 a year
FORECAST_COLUMNS = ["fiscal_year", "value", "low", "high"]


def series(*points: tuple[int, float]) -> pd.DataFrame:
    return pd.DataFrame(points, columns=["fiscal_year", "value"])


# --- Target ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2020, 48.0),  # base year: the base value
        (2030, 60.0),  # target year: the target value
        (2024, 52.8),  # 48 + (60 - 48) / 10 * 4 = 48 + 4.8
        (2025, 54.0),  # 48 + 1.2 * 5
        (2021, 49.2),  # 48 + 1.2
        (2032, 62.4),  # beyond the target year the line goes on: 48 + 1.2 * 12
    ],
)
def test_path_value(year, expected):
    assert FUKUSHIMA.path_value(year) == pytest.approx(expected, abs=1e-9)


def test_path_value_exact_at_base_and_target():
    assert (FUKUSHIMA.path_value(2020), FUKUSHIMA.path_value(2030)) == (48, 60)


def test_path_frame():
    expected = pd.DataFrame(
        {"fiscal_year": list(range(2020, 2031)), "value": [48 + 1.2 * k for k in range(11)]}
    )
    pd.testing.assert_frame_equal(FUKUSHIMA.path(), expected)


# --- grade -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "target", "expected"),
    [
        # ROUND at 2025: path 100 + 10 * 5 = 150; the path asks for 150 - 100 = 50, 80% of it
        # is 40, so 要注意 from 100 + 40 = 140 up to 149.
        (
            [(2025, 200)],
            ROUND,
            Grade("達成", 2025, 200, 150.0, "実績200は目標値200以上です。"),
        ),
        (
            [(2025, 250)],
            ROUND,
            Grade("達成", 2025, 250, 150.0, "実績250は目標値200以上です。"),
        ),
        (
            [(2025, 199)],
            ROUND,
            Grade("順調", 2025, 199, 150.0, "実績199は目標経路の150.0以上です。"),
        ),
        (  # exactly on the path counts as 順調
            [(2025, 150)],
            ROUND,
            Grade("順調", 2025, 150, 150.0, "実績150は目標経路の150.0以上です。"),
        ),
        (  # 49 of 50 = 98%
            [(2025, 149)],
            ROUND,
            Grade(
                "要注意",
                2025,
                149,
                150.0,
                "実績149は目標経路の150.0を下回りますが、必要な増加分の98%です。",
            ),
        ),
        (  # exactly 80%: 40 of 50
            [(2025, 140)],
            ROUND,
            Grade(
                "要注意",
                2025,
                140,
                150.0,
                "実績140は目標経路の150.0を下回りますが、必要な増加分の80%です。",
            ),
        ),
        (  # 39 of 50 = 78%
            [(2025, 139)],
            ROUND,
            Grade(
                "遅れ",
                2025,
                139,
                150.0,
                "実績139は目標経路の150.0を下回ります（必要な増加分の78%）。",
            ),
        ),
        (  # no increase at all
            [(2025, 100)],
            ROUND,
            Grade(
                "遅れ",
                2025,
                100,
                150.0,
                "実績100は目標経路の150.0を下回ります（必要な増加分の0%）。",
            ),
        ),
        (  # below the base: -10 of 50, shown as 0%
            [(2025, 90)],
            ROUND,
            Grade(
                "遅れ", 2025, 90, 150.0, "実績90は目標経路の150.0を下回ります（必要な増加分の0%）。"
            ),
        ),
        # At the target year the path is the target: 199 is 99 of the 100 asked.
        (
            [(2030, 199)],
            ROUND,
            Grade(
                "要注意",
                2030,
                199,
                200.0,
                "実績199は目標経路の200.0を下回りますが、必要な増加分の99%です。",
            ),
        ),
        # At the base year the path asks for nothing: the base value is on the path, less is 遅れ
        # (without a share, since nothing was asked).
        (
            [(2020, 100)],
            ROUND,
            Grade("順調", 2020, 100, 100.0, "実績100は目標経路の100.0以上です。"),
        ),
        (
            [(2020, 99)],
            ROUND,
            Grade("遅れ", 2020, 99, 100.0, "実績99は目標経路の100.0を下回ります。"),
        ),
        # Only the latest point counts.
        (
            [(2020, 48), (2023, 55), (2024, 59)],
            FUKUSHIMA,
            Grade("順調", 2024, 59, 52.8, "実績59は目標経路の52.8以上です。"),
        ),
        (  # 福島 2025: path 48 + 1.2 * 5 = 54; exactly on it
            [(2025, 54)],
            FUKUSHIMA,
            Grade("順調", 2025, 54, 54.0, "実績54は目標経路の54.0以上です。"),
        ),
        (  # 福島 2025: asked 6, 80% = 4.8 → 52.8; 53 is 5 of 6 = 83%
            [(2025, 53)],
            FUKUSHIMA,
            Grade(
                "要注意",
                2025,
                53,
                54.0,
                "実績53は目標経路の54.0を下回りますが、必要な増加分の83%です。",
            ),
        ),
        (  # 福島 2025: 52 is 4 of 6 = 67%
            [(2025, 52)],
            FUKUSHIMA,
            Grade(
                "遅れ", 2025, 52, 54.0, "実績52は目標経路の54.0を下回ります（必要な増加分の67%）。"
            ),
        ),
        (  # 福島 2024 (path 52.8): 50 is 2 of 4.8 = 42%
            [(2020, 48), (2024, 50)],
            FUKUSHIMA,
            Grade(
                "遅れ", 2024, 50, 52.8, "実績50は目標経路の52.8を下回ります（必要な増加分の42%）。"
            ),
        ),
        (  # 鳥取: 46 ≥ 45 in 2022
            [(2019, 30), (2021, 39), (2022, 46)],
            Target(2019, 30, 2024, 45),
            Grade("達成", 2022, 46, 39.0, "実績46は目標値45以上です。"),
        ),
    ],
)
def test_grade(points, target, expected):
    got = kpi.grade(series(*points), target)
    assert got == Grade(
        expected.label,
        expected.year,
        expected.actual,
        pytest.approx(expected.expected, abs=1e-9),
        expected.explanation,
    )


def test_grade_without_data():
    assert kpi.grade(series(), FUKUSHIMA) == Grade(
        "データなし", None, None, None, "実績がありません。"
    )


# --- trend_forecast ----------------------------------------------------------------------------


def line_forecast(first_year: int, x_last: int, x_until: int, fit, band) -> pd.DataFrame:
    """Rows x_last..x_until (x = year - first_year) with fit(x) and half-width band(x)."""
    rows = []
    for x in range(x_last, x_until + 1):
        half = band(x)
        rows.append((first_year + x, fit(x), fit(x) - half, fit(x) + half))
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)


def half_width(t: float, s2: float, n: int, mean_x: float, sxx: float):
    return lambda x: t * math.sqrt(s2) * math.sqrt(1 + 1 / n + (x - mean_x) ** 2 / sxx)


def check_forecast(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        got.astype({"fiscal_year": int}), expected, check_dtype=False, rtol=1e-9, atol=1e-9
    )


def test_forecast_three_points_fukushima():
    # x = year - 2020: points (0, 48), (3, 55), (4, 59); n = 3, mean x = 7/3, mean y = 54
    # Sxx = 0² + 3² + 4² - 3 * (7/3)² = 25 - 49/3 = 26/3
    # Sxy = 3*55 + 4*59 - 3 * (7/3) * 54 = 401 - 378 = 23
    # slope = 23 / (26/3) = 69/26; intercept at x = 0: 54 - 69/26 * 7/3 = 54 - 161/26 = 1243/26
    # residuals: 48 - 1243/26 = 5/26; 55 - 1450/26 = -20/26; 59 - 1519/26 = 15/26
    # SSR = (25 + 400 + 225) / 676 = 25/26; dof = 1 → t = 3.078, s² = 25/26
    got = kpi.trend_forecast(series((2020, 48), (2023, 55), (2024, 59)), 2030)
    expected = line_forecast(
        2020, 4, 10, lambda x: (1243 + 69 * x) / 26, half_width(3.078, 25 / 26, 3, 7 / 3, 26 / 3)
    )
    check_forecast(got, expected)
    # 2030 (x = 10): fit = (1243 + 690) / 26 = 1933/26 = 74.346...
    # half = 3.078 * sqrt(25/26) * sqrt(1 + 1/3 + (23/3)² / (26/3)) = 3.078 * 5/√26 * √(633/78)
    #      = 8.5982 → band 65.748 … 82.944
    last = got.iloc[-1]
    assert (last["fiscal_year"], last["value"], last["low"], last["high"]) == (
        2030,
        pytest.approx(74.34615, abs=1e-5),
        pytest.approx(65.74797, abs=1e-5),
        pytest.approx(82.94433, abs=1e-5),
    )


def test_forecast_four_points_uses_t_for_two_degrees_of_freedom():
    # x = 0..3, y = 1, 3, 2, 4: mean x = 1.5, mean y = 2.5, Sxx = 2.25+0.25+0.25+2.25 = 5
    # Sxy = 2.25 - 0.25 - 0.25 + 2.25 = 4 → slope 0.8, intercept 2.5 - 0.8*1.5 = 1.3
    # fits 1.3, 2.1, 2.9, 3.7; residuals -0.3, 0.9, -0.9, 0.3; SSR = 1.8; dof 2 → s² = 0.9, t 1.886
    got = kpi.trend_forecast(series((2020, 1), (2021, 3), (2022, 2), (2023, 4)), 2025)
    expected = pd.DataFrame(
        [
            # 2023: 3.7 ± 1.886 * sqrt(0.9 * (1 + 1/4 + 1.5²/5)) = 1.886 * sqrt(0.9 * 1.7)
            (2023, 3.7, 3.7 - 1.886 * math.sqrt(1.53), 3.7 + 1.886 * math.sqrt(1.53)),
            # 2024: 4.5 ± 1.886 * sqrt(0.9 * (1.25 + 2.5²/5)) = 1.886 * sqrt(0.9 * 2.5)
            (2024, 4.5, 4.5 - 1.886 * math.sqrt(2.25), 4.5 + 1.886 * math.sqrt(2.25)),
            # 2025: 5.3 ± 1.886 * sqrt(0.9 * (1.25 + 3.5²/5)) = 1.886 * sqrt(0.9 * 3.7)
            (2025, 5.3, 5.3 - 1.886 * math.sqrt(3.33), 5.3 + 1.886 * math.sqrt(3.33)),
        ],
        columns=FORECAST_COLUMNS,
    )
    check_forecast(got, expected)


@pytest.mark.parametrize(
    ("n", "t"),
    [
        (5, 1.638),  # dof 3
        (13, 1.372),  # dof 11 is not in the table: the next smaller row, dof 10
    ],
)
def test_forecast_t_value_by_degrees_of_freedom(n, t):
    # y = 10 + 2x + e with e = 1, -2, 0, 2, -1, 0, 0, ... (Σe = 0 and Σx·e = -2 + 6 - 4 = 0),
    # so the fit is exactly slope 2, intercept 10 and SSR = 1 + 4 + 0 + 4 + 1 = 10.
    errors = [1, -2, 0, 2, -1] + [0] * (n - 5)
    points = [(2000 + x, 10 + 2 * x + e) for x, e in zip(range(n), errors, strict=True)]
    mean_x = (n - 1) / 2
    sxx = sum((x - mean_x) ** 2 for x in range(n))  # n=5: 10; n=13: 182
    expected = line_forecast(
        2000, n - 1, n + 1, lambda x: 10 + 2 * x, half_width(t, 10 / (n - 2), n, mean_x, sxx)
    )
    check_forecast(kpi.trend_forecast(series(*points), 2000 + n + 1), expected)


def test_forecast_two_points_line_without_band():
    # slope (59 - 48) / 4 = 2.75; rows 2024..2030: 59, 61.75, 64.5, 67.25, 70, 72.75, 75.5
    got = kpi.trend_forecast(series((2020, 48), (2024, 59)), 2030)
    nan = float("nan")
    expected = pd.DataFrame(
        [
            (2024, 59.0, nan, nan),
            (2025, 61.75, nan, nan),
            (2026, 64.5, nan, nan),
            (2027, 67.25, nan, nan),
            (2028, 70.0, nan, nan),
            (2029, 72.75, nan, nan),
            (2030, 75.5, nan, nan),
        ],
        columns=FORECAST_COLUMNS,
    )
    check_forecast(got, expected)


@pytest.mark.parametrize(
    "points",
    [
        [],
        [(2024, 59)],
        [(2024, 59), (2024, 60)],  # two values of one year: no line
    ],
)
def test_forecast_too_few_points_is_empty(points):
    got = kpi.trend_forecast(series(*points), 2030)
    assert got.empty
    assert list(got.columns) == FORECAST_COLUMNS


# --- kpi_actual (the mart) ---------------------------------------------------------------------


KPI_COLUMNS = ["pref_code", "indicator", "fiscal_year", "value", "kind", "basis", "source"]
KPI_ACTUAL_SQL = PROJECT_DIR / "etl" / "sql" / "marts" / "kpi_actual.sql"


def kpi_frame(rows) -> pd.DataFrame:
    """kpi_series rows (pref, indicator, year, value, kind, basis, source[, unknown_rows]);
    without the last, a survey-list count is complete (0) and a published one has none (NULL)."""
    full = [r if len(r) == 8 else (*r, 0 if r[5] == "survey_list" else None) for r in rows]
    frame = pd.DataFrame(full, columns=[*KPI_COLUMNS, "unknown_rows"])
    return frame.astype({"value": "Int64", "unknown_rows": "Int64"}).assign(
        as_of=None, is_sample=False
    )


def kpi_actual(rows, listed: dict[tuple[str, int], int] | None = None) -> pd.DataFrame:
    """kpi_actual.sql run on kpi_series rows and survey lists of `listed` hubs per (pref, year)."""
    con = duckdb.connect()
    con.register("series_frame", kpi_frame(rows))
    con.execute("create table kpi_series as select * from series_frame")
    hubs = [(pref, year) for (pref, year), n in (listed or {}).items() for _ in range(n)]
    con.register("hubs_frame", pd.DataFrame(hubs, columns=["pref_code", "fiscal_year"]))
    con.execute(
        "create table hubs as select pref_code, fiscal_year::integer as fiscal_year from hubs_frame"
    )
    return con.execute(KPI_ACTUAL_SQL.read_text()).df()


def test_kpi_actual_prefers_published_and_drops_nulls():
    got = kpi_actual([
        ("07", "hubs_total", 2020, 48, "actual", "survey_list", "list 2020"),
        ("07", "hubs_total", 2020, 50, "actual", "published", "pub 2020"),
        ("07", "hubs_total", 2021, None, "actual", "published", "pub 2021"),
        ("07", "hubs_total", 2021, 51, "actual", "survey_list", "list 2021"),
        ("07", "hubs_total", 2022, 53, "actual", "published", "pub 2022"),
        ("07", "hubs_total", 2022, 52, "actual", "survey_list", "list 2022"),
        ("07", "hubs_total", 2023, None, "actual", "survey_list", "list 2023"),
        ("07", "hubs_total", 2030, 60, "target", "published", "target"),
        ("07", "hubs_total", 2024, 58, "derived", "published", "derived"),
        ("31", "hubs_total", 2020, 30, "actual", "published", "tottori"),
    ])  # fmt: skip
    rows = kpi.actual_values(got, "07", "hubs_total").astype(object)
    rows = rows.where(rows.notna(), None)
    assert rows[["fiscal_year", "value", "basis", "source", "unknown_rows", "previous_fy", "change"]].values.tolist() == [
        [2020, 50, "published", "pub 2020", 0, None, None],
        [2021, 51, "survey_list", "list 2021", 0, 2020, 1],
        [2022, 53, "published", "pub 2022", 0, 2021, 2],
    ]  # fmt: skip
    assert kpi.actual_values(got, "07", "hubs_total", to_fy=2021)["fiscal_year"].tolist() == [
        2020,
        2021,
    ]


def test_kpi_actual_of_an_indicator_with_only_nulls_is_empty():
    got = kpi_actual([("31", "rmo_in_hubs", 2019, None, "actual", "survey_list", "list", 30)])
    assert kpi.actual_values(got, "31", "rmo_in_hubs").empty


PARTIAL = [
    ("07", "hubs_total", 2023, 55, "actual", "published", "pub"),
    ("07", "hubs_total", 2023, 55, "actual", "survey_list", "list 2023"),
    ("07", "rmo_in_hubs", 2023, 43, "actual", "published", "pub"),
    ("07", "rmo_in_hubs", 2023, 42, "actual", "survey_list", "list 2023", 1),
    ("07", "hubs_total", 2024, 59, "actual", "published", "pub"),
    ("07", "hubs_total", 2024, 59, "actual", "survey_list", "list 2024"),
    ("07", "rmo_in_hubs", 2024, 45, "actual", "survey_list", "list 2024", 4),  # no published
]
LISTED = {("07", 2023): 55, ("07", 2024): 59}


def test_kpi_actual_keeps_a_partial_count_and_its_unknown_rows():
    got = kpi.actual_values(kpi_actual(PARTIAL, LISTED), "07", "rmo_in_hubs").astype(object)
    got = got.where(got.notna(), None)
    # 2023: the published 43 wins over the list's 42 (1 unknown); 2024: only the list's 45 of
    # the known rows, with its 4 unknown rows (never dropped, never passed off as complete).
    assert got[["fiscal_year", "value", "basis", "unknown_rows", "change_partial"]].values.tolist() == [
        [2023, 43, "published", 0, None],
        [2024, 45, "survey_list", 4, True],  # a change of a partial count says so
    ]  # fmt: skip


def test_rmo_share_over_the_known_hubs():
    shares = kpi.actual_values(kpi_actual(PARTIAL, LISTED), "07", "rmo_share_pct")
    # 2023: 43 / 55 (complete); 2024: 45 / (59 - 4), the list's hubs of known status.
    assert shares["fiscal_year"].tolist() == [2023, 2024]
    assert shares["value"].tolist() == pytest.approx([43 / 55 * 100, 45 / 55 * 100])
    assert shares["unknown_rows"].tolist() == [0, 4]


def test_rmo_share_when_nothing_is_known():
    got = kpi_actual([
        ("31", "hubs_total", 2022, 46, "actual", "survey_list", "list"),
        ("31", "rmo_in_hubs", 2022, None, "actual", "survey_list", "list", 46),
    ], {("31", 2022): 46})  # fmt: skip
    assert kpi.actual_values(got, "31", "rmo_share_pct").empty


def test_grade_names_the_unknown_rows_of_a_partial_count():
    partial = series((2020, 48), (2024, 59)).assign(unknown_rows=[0, 2])
    assert kpi.grade(partial, FUKUSHIMA) == Grade(
        "順調",
        2024,
        59,
        pytest.approx(52.8),
        "実績59は目標経路の52.8以上です。実績は拠点一覧の不明の2行を含まない値です。",
    )
    complete = partial.assign(unknown_rows=0)
    assert kpi.grade(complete, FUKUSHIMA).explanation == "実績59は目標経路の52.8以上です。"


def test_kpi_series_of_the_sample_has_unknown_rows(sample_settings):
    db = Warehouse(sample_settings.warehouse_dir)
    try:
        points = direct_loader(db)("kpi_series", pref="07")
    finally:
        db.close()
    rmo_2020 = points[(points["indicator"] == "rmo_in_hubs") & (points["fiscal_year"] == 2020)]
    assert (rmo_2020["value"].isna().all(), rmo_2020["unknown_rows"].tolist()) == (True, [48])


# --- national_index ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_kpi(sample_settings) -> pd.DataFrame:
    db = Warehouse(sample_settings.warehouse_dir)
    try:
        return direct_loader(db)("kpi_actual", pref="07")
    finally:
        db.close()


def test_national_index_sample_fukushima(sample_kpi):
    # 福島 actual 2020/2023/2024 = 48/55/59; nation 2022/2024 = 2204/2306 → common year: 2024.
    index, base = kpi.national_index(sample_kpi, "07")
    expected = pd.DataFrame(
        {
            "series": ["県", "県", "県", "全国", "全国"],
            "fiscal_year": [2020, 2023, 2024, 2022, 2024],
            "index": [48 / 59 * 100, 55 / 59 * 100, 100.0, 2204 / 2306 * 100, 100.0],
            "value": [48, 55, 59, 2204, 2306],
        }
    )
    assert base == 2024
    pd.testing.assert_frame_equal(index, expected, check_dtype=False)
    assert index.loc[0, "index"] == pytest.approx(81.35593, abs=1e-5)  # 48 / 59 * 100


def test_national_index_bases_on_the_latest_common_year():
    frame = kpi_actual(
        [
            ("07", "hubs_total", 2020, 50, "actual", "published", "a"),
            ("07", "hubs_total", 2022, 60, "actual", "published", "b"),
            ("07", "hubs_total", 2024, 80, "actual", "published", "c"),
            ("07", "hubs_total", 2025, 90, "actual", "published", "d"),
            ("00", "hubs_total", 2022, 1000, "actual", "published", "e"),
            ("00", "hubs_total", 2024, 2000, "actual", "published", "f"),
        ]
    )
    index, base = kpi.national_index(frame, "07")
    # common years 2022 and 2024 → base 2024: 50/80, 60/80, 80/80, 90/80; 1000/2000, 2000/2000
    expected = pd.DataFrame(
        {
            "series": ["県", "県", "県", "県", "全国", "全国"],
            "fiscal_year": [2020, 2022, 2024, 2025, 2022, 2024],
            "index": [62.5, 75.0, 100.0, 112.5, 50.0, 100.0],
            "value": [50, 60, 80, 90, 1000, 2000],
        }
    )
    assert base == 2024
    pd.testing.assert_frame_equal(index, expected, check_dtype=False)


def test_national_index_without_common_year():
    frame = kpi_actual(
        [
            ("07", "hubs_total", 2020, 48, "actual", "published", "a"),
            ("00", "hubs_total", 2022, 2204, "actual", "published", "b"),
            ("00", "hubs_total", 2020, None, "actual", "published", "null does not count"),
        ]
    )
    index, base = kpi.national_index(frame, "07")
    assert (base, index.empty, list(index.columns)) == (
        None,
        True,
        ["series", "fiscal_year", "index", "value"],
    )


# --- annual_growth -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([(2020, 100), (2022, 121)], 10.0),  # (121/100)^(1/2) = 1.1
        ([(2020, 100), (2023, 133.1)], 10.0),  # 1.1³ = 1.331
        ([(2020, 100), (2021, 150), (2022, 81)], -10.0),  # first and last only: 0.81^(1/2) = 0.9
        ([(2020, 100), (2021, 100)], 0.0),
        ([(2020, 48), (2024, 59)], ((59 / 48) ** (1 / 4) - 1) * 100),  # 5.2938%
        ([], None),
        ([(2020, 48)], None),
        ([(2020, 0), (2022, 10)], None),  # no growth rate from zero
        ([(2022, 100), (2022, 120)], None),  # no years between
    ],
)
def test_annual_growth(points, expected):
    got = kpi.annual_growth(series(*points))
    assert got == (None if expected is None else pytest.approx(expected, abs=1e-9))


def _hubs(*points: tuple[int, int]) -> pd.DataFrame:
    return pd.DataFrame({"fiscal_year": [y for y, _ in points], "value": [v for _, v in points]})


@pytest.mark.parametrize(
    ("year", "current", "expected"),
    [(2025, 2026, ""), (2026, 2026, ""), (2024, 2026, "令和6年度 (2024)の実績（2年度前のデータ）によります。"),
     (None, 2026, "")],
)  # fmt: skip
def test_age_note_says_how_old_the_data_is(year, current, expected):
    assert kpi.age_note(year, current) == expected


def test_a_past_target_year_is_judged_not_forecast():
    target = kpi.Target(2019, 30, 2024, 45)
    series = _hubs((2019, 30), (2021, 39), (2022, 46), (2025, 40))
    text = kpi.outlook_text(series, kpi.trend_forecast(series, 2024), target, current_fy=2026)
    # the actual of the target year or before it (2022), never a later year's or a forecast
    assert text == (
        "目標年度（令和6年度 (2024)）を過ぎています。令和4年度 (2022)の実績46拠点で、目標45拠点を達成しました。"
        "令和4年度 (2022)の実績（4年度前のデータ）によります。"
    )
    missed = kpi.outlook_text(_hubs((2023, 44)), pd.DataFrame(), target, current_fy=2024 + 1)
    assert missed == (
        "目標年度（令和6年度 (2024)）を過ぎています。令和5年度 (2023)の実績44拠点で、目標45拠点を達成していません。"
        "令和5年度 (2023)の実績（2年度前のデータ）によります。"
    )


def test_a_target_year_ahead_is_forecast_to_one_decimal():
    target = kpi.Target(2020, 48, 2030, 60)
    series = _hubs((2020, 48), (2023, 55), (2024, 59))
    text = kpi.outlook_text(series, kpi.trend_forecast(series, 2030), target, current_fy=2025)
    assert (
        text
        == "トレンド予測: 令和12年度 (2030)に74.3拠点（80%予測区間 65.7～82.9）。目標に届く見込み（目標60拠点）。"
    )
