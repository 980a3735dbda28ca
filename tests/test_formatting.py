"""dashboard.formatting: 和暦 labels, money and counts, markdown escaping, safe CSV exports."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.formatting import (
    NO_DATA,
    RMO_COLUMN,
    RMO_UNKNOWN_COLUMN,
    count_text,
    count_with_unknown,
    escape_formula,
    fy_label,
    fy_short,
    md_escape,
    money_text,
    pct_text,
    share_text,
    to_csv_bytes,
    unknowns_as_text,
    wareki,
    with_fy_columns,
)

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2024, "令和6"),
        (2020, "令和2"),
        (2019, "令和元"),
        (2018, "平成30"),
        (1990, "平成2"),
        (1989, "平成元"),
        (1988, "昭和63"),  # 1988 - 1925
    ],
)
def test_wareki(year, expected):
    assert wareki(year) == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2024, "令和6年度 (2024)"),
        (2019, "令和元年度 (2019)"),
        (2018, "平成30年度 (2018)"),
        (1989, "平成元年度 (1989)"),
        (2030, "令和12年度 (2030)"),
        (np.int32(2020), "令和2年度 (2020)"),
        (2021.0, "令和3年度 (2021)"),
        (None, NO_DATA),
        (float("nan"), NO_DATA),
        (np.float64("nan"), NO_DATA),
        # A NULL year read from DuckDB into a nullable integer column arrives as pd.NA.
        pytest.param(pd.NA, NO_DATA, id="pd.NA"),
    ],
)
def test_fy_label(year, expected):
    assert fy_label(year) == expected


@pytest.mark.parametrize(
    ("year", "expected"),
    [
        (2024, "R6 (2024)"),
        (2019, "R1 (2019)"),
        (2018, "H30 (2018)"),
        (1989, "H1 (1989)"),
        (2030.0, "R12 (2030)"),
    ],
)
def test_fy_short(year, expected):
    assert fy_short(year) == expected


@pytest.mark.parametrize(
    ("yen", "digits", "expected"),
    [
        (12_345_678, 0, "12,346千円"),  # 12,345.678 → 12,346
        (12_345_499, 0, "12,345千円"),  # 12,345.499 → 12,345
        (12_345_678, 1, "12,345.7千円"),
        (54_004_000, 0, "54,004千円"),
        (5_000_000, 0, "5,000千円"),
        (1_000_000_000, 0, "1,000,000千円"),
        (499, 0, "0千円"),
        (0, 0, "0千円"),
        (np.int64(30_223_000), 0, "30,223千円"),
        (None, 0, NO_DATA),
        (float("nan"), 0, NO_DATA),
        (pd.NA, 0, NO_DATA),
    ],
)
def test_money_is_shown_in_thousands_of_yen(yen, digits, expected):
    assert money_text(yen, digits) == expected


@pytest.mark.parametrize(
    ("yen", "expected"),
    [
        # A half 千円 is rounded up (四捨五入), the same way for every value.
        (12_500, "13千円"),
        (13_500, "14千円"),
        (1_500, "2千円"),
        (2_500, "3千円"),
    ],
)
def test_money_rounds_half_up(yen, expected):
    assert money_text(yen) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (100 * 47 / 59, 1, "79.7%"),  # 79.661
        (80, 1, "80.0%"),
        (0, 1, "0.0%"),
        (5.2938, 0, "5%"),
        (-2.25, 2, "-2.25%"),
        (None, 1, NO_DATA),
        (float("nan"), 1, NO_DATA),
        (pd.NA, 1, NO_DATA),
    ],
)
def test_pct_text(value, digits, expected):
    assert pct_text(value, digits) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (47, "組織", "47組織"),
        (0, "拠点", "0拠点"),  # zero is a count, not missing
        (1234, "", "1,234"),
        (np.int64(59), "拠点", "59拠点"),
        (59.0, "拠点", "59拠点"),
        (None, "組織", NO_DATA),
        (pd.NA, "組織", NO_DATA),
        (float("nan"), "組織", NO_DATA),
    ],
)
def test_count_text(value, unit, expected):
    assert count_text(value, unit) == expected


@pytest.mark.parametrize(
    ("value", "unknown", "unit", "expected"),
    [
        (50, 4, "", "50（ほか不明4）"),  # 50 known, 4 rows of unknown status
        (45, 4, "組織", "45組織（ほか不明4）"),
        (50, 0, "", "50"),  # nothing unknown: just the count
        (0, 0, "", "0"),  # zero is a count, not missing
        (0, 3, "", "0（ほか不明3）"),  # none known to have one, 3 unknown: not データなし
        (1234, 1500, "", "1,234（ほか不明1,500）"),
        (np.int64(16), np.int64(2), "", "16（ほか不明2）"),
        (16.0, 2.0, "", "16（ほか不明2）"),  # a count column with NULLs reads back as float
        (7, None, "", "7"),  # no unknown count (e.g. a published figure): just the count
        (7, pd.NA, "", "7"),
        (None, 4, "", NO_DATA),  # nothing known: データなし, never 0
        (pd.NA, 1, "組織", NO_DATA),
        (float("nan"), 0, "", NO_DATA),
    ],
)
def test_count_with_unknown(value, unknown, unit, expected):
    assert count_with_unknown(value, unknown, unit) == expected


@pytest.mark.parametrize(
    ("value", "unknown", "expected"),
    [
        (81.818, 4, "81.8%（不明4拠点を除く）"),
        (79.66, 0, "79.7%"),
        (100.0, None, "100.0%"),
        (None, 4, NO_DATA),  # no share at all: just データなし
        (float("nan"), 0, NO_DATA),
    ],
)
def test_share_text(value, unknown, expected):
    assert share_text(value, unknown) == expected


def test_unknowns_as_text_merges_the_unknown_column_for_display():
    frame = pd.DataFrame(
        {
            "地方振興局": ["会津", "県北", "いわき", "県全体"],
            RMO_COLUMN: pd.array([16, None, 0, 16], dtype="Int64"),
            RMO_UNKNOWN_COLUMN: pd.array([2, 3, 0, 5], dtype="Int64"),
            "組織のある割合（%）": [76.2, None, None, 76.2],
        }
    )
    shown = unknowns_as_text(frame)
    assert list(shown.columns) == ["地方振興局", RMO_COLUMN, "組織のある割合（%）"]
    assert shown[RMO_COLUMN].tolist() == ["16（ほか不明2）", NO_DATA, "0", "16（ほか不明5）"]
    assert list(frame.columns)[2] == RMO_UNKNOWN_COLUMN  # the typed frame is left as it was
    # A table without the pair is returned as it is.
    other = pd.DataFrame({"拠点数（拠点）": [1, 2]})
    pd.testing.assert_frame_equal(unknowns_as_text(other), other)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**x**", r"\*\*x\*\*"),
        ("[a](javascript:alert(1))", r"\[a\]\(javascript:alert\(1\)\)"),
        ("<script>alert(1)</script>", r"\<script\>alert\(1\)\</script\>"),
        ("![x](http://x/y.png)", r"\!\[x\]\(http://x/y\.png\)"),
        ("# 見出し", r"\# 見出し"),
        ("- 項目", r"\- 項目"),
        ("1. 項目", r"1\. 項目"),
        ("> 引用", r"\> 引用"),
        ("_x_ `y` ~z~ $m$", r"\_x\_ \`y\` \~z\~ \$m\$"),
        ("| a |", r"\| a \|"),
        ("{b}", r"\{b\}"),
        ("a+b", r"a\+b"),
        ("C:\\dir", "C:\\\\dir"),
        ("福島県 会津地方振興局", "福島県 会津地方振興局"),
        (123, "123"),
    ],
)
def test_md_escape(text, expected):
    assert md_escape(text) == expected


@pytest.mark.parametrize("char", list("\\`*_{}[]()#+-.!|<>~$"))
def test_md_escape_every_markdown_special(char):
    assert md_escape(f"a{char}b") == f"a\\{char}b"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("福島県", "福島県"),
        ("a=b", "a=b"),
        ("", ""),
        (-2, -2),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_escape_formula(value, expected):
    got = escape_formula(value)
    assert (got, type(got)) == (expected, type(expected))


def test_escape_formula_leaves_nan_alone():
    assert math.isnan(escape_formula(float("nan")))


def export_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "名前": ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "福島県", None],
            "数": pd.array([1, -2, 3, None, 5, 6], dtype="Int64"),
            "率": [1.5, -0.5, 0.0, 2.0, float("nan"), -3.0],
            "混在": pd.Series([-3, "=x", 4.5, None, "ok", "-y"], dtype=object),
        }
    )


def test_csv_utf8_escapes_formulas_keeps_numbers_and_marks_nulls():
    data = to_csv_bytes(export_frame())
    assert data.startswith(BOM)
    expected = (
        "名前,数,率,混在\r\n"
        '"\'=HYPERLINK(""http://x"",""y"")",1,1.5,-3\r\n'
        "'+1,-2,-0.5,'=x\r\n"
        "'-2,3,0.0,4.5\r\n"
        "'@SUM(A1),データなし,2.0,データなし\r\n"
        "福島県,5,データなし,ok\r\n"
        "データなし,6,-3.0,'-y\r\n"
    )
    assert data == BOM + expected.encode("utf-8")


def test_csv_does_not_change_the_frame():
    frame = export_frame()
    to_csv_bytes(frame)
    pd.testing.assert_frame_equal(frame, export_frame())


def test_csv_cp932():
    frame = pd.DataFrame({"市町村": ["福島市", "-会津", "～R6"], "拠点数": [3, 0, None]})
    data = to_csv_bytes(frame, "cp932")
    assert not data.startswith(BOM)
    assert data.decode("cp932") == (
        "市町村,拠点数\r\n福島市,3.0\r\n'-会津,0.0\r\n～R6,データなし\r\n"
    )


def test_csv_cp932_unencodable_character_does_not_crash():
    frame = pd.DataFrame({"地区名": ["😀 会津", "只見町"]})
    assert to_csv_bytes(frame, "cp932").decode("cp932") == "地区名\r\n? 会津\r\n只見町\r\n"
    # UTF-8 keeps it.
    assert to_csv_bytes(frame).decode("utf-8-sig") == "地区名\r\n😀 会津\r\n只見町\r\n"


def test_with_fy_columns_replaces_the_year_in_place():
    frame = pd.DataFrame(
        {
            "区分": ["実績", "実績", "目標"],
            "fiscal_year": pd.array([2019, 2024, None], dtype="Int64"),
            "拠点数": [30, 59, 60],
        }
    )
    expected = pd.DataFrame(
        {
            "区分": ["実績", "実績", "目標"],
            "年度（和暦）": ["令和元年度", "令和6年度", NO_DATA],
            "年度（西暦）": pd.array([2019, 2024, None], dtype="Int64"),
            "拠点数": [30, 59, 60],
        }
    )
    pd.testing.assert_frame_equal(with_fy_columns(frame), expected, check_dtype=False)
    # The input is left as it was.
    assert list(frame.columns) == ["区分", "fiscal_year", "拠点数"]


def test_with_fy_columns_float_years_and_custom_names():
    frame = pd.DataFrame({"first_fy": [2018.0, float("nan")], "n": [1, 2]})
    expected = pd.DataFrame(
        {
            "開始（和暦）": ["平成30年度", NO_DATA],
            "開始（西暦）": [2018.0, float("nan")],
            "n": [1, 2],
        }
    )
    got = with_fy_columns(frame, column="first_fy", label="開始")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_with_fy_columns_then_csv_writes_unknown_years_as_no_data():
    frame = pd.DataFrame({"fiscal_year": pd.array([2020, None], dtype="Int64"), "値": [48, 1]})
    assert to_csv_bytes(with_fy_columns(frame)).decode("utf-8-sig") == (
        "年度（和暦）,年度（西暦）,値\r\n令和2年度,2020,48\r\nデータなし,データなし,1\r\n"
    )


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-11-30T10:01:05+00:00", "2026-11-30T19:01:05+09:00"),
        ("2026-11-30 10:01:05", "2026-11-30T19:01:05+09:00"),  # naive: UTC, as builds record it
        (None, NO_DATA),
    ],
)
def test_times_are_shown_in_japan_time(when, expected):
    from dashboard.formatting import jst_text

    assert jst_text(when) == expected
