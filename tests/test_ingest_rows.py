"""Rows that would load a wrong number if they were let through, and text files as offices save
them: prefectures and codes, impossible years, one survey year per list, tick columns, control
characters, tab-separated and UTF-16 text, currency text, duplicates across files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.settings import load_settings
from etl.build import make_context, validate_files
from etl.checks import Context, parse_file
from etl.extract import ParsedFile
from tests.ingest_fixtures import GRANT_HEADER_PLAIN

SETTINGS = load_settings({})
TODAY = dt.date(2026, 11, 30)  # fiscal year 2026 (令和8年度)
GRANT_HEADER = GRANT_HEADER_PLAIN
SURVEY_HEADER = ["都道府県", "調査年度", "市町村コード", "小さな拠点の名称", "地区名"]


@pytest.fixture(scope="module")
def ctx() -> Context:
    base = make_context(SETTINGS)
    return Context(base.reference, base.profiles, base.default_profile, today=TODAY)


def text_file(path: Path, rows: list[list[object]], delimiter=",", encoding="utf-8") -> Path:
    text = "\r\n".join(delimiter.join("" if c is None else str(c) for c in r) for r in rows)
    path.write_bytes((text + "\r\n").encode(encoding))
    return path


def one(path: Path, ctx: Context) -> ParsedFile:
    (parsed,) = parse_file(path, ctx)
    return parsed


def where(parsed: ParsedFile) -> list[tuple]:
    return [(p.row, p.column, p.value) for p in parsed.problems]


# --- prefectures and codes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pref", "code", "reason"),
    [
        (
            "福島県",
            "31201",
            "市町村コード31201は鳥取県のコードですが、この行の都道府県は福島県です",
        ),
        (
            "宮城県",
            "07201",
            "市町村コード07201は福島県のコードですが、この行の都道府県は宮城県です",
        ),
        (
            "宮城県",
            "04100",
            "宮城県のプロファイルがありません（1行）。python -m etl profile new 04 で作ってから取り込んでください",
        ),
        (
            None,
            "31201",
            "市町村コード31201は鳥取県のコードですが、このファイルの都道府県（プロファイル）は福島県です",
        ),
    ],
    ids=[
        "tottori-code-under-fukushima",
        "fukushima-code-under-miyagi",
        "prefecture-not-loaded",
        "no-prefecture-stated-uses-the-profile",
    ],
)
def test_a_code_of_another_prefecture_is_a_cell_error(tmp_path, ctx, pref, code, reason):
    rows = [
        SURVEY_HEADER,
        [pref, "R6", code, "拠点", "地区"],
        ["福島県", "R6", "07213", "霊山の里", "掛田地区"],
    ]
    if pref is None:
        rows = [r[1:] for r in rows]
    parsed = one(text_file(tmp_path / "s.csv", rows), ctx)
    assert where(parsed) == [(2, "市町村コード", code)]
    assert parsed.problems[0].reason == reason


def test_a_code_of_another_prefecture_than_the_title_is_a_cell_error(tmp_path, ctx):
    rows = [
        ["令和6年度 小さな拠点一覧（福島県）"],
        SURVEY_HEADER[1:],
        ["R6", "31201", "拠点", "地区"],
    ]
    parsed = one(text_file(tmp_path / "s.csv", rows), ctx)
    assert where(parsed) == [(3, "市町村コード", "31201")]
    assert "タイトルは福島県です" in parsed.problems[0].reason


# --- years -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "ok"),
    [
        ("2099年度", False),
        ("令和81年度", False),
        ("令和9年度", True),
        ("令和10年度", False),
        ("平成26年度", False),
        ("平成27年度", True),
    ],  # fmt: skip
)
def test_grant_years_run_from_the_programme_to_next_fiscal_year(tmp_path, ctx, year, ok):
    rows = [GRANT_HEADER, [year, "伊達市", "掛田地区", "計画策定事業", 500000, 400000, "交付決定"]]
    parsed = one(text_file(tmp_path / "g.csv", rows), ctx)
    assert (parsed.problems == []) is ok
    if not ok:
        assert [(p.row, p.column) for p in parsed.problems] == [(2, "年度")]


@pytest.mark.parametrize(("year", "ok"), [("令和8年度", True), ("令和9年度", False)])
def test_a_survey_list_is_never_in_the_future(tmp_path, ctx, year, ok):
    rows = [SURVEY_HEADER, ["福島県", year, "07213", "霊山の里", "掛田地区"]]
    parsed = one(text_file(tmp_path / "s.csv", rows), ctx)
    assert (parsed.problems == []) is ok


def test_one_survey_list_holds_one_survey_year(tmp_path, ctx):
    rows = [SURVEY_HEADER] + [["福島県", "R6", "07213", f"拠点{i}", f"地区{i}"] for i in range(3)]
    rows.append(["福島県", "R5", "07213", "拠点9", "地区9"])
    parsed = one(text_file(tmp_path / "s.csv", rows), ctx)
    assert where(parsed) == [(5, "調査年度", "令和5年度（2023）")]
    assert "令和5年度（2023） 1行、令和6年度（2024） 3行" in parsed.problems[0].reason


# --- tick columns ------------------------------------------------------------------------------


def test_a_column_of_ticks_and_blanks_reads_blank_as_no(tmp_path, ctx):
    header = SURVEY_HEADER + ["地域運営組織の有無", "地域再生計画への位置付け"]
    marks = [("○", "✓"), ("", "無"), ("●", ""), ("", "○")]
    rows = [header] + [
        ["福島県", "R6", "07213", f"拠点{i}", f"地区{i}", rmo, plan]
        for i, (rmo, plan) in enumerate(marks)
    ]
    parsed = one(text_file(tmp_path / "s.csv", rows), ctx)
    assert parsed.problems == []
    # 地域運営組織: ticks only → a blank is 無; 地域再生計画: 無 is written → a blank stays unknown
    assert [(r["has_rmo"], r["in_regional_plan"]) for r in parsed.records] == [
        (True, True),
        (False, False),
        (True, None),
        (False, True),
    ]
    assert any("地域運営組織の有無" in n and "空欄を「無」" in n for n in parsed.notes)


# --- text files ------------------------------------------------------------------------------

GRANT_ROW = ["令和5年度", "伊達市", "掛田地区", "計画策定事業", "500,000", "400,000", "完了"]


@pytest.mark.parametrize(
    ("name", "delimiter", "encoding"),
    [
        ("g.tsv", "\t", "utf-8"),
        ("g.csv", "\t", "cp932"),  # tab-separated content in a .csv
        ("g.txt", "\t", "utf-16"),  # Excel's 「Unicode テキスト」: UTF-16 with BOM, tabs
    ],
)
def test_tab_separated_and_utf16_text(tmp_path, ctx, name, delimiter, encoding):
    rows = [GRANT_HEADER, [c.replace(",", "") for c in GRANT_ROW]]
    parsed = one(text_file(tmp_path / name, rows, delimiter, encoding), ctx)
    assert parsed.problems == []
    assert [r["grant_yen"] for r in parsed.records] == [400000]


@pytest.mark.parametrize(
    ("cell", "encoding"),
    [("￥1,080,000", "utf-8"), ("\\1,080,000", "cp932"), ("¥1080000", "utf-8")],
)
def test_currency_text(tmp_path, ctx, cell, encoding):
    row = [*GRANT_ROW[:4], "\\1,200,000", cell, "完了"]
    rows = [GRANT_HEADER, [f'"{c}"' if "," in c else c for c in row]]
    parsed = one(text_file(tmp_path / "g.csv", rows, encoding=encoding), ctx)
    assert parsed.problems == []
    assert [(r["eligible_cost_yen"], r["grant_yen"]) for r in parsed.records] == [
        (1200000, 1080000)
    ]


def test_a_control_character_anywhere_in_a_cell_is_an_error_for_that_cell(tmp_path, ctx):
    filler = [
        ["令和5年度", "伊達市", f"地区{i}", "計画策定事業", 500000, 400000, "完了"]
        for i in range(200)
    ]
    bad = [
        "令和5年度",
        "伊達市",
        "掛田\x00地区",
        "計画策定事業",
        500000,
        400000,
        "完了",
        "メモ\x07",
    ]
    path = text_file(tmp_path / "g.csv", [[*GRANT_HEADER, "メモ"], *filler, bad])
    assert path.stat().st_size > 4096  # the NUL is past the first 4 KiB
    parsed = one(path, ctx)
    assert where(parsed) == [(202, "地区名", "掛田\\x00地区"), (202, "メモ", "メモ\\x07")]
    assert all(p.reason == "制御文字が含まれています" for p in parsed.problems)


def test_a_cell_of_200000_characters_is_a_problem_not_a_crash(tmp_path, ctx):
    row = [*GRANT_ROW[:2], "x" * 200_000, *GRANT_ROW[3:]]
    parsed = one(
        text_file(tmp_path / "g.csv", [GRANT_HEADER, [c.replace(",", "") for c in row]]), ctx
    )
    assert [(p.row, p.column) for p in parsed.problems] == [(2, "地区名")]
    assert "文字数が多すぎます" in parsed.problems[0].reason


# --- duplicates across files -------------------------------------------------------------------


def survey_rows(year="R6", hubs=("霊山の里", "月舘の里")) -> list[list[object]]:
    return [SURVEY_HEADER] + [["福島県", year, "07213", h, f"{h}地区"] for h in hubs]


def problems_of(parsed: list[ParsedFile]) -> list[tuple]:
    return [(p.file, p.row, p.reason) for item in parsed for p in item.problems]


def test_the_same_file_twice_is_refused(tmp_path, ctx):
    first = text_file(tmp_path / "a.csv", survey_rows())
    second = tmp_path / "b.csv"
    second.write_bytes(first.read_bytes())
    problems = problems_of(validate_files([first, second], ctx))
    assert problems == [
        ("b.csv", None, "「a.csv」とまったく同じファイルです（同じ行が二重に数えられます）")
    ]


def test_the_same_table_as_xlsx_and_csv_is_refused(tmp_path, ctx):
    import openpyxl

    rows = [GRANT_HEADER, [c.replace(",", "") for c in GRANT_ROW]]
    csv_path = text_file(tmp_path / "grants.csv", rows)
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(tmp_path / "grants.xlsx")
    problems = problems_of(validate_files([csv_path, tmp_path / "grants.xlsx"], ctx))
    assert [(f, r) for f, r, _ in problems] == [("grants.xlsx", 2)]
    assert "grants.csv 2行目と同じ行です" in problems[0][2]


def test_one_survey_year_in_two_files_is_refused(tmp_path, ctx):
    first = text_file(tmp_path / "a.csv", survey_rows(hubs=("霊山の里",)))
    second = text_file(tmp_path / "b.csv", survey_rows(hubs=("月舘の里",)))
    problems = problems_of(validate_files([first, second], ctx))
    assert [(f, r) for f, r, _ in problems] == [("b.csv", None)]
    assert "2024年度の小さな拠点の一覧が「a.csv」にもあります" in problems[0][2]


def test_different_years_in_two_files_are_fine(tmp_path, ctx):
    first = text_file(tmp_path / "a.csv", survey_rows("R5"))
    second = text_file(tmp_path / "b.csv", survey_rows("R6"))
    assert problems_of(validate_files([first, second], ctx)) == []


@pytest.mark.parametrize(
    "name", ["山形県金山町", "山形県最上郡金山町", "北海道伊達市", "宮城県伊達市"]
)
def test_a_name_that_says_another_prefecture_is_never_read_as_this_one(tmp_path, ctx, name):
    rows = [GRANT_HEADER, ["令和5年度", name, "掛田地区", "計画策定事業", 500000, 400000, "完了"]]
    parsed = one(text_file(tmp_path / "g.csv", rows), ctx)
    assert where(parsed) == [(2, "市町村", name)]
    assert parsed.problems[0].reason == "福島県の市町村名にありません"


def test_an_excel_error_value_is_a_problem_not_text(tmp_path, ctx):
    rows = [GRANT_HEADER, ["令和5年度", "伊達市", "#REF!", "計画策定事業", 500000, "#N/A", "完了"]]
    parsed = one(text_file(tmp_path / "g.csv", rows), ctx)
    assert where(parsed) == [(2, "地区名", "#REF!"), (2, "補助金額（円）", "#N/A")]
    assert all("エラー値" in p.reason for p in parsed.problems)


def test_a_value_right_of_the_header_in_text_is_a_split_cell(tmp_path, ctx):
    path = tmp_path / "g.csv"  # 1,080,000 written without quotes: the amount would read as 1
    path.write_text(",".join(GRANT_HEADER) + "\n令和5年度,伊達市,掛田地区,計画策定事業,1200000,1,080,000,完了\n",
                    encoding="utf-8")  # fmt: skip
    parsed = one(path, ctx)
    assert (2, "8列目", "000") in where(parsed) or (2, "9列目", "完了") in where(parsed)
    assert any("引用符なし" in p.reason for p in parsed.problems)


def test_excel_text_formula_keeps_a_code_s_leading_zero(tmp_path, ctx):
    path = tmp_path / "s.csv"
    path.write_text('調査年度,市町村コード,小さな拠点の名称,地区名\nR6,="07213",霊山の里,掛田地区\n',
                    encoding="utf-8")  # fmt: skip
    parsed = one(path, ctx)
    assert (parsed.problems, [r["municipality_code"] for r in parsed.records]) == ([], ["07213"])


def test_a_cell_in_yen_inside_a_column_in_thousands_is_read_in_yen_and_noted(tmp_path, ctx):
    header = [*GRANT_HEADER[:4], "補助対象経費（千円）", "補助金額（千円）", "状態"]
    rows = [header, ["令和5年度", "伊達市", "掛田地区", "計画策定事業", "500", "432円", "完了"]]
    parsed = one(text_file(tmp_path / "g.csv", rows), ctx)
    assert [(r["eligible_cost_yen"], r["grant_yen"]) for r in parsed.records] == [(500000, 432)]
    assert any("円として読みました" in w.reason for w in parsed.warnings)


def test_one_grant_written_two_ways_in_two_files_is_refused(tmp_path, ctx):
    first = text_file(tmp_path / "a.csv", [GRANT_HEADER, ["令和5年度", "伊達市", "東野沢地区", "計画策定事業", 500000, 432000, "完了"]])  # fmt: skip
    second = text_file(tmp_path / "b.csv", [GRANT_HEADER, ["R5", "伊達市", "東野沢", "計画策定", 500000, 432000, "完了"]])  # fmt: skip
    problems = problems_of(validate_files([first, second], ctx))
    assert [(f, r) for f, r, _ in problems] == [("b.csv", 2)]
    assert "a.csv 2行目と同じ行です" in problems[0][2]


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        (
            "第2期総合戦略（令和2年度～令和6年度）の小さな拠点一覧（令和6年5月31日現在）",
            "調査年度がわかりません",
        ),
        ("令和5年度末時点の小さな拠点（令和6年度実態調査回答）", "タイトルに複数の年度"),
    ],
)
def test_a_title_with_a_period_or_two_years_gives_no_survey_year(tmp_path, ctx, title, reason):
    rows = [[title], SURVEY_HEADER[2:], ["07213", "霊山の里", "掛田地区"]]
    parsed = one(text_file(tmp_path / "s.csv", rows), ctx)
    assert [p.row for p in parsed.problems] == [3] and reason in parsed.problems[0].reason


def test_a_sheet_without_a_title_takes_the_workbook_s_title_year(tmp_path, ctx):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "県北"
    for row in (["令和6年度 小さな拠点一覧"], SURVEY_HEADER[2:], ["07213", "霊山の里", "掛田地区"]):
        book.active.append(row)
    other = book.create_sheet("会津")
    for row in (SURVEY_HEADER[2:], ["07208", "山都の里", "山都地区"]):
        other.append(row)
    book.save(tmp_path / "s.xlsx")
    parsed = one(tmp_path / "s.xlsx", ctx)
    assert (parsed.problems, [r["fiscal_year"] for r in parsed.records]) == ([], [2024, 2024])


def test_the_same_hub_twice_in_a_municipality(tmp_path, ctx):
    rows = [SURVEY_HEADER, ["福島県", "R6", "07213", "霊山の里", "掛田地区"],
            ["福島県", "R6", "07213", "霊山の里", ""], ["福島県", "R6", "07213", "霊山の里", "石田地区"]]  # fmt: skip
    parsed = one(text_file(tmp_path / "s.csv", rows), ctx)
    assert [(p.row, "地区名が空欄" in p.reason) for p in parsed.problems] == [(3, True)]
    assert any(w.row == 4 and "別の地区の別の拠点" in w.reason for w in parsed.warnings)


def test_zero_people_or_a_published_zero_stand_for_unknown_and_are_refused(tmp_path, ctx):
    rows = [[*SURVEY_HEADER, "人口"], ["福島県", "R6", "07213", "霊山の里", "掛田地区", "0"]]
    parsed = one(text_file(tmp_path / "s.csv", rows), ctx)
    assert where(parsed) == [(2, "人口", "0")]
    published = [["scope", "indicator", "fiscal_year", "value", "kind", "source"],
                 ["07", "hubs_total", "2023", "0", "actual", "県"]]  # fmt: skip
    parsed = one(text_file(tmp_path / "p.csv", published), ctx)
    assert where(parsed) == [(2, "value", "0")]


def test_a_blank_in_a_tick_column_beside_a_name_says_it_was_read_as_no(tmp_path, ctx):
    header = [*SURVEY_HEADER, "地域運営組織の有無", "地域運営組織の名称"]
    rows = [header, ["福島県", "R6", "07213", "霊山の里", "掛田地区", "○", "A会"],
            ["福島県", "R6", "07213", "月舘の里", "月舘地区", "", "B会"]]  # fmt: skip
    parsed = one(text_file(tmp_path / "s.csv", rows), ctx)
    assert where(parsed) == [(3, "地域運営組織の名称", "B会")]
    assert "空欄（○印だけの列なので「無」と読みます）" in parsed.problems[0].reason
