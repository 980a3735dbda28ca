"""Cell parsers of etl.normalize: the values prefectures really write."""

from __future__ import annotations

import datetime as dt

import pytest

from etl import normalize as nz

# --- parse_fiscal_year -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2024, 2024),
        (2024.0, 2024),
        ("2024", 2024),
        ("2024年度", 2024),
        ("2024年度（令和6年度）", 2024),
        ("令和6年度", 2024),
        ("令和６年度", 2024),
        ("令和 6 年度", 2024),
        ("R6", 2024),
        ("r6", 2024),
        ("R06", 2024),
        ("Ｒ６", 2024),
        ("R6年度", 2024),
        ("令和元年度", 2019),
        ("平成31年度", 2019),
        ("H31", 2019),
        ("平成元年度", 1989),
        ("令和６年度（2024）", 2024),
        ("", None),
        ("   ", None),
        (None, None),
        ("-", None),
        ("―", None),
        ("不明", None),
        # a date (a cell or its text) is read as the fiscal year it falls in: April to March
        (dt.date(2024, 3, 31), 2023),
        (dt.datetime(2024, 4, 1), 2024),
        ("2024/3/31", 2023),
        ("令和6年4月1日", 2024),
    ],
)
def test_parse_fiscal_year(value, expected):
    assert nz.parse_fiscal_year(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("令和6年度(2023)", "一致しません"),
        ("2024年度(令和5年度)", "一致しません"),
        ("平成32年度", "存在しません"),
        ("R0", "存在しません"),
        ("1900", "範囲外"),
        (2024.5, "年度として読めません"),
        (True, "年度として読めません"),
        ("abc", "年度として読めません"),
        ("来年度", "年度として読めません"),
        ("2024.5", "年度として読めません"),
        ("2024/13/1", "存在しない日付"),
    ],
)
def test_parse_fiscal_year_rejects(value, reason):
    with pytest.raises(ValueError, match=reason):
        nz.parse_fiscal_year(value)


# --- find_fiscal_year --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和5年度 小さな拠点の形成に関する実態調査 小さな拠点一覧（福島県）", 2023),
        ("令和4年4月1日時点 小さな拠点一覧（令和3年度）", 2021),
        ("令和元年度末（令和2年3月31日）時点 小さな拠点一覧（鳥取県）", 2019),
        ("令和3年度 小さな拠点一覧（鳥取県） 令和4年4月1日時点", 2021),
        ("【サンプルデータ（架空）】平成30年度 一覧", 2018),
        ("2023年度 小さな拠点一覧", 2023),
        ("H30年度 一覧", 2018),
        ("R5年度 一覧", 2023),
        ("令和４年度 一覧", 2022),
        # No 年度: a date is not a fiscal year.
        ("令和4年4月1日時点", None),
        ("R4.3.1", None),
        ("R4.3.1時点 小さな拠点一覧", None),
        ("2022/3/31時点", None),
        ("小さな拠点一覧（福島県）", None),
        ("", None),
    ],
)
def test_find_fiscal_year(text, expected):
    assert nz.find_fiscal_year(text) == expected


@pytest.mark.parametrize(
    "text", ["R4/3/1時点 小さな拠点一覧", "R4-3-1時点 小さな拠点一覧"], ids=["slash", "dash"]
)
def test_find_fiscal_year_does_not_read_a_slash_or_dash_date_as_a_year(text):
    # Like "R4.3.1", a date written R4/3/1 (in FY2021) must not be taken as fiscal year 2022.
    assert nz.find_fiscal_year(text) is None


# --- parse_int ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123", 123),
        ("１２３", 123),
        ("1,234", 1234),
        ("１，２３４", 1234),
        (" 1 234 ", 1234),
        ("12人", 12),
        ("3集落", 3),
        ("1.0", 1),
        (12, 12),
        (12.0, 12),
        (0, 0),
        ("", None),
        (None, None),
        ("-", None),
        ("不明", None),
    ],
)
def test_parse_int(value, expected):
    assert nz.parse_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("▲5", -5), ("△5", -5), ("-5", -5), ("５", 5)],
)
def test_parse_int_negative_allowed_without_minimum(value, expected):
    assert nz.parse_int(value, minimum=None) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("▲5", "0未満"),
        ("-5", "0未満"),
        ("1.5", "整数ではありません"),
        (12.5, "整数ではありません"),
        ("abc", "数値として読めません"),
        ("12か", "数値として読めません"),
        (True, "数値ではありません"),
    ],
)
def test_parse_int_rejects(value, reason):
    with pytest.raises(ValueError, match=reason):
        nz.parse_int(value)


# --- parse_amount_yen --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("1,234.5", "千円", 1_234_500),
        ("１，２００", "千円", 1_200_000),
        (1.5, "千円", 1_500),
        ("0", "千円", 0),
        (450000, "円", 450_000),
        ("450,000", "円", 450_000),
        ("450,000円", "円", 450_000),
        ("", "千円", None),
        ("-", "円", None),
        ("1,234,000", "千円", 1_234_000_000),
        ("12,345,678,901,234,567,890,123,456,789", "円", 12345678901234567890123456789),
        ("1" * 30, "円", int("1" * 30)),  # kept exact, never rounded to 28 digits
    ],
)
def test_parse_amount_yen(value, unit, expected):
    assert nz.parse_amount_yen(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "unit", "reason"),
    [
        ("0.0001", "千円", "1円未満の端数"),
        ("1.5", "円", "1円未満の端数"),
        ("-1", "円", "負の値"),
        ("▲100", "千円", "負の値"),
        ("100", "万円", "単位「万円」"),
        ("100", "ドル", "単位「ドル」"),
        ("百円", "円", "数値として読めません"),
        ("1.00000000000000000000000000001", "円", "1円未満の端数"),  # past Decimal's 28 digits
    ],
)
def test_parse_amount_yen_rejects(value, unit, reason):
    with pytest.raises(ValueError, match=reason):
        nz.parse_amount_yen(value, unit)


# --- parse_bool --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("有", True),
        ("無", False),
        ("○", True),
        ("〇", True),
        ("×", False),
        ("あり", True),
        ("なし", False),
        ("有り", True),
        ("無し", False),
        ("はい", True),
        ("いいえ", False),
        ("yes", True),
        ("no", False),
        ("TRUE", True),
        ("False", False),
        (True, True),
        (False, False),
        (" 有 ", True),
        ("", None),
        (None, None),
        ("-", None),
        ("不明", None),
    ],
)
def test_parse_bool(value, expected):
    assert nz.parse_bool(value) is expected


@pytest.mark.parametrize("value", ["たぶん", "有無", "2", "○×"])
def test_parse_bool_rejects(value):
    with pytest.raises(ValueError, match="有無として読めません"):
        nz.parse_bool(value)


# --- municipality codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code5", "digit"),
    [
        ("07201", 0),  # 福島市 072010
        ("13101", 6),  # 千代田区 131016
        ("01100", 2),  # 札幌市 011002
        ("31201", 1),  # 鳥取市: 3*6+1*5+2*4+0*3+1*2 = 33, 33 % 11 = 0, (11 - 0) % 10 = 1
        ("07213", 3),  # 伊達市: 0+35+8+3+6 = 52, 52 % 11 = 8 → 3
        ("07308", 3),  # 川俣町: 0+35+12+0+16 = 63, 63 % 11 = 8 → 3
        ("31328", 9),  # 智頭町: 18+5+12+6+16 = 57, 57 % 11 = 2 → 9
    ],
)
def test_check_digit(code5, digit):
    assert nz.check_digit(code5) == digit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("07201", "07201"),
        (7201, "07201"),  # Excel dropped the leading zero
        (7201.0, "07201"),
        ("7201", "07201"),
        ("072010", "07201"),  # 6 digits with the right check digit
        (72010, "07201"),  # 6 digits with the leading zero dropped
        ("７２０１", "07201"),
        ("０７２０１", "07201"),
        (" 07201 ", "07201"),
        ("31201", "31201"),
        ("312011", "31201"),
        ("", None),
        (None, None),
        ("-", None),
    ],
)
def test_parse_municipality_code(value, expected):
    assert nz.parse_municipality_code(value) == expected


def test_wrong_check_digit_names_the_right_code():
    with pytest.raises(ValueError, match="検査数字") as info:
        nz.parse_municipality_code("072011")
    assert "072010" in str(info.value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("072011", "検査数字"),
        (72011, "検査数字"),
        ("00001", "都道府県コード"),
        ("abc", "数字5桁または6桁"),
        ("1234567", "数字5桁または6桁"),
        ("07201.5", "数字5桁または6桁"),
        (7201.5, "市町村コードとして読めません"),
    ],
)
def test_parse_municipality_code_rejects(value, reason):
    with pytest.raises(ValueError, match=reason):
        nz.parse_municipality_code(value)


def test_prefecture_code_48_is_rejected():
    # 48 is no prefecture; the parser may read it as a 6-digit code whose zero was dropped
    # (048001), which is also invalid. Either way it is an error.
    with pytest.raises(ValueError):
        nz.parse_municipality_code("48001")


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022/3/1", dt.date(2022, 3, 1)),
        ("2022-03-01", dt.date(2022, 3, 1)),
        ("2022.3.1", dt.date(2022, 3, 1)),
        ("２０２２／３／１", dt.date(2022, 3, 1)),
        ("2022年3月1日", dt.date(2022, 3, 1)),
        ("令和4年3月1日", dt.date(2022, 3, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("R4.3.1", dt.date(2022, 3, 1)),
        ("H31.4.30", dt.date(2019, 4, 30)),
        (dt.datetime(2022, 3, 1, 10, 30), dt.date(2022, 3, 1)),
        (dt.date(2022, 3, 1), dt.date(2022, 3, 1)),
        ("", None),
        (None, None),
        ("-", None),
    ],
)
def test_parse_date(value, expected):
    assert nz.parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2022/2/30", "存在しない日付"),
        ("令和4年13月1日", "存在しない日付"),
        ("2022/3", "日付として読めません"),
        ("三月一日", "日付として読めません"),
    ],
)
def test_parse_date_rejects(value, reason):
    with pytest.raises(ValueError, match=reason):
        nz.parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-10", "2016-10"),
        ("2016年10月", "2016-10"),
        ("2016/10", "2016-10"),
        ("2023年5月末", "2023-05"),
        ("2023/5/31", "2023-05-31"),
        ("2023-05-31", "2023-05-31"),
        ("令和5年5月31日", "2023-05-31"),
        (dt.datetime(2023, 5, 31), "2023-05-31"),
        ("", None),
        (None, None),
    ],
)
def test_parse_as_of(value, expected):
    assert nz.parse_as_of(value) == expected


def test_parse_as_of_rejects_month_13():
    with pytest.raises(ValueError):
        nz.parse_as_of("2016-13")


# --- headers and total rows --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("補助金額\n（千円）", ("補助金額", "千円")),
        ("補助金額(円)", ("補助金額", "円")),
        ("補助金額（円）", ("補助金額", "円")),
        ("補助金額[千円]", ("補助金額", "千円")),
        ("補助金額（単位：千円）", ("補助金額", "千円")),
        ("補助金額(単位:円)", ("補助金額", "円")),
        ("人口（人）", ("人口", "人")),
        ("市町村版総合戦略\nへの位置付け", ("市町村版総合戦略への位置付け", None)),
        ("地区名", ("地区名", None)),
        (" 地区 名 ", ("地区名", None)),
        ("補助金額()", ("補助金額", None)),
    ],
)
def test_split_header(header, expected):
    assert nz.split_header(header) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("合計", True),
        ("小計", True),
        ("総計", True),
        ("計", True),
        ("累計", True),
        ("県北振興局計", True),
        ("会津地域計", True),
        ("県計", True),
        ("令和3年度 小計", True),
        ("令和３年度　小計", True),
        ("小計（会津）", True),
        ("合 計", True),
        ("設計", False),
        ("会計年度任用", False),
        ("計画策定事業", False),
        ("集計", False),
        ("地区名", False),
        ("伊達市", False),
        ("", False),
        (None, False),
    ],
)
def test_is_total_label(value, expected):
    assert nz.is_total_label(value) is expected
