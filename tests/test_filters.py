"""dashboard.filters: query parameters → Filters, with warnings for what a link asked but cannot get."""

from __future__ import annotations

import pytest

from dashboard.filters import Filters, ProfileOption, parse_filters

FUKUSHIMA = ProfileOption(
    "fukushima", "07", "福島県", "地方振興局", ("県北", "県中", "会津"), 2020, 2026
)
TOTTORI = ProfileOption("tottori", "31", "鳥取県", "地域", ("東部", "中部"), 2019, 2022)
NO_YEARS = ProfileOption("empty", "99", "空県", "地域", ("甲",), None, None)
OPTIONS = {"fukushima": FUKUSHIMA, "tottori": TOTTORI, "empty": NO_YEARS}

FUKUSHIMA_RANGE = "令和2年度 (2020)～令和8年度 (2026)"


def as_params(filters: Filters) -> dict[str, list[str]]:
    """What the browser hands back: every query parameter as a list of values."""
    return {k: v if isinstance(v, list) else [v] for k, v in filters.to_query_params().items()}


def test_profile_option_years():
    assert FUKUSHIMA.years == [2020, 2021, 2022, 2023, 2024, 2025, 2026]
    assert TOTTORI.years == [2019, 2020, 2021, 2022]
    assert NO_YEARS.years == []


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            Filters("fukushima", 2021, 2023, ("県北", "会津")),
            {"profile": "fukushima", "from": "2021", "to": "2023", "bureau": ["県北", "会津"]},
        ),
        (Filters("tottori", 2019, 2022), {"profile": "tottori", "from": "2019", "to": "2022"}),
        (Filters("empty", None, None), {"profile": "empty"}),
    ],
)
def test_to_query_params(filters, expected):
    assert filters.to_query_params() == expected


@pytest.mark.parametrize(
    "filters",
    [
        Filters("fukushima", 2021, 2023, ("県北", "会津")),
        Filters("fukushima", 2020, 2026, ()),
        Filters("fukushima", 2026, 2026, ("県中",)),
        Filters("tottori", 2019, 2022, ("東部", "中部")),
        Filters("tottori", 2020, 2020, ("中部",)),
        Filters("empty", None, None, ("甲",)),
    ],
)
def test_valid_link_round_trips(filters):
    assert parse_filters(as_params(filters), OPTIONS, "fukushima") == (filters, [])


@pytest.mark.parametrize(
    ("params", "default", "expected"),
    [
        # No parameters: the default profile, every year with data, every bureau.
        ({}, "fukushima", (Filters("fukushima", 2020, 2026, ()), [])),
        ({}, "tottori", (Filters("tottori", 2019, 2022, ()), [])),
        ({"profile": []}, "tottori", (Filters("tottori", 2019, 2022, ()), [])),
        ({"profile": [""]}, "tottori", (Filters("tottori", 2019, 2022, ()), [])),
        # A profile of the link that no longer exists falls back to the default.
        (
            {"profile": ["osaka"]},
            "fukushima",
            (
                Filters("fukushima", 2020, 2026, ()),
                ["リンクのプロファイル「osaka」はありません。福島県を表示します。"],
            ),
        ),
        (
            {"profile": ["osaka"]},
            "tottori",
            (
                Filters("tottori", 2019, 2022, ()),
                ["リンクのプロファイル「osaka」はありません。鳥取県を表示します。"],
            ),
        ),
        # ... to the first profile when the default itself is unknown.
        (
            {"profile": ["osaka"]},
            "hokkaido",
            (
                Filters("fukushima", 2020, 2026, ()),
                ["リンクのプロファイル「osaka」はありません。福島県を表示します。"],
            ),
        ),
        # The fallback keeps the link's years and bureaus where they apply to it.
        (
            {"profile": ["osaka"], "from": ["2022"], "to": ["2024"], "bureau": ["会津"]},
            "fukushima",
            (
                Filters("fukushima", 2022, 2024, ("会津",)),
                ["リンクのプロファイル「osaka」はありません。福島県を表示します。"],
            ),
        ),
    ],
)
def test_profile(params, default, expected):
    assert parse_filters(params, OPTIONS, default) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Known bureaus are kept in the profile's display order (県北, 県中, 会津), once each.
        (
            {"profile": ["fukushima"], "bureau": ["会津", "県北", "会津"]},
            (Filters("fukushima", 2020, 2026, ("県北", "会津")), []),
        ),
        (
            {"profile": ["fukushima"], "bureau": ["会津", "県中", "県北"]},
            (Filters("fukushima", 2020, 2026, ("県北", "県中", "会津")), []),
        ),
        # Empty values are ignored, not reported.
        (
            {"profile": ["fukushima"], "bureau": ["", "県中"]},
            (Filters("fukushima", 2020, 2026, ("県中",)), []),
        ),
        # An unknown bureau is dropped and named.
        (
            {"profile": ["fukushima"], "bureau": ["会津", "石狩"]},
            (
                Filters("fukushima", 2020, 2026, ("会津",)),
                ["リンクの地方振興局「石狩」は福島県にありません（除外しました）。"],
            ),
        ),
        (
            {"profile": ["fukushima"], "bureau": ["石狩", "後志"]},
            (
                Filters("fukushima", 2020, 2026, ()),
                ["リンクの地方振興局「石狩」「後志」は福島県にありません（除外しました）。"],
            ),
        ),
        # A bureau of the other profile is refused, under this profile's label.
        (
            {"profile": ["tottori"], "bureau": ["県北", "東部"]},
            (
                Filters("tottori", 2019, 2022, ("東部",)),
                ["リンクの地域「県北」は鳥取県にありません（除外しました）。"],
            ),
        ),
        (
            {"profile": ["fukushima"], "bureau": ["東部"]},
            (
                Filters("fukushima", 2020, 2026, ()),
                ["リンクの地方振興局「東部」は福島県にありません（除外しました）。"],
            ),
        ),
    ],
)
def test_bureaus(params, expected):
    assert parse_filters(params, OPTIONS, "fukushima") == expected


def clipped(asked: str) -> str:
    return f"リンクの年度（{asked}）をデータの範囲（{FUKUSHIMA_RANGE}）に合わせました。"


def outside(asked: str) -> str:
    return f"リンクの年度（{asked}）はデータの範囲（{FUKUSHIMA_RANGE}）の外です。すべての年度を表示します。"


UNREADABLE = "リンクの年度が読めません。データのあるすべての年度を表示します。"


@pytest.mark.parametrize(
    ("years", "expected"),
    [
        # Inside the data: taken as asked.
        ({"from": ["2021"], "to": ["2023"]}, ((2021, 2023), [])),
        ({"from": ["2020"], "to": ["2026"]}, ((2020, 2026), [])),
        ({"from": ["2024"], "to": ["2024"]}, ((2024, 2024), [])),
        ({"from": [" 2021 "], "to": ["2023"]}, ((2021, 2023), [])),
        # from > to: swapped, silently.
        ({"from": ["2024"], "to": ["2021"]}, ((2021, 2024), [])),
        # Partly outside: clipped to 2020–2026 and said so.
        ({"from": ["2018"], "to": ["2022"]}, ((2020, 2022), [clipped("2018～2022")])),
        ({"from": ["2024"], "to": ["2030"]}, ((2024, 2026), [clipped("2024～2030")])),
        ({"from": ["2010"], "to": ["2040"]}, ((2020, 2026), [clipped("2010～2040")])),
        ({"from": ["2030"], "to": ["2018"]}, ((2020, 2026), [clipped("2030～2018")])),
        # Entirely outside: every year, and said so.
        ({"from": ["2030"], "to": ["2035"]}, ((2020, 2026), [outside("2030～2035")])),
        ({"from": ["2010"], "to": ["2015"]}, ((2020, 2026), [outside("2010～2015")])),
        ({"from": ["2019"], "to": ["2019"]}, ((2020, 2026), [outside("2019～2019")])),
        # Not a year: every year.
        ({"from": ["abc"], "to": ["2023"]}, ((2020, 2026), [UNREADABLE])),
        ({"from": ["2021"], "to": ["R5"]}, ((2020, 2026), [UNREADABLE])),
        ({"from": ["2021.5"]}, ((2020, 2026), [UNREADABLE])),
        ({"from": [""]}, ((2020, 2026), [UNREADABLE])),
        # Only one end given: the other end is the data's.
        ({"from": ["2022"]}, ((2022, 2026), [])),
        ({"to": ["2022"]}, ((2020, 2022), [])),
        ({"from": ["2026"]}, ((2026, 2026), [])),
        ({"to": ["2020"]}, ((2020, 2020), [])),
        ({"from": ["2018"]}, ((2020, 2026), [clipped("2018～")])),
        ({"to": ["2030"]}, ((2020, 2026), [clipped("～2030")])),
        # Only one end given and it lies beyond the data: "from 2030" (2030 onwards) and
        # "to 2010" (up to 2010) contain no year with data, so they are entirely outside.
        pytest.param(
            {"from": ["2030"]}, ((2020, 2026), [outside("2030～")]), id="only-from-after-data"
        ),
        pytest.param(
            {"to": ["2010"]}, ((2020, 2026), [outside("～2010")]), id="only-to-before-data"
        ),
    ],
)
def test_years(years, expected):
    (from_fy, to_fy), warnings = expected
    assert parse_filters({"profile": ["fukushima"], **years}, OPTIONS, "fukushima") == (
        Filters("fukushima", from_fy, to_fy, ()),
        warnings,
    )


def test_year_warning_uses_the_profiles_own_range():
    # 鳥取: data 2019–2022, so 2018–2020 is clipped to 2019–2020.
    assert parse_filters(
        {"profile": ["tottori"], "from": ["2018"], "to": ["2020"]}, OPTIONS, "fukushima"
    ) == (
        Filters("tottori", 2019, 2020, ()),
        [
            "リンクの年度（2018～2020）をデータの範囲（令和元年度 (2019)～令和4年度 (2022)）"
            "に合わせました。"
        ],
    )


@pytest.mark.parametrize(
    "params",
    [
        {"profile": ["empty"]},
        {"profile": ["empty"], "from": ["2020"], "to": ["2022"]},
    ],
)
def test_profile_without_years_has_no_range(params):
    filters, _ = parse_filters(params, OPTIONS, "fukushima")
    assert filters == Filters("empty", None, None, ())


def test_profile_without_years_and_no_year_params_warns_nothing():
    assert parse_filters({"profile": ["empty"], "bureau": ["甲"]}, OPTIONS, "fukushima") == (
        Filters("empty", None, None, ("甲",)),
        [],
    )


def test_everything_wrong_at_once():
    params = {"profile": ["osaka"], "from": ["2030"], "to": ["2035"], "bureau": ["東部", "会津"]}
    assert parse_filters(params, OPTIONS, "fukushima") == (
        Filters("fukushima", 2020, 2026, ("会津",)),
        [
            "リンクのプロファイル「osaka」はありません。福島県を表示します。",
            outside("2030～2035"),
            "リンクの地方振興局「東部」は福島県にありません（除外しました）。",
        ],
    )
