"""Workbooks as prefectural offices really save them: several sheets, hidden sheets and rows,
merged cells, units above the header, footnotes, repeated headers, formulas, date cells."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from core.settings import load_settings
from etl.build import make_context
from etl.checks import Context, parse_file
from etl.extract import ParsedFile
from etl.xlsx import overlapping_merges
from tests.ingest_fixtures import workbook

SETTINGS = load_settings({})
GRANT_HEADER = ["年度", "地方振興局", "市町村", "地区名", "事業区分", "補助対象経費（円）", "補助金額（円）", "状態"]  # fmt: skip
SURVEY_HEADER = ["調査年度", "市町村コード", "市町村名", "小さな拠点の名称", "地区名"]


@pytest.fixture(scope="module")
def ctx() -> Context:
    return make_context(SETTINGS)


def grant(muni="伊達市", district="掛田地区", amount=400000, year="令和5年度", bureau="県北",
          program="計画策定事業", eligible=500000, status="完了") -> list[object]:  # fmt: skip
    return [year, bureau, muni, district, program, eligible, amount, status]


def tables(path: Path, ctx: Context) -> list[ParsedFile]:
    return parse_file(path, ctx)


def one(path: Path, ctx: Context) -> ParsedFile:
    (parsed,) = parse_file(path, ctx)
    return parsed


def amounts(parsed: ParsedFile) -> list[tuple]:
    return [(r["source_sheet"], r["source_row"], r["grant_yen"]) for r in parsed.records]


# --- sheets ----------------------------------------------------------------------------------


def test_hidden_sheets_are_never_read(tmp_path, ctx):
    stale = [
        ["令和5年度 小さな拠点一覧"],
        SURVEY_HEADER,
        ["R5", "07213", "伊達市", "古い拠点", "旧地区"],
    ]
    current = [
        ["令和6年度 小さな拠点一覧"],
        SURVEY_HEADER,
        ["R6", "07213", "伊達市", "霊山の里", "掛田地区"],
    ]
    path = workbook(tmp_path / "list.xlsx", {"R5(旧)": stale, "R6": current}, hidden={"R5(旧)"})
    parsed = one(path, ctx)
    assert parsed.problems == []
    assert [(r["source_sheet"], r["hub_name"], r["fiscal_year"]) for r in parsed.records] == [
        ("R6", "霊山の里", 2024)
    ]
    assert parsed.skipped_sheets == [("R5(旧)", "非表示のシートは読みません")]


def test_sheets_that_share_one_header_are_one_table(tmp_path, ctx):
    cover = [["令和5年度 補助金交付実績"], ["作成: 地域振興課"], ["令和6年4月1日"]]
    north = [["県北地方振興局"], GRANT_HEADER, grant(), grant("川俣町", "山木屋地区", 300000)]
    aizu = [GRANT_HEADER, grant("喜多方市", "山都地区", 450000, bureau="会津")]
    path = workbook(tmp_path / "grants.xlsx", {"表紙": cover, "県北": north, "会津": aizu})
    parsed = one(path, ctx)
    assert parsed.problems == []
    assert parsed.sheet == "県北、会津"
    assert amounts(parsed) == [("県北", 3, 400000), ("県北", 4, 300000), ("会津", 2, 450000)]
    assert parsed.skipped_sheets == [("表紙", "表の見出し行がないシート（表紙など）です")]


def test_a_visible_sheet_with_data_but_no_header_is_an_error_naming_the_sheet(tmp_path, ctx):
    other = [["番号", "名前", "備考"], [1, "あ", "い"], [2, "う", "え"]]
    path = workbook(tmp_path / "grants.xlsx", {"一覧": [GRANT_HEADER, grant()], "メモ": other})
    problems = [p for t in tables(path, ctx) for p in t.problems]
    assert [(p.sheet, p.row, p.column) for p in problems] == [("メモ", None, None)]
    assert problems[0].reason.startswith("見出し行が見つかりません")


def test_sheets_of_different_kinds_are_separate_tables(tmp_path, ctx):
    survey = [SURVEY_HEADER, ["R5", "07213", "伊達市", "霊山の里", "掛田地区"]]
    path = workbook(tmp_path / "both.xlsx", {"拠点": survey, "補助金": [GRANT_HEADER, grant()]})
    found = tables(path, ctx)
    assert [(t.kind, t.sheet, len(t.records), t.problems) for t in found] == [
        ("survey", "拠点", 1, []),
        ("grants", "補助金", 1, []),
    ]


def test_xlsm_cells_are_read_and_macros_never_kept(tmp_path, ctx):
    path = workbook(tmp_path / "grants.xlsm", {"一覧": [GRANT_HEADER, grant()]})
    parsed = one(path, ctx)
    assert (parsed.problems, amounts(parsed)) == ([], [("一覧", 2, 400000)])


# --- units -----------------------------------------------------------------------------------

NO_UNIT_HEADER = ["年度", "市町村", "地区名", "事業区分", "補助対象経費", "補助金額", "状態"]


def no_unit_row(eligible=500, amount=400) -> list[object]:
    return ["令和5年度", "伊達市", "掛田地区", "計画策定事業", eligible, amount, "完了"]


@pytest.mark.parametrize(
    ("rows", "expected_yen"),
    [
        ([["補助金交付実績（単位：千円）"], NO_UNIT_HEADER, no_unit_row()], 400_000),
        ([["補助金交付実績"], ["単位：円"], NO_UNIT_HEADER, no_unit_row(500, 400)], 400),
        ([NO_UNIT_HEADER, ["", "", "", "", "千円", "（千円）", ""], no_unit_row()], 400_000),
    ],
    ids=["title-row", "unit-row-above", "unit-row-under-header"],
)
def test_units_stated_outside_the_header_apply_to_the_amount_columns(
    tmp_path, ctx, rows, expected_yen
):
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert parsed.problems == []
    assert [r["grant_yen"] for r in parsed.records] == [expected_yen]


def test_a_unit_merged_over_the_amount_columns_applies_to_each(tmp_path, ctx):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["年度", "市町村", "地区名", "事業区分", "金額（千円）", None, "状態"])
    sheet.append([None, None, None, None, "補助対象経費", "補助金額", None])
    sheet.append(no_unit_row())
    for column in "ABCDG":
        sheet.merge_cells(f"{column}1:{column}2")
    sheet.merge_cells("E1:F1")
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert parsed.problems == []
    assert [(r["eligible_cost_yen"], r["grant_yen"]) for r in parsed.records] == [
        (500_000, 400_000)
    ]


@pytest.mark.parametrize("name", ["g.csv", "g.xlsx"])
def test_an_amount_without_a_unit_anywhere_is_refused_naming_the_column(tmp_path, ctx, name):
    rows = [NO_UNIT_HEADER, no_unit_row()]
    if name.endswith(".csv"):
        path = tmp_path / name
        path.write_text("\n".join(",".join(map(str, r)) for r in rows), encoding="utf-8")
    else:
        path = workbook(tmp_path / name, {"一覧": rows})
    parsed = one(path, ctx)
    assert sorted(p.column for p in parsed.problems) == ["補助対象経費", "補助金額"]
    assert all("単位" in p.reason for p in parsed.problems)


# --- rows offices add around the data ---------------------------------------------------------


def test_footnotes_below_the_table_are_not_data(tmp_path, ctx):
    rows = [GRANT_HEADER, grant(), grant("川俣町", "山木屋地区", 300000), [],
            ["注）金額は交付決定額です。"], ["※1 取下げを含みます"], ["出典：地域振興課調べ"],
            ["資料：各振興局"]]  # fmt: skip
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert parsed.problems == []
    assert [r["grant_yen"] for r in parsed.records] == [400000, 300000]
    assert any("注記の行を除きました（5, 6, 7, 8行目）" in n for n in parsed.notes)


def test_vertically_merged_cells_are_filled_down(tmp_path, ctx):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(GRANT_HEADER)
    sheet.append(grant())
    sheet.append([None, None, "川俣町", "山木屋地区", "計画策定事業", 500000, 300000, "完了"])
    sheet.append([None, None, "桑折町", "半田地区", "計画策定事業", 500000, 200000, "完了"])
    sheet.merge_cells("A2:A4")
    sheet.merge_cells("B2:B4")
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert parsed.problems == []
    assert [(r["fiscal_year"], r["municipality_code"]) for r in parsed.records] == [
        (2023, "07213"),
        (2023, "07308"),
        (2023, "07301"),
    ]


def test_overlapping_merged_ranges_are_refused(tmp_path, ctx):
    """Excel never writes ranges that share a cell, but other tools may; which value the shared
    cell shows is not defined, so the file is refused rather than read one way or the other."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "県北"
    for row in [
        SURVEY_HEADER,
        *([2024, "07202", "会津若松市", f"拠点{n}", "湊"] for n in range(3)),
    ]:
        sheet.append(row)
    for cells in ("E2:E3", "E3:E4"):  # both hold E3
        sheet.merge_cells(cells)
    book.save(tmp_path / "s.xlsx")
    [parsed] = tables(tmp_path / "s.xlsx", ctx)
    assert parsed.records == []
    [problem] = parsed.problems
    assert "結合セルの範囲が重なっています（E2:E3 と E3:E4）" in problem.reason
    assert (problem.row, problem.column, problem.sheet) == (3, "E3:E4", "県北")


@pytest.mark.parametrize(
    ("merges", "expected"),
    [
        (((2, 1, 4, 1), (2, 2, 4, 2)), None),  # side by side
        (((2, 1, 3, 1), (4, 1, 5, 1)), None),  # one under the other
        (((2, 1, 3, 2), (3, 2, 4, 3)), ((2, 1, 3, 2), (3, 2, 4, 3))),  # a shared corner
        (((5, 1, 5, 9), (1, 4, 9, 4)), ((1, 4, 9, 4), (5, 1, 5, 9))),  # a cross
    ],
)
def test_overlapping_merges(merges, expected):
    assert overlapping_merges(merges) == expected


def test_an_amount_merged_over_several_rows_is_refused(tmp_path, ctx):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(GRANT_HEADER)
    sheet.append(grant())
    sheet.append(grant("伊達市", "掛田地区", None, program="小さな拠点づくり事業"))
    sheet.merge_cells("G2:G3")
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert [(p.row, p.column, p.value) for p in parsed.problems] == [
        (3, "補助金額（円）", "400000")
    ]
    assert "結合" in parsed.problems[0].reason


def test_headers_repeated_at_page_breaks_and_template_rows_are_not_data(tmp_path, ctx):
    header = ["No.", *GRANT_HEADER]
    rows = [header, [1, *grant()], header, [2, *grant("川俣町", "山木屋地区", 300000)],
            [3, *[None] * 8], [4, *[None] * 8]]  # fmt: skip
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert parsed.problems == []
    assert [r["source_row"] for r in parsed.records] == [2, 4]
    assert any("繰り返された見出し行を除きました（3行目）" in n for n in parsed.notes)
    assert any("番号だけの様式の行を除きました（5, 6行目）" in n for n in parsed.notes)


def test_a_header_below_row_30_is_found(tmp_path, ctx):
    rows = [[f"説明 {i}"] for i in range(40)] + [GRANT_HEADER, grant()]
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert (parsed.header_row, parsed.problems, len(parsed.records)) == (41, [], 1)


def test_header_text_with_brackets_and_marks(tmp_path, ctx):
    header = [
        "年度",
        "市町村",
        "地区名",
        "事業区分※1",
        "補助対象経費【千円】",
        "補助金額（千円）※2",
        "状態※3",
    ]
    rows = [header, ["令和5年度", "伊達市", "掛田地区", "計画策定事業", 500, 400, "完了"]]
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert parsed.problems == []
    assert [(r["eligible_cost_yen"], r["grant_yen"]) for r in parsed.records] == [(500000, 400000)]


@pytest.mark.parametrize(
    ("label", "status"),
    [
        ("完了済み", "完了"),
        ("交付決定済み", "交付決定"),
        ("取り下げ", "取下げ"),
        ("採択済", "採択"),
    ],
)
def test_status_variants(tmp_path, ctx, label, status):
    amount = None if status in ("採択", "取下げ") else 400000
    rows = [GRANT_HEADER, grant(amount=amount, status=label)]
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert (parsed.problems, [r["status"] for r in parsed.records]) == ([], [status])


@pytest.mark.parametrize(
    "cells",
    [
        ["南会津地方振興局計", None, None, None, None, 900000, 700000, None],
        [None, None, "喜多方市 計", None, None, 900000, 700000, None],
        [None, None, None, "小計", None, 900000, 700000, None],
    ],
    ids=["bureau-total", "municipality-total", "subtotal-in-district"],
)
def test_subtotal_rows_anywhere_in_the_leading_cells_are_not_data(tmp_path, ctx, cells):
    rows = [GRANT_HEADER, grant(), grant("川俣町", "山木屋地区", 300000), cells]
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert parsed.problems == []
    assert ([r["grant_yen"] for r in parsed.records], parsed.dropped_rows) == (
        [400000, 300000],
        [4],
    )


def test_hidden_rows_inside_a_visible_sheet_are_data_and_noted(tmp_path, ctx):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (GRANT_HEADER, grant(), grant("川俣町", "山木屋地区", 300000)):
        sheet.append(row)
    sheet.row_dimensions[3].hidden = True
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert parsed.problems == []
    assert [r["grant_yen"] for r in parsed.records] == [400000, 300000]
    assert any("非表示の行も読み込みました（3行目）" in n for n in parsed.notes)


# --- cell values -----------------------------------------------------------------------------


def test_float_noise_is_rounded_and_real_fractions_of_a_yen_refused(tmp_path, ctx):
    rows = [GRANT_HEADER, grant(amount=432000.0000000001, eligible=480000.00000000006),
            grant("川俣町", "山木屋地区", amount=432000.5)]  # fmt: skip
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert [(p.row, p.column, p.reason) for p in parsed.problems] == [
        (3, "補助金額（円）", "1円未満の端数があります")
    ]
    assert parsed.records[0]["grant_yen"] == 432000
    assert parsed.records[0]["eligible_cost_yen"] == 480000


def test_formula_without_a_saved_result_is_named_as_such(tmp_path, ctx):
    rows = [GRANT_HEADER, grant(amount="=F2*0.8")]
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)  # openpyxl saves no result
    assert [(p.row, p.column) for p in parsed.problems] == [(2, "補助金額（円）")]
    assert "計算結果が保存されていません" in parsed.problems[0].reason
    assert "=F2*0.8" in parsed.problems[0].reason


def test_fiscal_years_as_date_cells_and_in_japanese_era_formats(tmp_path, ctx):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(GRANT_HEADER)
    sheet.append(grant(year=dt.datetime(2024, 3, 31)))  # March: the fiscal year before
    sheet.append(grant("川俣町", "山木屋地区", 300000, year=dt.datetime(2024, 4, 1)))
    sheet.append(grant("桑折町", "半田地区", 200000, year=45383))  # 2024-04-01 as a serial
    sheet["A4"].number_format = '[$-ja-JP-x-gannen]ggge"年度"'
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert parsed.problems == []
    assert [r["fiscal_year"] for r in parsed.records] == [2023, 2024, 2024]


def test_both_decided_and_actual_amounts_are_kept(tmp_path, ctx):
    header = [
        "年度",
        "市町村",
        "地区名",
        "事業区分",
        "補助対象経費（円）",
        "交付決定額（円）",
        "実績額（円）",
        "状態",
    ]
    rows = [header,
            ["令和5年度", "伊達市", "掛田地区", "計画策定事業", 500000, 450000, 420000, "完了"],
            ["令和5年度", "川俣町", "山木屋地区", "計画策定事業", 500000, 450000, None, "交付決定"]]  # fmt: skip
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert parsed.problems == []
    assert [
        (r["decided_yen"], r["actual_yen"], r["grant_yen"], r["amount_basis"])
        for r in parsed.records
    ] == [(450000, 420000, 420000, "実績額"), (450000, None, 450000, "交付決定額")]


@pytest.mark.parametrize(("written", "official"), [("飯館村", "飯舘村"), ("桧枝岐村", "檜枝岐村")])
def test_variant_kanji_in_municipality_names_are_read_and_noted(tmp_path, ctx, written, official):
    rows = [SURVEY_HEADER[:1] + SURVEY_HEADER[2:], ["R5", written, "拠点", "地区"]]
    parsed = one(workbook(tmp_path / "s.xlsx", {"一覧": rows}), ctx)
    assert parsed.problems == []
    code = ctx.reference.code_for_name("07", official)
    assert [r["municipality_code"] for r in parsed.records] == [code]
    assert any(f"「{written}」を「{official}」として読みました" in n for n in parsed.notes)


# --- hostile workbooks ------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path, ctx):
    path = workbook(tmp_path / "bomb.xlsx", {"一覧": [GRANT_HEADER, grant()]})
    original = zipfile.ZipFile(path)
    bomb = tmp_path / "bomb2.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                with out.open(item.filename, "w") as handle:  # 64 MiB of padding, a few KiB packed
                    handle.write(data.replace(b"<sheetData>", b"<sheetData>" + b" " * (1 << 26)))
            else:
                out.writestr(item, data)
    parsed = one(bomb, ctx)
    assert [(p.file, p.row) for p in parsed.problems] == [("bomb2.xlsx", None)]
    assert "zip爆弾" in parsed.problems[0].reason


def test_a_malformed_number_in_the_sheet_xml_is_a_problem_not_a_crash(tmp_path, ctx):
    path = workbook(tmp_path / "g.xlsx", {"一覧": [GRANT_HEADER, grant()]})
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(buffer, "w") as out:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b"<v>400000</v>", b"<v>4O0000</v>")
            out.writestr(item, data)
    path.write_bytes(buffer.getvalue())
    parsed = one(path, ctx)
    assert [(p.sheet, p.row) for p in parsed.problems] == [("一覧", 2)]
    assert "壊れています" in parsed.problems[0].reason


def test_the_same_row_on_two_sheets_of_one_workbook_is_refused(tmp_path, ctx):
    from etl.build import validate_files

    with_note = [[*GRANT_HEADER, "備考"], [*grant(), "メモ"]]
    path = workbook(tmp_path / "g.xlsx", {"県北": with_note, "県北(再掲)": [GRANT_HEADER, grant()]})
    problems = [p for t in validate_files([path], ctx) for p in t.problems]
    assert [(p.sheet, p.row) for p in problems] == [("県北(再掲)", 2)]
    assert "シート「県北」2行目と重複しています" in problems[0].reason


def test_a_group_header_speaks_only_of_its_own_columns(tmp_path, ctx):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["年度", "市町村", "地区名", "事業区分", "事業費（千円）", None, "補助金額", "状態"]
    )
    sheet.append([None, None, None, None, "総事業費", "補助対象経費", None, None])
    sheet.append(["令和5年度", "伊達市", "掛田地区", "計画策定事業", 600, 500, 400000, "完了"])
    for column in "ABCDGH":
        sheet.merge_cells(f"{column}1:{column}2")
    sheet.merge_cells("E1:F1")
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    # 補助金額 is not under 「事業費（千円）」: its unit is stated nowhere, so it is not guessed
    assert [(p.column, "単位" in p.reason) for p in parsed.problems] == [("補助金額", True)]


def test_title_rows_that_disagree_on_the_unit_state_none(tmp_path, ctx):
    rows = [["補助金交付実績（単位：千円）"], ["単位：円"], NO_UNIT_HEADER, no_unit_row()]
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert sorted(p.column for p in parsed.problems) == ["補助対象経費", "補助金額"]


def test_too_many_cells_are_refused(tmp_path, ctx, monkeypatch):
    from etl import readers

    monkeypatch.setattr(readers, "MAX_CELLS", 50)
    rows = [GRANT_HEADER] + [grant(district=f"地区{i}") for i in range(10)]
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert [(p.sheet, p.row) for p in parsed.problems] == [("一覧", 7)]
    assert "セルが多すぎます" in parsed.problems[0].reason


def test_a_number_format_that_shows_thousands_is_read_as_shown(tmp_path, ctx):
    header = [*GRANT_HEADER[:5], "補助対象経費（千円）", "補助金額（千円）", "状態"]
    book = openpyxl.Workbook()
    book.active.append(header)
    book.active.append(grant(amount=432000, eligible=480000))  # yen, shown as 432 and 480
    for cell in ("F2", "G2"):
        book.active[cell].number_format = "#,##0,"
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert parsed.problems == []
    assert [(r["eligible_cost_yen"], r["grant_yen"]) for r in parsed.records] == [(480000, 432000)]


@pytest.mark.parametrize("fmt", ['yyyy"年度"', '[$-ja-JP-x-gannen]ggge"年度"'])
def test_a_date_shown_only_as_its_year_is_that_year(tmp_path, ctx, fmt):
    book = openpyxl.Workbook()
    book.active.append(GRANT_HEADER)
    book.active.append(grant(year=dt.datetime(2024, 1, 15)))  # shown as 2024年度 / 令和6年度
    book.active["A2"].number_format = fmt
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert (parsed.problems, [r["fiscal_year"] for r in parsed.records]) == ([], [2024])


def test_a_japanese_builtin_date_format_is_a_date(tmp_path, ctx):
    path = workbook(tmp_path / "g.xlsx", {"一覧": [GRANT_HEADER, grant(year=45383)]})
    data = io.BytesIO()
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(data, "w") as out:
        for item in original.infolist():
            content = original.read(item.filename)
            if item.filename.endswith("styles.xml"):  # the second cell style: built-in id 58
                content = content.replace(b'<cellXfs count="1">', b'<cellXfs count="2">').replace(
                    b"</cellXfs>",
                    b'<xf numFmtId="58" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/></cellXfs>',
                )
            if item.filename.endswith("sheet1.xml"):
                content = content.replace(b'<c r="A2" t="n">', b'<c r="A2" s="1" t="n">')
            out.writestr(item, content)
    path.write_bytes(data.getvalue())
    parsed = one(path, ctx)
    assert (parsed.problems, [r["fiscal_year"] for r in parsed.records]) == ([], [2024])


def test_a_repeated_header_with_another_unit_is_refused(tmp_path, ctx):
    rows = [[*GRANT_HEADER[:5], "補助対象経費（千円）", "補助金額（千円）", "状態"], grant(amount=400, eligible=500),
            [*GRANT_HEADER[:5], "補助対象経費（円）", "補助金額（円）", "状態"], grant("川俣町", "山木屋地区", 300000)]  # fmt: skip
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    repeated = [p.row for p in parsed.problems if "最初の見出しと違います" in p.reason]
    assert repeated == [3]
    # and the row under it, read in the first header's 千円, is far too large to be a grant
    assert any(p.row == 4 and "金額が大きすぎます" in p.reason for p in parsed.problems)


@pytest.mark.parametrize("name", ["合計特殊出生率向上のためのサロン", "小計画づくり支援"])
def test_a_project_name_that_starts_like_a_total_is_data(tmp_path, ctx, name):
    header = [*GRANT_HEADER[:5], "事業名", *GRANT_HEADER[5:]]
    row = grant()
    rows = [header, [*row[:5], name, *row[5:]]]
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert (parsed.problems, len(parsed.records), parsed.dropped_rows) == ([], 1, [])


def test_a_bureau_subtotal_without_a_suffix_is_not_data(tmp_path, ctx):
    rows = [GRANT_HEADER, grant(bureau="会津", muni="喜多方市", district="山都地区"),
            [None, "会津計", None, None, None, 500000, 400000, None]]  # fmt: skip
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert (parsed.problems, len(parsed.records), parsed.dropped_rows) == ([], 1, [3])


def test_example_rows_and_section_headings_are_not_data(tmp_path, ctx):
    rows = [["No.", *GRANT_HEADER], ["記入例", *grant("福島市", "○○地区")], ["【県北地方振興局】"],
            [1, *grant()], ["■会津"], [2, *grant("喜多方市", "山都地区", bureau="会津")]]  # fmt: skip
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert parsed.problems == []
    assert [r["source_row"] for r in parsed.records] == [4, 6]
    assert any("記入例の行を除きました（2行目）" in n for n in parsed.notes)
    assert any("区切りの見出しの行を除きました（3, 5行目）" in n for n in parsed.notes)


def test_a_hub_name_merged_over_two_rows_is_refused(tmp_path, ctx):
    book = openpyxl.Workbook()
    for row in (SURVEY_HEADER, ["R5", "07213", "伊達市", "霊山の里", "掛田地区"],
                ["R5", "07213", "伊達市", None, "石田地区"]):  # fmt: skip
        book.active.append(row)
    book.active.merge_cells("D2:D3")
    book.save(tmp_path / "s.xlsx")
    parsed = one(tmp_path / "s.xlsx", ctx)
    assert [(p.row, p.column) for p in parsed.problems] == [(3, "小さな拠点の名称")]


def test_a_summary_table_above_does_not_lend_its_unit(tmp_path, ctx):
    rows = [["1 振興局別の集計（単位：千円）"], ["振興局", "件数", "金額"], ["県北", 1, 400], [],
            ["2 明細"], NO_UNIT_HEADER, no_unit_row(500000, 400000)]  # fmt: skip
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert sorted(p.column for p in parsed.problems) == ["補助対象経費", "補助金額"]


@pytest.mark.parametrize(
    "rows",
    [
        [
            ["令和5年度 補助金交付実績", None, None, None, None, None, "（単位：千円）"],
            NO_UNIT_HEADER,
            no_unit_row(),
        ],
        [["※金額は千円単位"], NO_UNIT_HEADER, no_unit_row()],
        [NO_UNIT_HEADER, no_unit_row(), [], ["注）単位：千円"]],
    ],
    ids=["title-and-unit-in-one-row", "unit-in-words", "unit-in-a-note-below"],
)
def test_units_stated_in_words_around_the_table(tmp_path, ctx, rows):
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert parsed.problems == []
    assert [r["grant_yen"] for r in parsed.records] == [400_000]


def test_a_unit_row_with_other_units_and_merged_header_cells(tmp_path, ctx):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["年度", "市町村", "地区名", "事業区分", "補助対象経費", "補助金額", "補助率", "状態"]
    )
    sheet.append([None, None, None, None, "（千円）", "（千円）", "（％）", None])
    sheet.append(["令和5年度", "伊達市", "掛田地区", "計画策定事業", 500, 400, 80, "完了"])
    for column in "ABCDH":
        sheet.merge_cells(f"{column}1:{column}2")
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert parsed.problems == []
    assert [(r["eligible_cost_yen"], r["grant_yen"]) for r in parsed.records] == [
        (500_000, 400_000)
    ]


def test_a_two_row_header_with_short_sub_labels(tmp_path, ctx):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["年度", "市町村", "地区名", "事業区分", "補助金額（千円）", None, "状態"])
    sheet.append([None, None, None, None, "交付決定", "確定", None])
    sheet.append(["令和5年度", "伊達市", "掛田地区", "計画策定事業", 450, 420, "完了"])
    for column in "ABCDG":
        sheet.merge_cells(f"{column}1:{column}2")
    sheet.merge_cells("E1:F1")
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert parsed.problems == []
    assert [(r["decided_yen"], r["actual_yen"], r["grant_yen"]) for r in parsed.records] == [
        (450_000, 420_000, 420_000)
    ]


def test_a_note_mark_after_an_amount_header_keeps_the_column(tmp_path, ctx):
    header = ["年度", "市町村", "地区名", "事業区分", "交付決定額（円）", "実績額(注1)", "状態"]
    rows = [header, ["令和5年度", "伊達市", "掛田地区", "計画策定事業", 450000, 400000, "完了"],
            ["（単位：円）"]]  # fmt: skip
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert parsed.problems == []
    assert [(r["grant_yen"], r["amount_basis"]) for r in parsed.records] == [(400000, "実績額")]


def test_every_sheet_is_checked_even_when_one_has_problems(tmp_path, ctx):
    bad = [GRANT_HEADER, grant(amount="abc")]
    no_unit = [NO_UNIT_HEADER, no_unit_row()]
    path = workbook(tmp_path / "g.xlsx", {"県北": bad, "会津": no_unit})
    problems = [(p.sheet, p.column) for t in tables(path, ctx) for p in t.problems]
    assert ("県北", "補助金額（円）") in problems and ("会津", "補助金額") in problems


def test_a_row_of_sums_without_a_label_is_a_total_only_when_it_adds_up(tmp_path, ctx):
    sums = [None, None, None, None, None, 1000000, 700000, None]
    rows = [GRANT_HEADER, grant(), grant("川俣町", "山木屋地区", 300000), sums]
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert (parsed.problems, parsed.dropped_rows) == ([], [4])
    wrong = [*sums[:6], 123456, None]  # not the sum: a row that lost its labels, not a total
    parsed = one(workbook(tmp_path / "h.xlsx", {"一覧": [*rows[:3], wrong]}), ctx)
    assert parsed.dropped_rows == [] and {p.row for p in parsed.problems} == {4}


def test_a_grant_far_beyond_the_programme_is_a_unit_slip(tmp_path, ctx):
    header = [*GRANT_HEADER[:5], "補助対象経費（千円）", "補助金額（千円）", "状態"]
    rows = [header, grant(amount=432000, eligible=480000)]  # yen written under a 千円 header
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert [(p.row, p.column, p.value) for p in parsed.problems] == [
        (2, "補助金額（千円）", "432,000,000円")
    ]
    assert "単位（円・千円）を確かめてください" in parsed.problems[0].reason


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [('#,##0"千円"', 432_000), ('#,##0"円"', 432)],
)
def test_a_unit_shown_by_the_number_format_is_the_cell_s_unit(tmp_path, ctx, fmt, expected):
    book = openpyxl.Workbook()
    book.active.append(GRANT_HEADER)  # the header says 円
    book.active.append(grant(amount=432, eligible=480000))
    book.active["G2"].number_format = fmt
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert (parsed.problems, [r["grant_yen"] for r in parsed.records]) == ([], [expected])


def test_an_era_shown_by_the_number_format_is_read(tmp_path, ctx):
    book = openpyxl.Workbook()
    book.active.append(GRANT_HEADER)
    book.active.append(grant(year=5))
    book.active["A2"].number_format = '"令和"0"年度"'
    book.save(tmp_path / "g.xlsx")
    parsed = one(tmp_path / "g.xlsx", ctx)
    assert (parsed.problems, [r["fiscal_year"] for r in parsed.records]) == ([], [2023])


@pytest.mark.parametrize(
    "rows",
    [
        [["補助金交付実績（単位：円）"], NO_UNIT_HEADER, ["千円"] * 0 + [None, None, None, None, "千円", "千円", None],
         no_unit_row()],
        [["（単位：千円）"], NO_UNIT_HEADER, no_unit_row(), [], ["注）金額の単位：円"]],
        [[None, None, None, None, "金額（千円）", "金額（千円）", None],
         [*NO_UNIT_HEADER[:4], "補助対象経費（円）", "補助金額（円）", "状態"], no_unit_row()],
    ],
    ids=["unit-row-against-title", "title-against-note", "group-header-against-header"],
)  # fmt: skip
def test_units_that_disagree_are_refused_never_guessed(tmp_path, ctx, rows):
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert parsed.records == [] or all(r["grant_yen"] is None for r in parsed.records)
    assert any("単位が食い違っています" in p.reason for p in parsed.problems)


def test_a_note_on_rounding_is_not_a_unit(tmp_path, ctx):
    rows = [NO_UNIT_HEADER, no_unit_row(480000, 432000), [], ["※補助金額は千円単位で端数切捨て"]]
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert {p.column for p in parsed.problems} == {"補助対象経費", "補助金額"}


def test_a_summary_table_above_the_detail_is_passed_over(tmp_path, ctx):
    rows = [["1 集計"], ["年度", "事業区分", "件数", "補助金額（円）"], ["令和5年度", "計画策定事業", 1, 400000], [],
            ["2 明細"], GRANT_HEADER, grant()]  # fmt: skip
    parsed = one(workbook(tmp_path / "g.xlsx", {"一覧": rows}), ctx)
    assert (parsed.header_row, parsed.problems, [r["grant_yen"] for r in parsed.records]) == (
        6,
        [],
        [400000],
    )
