"""The Excel pack read back with openpyxl: numbers stay numbers, unknowns stay empty, codes stay
text, nothing runs as a formula, and the same pack gives the same bytes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import time

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from dashboard.db import Warehouse
from dashboard.export.xlsx_pack import EMPTY_CELL_NOTE, HEADER_ROW, render_xlsx, sheet_name
from dashboard.filters import Filters, build_profile_options
from dashboard.formatting import RMO_COLUMN, RMO_UNKNOWN_COLUMN
from dashboard.views import direct_loader
from dashboard.views.pack import SAMPLE_LABEL, Pack, Table, build_pack

HYPERLINK = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def pack(sample_pack) -> Pack:
    """The session's sample pack (its tests only ever read it; changes go through replace)."""
    return sample_pack


@pytest.fixture(scope="module")
def workbook(pack) -> Workbook:
    return load_workbook(io.BytesIO(render_xlsx(pack)))


def header(sheet) -> list[str]:
    return [cell.value for cell in sheet[HEADER_ROW]]


def column(sheet, name: str) -> list:
    index = header(sheet).index(name)
    return [row[index] for row in sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]


def test_sheets_are_the_summary_then_one_per_table(workbook, pack):
    assert workbook.sheetnames == ["概要"] + [table.key for table in pack.tables]
    assert {"市町村別", "規則チェック", "出典"} <= set(workbook.sheetnames)


def test_summary_has_the_headlines_scope_and_sample_label(workbook, pack):
    summary = workbook["概要"]
    texts = {cell.value for row in summary.iter_rows() for cell in row if cell.value is not None}
    # the headlines are numbers, shown as the cards show them by their number format
    cells = {row[0].value: row for row in summary.iter_rows() if row[0].value}
    shown = {
        label: (cells[label][1].value, cells[label][1].number_format)
        for label in (
            "拠点数 / 目標（令和6年度 (2024)）",
            "地域運営組織（令和6年度 (2024)）",
            "組織のある拠点の割合（令和6年度 (2024)）",
        )
    }
    assert shown == {
        "拠点数 / 目標（令和6年度 (2024)）": (59, '#,##0" / 60拠点"'),
        "地域運営組織（令和6年度 (2024)）": (47, '#,##0"組織"'),
        "組織のある拠点の割合（令和6年度 (2024)）": (79.7, '#,##0.0"%"'),
    }
    hubs_change = cells["拠点数 / 目標（令和6年度 (2024)）"][2]
    assert (hubs_change.value, hubs_change.number_format) == (
        4,
        '+#,##0"拠点（R5 (2023)比）";-#,##0"拠点（R5 (2023)比）";#,##0"拠点（R5 (2023)比）"',
    )
    # no visible cell starts with an apostrophe: a change is a number, not the text '+4
    assert not any(isinstance(t, str) and t.startswith("'") for t in texts)
    assert {pack.title, pack.scope, pack.as_of, pack.grade, SAMPLE_LABEL, EMPTY_CELL_NOTE} <= texts
    assert set(pack.grade_text) <= texts
    assert pack.findings_summary in texts
    assert "データなし" in EMPTY_CELL_NOTE


@pytest.mark.parametrize("key", ["地方振興局別", "市町村別", "規則チェック", "地区の上限と残り",
                                 "補助金（市町村別）", "出典"])  # fmt: skip
def test_table_sheet_layout(workbook, pack, key):
    table = next(t for t in pack.tables if t.key == key)
    sheet = workbook[key]
    assert sheet["A1"].value == table.title
    assert sheet["A2"].value == (table.note or None)
    assert header(sheet) == [str(c) for c in table.frame.columns]  # units stay in the headers
    assert all(cell.font.bold for cell in sheet[HEADER_ROW])
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"
    assert sheet.auto_filter.ref.startswith(f"A{HEADER_ROW}:")
    assert sheet.max_row == HEADER_ROW + len(table.frame)


def test_municipality_codes_stay_text(workbook):
    sheet = workbook["市町村別"]
    cell = sheet.cell(HEADER_ROW + 1, header(sheet).index("市町村コード") + 1)
    assert (cell.value, cell.data_type, cell.number_format) == ("07201", "s", "@")
    codes = column(sheet, "市町村コード")
    assert all(isinstance(code, str) and len(code) == 5 and code.startswith("07") for code in codes)


def test_numbers_stay_numbers_and_unknowns_stay_empty(workbook, pack):
    table = next(t for t in pack.tables if t.key == "市町村別")
    sheet = workbook["市町村別"]
    assert column(sheet, "拠点数（拠点）") == table.frame["拠点数（拠点）"].tolist()
    assert all(type(v) is int for v in column(sheet, "拠点数（拠点）"))
    ratios = column(sheet, "組織のある割合（%）")
    expected = table.frame["組織のある割合（%）"]
    assert expected.isna().any() and expected.notna().any()
    for value, source in zip(ratios, expected, strict=True):
        if pd.isna(source):
            assert value is None  # データなし is an empty cell, never 0
        else:
            assert isinstance(value, int | float) and value == pytest.approx(source)


def test_counts_and_unknown_rows_stay_two_number_columns(pack):
    frame = pd.DataFrame({"地方振興局": ["会津", "県南", "相双"], RMO_COLUMN: pd.array([16, None, 3], dtype="Int64"),
                          RMO_UNKNOWN_COLUMN: pd.array([2, 1, 0], dtype="Int64")})  # fmt: skip
    data = render_xlsx(dataclasses.replace(pack, tables=[Table("地方振興局別", "t", frame)]))
    sheet = load_workbook(io.BytesIO(data))["地方振興局別"]
    assert header(sheet) == ["地方振興局", RMO_COLUMN, RMO_UNKNOWN_COLUMN]
    assert column(sheet, RMO_COLUMN) == [16, None, 3]  # unknown: an empty cell, never 0
    assert column(sheet, RMO_UNKNOWN_COLUMN) == [2, 1, 0]
    assert all(type(v) is int for v in column(sheet, RMO_UNKNOWN_COLUMN))


def test_units_and_both_year_columns(workbook):
    assert any("千円" in h for h in header(workbook["地区の上限と残り"]))
    assert any("拠点" in h for h in header(workbook["市町村別"]))
    for key in ("規則チェック", "出典"):
        assert {"年度（和暦）", "年度（西暦）"} <= set(header(workbook[key]))
        assert all(isinstance(y, int) for y in column(workbook[key], "年度（西暦）"))
        assert all(isinstance(y, str) and y.startswith(("令和", "平成")) for y in column(workbook[key], "年度（和暦）"))  # fmt: skip


def test_formula_text_is_escaped_and_nulls_stay_empty(pack):
    frame = pd.DataFrame({
        "名前": [HYPERLINK, "+1", "@SUM(A1)", None, "普通"],
        "コード": ["07201", "07", None, "123", "x"],
        "金額（千円）": [1.5, float("nan"), 0.0, 2.0, None],
        "件数": pd.array([1, None, 0, 3, 4], dtype="Int64"),
        "番号": ["0123", "123", "", "A1", "0"],
    })  # fmt: skip
    injected = dataclasses.replace(pack, tables=[Table("注入", "=1+1", frame, note="-note")])
    sheet = load_workbook(io.BytesIO(render_xlsx(injected)))["注入"]
    assert (sheet["A1"].value, sheet["A2"].value) == ("'=1+1", "'-note")
    assert column(sheet, "名前") == [f"'{HYPERLINK}", "'+1", "'@SUM(A1)", None, "普通"]
    assert column(sheet, "コード") == ["07201", "07", None, "123", "x"]
    assert column(sheet, "金額（千円）") == [1.5, None, 0, 2, None]
    assert column(sheet, "件数") == [1, None, 0, 3, 4]
    assert column(sheet, "番号")[:2] == ["0123", "123"]
    assert sheet.cell(HEADER_ROW + 1, 5).number_format == "@"  # leading zero: text
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]


def test_workbook_cells_never_hold_formulas(workbook):
    for sheet in workbook:
        for row in sheet.iter_rows():
            assert not [cell.coordinate for cell in row if cell.data_type == "f"]


def test_column_widths_fit_japanese_text(workbook):
    sheet = workbook["規則チェック"]
    widths = {
        h: sheet.column_dimensions[chr(ord("A") + i)].width for i, h in enumerate(header(sheet))
    }
    assert all(6 <= width <= 62 for width in widths.values())
    assert widths["内容"] > widths["地区名"] > widths["規則"]
    assert widths["地区名"] >= 2 * len("北倉窪地区")  # full-width characters count twice


def test_worksheets_do_not_carry_their_temporary_files_time(pack, monkeypatch):
    """openpyxl adds each worksheet from a temporary file; that file's time (to the second) must
    not reach the zip, or two renders a second apart differ."""
    first = render_xlsx(pack)
    real = time.localtime
    monkeypatch.setattr(time, "localtime", lambda seconds=None: real((seconds or 0) + 86_400))
    assert render_xlsx(pack) == first


def test_same_pack_gives_identical_bytes(pack, monkeypatch):
    first = render_xlsx(pack)
    later = time.time() + 3 * 86_400  # zip entries and core properties must not use the clock
    monkeypatch.setattr(time, "time", lambda: later)
    assert render_xlsx(pack) == first
    properties = load_workbook(io.BytesIO(first)).properties
    expected = pack.generated.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    assert properties.created == properties.modified == expected


@pytest.mark.parametrize(
    ("key", "used", "expected"),
    [
        ("地区の上限と残り", set(), "地区の上限と残り"),
        ("a/b:c*d?e[f]g\\h", set(), "a_b_c_d_e_f_g_h"),
        ("x" * 40, set(), "x" * 31),
        ("概要", {"概要"}, "概要(2)"),
        ("Sheet", {"sheet", "sheet(2)"}, "Sheet(3)"),
        ("y" * 40, {"y" * 31}, "y" * 28 + "(2)"),
        ("'引用'", set(), "引用"),
        ("[]", set(), "__"),
        ("", set(), "表"),
    ],
)
def test_sheet_names_are_valid_and_unique(key, used, expected):
    assert sheet_name(key, used) == expected
    assert expected.casefold() in used


def test_pack_for_selected_bureaus(sample_settings, tmp_path):
    load = direct_loader(Warehouse(sample_settings.warehouse_dir))
    option = build_profile_options(load)["fukushima"]
    filters = Filters("fukushima", 2022, 2024, ("会津", "南会津"))
    pack = build_pack(load, filters, option, tmp_path, "white-bg")
    summary = load_workbook(io.BytesIO(render_xlsx(pack)))["概要"]
    rows = {(row[0], row[1]) for row in summary.iter_rows(values_only=True)}
    assert {(h.label, h.figure.number if h.figure else h.value) for h in pack.headlines} <= rows
    assert ("範囲", pack.scope) in rows and "会津・南会津" in pack.scope
