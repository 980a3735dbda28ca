"""A refused input changes nothing: `validate` exits 1 naming file, sheet, row and column, and
`build` publishes nothing, the published build staying byte-identical."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from core import layout
from core.settings import PROJECT_DIR
from etl import publish
from etl.build import build
from etl.errors import EtlError, ValidationFailed
from tests.conftest import SAMPLE_DIR
from tests.ingest_fixtures import GRANT_HEADER_PLAIN

GRANT_HEADER = GRANT_HEADER_PLAIN


def grants_csv(path: Path, *rows: list[str]) -> Path:
    lines = [",".join(GRANT_HEADER)] + [",".join(r) for r in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def row(year="令和5年度", muni="伊達市", district="掛田地区", amount="400000") -> list[str]:
    return [year, muni, district, "計画策定事業", "500000", amount, "完了"]


def hidden_sheet_without_header(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "一覧"
    for r in [GRANT_HEADER, row()]:
        book.active.append(r)
    memo = book.create_sheet("メモ")
    for r in [["番号", "名前", "備考"], [1, "a", "b"], [2, "c", "d"]]:
        memo.append(r)
    book.save(path)
    return path


def uncached_formula(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "一覧"
    for r in [GRANT_HEADER, [*row()[:5], "=E2*0.8", "完了"]]:
        book.active.append(r)
    book.save(path)
    return path


def zip_bomb(path: Path) -> Path:
    import io
    import zipfile

    hidden_sheet_without_header(path)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(path) as original,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (1 << 25))
            out.writestr(item.filename, data)
    path.write_bytes(buffer.getvalue())
    return path


def survey_of_two_years(path: Path) -> Path:
    lines = [
        "調査年度,市町村コード,小さな拠点の名称,地区名",
        "R6,07213,霊山の里,掛田地区",
        "R5,07213,月舘の里,月舘地区",
    ]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


# Each kind of refused file: (writer, file name, what the problem names).
REFUSED = {
    "impossible-year": (
        lambda p: grants_csv(p, row(year="2099年度")),
        "bad.csv",
        (None, 2, "年度"),
    ),
    "no-unit": (
        lambda p: p.write_text(
            "年度,市町村,地区名,事業区分,補助金額,状態\r\n令和5年度,伊達市,掛田地区,計画策定事業,400,完了\r\n",
            encoding="utf-8",
        ),
        "bad.csv",
        (None, None, "補助金額"),
    ),  # fmt: skip
    "sheet-without-header": (hidden_sheet_without_header, "bad.xlsx", ("メモ", None, None)),
    "not-a-table": (
        lambda p: p.write_text("メモ: 来週までに提出\n", encoding="utf-8"),
        "bad.txt",
        (None, None, None),
    ),  # fmt: skip
    "control-character": (
        lambda p: grants_csv(p, row(district="掛田\x00地区")),
        "bad.csv",
        (None, 2, "地区名"),
    ),  # fmt: skip
    "other-prefecture": (
        lambda p: grants_csv(p, row(muni="鳥取市")),
        "bad.csv",
        (None, 2, "市町村"),
    ),
    "uncached-formula": (uncached_formula, "bad.xlsx", ("一覧", 2, "補助金額（円）")),
    "zip-bomb": (zip_bomb, "bad.xlsx", (None, None, None)),
    "survey-of-two-years": (survey_of_two_years, "bad.csv", (None, 3, "調査年度")),
}


def run_etl(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=PROJECT_DIR, capture_output=True,
                          text=True, env=env or dict(os.environ), timeout=120)  # fmt: skip


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_validate_exits_1_with_json_naming_the_place(tmp_path, case):
    write, name, (sheet, row_number, column) = REFUSED[case]
    path = tmp_path / name
    write(path)
    result = run_etl("validate", str(path), "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    problems = json.loads(result.stdout)
    assert [(p["file"], p.get("sheet"), p["row"], p["column"]) for p in problems][:1] == [
        (name, sheet, row_number, column)
    ]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_build_publishes_nothing_from_a_refused_file(fresh_settings, sample_copy, case):
    first = build(fresh_settings, sample_copy)
    published = layout.current_path(fresh_settings.warehouse_dir)
    before = published.read_bytes()
    write, name, _ = REFUSED[case]
    write(sample_copy / name)
    with pytest.raises(ValidationFailed) as info:
        build(fresh_settings, sample_copy)
    assert {p.file for p in info.value.problems} == {name}
    assert layout.current_build_id(fresh_settings.warehouse_dir) == first.build_id
    assert published.read_bytes() == before
    assert [r.build_id for r in publish.list_builds(fresh_settings.warehouse_dir)] == [
        first.build_id
    ]


def test_files_that_are_clearly_not_data_are_skipped_and_listed(fresh_settings, sample_copy):
    (sample_copy / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (sample_copy / "~$fukushima_grants_r03-r05.xlsx").write_bytes(b"lock")
    (sample_copy / "README.txt").write_text("説明", encoding="utf-8")
    messages: list[str] = []
    result = build(fresh_settings, sample_copy, progress=messages.append)
    assert {name for name, _ in result.skipped} == {
        ".DS_Store", "README.md", "README.txt", "manifest.json", "~$fukushima_grants_r03-r05.xlsx"
    }  # fmt: skip
    assert any(m.startswith("読み飛ばし .DS_Store") for m in messages)
    import duckdb

    with duckdb.connect(str(result.path), read_only=True) as con:
        skipped = con.execute("select file from load_log where status = 'skipped'").fetchall()
    assert {f for (f,) in skipped} >= {".DS_Store", "README.txt"}


def test_load_log_lists_the_sheets_read_and_skipped(fresh_settings, sample_copy):
    book = openpyxl.Workbook()
    book.active.title = "表紙"
    book.active.append(["令和5年度 補助金交付実績"])
    for title, hidden in (("県北", False), ("R4(旧)", True), ("会津", False)):
        sheet = book.create_sheet(title)
        sheet.append(GRANT_HEADER)
        district = {"県北": "月舘地区", "R4(旧)": "古い地区", "会津": "山都地区"}[title]
        sheet.append(row(muni="伊達市" if title != "会津" else "喜多方市", district=district))
        sheet.sheet_state = "hidden" if hidden else "visible"
    book.save(sample_copy / "grants_by_bureau.xlsx")
    result = build(fresh_settings, sample_copy)
    import duckdb

    with duckdb.connect(str(result.path), read_only=True) as con:
        log = con.execute(
            "select sheet, status, rows, note from load_log where file = 'grants_by_bureau.xlsx' order by status, sheet"
        ).fetchall()
    assert log == [
        ("県北、会津", "loaded", 2, None),
        ("R4(旧)", "skipped", 0, "非表示のシートは読みません"),
        ("表紙", "skipped", 0, "表の見出し行がないシート（表紙など）です"),
    ]


def test_an_input_file_over_the_size_limit_is_refused(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(SAMPLE_DIR, folder)
    big = grants_csv(folder / "big.csv", *[row(district=f"地区{i}") for i in range(40_000)])
    assert big.stat().st_size > 2_000_000
    env = dict(os.environ, KYOTEN_INPUT_MAX_MB="2", KYOTEN_WAREHOUSE_DIR=str(tmp_path / "wh"))
    result = run_etl("build", "--input", str(folder), "--quiet", env=env)
    assert result.returncode == 1
    assert (
        "big.csv: ファイルが大きすぎます" in result.stderr
        and "KYOTEN_INPUT_MAX_MB" in result.stderr
    )
    assert not (tmp_path / "wh" / "CURRENT").exists()


def test_an_empty_folder_of_non_data_is_a_clear_error(fresh_settings, tmp_path):
    (tmp_path / "README.md").write_text("x", encoding="utf-8")
    with pytest.raises(EtlError, match="入力ファイル"):
        build(fresh_settings, tmp_path)
