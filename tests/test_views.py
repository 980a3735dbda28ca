"""dashboard.views: the page models built over the sample warehouse."""

from __future__ import annotations

import pandas as pd
import pytest

from core.settings import PROJECT_DIR
from core.vocabulary import SERVICES
from dashboard import kpi
from dashboard.coverage import service_matrix
from dashboard.db import Warehouse
from dashboard.filters import Filters, ProfileOption
from dashboard.formatting import (
    NO_DATA,
    RMO_COLUMN,
    RMO_UNKNOWN_COLUMN,
    money_text,
    to_csv_bytes,
    unknowns_as_text,
    wareki,
)
from dashboard.kpi import Grade
from dashboard.metrics import CATALOGUE
from dashboard.views import direct_loader
from dashboard.views.briefing import build_briefing
from dashboard.views.data import CHECK_LABELS, _link, build_data_view
from dashboard.views.hubs import build_hubs
from dashboard.views.overview import build_overview
from dashboard.views.pipeline import build_pipeline
from tests.partial_rmo import KNOWN, UNKNOWN, build_partial_rmo

FUKUSHIMA_BUREAUS = ("県北", "県中", "県南", "会津", "南会津", "相双", "いわき")
FUKUSHIMA = ProfileOption("fukushima", "07", "福島県", "地方振興局", FUKUSHIMA_BUREAUS, 2020, 2026)
TOTTORI = ProfileOption(
    "tottori", "31", "鳥取県", "地域", ("東部", "中部", "西部", "日野"), 2019, 2024
)  # the cooperatives reach R6 (2024): every year any dataset covers can be selected
ALL_YEARS = Filters("fukushima", 2020, 2026, ())


@pytest.fixture(scope="module")
def db(sample_settings):
    warehouse = Warehouse(sample_settings.warehouse_dir)
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="module")
def load(db):
    return direct_loader(db)


def options_from(load) -> dict[str, ProfileOption]:
    """ProfileOption per profile, from the warehouse's profiles, bureaus and year range."""
    profiles, bureaus, years = load("profiles"), load("bureaus"), load("year_range")
    out = {}
    for row in profiles.itertuples(index=False):
        span = years[years["pref_code"] == row.pref_code].iloc[0]
        out[row.profile_key] = ProfileOption(
            row.profile_key,
            row.pref_code,
            row.pref_name,
            row.bureau_label,
            tuple(bureaus.loc[bureaus["pref_code"] == row.pref_code, "bureau"]),
            int(span["first_fy"]),
            int(span["last_fy"]),
        )
    return out


def scalar(db: Warehouse, sql: str, params=()) -> object:
    return db.query(sql, params).iloc[0, 0]


def spend_yen(db: Warehouse, pref: str, from_fy: int, to_fy: int, bureaus=()) -> int:
    """Grant spend straight from `grants`: not withdrawn, in the years and bureaus."""
    where = "pref_code = ? and not is_withdrawn and fiscal_year between ? and ?"
    params: list[object] = [pref, from_fy, to_fy]
    if bureaus:
        where += f" and bureau in ({', '.join('?' for _ in bureaus)})"
        params += list(bureaus)
    return int(scalar(db, f"select coalesce(sum(grant_yen), 0) from grants where {where}", params))


def test_sample_profile_options(load):
    options = options_from(load)
    # every profile of data/profiles/ is offered (a prefecture added there appears without a test change)
    assert set(options) == {
        path.stem for path in (PROJECT_DIR / "data" / "profiles").glob("*.toml")
    }
    assert (options["fukushima"], options["tottori"]) == (FUKUSHIMA, TOTTORI)


# --- 概要 --------------------------------------------------------------------------------------


def test_overview_fukushima_cards(load, db):
    overview = build_overview(load, ALL_YEARS, FUKUSHIMA)
    spend = spend_yen(db, "07", 2020, 2026)
    assert spend > 0
    # 59 hubs (R6) against the target 60; 47 RMOs; 47 / 59 = 79.66% → 79.7%
    assert [card.value for card in overview.cards] == [
        "59 / 60拠点",
        "47組織",
        "79.7%",
        money_text(spend),
    ]
    # R6 against R5: 59 - 55 = +4 hubs, 47 - 43 = +4 organisations.
    # 47 / 59 - 43 / 55 = 79.66 - 78.18 = +1.5 points.
    assert [card.delta for card in overview.cards] == [
        "+4拠点（R5 (2023)比）",
        "+4組織（R5 (2023)比）",
        "+1.5ポイント（R5 (2023)比）",
        None,
    ]


def test_overview_spend_card_names_the_years_and_unknown_amounts(load, db):
    unknown = int(
        scalar(
            db,
            "select count(*) from grants where pref_code = '07' and not is_withdrawn"
            " and fiscal_year between 2020 and 2026 and grant_yen is null",
        )
    )
    assert unknown > 0
    card = build_overview(load, ALL_YEARS, FUKUSHIMA).cards[-1]
    # the label states the period (a sum over it: not the same metric as one year's grants)
    assert card.label == "補助金額（令和2年度～令和8年度 (2020～2026)の累計）"
    assert card.help.endswith(f"取下げを除く。金額未定の{unknown}件は含まない")
    one_year = build_overview(load, Filters("fukushima", 2026, 2026, ()), FUKUSHIMA).cards[-1]
    assert one_year.label == "補助金額（令和8年度 (2026)）"


def test_stock_cards_are_as_of_the_end_of_the_selected_period(load):
    # with R2–R3 selected, the hubs card is the R2 list's 48, not the latest 59
    cards = build_overview(load, Filters("fukushima", 2020, 2021, ()), FUKUSHIMA).cards
    hubs = next(card for card in cards if card.metric == "hubs_total")
    assert (hubs.label, hubs.value) == ("拠点数 / 目標（令和2年度 (2020)）", "48 / 60拠点")
    assert hubs.help.startswith("令和2年度 (2020)")
    subset = build_overview(load, Filters("fukushima", 2020, 2023, ("会津",)), FUKUSHIMA).cards
    latest = next(card for card in subset if card.metric == "selection_hubs")
    assert latest.label == "拠点数（会津・令和5年度 (2023)）" and "令和5年度 (2023)" in latest.help


def test_overview_fukushima_grade_and_outlook(load):
    overview = build_overview(load, ALL_YEARS, FUKUSHIMA)
    # data older than last fiscal year says how old it is (the age depends on today)
    old = kpi.age_note(2024, kpi.current_fiscal_year())
    # 2024 path: 48 + (60 - 48) / 10 * 4 = 52.8 ≤ 59
    assert overview.grade == Grade(
        "順調", 2024, 59, pytest.approx(52.8, abs=1e-9), "実績59は目標経路の52.8以上です。" + old
    )
    # Trend through (2020, 48), (2023, 55), (2024, 59): 2030 = 1933/26 = 74.3, band
    # 74.346 ± 3.078 * sqrt(25/26) * sqrt(633/78) = 74.346 ± 8.598 → 65.7 … 82.9 (see test_kpi).
    # The same sentence, to one decimal, on the 事業パイプライン page.
    assert overview.outlook == (
        "トレンド予測: 令和12年度 (2030)に74.3拠点（80%予測区間 65.7～82.9）。"
        "目標に届く見込み（目標60拠点）。" + old
    )
    pipeline = build_pipeline(load, ALL_YEARS, FUKUSHIMA)
    assert pipeline.trend_text == overview.outlook


def test_overview_trajectory_table(load):
    table = build_overview(load, ALL_YEARS, FUKUSHIMA).trajectory_table
    assert list(table.columns) == ["年度（和暦）", "年度（西暦）", "区分", "拠点数", "時点", "出典"]
    assert "fiscal_year" not in table.columns

    def rows(kind: str) -> list[tuple]:
        part = table[table["区分"].str.startswith(kind)]
        return list(
            zip(
                part["年度（和暦）"],
                part["年度（西暦）"],
                part["区分"],
                part["拠点数"],
                strict=True,
            )
        )

    assert rows("実績") == [
        ("令和2年度", 2020, "実績（公表値）", 48),
        ("令和2年度", 2020, "実績（拠点一覧から集計）", 48),
        ("令和5年度", 2023, "実績（公表値）", 55),
        ("令和5年度", 2023, "実績（拠点一覧から集計）", 55),
        ("令和6年度", 2024, "実績（公表値）", 59),
        ("令和6年度", 2024, "実績（拠点一覧から集計）", 59),
    ]
    # Path 48 + 1.2 * (year - 2020), 2020..2030.
    assert rows("目標経路") == [
        (f"{wareki(y)}年度", y, "目標経路", round(48 + 1.2 * (y - 2020), 1))
        for y in range(2020, 2031)
    ]
    # Trend (1243 + 69 x) / 26 with x = year - 2020, from the last actual year 2024: 58.4 … 74.3.
    assert rows("トレンド予測") == [
        (f"{wareki(y)}年度", y, "トレンド予測", round((1243 + 69 * (y - 2020)) / 26, 1))
        for y in range(2024, 2031)
    ]
    assert [r[3] for r in rows("トレンド予測")] == [58.4, 61.1, 63.7, 66.4, 69.0, 71.7, 74.3]


def test_overview_national_context(load):
    overview = build_overview(load, ALL_YEARS, FUKUSHIMA)
    # Base year 2024 (the only year both have). Growth: (59/48)^(1/4) - 1 = 5.29% → 5.3%;
    # nation (2306/2204)^(1/2) - 1 = 2.29% → 2.3%.
    assert overview.national_caption.startswith(
        "各系列を令和6年度 (2024)=100 とした指数。年平均の増加率: 福島県 5.3%、全国 2.3%。"
    )
    table = overview.national_table
    assert list(table.columns) == ["系列", "年度（和暦）", "年度（西暦）", "指数", "拠点数"]
    assert list(zip(table["系列"], table["年度（西暦）"], table["拠点数"], strict=True)) == [
        ("福島県", 2020, 48),
        ("福島県", 2023, 55),
        ("福島県", 2024, 59),
        ("全国", 2022, 2204),
        ("全国", 2024, 2306),
    ]
    assert table["指数"].tolist() == pytest.approx(
        [48 / 59 * 100, 55 / 59 * 100, 100, 2204 / 2306 * 100, 100]
    )


def subset_counts(db: Warehouse, bureaus: tuple[str, ...], year: int = 2024) -> tuple[int, int]:
    marks = ", ".join("?" for _ in bureaus)
    frame = db.query(
        "select count(*) as hubs, count(*) filter (where has_rmo) as rmo from hubs"
        f" where pref_code = '07' and fiscal_year = ? and bureau in ({marks})",
        [year, *bureaus],
    )
    return int(frame["hubs"].iloc[0]), int(frame["rmo"].iloc[0])


def test_overview_bureau_without_hubs_shows_true_zeros(load, db):
    assert subset_counts(db, ("いわき",)) == (0, 0)
    assert spend_yen(db, "07", 2020, 2026, ("いわき",)) == 0
    overview = build_overview(load, Filters("fukushima", 2020, 2026, ("いわき",)), FUKUSHIMA)
    # The prefecture card stays; the subset has 0 hubs and 0 organisations (a share of 0 hubs is
    # undefined); the prefecture has grant data, so no grant in いわき is 0千円.
    assert [card.value for card in overview.cards] == [
        "59 / 60拠点",
        "0拠点",
        "0組織",
        NO_DATA,
        "0千円",
    ]


def test_overview_two_bureaus(load, db):
    bureaus = ("会津", "南会津")
    hubs, rmo = subset_counts(db, bureaus)
    # The sample's 2024 list: 会津 23 + 南会津 12 = 35 hubs, 17 + 11 = 28 with an RMO.
    assert (hubs, rmo) == (35, 28)
    spend = spend_yen(db, "07", 2020, 2026, bureaus)
    assert spend > 0
    overview = build_overview(load, Filters("fukushima", 2020, 2026, bureaus), FUKUSHIMA)
    assert [card.value for card in overview.cards] == [
        "59 / 60拠点",
        "35拠点",
        "28組織",
        "80.0%",  # 28 / 35
        money_text(spend),
    ]


def test_overview_spend_follows_the_year_range(load, db):
    spend = spend_yen(db, "07", 2021, 2023)
    assert spend > 0
    card = build_overview(load, Filters("fukushima", 2021, 2023, ()), FUKUSHIMA).cards[-1]
    assert (card.label, card.value, card.help) == (
        "補助金額（令和3年度～令和5年度 (2021～2023)の累計）",
        money_text(spend),
        "補助金交付記録（令和3年度～令和5年度 (2021～2023)の累計）。取下げを除く",
    )


def test_overview_tottori(load):
    overview = build_overview(load, Filters("tottori", 2019, 2022, ()), TOTTORI)
    # No RMO column in 鳥取's lists, no grant data for 鳥取.
    assert [card.value for card in overview.cards] == ["46 / 45拠点", NO_DATA, NO_DATA, NO_DATA]
    assert overview.cards[-1].help == "この都道府県の補助金データはまだ取り込まれていません"
    assert overview.cards[0].label == "拠点数 / 目標（令和4年度 (2022)）"
    # 2022 path: 30 + (45 - 30) / 5 * 3 = 39; 46 ≥ 45.
    old = kpi.age_note(2022, kpi.current_fiscal_year())
    assert old  # the R4 list is more than a year old: the judgement says so
    assert overview.grade == Grade(
        "達成", 2022, 46, pytest.approx(39.0), "実績46は目標値45以上です。" + old
    )
    # the target year (R6) is past: what the actuals say, not a forecast of a past year
    assert overview.outlook == (
        "目標年度（令和6年度 (2024)）を過ぎています。令和4年度 (2022)の実績46拠点で、"
        "目標45拠点を達成しました。" + old
    )


def test_overview_tottori_bureau_rmo_unknown(load, db):
    hubs = int(
        scalar(
            db,
            "select count(*) from hubs where pref_code = '31' and fiscal_year = 2022"
            " and bureau = '東部'",
        )
    )
    assert hubs > 0
    overview = build_overview(load, Filters("tottori", 2019, 2022, ("東部",)), TOTTORI)
    assert [card.value for card in overview.cards] == [
        "46 / 45拠点",
        f"{hubs}拠点",
        NO_DATA,
        NO_DATA,
        NO_DATA,
    ]


# --- 拠点・地域運営組織 ----------------------------------------------------------------------------

BUREAU_COLUMNS = [
    "地方振興局",
    "拠点数（拠点）",
    "うち地域運営組織あり（拠点）",
    "うち地域運営組織の有無不明（拠点）",
    "組織のある割合（%）",
]  # 「選択中」 only when bureaus are selected


def test_hubs_bureau_table_2024(load, db):
    view = build_hubs(load, ALL_YEARS, FUKUSHIMA)
    assert (view.survey_years, view.year, view.message) == ([2020, 2023, 2024], 2024, None)
    table = view.bureau_table
    assert list(table.columns) == BUREAU_COLUMNS
    total = table[table["地方振興局"] == "県全体"]
    # 47 / 59 = 79.66 → 79.7
    assert total.to_dict("records") == [
        {
            "地方振興局": "県全体",
            "拠点数（拠点）": 59,
            "うち地域運営組織あり（拠点）": 47,
            "うち地域運営組織の有無不明（拠点）": 0,
            "組織のある割合（%）": 79.7,
        }
    ]
    direct = db.query(
        "select bureau, count(*) as hubs, count(*) filter (where has_rmo) as rmo from hubs"
        " where pref_code = '07' and fiscal_year = 2024 group by bureau"
    )
    expected = {b: (0, 0) for b in FUKUSHIMA_BUREAUS} | {
        r.bureau: (r.hubs, r.rmo) for r in direct.itertuples()
    }
    per_bureau = table[table["地方振興局"] != "県全体"]
    assert list(per_bureau["地方振興局"]) == list(FUKUSHIMA_BUREAUS)
    assert {
        r[0]: (r[1], r[2]) for r in per_bureau[BUREAU_COLUMNS[:3]].itertuples(index=False)
    } == expected
    assert (
        per_bureau["拠点数（拠点）"].sum(),
        per_bureau["うち地域運営組織あり（拠点）"].sum(),
    ) == (
        59,
        47,
    )


def test_hubs_bureau_table_marks_the_selection(load):
    view = build_hubs(load, Filters("fukushima", 2020, 2026, ("県中", "会津")), FUKUSHIMA)
    table = view.bureau_table
    assert dict(zip(table["地方振興局"], table["選択中"], strict=True)) == {
        "県北": "",
        "県中": "選択",
        "県南": "",
        "会津": "選択",
        "南会津": "",
        "相双": "",
        "いわき": "",
        "県全体": "",
    }


def test_hubs_municipality_table_2024(load, db):
    table = build_hubs(load, ALL_YEARS, FUKUSHIMA).municipality_table
    assert list(table.columns) == [
        "市町村コード",
        "市町村名",
        "地方振興局",
        "過疎区分",
        "拠点数（拠点）",
        "うち地域運営組織あり（拠点）",
        "うち地域運営組織の有無不明（拠点）",
        "組織のある割合（%）",
    ]
    codes = table["市町村コード"].tolist()
    assert len(codes) == 59
    assert all(isinstance(c, str) and len(c) == 5 and c.isdigit() for c in codes)
    direct = db.query(
        "select municipality_code from municipalities where pref_code = '07' order by 1"
    )
    assert sorted(codes) == direct["municipality_code"].tolist()
    assert table["拠点数（拠点）"].sum() == 59


def test_hubs_kaso_without_hub_2024(load, db):
    view = build_hubs(load, ALL_YEARS, FUKUSHIMA)
    direct = db.query(
        """
        select m.municipality_code from municipalities as m
        where m.pref_code = '07' and m.kaso in ('全部過疎', '一部過疎')
          and not exists (select 1 from hubs as h where h.fiscal_year = 2024
                          and h.municipality_code = m.municipality_code)
        order by 1
        """
    )
    assert len(direct) > 0
    assert view.kaso_note is None
    table = view.kaso_without_hub
    assert list(table.columns) == ["市町村コード", "市町村名", "地方振興局", "過疎区分"]
    assert sorted(table["市町村コード"]) == direct["municipality_code"].tolist()
    assert set(table["過疎区分"]) <= {"全部過疎", "一部過疎"}


def test_hubs_without_rmo_and_legal_forms_2024(load, db):
    view = build_hubs(load, ALL_YEARS, FUKUSHIMA)
    without = int(
        scalar(
            db,
            "select count(*) from hubs where pref_code = '07' and fiscal_year = 2024"
            " and has_rmo = false",
        )
    )
    assert without == 59 - 47
    assert (len(view.without_rmo), view.rmo_note) == (12, None)
    assert view.legal_forms_table["組織数"].sum() == 47


def test_hubs_service_table_matches_the_lists(load, db):
    view = build_hubs(load, ALL_YEARS, FUKUSHIMA)
    direct = db.query(
        "select bureau, service, count(*) as n from (select bureau, unnest(services) as service"
        " from hubs where pref_code = '07' and fiscal_year = 2024) group by all"
    )
    counts = {(r.bureau, r.service): r.n for r in direct.itertuples()}
    table = view.services_table.set_index("地方振興局")
    assert list(table.index) == list(FUKUSHIMA_BUREAUS)
    assert list(table.columns) == list(SERVICES)
    assert {(b, s): int(table.loc[b, s]) for b in table.index for s in table.columns} == {
        (b, s): counts.get((b, s), 0) for b in FUKUSHIMA_BUREAUS for s in SERVICES
    }


def test_hubs_without_rmo_column_2020(load):
    view = build_hubs(load, ALL_YEARS, FUKUSHIMA, year=2020)
    assert view.year == 2020
    assert (view.without_rmo, view.rmo_note) == (
        None,
        "この年度の拠点一覧には地域運営組織の有無がありません（データなし）。",
    )
    total = view.bureau_table[view.bureau_table["地方振興局"] == "県全体"].iloc[0]
    assert total["拠点数（拠点）"] == 48
    assert pd.isna(total["うち地域運営組織あり（拠点）"])
    assert total["うち地域運営組織の有無不明（拠点）"] == 48
    assert total["組織のある割合（%）"] is None


@pytest.mark.parametrize(
    ("filters", "year", "expected"),
    [
        (ALL_YEARS, None, ([2020, 2023, 2024], 2024)),
        (ALL_YEARS, 2023, ([2020, 2023, 2024], 2023)),
        (ALL_YEARS, 2021, ([2020, 2023, 2024], 2024)),  # no list in 2021: the latest
        (Filters("fukushima", 2020, 2023, ()), None, ([2020, 2023], 2023)),
        (Filters("fukushima", 2020, 2023, ()), 2024, ([2020, 2023], 2023)),  # outside the range
        (Filters("fukushima", 2023, 2023, ()), None, ([2023], 2023)),
    ],
)
def test_hubs_year_choice(load, filters, year, expected):
    view = build_hubs(load, filters, FUKUSHIMA, year=year)
    assert (view.survey_years, view.year) == expected


def test_hubs_range_without_a_list(load):
    view = build_hubs(load, Filters("fukushima", 2021, 2022, ()), FUKUSHIMA)
    assert (view.survey_years, view.year, view.message) == (
        [],
        None,
        "選択した年度の範囲に拠点一覧がありません"
        "（拠点一覧のある年度: 令和2年度 (2020)、令和5年度 (2023)、令和6年度 (2024)）。",
    )
    assert (view.bureau_table, view.municipality_table) == (None, None)


def test_hubs_tottori_has_no_kaso(load):
    view = build_hubs(load, Filters("tottori", 2019, 2022, ()), TOTTORI)
    assert view.year == 2022
    assert view.bureau_table.iloc[-1]["拠点数（拠点）"] == 46
    assert (view.kaso_without_hub, view.kaso_note) == (
        None,
        "この都道府県の市町村別の過疎区分は参照データにありません（データなし）。",
    )


# --- a few hubs of unknown RMO status (tests/partial_rmo.py) -----------------------------------

COUNTS = ["拠点数（拠点）", RMO_COLUMN, RMO_UNKNOWN_COLUMN, "組織のある割合（%）"]


@pytest.fixture(scope="module")
def partial_load(tmp_path_factory):
    warehouse = Warehouse(build_partial_rmo(tmp_path_factory.mktemp("partial")).warehouse_dir)
    yield direct_loader(warehouse)
    warehouse.close()


def cells(frame: pd.DataFrame) -> list[list]:
    """Rows as plain lists, NULL as None."""
    return frame.astype(object).where(frame.notna(), None).values.tolist()


@pytest.fixture(scope="module")
def list_load(tmp_path_factory):
    """The partial warehouse without published RMO counts: the overview reads the lists' counts."""
    settings = build_partial_rmo(tmp_path_factory.mktemp("list_only"), published_rmo=False)
    warehouse = Warehouse(settings.warehouse_dir)
    yield direct_loader(warehouse)
    warehouse.close()


def test_hubs_bureau_table_keeps_the_known_count_beside_the_unknown(partial_load):
    view = build_hubs(partial_load, ALL_YEARS, FUKUSHIMA)
    table = view.bureau_table.set_index("地方振興局")
    # The share is over the hubs of known status: 会津 16 / (23 - 2), 県全体 45 / (59 - 4).
    assert cells(table.loc[["会津", "南会津", "県北", "県南", "いわき", "県全体"], COUNTS]) == [
        [23, 16, 2, 76.2],
        [12, 11, 0, 91.7],
        [3, 2, 1, 100.0],
        [6, 4, 1, 80.0],
        [0, 0, 0, None],  # no hub: 0, and a share of nothing is unknown
        [59, KNOWN, UNKNOWN, 81.8],
    ]  # fmt: skip
    assert all(type(v) is int for v in table[RMO_UNKNOWN_COLUMN].tolist())
    shown = unknowns_as_text(view.bureau_table).set_index("地方振興局")
    assert RMO_UNKNOWN_COLUMN not in shown.columns
    assert shown[RMO_COLUMN].to_dict() == {
        "県北": "2（ほか不明1）", "県中": "9", "県南": "4（ほか不明1）", "会津": "16（ほか不明2）",
        "南会津": "11", "相双": "3", "いわき": "0", "県全体": "45（ほか不明4）",
    }  # fmt: skip
    assert "地域運営組織の有無が不明な拠点が4か所あります。" in view.source
    bars = view.bureau_figure.data[1]
    assert dict(zip(bars.x, bars.text, strict=True))["会津"] == "16（ほか不明2）"
    # The CSV keeps both numbers (the value and the unknown rows), not the text.
    csv_text = to_csv_bytes(view.bureau_table).decode("utf-8-sig")
    assert "県全体,59,45,4,81.8\r\n" in csv_text and "ほか不明" not in csv_text


def test_hubs_municipality_all_unknown_is_no_data_not_zero(partial_load):
    table = build_hubs(partial_load, ALL_YEARS, FUKUSHIMA).municipality_table
    rows = table.set_index("市町村名").loc[["喜多方市", "川俣町", "矢祭町"], COUNTS]
    assert cells(rows) == [
        [6, 3, 2, 75.0],
        [3, 2, 1, 100.0],
        [1, None, 1, None],  # its only hub is of unknown status: データなし, never 0
    ]
    shown = unknowns_as_text(table).set_index("市町村名")[RMO_COLUMN]
    assert shown[["喜多方市", "矢祭町"]].tolist() == ["3（ほか不明2）", NO_DATA]


def test_overview_subset_cards_with_unknown_hubs(partial_load):
    overview = build_overview(partial_load, Filters("fukushima", 2020, 2026, ("会津",)), FUKUSHIMA)
    assert [card.value for card in overview.cards[:4]] == [
        "59 / 60拠点",
        "23拠点",
        "16組織（ほか不明2）",
        "76.2%（不明2拠点を除く）",  # 16 / (23 - 2)
    ]


def test_overview_prefers_the_published_count_over_a_partial_list(partial_load):
    overview = build_overview(partial_load, ALL_YEARS, FUKUSHIMA)
    assert [card.value for card in overview.cards[1:3]] == ["47組織", "79.7%"]


def test_overview_cards_from_a_partial_list(list_load):
    overview = build_overview(list_load, ALL_YEARS, FUKUSHIMA)
    rmo, share = overview.cards[1:3]
    # 45 known of 59 (4 unknown); against R5's complete 43; the share over the 55 known hubs.
    assert (rmo.value, rmo.delta) == ("45組織（ほか不明4）", "+2組織（R5 (2023)比、不明を除く）")
    assert share.value == "81.8%（不明4拠点を除く）"
    assert "有無が分かる拠点に対する割合" in CATALOGUE[share.metric].period_rule


def test_briefing_shows_unknowns_as_text(list_load, tmp_path):
    view = build_briefing(list_load, ALL_YEARS, FUKUSHIMA, tmp_path, "white-bg")
    assert [h.value for h in view.headlines[1:3]] == [
        "45組織（ほか不明4）",
        "81.8%（不明4拠点を除く）",
    ]
    # 81.8 - 78.2 (43 / 55 in R5) = +3.6 points
    assert view.headlines[2].delta == "+3.6ポイント（R5 (2023)比、不明を除く）"
    assert RMO_UNKNOWN_COLUMN not in view.table.columns
    assert view.table.loc["県全体", RMO_COLUMN] == "45（ほか不明4）"
    assert view.table.loc["南会津", RMO_COLUMN] == "11"
    # The pack's table (for Excel) keeps the numbers.
    bureau = next(t for t in view.pack.tables if t.key == "地方振興局別").frame
    assert bureau.set_index("地方振興局").loc[
        "県全体", [RMO_COLUMN, RMO_UNKNOWN_COLUMN]
    ].tolist() == [45, 4]


@pytest.mark.parametrize(
    ("hubs", "bureaus", "expected"),
    [
        (
            # A: 移動 twice, 買い物 once; B: unknown services and an empty list; C: no hub;
            # X is not a listed bureau; その他 is not a listed service.
            {
                "bureau": ["A", "A", "B", "B", "X", "A"],
                "services": [["移動", "買い物"], ["移動"], None, [], ["移動"], ["その他"]],
            },
            ("A", "B", "C"),
            {"A": {"移動": 2, "買い物": 1}, "B": {}, "C": {}},
        ),
        (
            {"bureau": ["B", "A"], "services": [["サロン", "配食"], ["雪かき"]]},
            ("B", "A"),
            {"B": {"サロン": 1, "配食": 1}, "A": {"雪かき": 1}},
        ),
        (
            {"bureau": ["A"], "services": [[]]},
            ("A",),
            {"A": {}},
        ),
    ],
)
def test_service_matrix(hubs, bureaus, expected):
    got = service_matrix(pd.DataFrame(hubs), bureaus)
    want = pd.DataFrame(
        [[expected[b].get(s, 0) for s in SERVICES] for b in bureaus],
        index=list(bureaus),
        columns=list(SERVICES),
    )
    pd.testing.assert_frame_equal(got, want, check_names=False, check_dtype=False)
    assert all(pd.api.types.is_integer_dtype(t) for t in got.dtypes)


# --- データ --------------------------------------------------------------------------------------


def test_data_view_sources(load, sample_settings):
    view = build_data_view(load, FUKUSHIMA)
    sources = view.sources
    assert list(sources.columns) == [
        "範囲",
        "指標",
        "年度（和暦）",
        "年度（西暦）",
        "値",
        "種別",
        "時点",
        "出典",
        "リンク",
    ]
    assert set(sources["範囲"]) == {"福島県", "全国"}
    assert all(
        w == f"{wareki(int(y))}年度"
        for w, y in zip(sources["年度（和暦）"], sources["年度（西暦）"], strict=True)
    )
    chisou = sources[sources["出典"].str.contains("chisou.go.jp/", regex=False)]
    assert chisou["リンク"].tolist() == [
        "https://chisou.go.jp/sousei/about/chiisanakyoten/chousa/r04/"
    ]
    plain = sources[sources["出典"].str.startswith("総務省 地域運営組織 調査")]
    assert len(plain) > 0 and plain["リンク"].isna().all()


def test_data_view_warnings(load, db):
    view = build_data_view(load, FUKUSHIMA)
    warnings = scalar(db, "select count(*) from quality_report where severity = 'warning'")
    assert (view.warnings, len(view.quality)) == (
        int(warnings),
        int(scalar(db, "select count(*) from quality_report")),
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "内閣府「令和4年度小さな拠点の形成に関する実態調査」 (chisou.go.jp/sousei/about/chiisanakyoten/chousa/r04/)",
            "https://chisou.go.jp/sousei/about/chiisanakyoten/chousa/r04/",
        ),
        ("MLIT 行政事業レビュー (judgit.net/projects/1391)", "https://judgit.net/projects/1391"),
        (
            "https://www.pref.fukushima.lg.jp/sec/11045a/ 参照",
            "https://www.pref.fukushima.lg.jp/sec/11045a/",
        ),
        (
            "http://www.soumu.go.jp/main_content/000123.pdf",
            "http://www.soumu.go.jp/main_content/000123.pdf",
        ),
        ("総務省（www.soumu.go.jp）", "https://www.soumu.go.jp"),
        ("出典（chisou.go.jp/sousei/r04/）", "https://chisou.go.jp/sousei/r04/"),
        ("chisou.go.jp/sousei/r04/。", "https://chisou.go.jp/sousei/r04/"),
        # A URL written straight before Japanese text ends where the Japanese begins.
        pytest.param(
            "chisou.go.jp/sousei/r04/を参照",
            "https://chisou.go.jp/sousei/r04/",
            id="url-followed-by-japanese",
        ),
        ("総務省 地域運営組織 調査 (609市町村)", None),
        ("内閣官房・内閣府 資料 (H30.1.11) 「2017年5月:908箇所」", None),
        ("小さな拠点一覧（fukushima_survey_r06_2024.csv）", None),
        ("", None),
        (None, None),
    ],
)
def test_source_link(source, expected):
    assert _link(source) == expected


def test_data_view_load_log_lists_files_read_and_entries_skipped(load):
    log = build_data_view(load, FUKUSHIMA).load_log
    assert list(log.columns)[:7] == [
        "ファイル",
        "シート",
        "状態",
        "種類",
        "行数",
        "除いた合計行",
        "読み方・読み飛ばした理由",
    ]
    skipped = log[log["状態"] == "読み飛ばし"]
    assert skipped[["ファイル", "種類", "行数", "読み方・読み飛ばした理由"]].values.tolist() == [
        ["README.md", "", "", "説明書きのファイルです"],
        ["manifest.json", "", "", "データではない管理用のファイルです"],
    ]
    read = log[log["状態"] == "読み込み"].set_index("ファイル")
    assert read.loc["fukushima_survey_r06_2024.csv", ["種類", "行数", "文字コード"]].tolist() == [
        "拠点一覧",
        59,
        "utf-8-sig",
    ]
    assert read.loc["fukushima_survey_r05_2023.xlsx", ["シート", "文字コード"]].tolist() == [
        "一覧",
        "（Excel）",
    ]


def test_the_briefing_marks_the_selected_bureau(load, tmp_path):
    view = build_briefing(
        load, Filters("fukushima", 2020, 2026, ("会津",)), FUKUSHIMA, tmp_path, "white-bg"
    )
    assert (
        "● 会津" in view.table.index
        and "県北" in view.table.index
        and "選択中" not in view.table.columns
    )
    whole = build_briefing(load, ALL_YEARS, FUKUSHIMA, tmp_path, "white-bg")
    assert not any(str(name).startswith("●") for name in whole.table.index)


def test_a_target_year_already_past_is_judged_not_forecast(load):
    # 鳥取県's target year is R6 (2024), before this fiscal year: no forecast line, a verdict.
    overview = build_overview(load, Filters("tottori", 2019, 2024, ()), TOTTORI)
    assert "トレンド予測" not in {trace.name for trace in overview.trajectory.data}
    assert overview.outlook.startswith("目標年度（令和6年度 (2024)）を過ぎています。")


def test_with_bureaus_selected_the_judgement_says_it_is_prefecture_wide(load, tmp_path):
    filters = Filters("fukushima", 2020, 2026, ("会津",))
    overview = build_overview(load, filters, FUKUSHIMA)
    assert (
        overview.scope_sentence
        == "判定と予測は県全体（地方振興局別の目標なし）の拠点数によります。"
    )
    assert overview.national_caption.startswith("県全体（地方振興局別の目標なし）の値です。")
    briefing = build_briefing(load, filters, FUKUSHIMA, tmp_path, "white-bg")
    assert briefing.grade_text[0] == overview.scope_sentence
    assert build_overview(load, ALL_YEARS, FUKUSHIMA).scope_sentence == ""


def test_status_is_shown_by_shape_as_well_as_colour(load):
    timeline = build_pipeline(load, ALL_YEARS, FUKUSHIMA).timeline
    symbols = {trace.name: trace.marker.symbol for trace in timeline.data}
    assert symbols["規則違反"] != symbols["助言"]
    assert symbols["計画策定事業"] != symbols["拠点づくり事業"]
    trajectory = build_overview(
        load, Filters("fukushima", 2020, 2026, ("会津",)), FUKUSHIMA
    ).trajectory
    colours = {trace.name: trace.marker.color for trace in trajectory.data}
    assert colours["選択した地域（拠点一覧）"] != colours["パイプライン予測"]


def test_the_quality_report_says_its_codes_in_japanese(load, db):
    view = build_data_view(load, FUKUSHIMA)
    assert set(view.quality["重要度"]) == {"警告"}  # the sample's reads: warnings only
    assert "取り込み" in set(view.quality["検査"])
    codes = set(db.query("select distinct check_name from quality_report")["check_name"])
    assert not codes & set(view.quality["検査"])  # no code left untranslated
    assert view.warnings == int(
        scalar(db, "select count(*) from quality_report where severity = 'warning'")
    )


def test_every_quality_check_has_a_japanese_label():
    checks = {path.stem for path in (PROJECT_DIR / "etl" / "sql" / "quality").glob("*.sql")}
    assert set(CHECK_LABELS) == checks | {"parse"}  # parse: the warnings of reading the files
