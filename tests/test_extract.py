"""Parsing and checking whole input files (etl.checks.parse_file) with the real reference data."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from core.settings import load_settings
from etl.build import make_context
from etl.checks import Context, parse_file
from etl.errors import Problem
from etl.extract import ParsedFile

SETTINGS = load_settings({})  # the documented defaults, whatever the environment says


@pytest.fixture(scope="module")
def ctx() -> Context:
    return make_context(SETTINGS)  # default profile: fukushima


def write_table(directory: Path, name: str, rows: list[list[object]], encoding="utf-8") -> Path:
    """A .csv (CRLF, quoted as Excel writes) or a one-sheet .xlsx; an empty list is an empty row."""
    path = directory / name
    if name.endswith(".xlsx"):
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "一覧"
        for row in rows:
            sheet.append(row)
        book.save(path)
    else:
        text = io.StringIO(newline="")
        csv.writer(text, lineterminator="\r\n").writerows(rows)
        path.write_bytes(text.getvalue().encode(encoding))
    return path


def parse(tmp_path: Path, ctx: Context, rows, name: str = "input.csv") -> ParsedFile:
    (parsed,) = parse_file(write_table(tmp_path, name, rows), ctx)
    return parsed


def where(problems: list[Problem]) -> list[tuple]:
    return [(p.row, p.column, p.value) for p in problems]


SURVEY_HEADER = ["調査年度", "市町村コード", "市町村名", "小さな拠点の名称", "地区名"]
GRANT_HEADER = ["年度", "地方振興局", "市町村", "地区名", "事業区分", "補助対象経費（円）", "補助金額（円）", "状態"]  # fmt: skip


def grant(
    year="令和3年度",
    bureau="県北",
    muni="伊達市",
    district="掛田地区",
    program="計画策定事業",
    eligible="500000",
    amount="400000",
    status="完了",
) -> list[str]:
    return [year, bureau, muni, district, program, eligible, amount, status]


# --- kinds and headers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "kind"),
    [
        ([SURVEY_HEADER, ["R5", "07213", "伊達市", "霊山の里", "掛田地区"]], "survey"),
        ([GRANT_HEADER, grant()], "grants"),
        (
            [
                ["鳥取県 特定地域づくり事業協同組合の状況"],
                ["年度", "組合名", "町", "認定日", "組合員数"],
                ["令和5年度", "智頭町複業協同組合", "智頭町", "令和2年3月1日", "14"],
            ],
            "cooperatives",
        ),
        (
            [
                ["scope", "indicator", "fiscal_year", "value", "kind", "source"],
                ["07", "hubs_total", "2023", "55", "actual", "福島県"],
            ],
            "published_counts",
        ),
        (
            [
                ["範囲", "指標", "年度", "値", "種別", "出典"],
                ["福島県", "hubs_total", "令和5年度", "55", "実績", "福島県"],
            ],
            "published_counts",
        ),
    ],
    ids=["survey", "grants", "cooperatives", "published-en", "published-ja"],
)
def test_kind_is_detected_from_the_header(tmp_path, ctx, rows, kind):
    parsed = parse(tmp_path, ctx, rows)
    assert (parsed.kind, parsed.problems, len(parsed.records)) == (kind, [], 1)


@pytest.mark.parametrize(
    "header",
    [["番号", "名前", "備考"], ["市町村名", "小さな拠点の名称"]],
    ids=["unknown-labels", "too-few-labels"],
)
def test_no_header_found(tmp_path, ctx, header):
    parsed = parse(tmp_path, ctx, [header, ["1", "2", "3"]])
    assert (parsed.kind, parsed.header_row, parsed.records) == (None, None, [])
    assert where(parsed.problems) == [(None, None, None)]
    assert parsed.problems[0].reason.startswith("見出し行が見つかりません")


@pytest.mark.parametrize("name", ["input.csv", "input.xlsx"])
def test_title_rows_are_skipped_and_header_row_is_the_excel_row(tmp_path, ctx, name):
    rows = [
        ["令和5年度 小さな拠点一覧（福島県）"],
        ["令和5年5月31日時点"],
        [],
        ["市町村コード", "市町村名", "小さな拠点の名称", "地区名"],
        ["07213", "伊達市", "霊山の里", "掛田地区"],
        ["07308", "川俣町", "山木屋ふれあいセンター", "山木屋地区"],
    ]
    parsed = parse(tmp_path, ctx, rows, name)
    assert (parsed.header_row, parsed.title, parsed.problems) == (
        4,
        "令和5年度 小さな拠点一覧（福島県） 令和5年5月31日時点",
        [],
    )
    assert [
        (r["source_row"], r["fiscal_year"], r["as_of"], r["municipality_code"])
        for r in parsed.records
    ] == [(5, 2023, "2023-05-31", "07213"), (6, 2023, "2023-05-31", "07308")]


@pytest.mark.parametrize(
    ("name", "header", "cell", "grant_yen", "warnings"),
    [
        ("input.csv", "補助金額\n（千円）", "１，２００", 1_200_000, []),
        ("input.xlsx", "補助金額\n（千円）", 1200, 1_200_000, []),
        ("input.csv", "補助金額（円）", "450000", 450_000, []),
        ("input.xlsx", "補助金額（円）", 450000, 450_000, []),
        ("input.csv", "補助金額（単位：千円）", "1.5", 1_500, []),
        ("input.csv", "補助金額", "450,000円", 450_000, []),
        ("input.csv", "補助金額", "450千円", 450_000, []),
    ],
)
def test_amount_units_from_the_header(tmp_path, ctx, name, header, cell, grant_yen, warnings):
    rows = [
        ["年度", "市町村", "地区名", "事業区分", header, "状態"],
        ["令和3年度", "伊達市", "掛田地区", "計画策定事業", cell, "完了"],
    ]
    parsed = parse(tmp_path, ctx, rows, name)
    assert parsed.problems == []
    assert [r["grant_yen"] for r in parsed.records] == [grant_yen]
    assert [(w.row, w.column, w.reason) for w in parsed.warnings] == warnings


def test_an_amount_in_another_unit_is_refused(tmp_path, ctx):
    rows = [
        ["年度", "市町村", "地区名", "事業区分", "補助金額（万円）", "状態"],
        ["令和3年度", "伊達市", "掛田地区", "計画策定事業", "120", "完了"],
    ]
    parsed = parse(tmp_path, ctx, rows)
    assert where(parsed.problems) == [(1, "補助金額（万円）", None)]
    assert "万円" in parsed.problems[0].reason
    assert parsed.records == []


@pytest.mark.parametrize(
    ("code_header", "hub_header"),
    [
        ("市町村コード", "小さな拠点の名称"),
        ("団体コード", "小さな拠点名"),
        ("地方公共団体コード", "拠点名"),
        ("市区町村コード", "拠点の名称"),
    ],
)
def test_alias_headers_map_to_canonical_columns(tmp_path, ctx, code_header, hub_header):
    rows = [
        ["調査年度", code_header, "市町村名", hub_header, "地区名"],
        ["R5", "072133", "伊達市", "霊山の里", "掛田地区"],
    ]
    parsed = parse(tmp_path, ctx, rows)
    assert parsed.headers == {
        "fiscal_year": "調査年度",
        "municipality_code": code_header,
        "municipality_name": "市町村名",
        "hub_name": hub_header,
        "district_name": "地区名",
    }
    assert [(r["municipality_code"], r["hub_name"]) for r in parsed.records] == [
        ("07213", "霊山の里")
    ]
    assert (parsed.problems, parsed.warnings) == ([], [])


def test_unknown_columns_are_ignored_with_a_warning(tmp_path, ctx):
    rows = [SURVEY_HEADER + ["担当者"], ["R5", "07213", "伊達市", "霊山の里", "掛田地区", "佐藤"]]
    parsed = parse(tmp_path, ctx, rows)
    assert parsed.problems == []
    assert [(w.row, w.column) for w in parsed.warnings] == [(1, "担当者")]


# --- rows --------------------------------------------------------------------------------------


def test_total_and_blank_rows_are_dropped(tmp_path, ctx):
    rows = [
        ["集落ネットワーク圏形成事業 交付実績"],
        GRANT_HEADER,
        grant(district="掛田地区", amount="400000"),
        grant(district="小国地区", amount="300000"),
        ["令和3年度 小計", "", "", "", "", "", "700000", ""],
        [],
        grant(year="令和4年度", district="掛田地区", amount="200000"),
        ["", "県北振興局計", "", "", "", "", "200000", ""],
        ["合計", "", "", "", "", "", "900000", ""],
        ["", "", "", "", "", "", "", ""],
    ]
    parsed = parse(tmp_path, ctx, rows)
    assert parsed.problems == []
    assert parsed.dropped_rows == [5, 8, 9]
    assert [(r["source_row"], r["fiscal_year"], r["grant_yen"]) for r in parsed.records] == [
        (3, 2021, 400_000),
        (4, 2021, 300_000),
        (7, 2022, 200_000),
    ]
    assert [w.reason for w in parsed.warnings] == ["合計・小計の行を除きました（5, 8, 9行目）"]


@pytest.mark.parametrize(
    ("cell", "year"),
    [
        ("令和3年度", 2021),
        ("R4", 2022),
        ("平成31年度", 2019),
        ("令和元年度", 2019),
        ("Ｒ５", 2023),
        ("2020年度", 2020),
        ("令和６年度（2024）", 2024),
    ],
)
def test_wareki_years_in_grant_files(tmp_path, ctx, cell, year):
    parsed = parse(tmp_path, ctx, [GRANT_HEADER, grant(year=cell)])
    assert parsed.problems == []
    assert [r["fiscal_year"] for r in parsed.records] == [year]


# --- municipalities ----------------------------------------------------------------------------

CODE_HEADER = ["調査年度", "市町村コード", "小さな拠点の名称", "地区名"]


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ("input.csv", "07213"),
        ("input.csv", "072133"),  # 6 digits, right check digit
        ("input.csv", "7213"),
        ("input.csv", "７２１３"),
        ("input.xlsx", 7213),  # a number cell: Excel dropped the zero
        ("input.xlsx", 72133),
    ],
)
def test_municipality_codes(tmp_path, ctx, name, cell):
    parsed = parse(tmp_path, ctx, [CODE_HEADER, ["R5", cell, "霊山の里", "掛田地区"]], name)
    assert parsed.problems == []
    assert [(r["pref_code"], r["municipality_code"]) for r in parsed.records] == [("07", "07213")]


def test_wrong_check_digit_is_a_problem_naming_file_row_column_and_value(tmp_path, ctx):
    parsed = parse(tmp_path, ctx, [CODE_HEADER, ["R5", "072134", "霊山の里", "掛田地区"]])
    [problem] = [p for p in parsed.problems if p.column == "市町村コード"]
    assert problem == Problem("input.csv", 2, "市町村コード", "072134", problem.reason)
    assert "072133" in problem.reason


def test_a_bad_code_cell_is_reported_once(tmp_path, ctx):
    # The code cell is filled (with a wrong check digit): one problem for it, not a second
    # "市町村が空です" that says the municipality was left blank.
    parsed = parse(tmp_path, ctx, [CODE_HEADER, ["R5", "072134", "霊山の里", "掛田地区"]])
    assert where(parsed.problems) == [(2, "市町村コード", "072134")]


def test_a_code_not_in_the_reference_is_a_problem(tmp_path, ctx):
    parsed = parse(tmp_path, ctx, [CODE_HEADER, ["R5", "07999", "霊山の里", "掛田地区"]])
    assert parsed.problems == [
        Problem("input.csv", 2, "市町村コード", "07999", "市町村表にないコードです")
    ]


def test_a_code_and_a_name_that_disagree_is_a_problem(tmp_path, ctx):
    parsed = parse(
        tmp_path, ctx, [SURVEY_HEADER, ["R5", "07213", "川俣町", "霊山の里", "掛田地区"]]
    )
    assert parsed.problems == [
        Problem(
            "input.csv",
            2,
            "市町村名",
            "川俣町",
            "市町村名とコードが一致しません（07213は伊達市）",
        )
    ]


NAME_HEADER = ["調査年度", "市町村名", "小さな拠点の名称", "地区名"]
TOTTORI_TITLE = ["令和5年度 小さな拠点一覧（鳥取県）"]


@pytest.mark.parametrize(
    ("title", "name", "expected"),
    [
        (None, "伊達市", ("07", "07213")),
        (None, "福島県伊達市", ("07", "07213")),
        (None, "伊達郡川俣町", ("07", "07308")),
        (None, "福島県伊達郡川俣町", ("07", "07308")),
        (None, "伊達 市", ("07", "07213")),
        (TOTTORI_TITLE, "智頭町", ("31", "31328")),
        (TOTTORI_TITLE, "八頭郡智頭町", ("31", "31328")),
        (TOTTORI_TITLE, "鳥取市", ("31", "31201")),
    ],
)
def test_municipality_name_resolved_within_the_files_prefecture(
    tmp_path, ctx, title, name, expected
):
    rows = [*([title] if title else []), NAME_HEADER, ["R5", name, "霊山の里", "上野地区"]]
    parsed = parse(tmp_path, ctx, rows)
    assert parsed.problems == []
    assert [(r["pref_code"], r["municipality_code"]) for r in parsed.records] == [expected]


@pytest.mark.parametrize(
    ("title", "name", "reason"),
    [
        (None, "鳥取市", "福島県の市町村名にありません"),
        (None, "伊達村", "福島県の市町村名にありません"),
        (TOTTORI_TITLE, "伊達市", "鳥取県の市町村名にありません"),
    ],
)
def test_municipality_name_outside_the_prefecture_is_a_problem(tmp_path, ctx, title, name, reason):
    rows = [*([title] if title else []), NAME_HEADER, ["R5", name, "霊山の里", "上野地区"]]
    parsed = parse(tmp_path, ctx, rows)
    row = 3 if title else 2
    assert parsed.problems == [Problem("input.csv", row, "市町村名", name, reason)]


# --- cell values -------------------------------------------------------------------------------


def test_yes_no_columns_become_booleans(tmp_path, ctx):
    header = SURVEY_HEADER + ["市町村版総合戦略\nへの位置付け", "地域運営組織の有無"]
    marks = [("○", "有"), ("×", "無"), ("〇", "あり"), ("", "なし"), ("有", "")]
    rows = [header] + [
        ["R5", "07213", "伊達市", f"拠点{i}", f"地区{i}", strategy, rmo]
        for i, (strategy, rmo) in enumerate(marks)
    ]
    parsed = parse(tmp_path, ctx, rows)
    assert parsed.problems == []
    assert [(r["in_municipal_strategy"], r["has_rmo"]) for r in parsed.records] == [
        (True, True),
        (False, False),
        (True, True),
        (None, False),
        (True, None),
    ]


@pytest.mark.parametrize(
    ("title", "year_cell", "expected"),
    [
        (None, "R5", (2023, "2023-05-31")),
        (None, "令和5年度", (2023, "2023-05-31")),
        ("令和5年度 小さな拠点の形成に関する実態調査 小さな拠点一覧", None, (2023, "2023-05-31")),
        ("令和3年度 小さな拠点一覧 令和4年4月1日時点", None, (2021, "2022-04-01")),
        ("令和6年度 小さな拠点一覧", "令和6年度", (2024, "2024-05-31")),
    ],
)
def test_survey_year_from_the_column_or_the_title(tmp_path, ctx, title, year_cell, expected):
    header = ["市町村名", "小さな拠点の名称", "地区名"]
    row = ["伊達市", "霊山の里", "掛田地区"]
    if year_cell is not None:
        header, row = ["調査年度", *header], [year_cell, *row]
    rows = [*([[title]] if title else []), header, row]
    parsed = parse(tmp_path, ctx, rows)
    assert parsed.problems == []
    assert [(r["fiscal_year"], r["as_of"]) for r in parsed.records] == [expected]


def test_survey_title_year_and_column_year_must_agree(tmp_path, ctx):
    rows = [
        ["令和5年度 小さな拠点一覧"],
        ["調査年度", "市町村名", "小さな拠点の名称", "地区名"],
        ["令和5年度", "伊達市", "霊山の里", "掛田地区"],
        ["令和6年度", "川俣町", "山木屋の里", "山木屋地区"],
    ]
    parsed = parse(tmp_path, ctx, rows)
    assert where(parsed.problems) == [(4, "調査年度", "令和6年度（2024）")]
    assert "タイトル行の年度（令和5年度（2023））と一致しません" in parsed.problems[0].reason


def test_survey_without_a_year_is_a_problem(tmp_path, ctx):
    rows = [
        ["小さな拠点一覧（福島県）"],
        ["市町村名", "小さな拠点の名称", "地区名"],
        ["伊達市", "霊山の里", "掛田地区"],
        ["川俣町", "山木屋の里", "山木屋地区"],
    ]
    parsed = parse(tmp_path, ctx, rows)
    assert where(parsed.problems) == [(3, "調査年度", None), (4, "調査年度", None)]
    assert all("調査年度" in p.reason for p in parsed.problems)


def test_every_bad_cell_of_a_file_is_reported_at_once(tmp_path, ctx):
    header = [*SURVEY_HEADER, "人口\n（人）", "集落数", "地域運営組織の有無"]
    rows = [
        ["令和5年度 小さな拠点一覧"],
        header,
        ["R5", "07213", "伊達市", "拠点A", "A地区", "1.5", "3", "有"],
        ["R5", "072134", "伊達市", "拠点B", "B地区", "100", "たくさん", "無"],
        ["令和5年度(2022)", "07213", "伊達市", "拠点C", "C地区", "-3", "2", "たぶん"],
        ["R5", "07213", "伊達市", "拠点D", "D地区", "10", "2", "有"],
        ["R5", "07213", "伊達市", "", "E地区", "10", "2", "有"],
    ]
    parsed = parse(tmp_path, ctx, rows)
    assert set(where(parsed.problems)) == {
        (3, "人口 （人）", "1.5"),
        (4, "市町村コード", "072134"),
        (4, "集落数", "たくさん"),
        (5, "調査年度", "令和5年度(2022)"),
        (5, "人口 （人）", "-3"),
        (5, "地域運営組織の有無", "たぶん"),
        (7, "小さな拠点の名称", None),
    }
    assert len(parsed.problems) == 7
    assert {p.file for p in parsed.problems} == {"input.csv"}
    assert all(p.reason for p in parsed.problems)


@pytest.mark.parametrize("has_rmo", ["無", "なし", "×"], ids=["mu", "nashi", "batsu"])
def test_rmo_name_without_rmo_names_the_cell_as_written(tmp_path, ctx, has_rmo):
    rows = [
        [*SURVEY_HEADER, "地域運営組織の有無", "地域運営組織の名称"],
        ["R5", "07213", "伊達市", "霊山の里", "掛田地区", has_rmo, "上野むらづくり協議会"],
    ]
    parsed = parse(tmp_path, ctx, rows)
    assert where(parsed.problems) == [(2, "地域運営組織の名称", "上野むらづくり協議会")]


# --- grant checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "expected", "reason"),
    [
        (
            [grant(eligible="100000", amount="200000")],
            [(2, "補助金額（円）", "200000")],
            "補助金額が補助対象経費を超えています",
        ),
        ([grant(amount="0")], [(2, "補助金額（円）", "0")], "0円"),
        ([grant(amount="", status="完了")], [(2, "補助金額（円）", None)], "補助金額が空です"),
        (
            [grant(program="集落支援事業")],
            [(2, "事業区分", "集落支援事業")],
            "福島県の事業区分にありません（計画策定事業、小さな拠点づくり事業）",
        ),
        (
            [grant(bureau="県中地方振興局")],
            [(2, "地方振興局", "県中地方振興局")],
            "伊達市の地方振興局は県北です",
        ),
        ([grant(status="検討中")], [(2, "状態", "検討中")], "採択・交付決定・完了・取下げ"),
        (
            [grant(), grant(year="R3", program="計画策定", amount="100000")],
            [(3, None, "2021 / 07213 / 掛田 / plan")],
            "2行目と重複",
        ),
    ],
    ids=[
        "over-eligible",
        "zero-yen",
        "blank-when-done",
        "unknown-program",
        "wrong-bureau",
        "unknown-status",
        "duplicate",
    ],
)
def test_grant_problems(tmp_path, ctx, rows, expected, reason):
    parsed = parse(tmp_path, ctx, [GRANT_HEADER, *rows])
    assert where(parsed.problems) == expected
    assert all(reason in p.reason for p in parsed.problems)


@pytest.mark.parametrize(
    "row",
    [
        grant(amount="0", status="取下げ"),
        grant(amount="", status="採択"),
        grant(bureau="県北"),
        grant(bureau="県北地方振興局"),
        grant(bureau="県北振興局"),
        grant(bureau=""),
        grant(program="小さな拠点づくり事業", eligible="500000", amount="500000"),
    ],
    ids=[
        "withdrawn-zero",
        "adopted-blank",
        "bureau",
        "bureau-full",
        "bureau-short",
        "no-bureau",
        "equal",
    ],
)
def test_grant_rows_that_are_fine(tmp_path, ctx, row):
    parsed = parse(tmp_path, ctx, [GRANT_HEADER, row])
    assert parsed.problems == []
    assert len(parsed.records) == 1


@pytest.mark.parametrize(
    ("header", "basis"),
    [
        ("交付決定額(千円)", "交付決定額"),
        ("交付決定額（千円）", "交付決定額"),
        ("交付決定額\n（円）", "交付決定額"),
        ("実績額（千円）", "実績額"),
        ("補助金額（千円）", None),
    ],
    ids=["ascii-brackets", "full-width-brackets", "line-break", "jisseki", "no-basis"],
)
def test_amount_basis_from_the_amount_header(tmp_path, ctx, header, basis):
    rows = [
        ["年度", "市町村", "地区名", "事業区分", header, "状態"],
        ["令和3年度", "伊達市", "掛田地区", "計画策定事業", "450", "完了"],
    ]
    parsed = parse(tmp_path, ctx, rows)
    assert parsed.problems == []
    assert [r["amount_basis"] for r in parsed.records] == [basis]


@pytest.mark.parametrize("bureau", ["東部", "東部地域"], ids=["bare", "with-label"])
def test_tottori_bureau_written_with_its_label(tmp_path, ctx, bureau):
    # 鳥取県's profile calls its bureaus 地域 (東部・中部・西部・日野), as 福島県's are 地方振興局:
    # "東部地域" is to 鳥取県 what "県北地方振興局" is to 福島県.
    rows = [
        ["鳥取県 がんばる地域支援事業 交付実績"],
        ["年度", "地域", "市町村", "地区名", "事業区分", "補助金額（千円）", "状態"],
        ["令和3年度", bureau, "鳥取市", "佐治地区", "取組促進事業", "500", "完了"],
    ]
    parsed = parse(tmp_path, ctx, rows)
    assert parsed.problems == []
    assert [(r["pref_code"], r["program_id"]) for r in parsed.records] == [("31", "promotion")]


# --- the sample dataset ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "rows", "years", "pref"),
    [
        ("fukushima_survey_r02_2020.xlsx", "survey", 48, {2020}, "07"),
        ("fukushima_survey_r05_2023.xlsx", "survey", 55, {2023}, "07"),
        ("fukushima_survey_r06_2024.csv", "survey", 59, {2024}, "07"),
        ("tottori_survey_r01_2019.xlsx", "survey", 30, {2019}, "31"),
        ("tottori_survey_r03_2021.csv", "survey", 39, {2021}, "31"),
        ("tottori_survey_r04_2022.xlsx", "survey", 46, {2022}, "31"),
    ],
)
def test_sample_surveys_parse_cleanly(ctx, name, kind, rows, years, pref):
    (parsed,) = parse_file(SETTINGS.sample_dir / name, ctx)
    assert parsed.problems == []
    assert (parsed.kind, len(parsed.records)) == (kind, rows)
    assert {r["fiscal_year"] for r in parsed.records} == years
    assert {r["pref_code"] for r in parsed.records} == {pref}


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("fukushima_grants_r03-r05.xlsx", "grants"),
        ("fukushima_grants_r06-r08.csv", "grants"),
        ("tottori_cooperatives.xlsx", "cooperatives"),
    ],
)
def test_other_sample_files_parse_cleanly(ctx, name, kind):
    (parsed,) = parse_file(SETTINGS.sample_dir / name, ctx)
    assert (parsed.kind, parsed.problems) == (kind, [])
    assert parsed.records
