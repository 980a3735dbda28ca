"""etl.readers: raw cells of .xlsx and .csv files, row numbers as Excel shows them."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest

from etl.errors import Problem
from etl.readers import (
    RawSheet,
    UnreadableFile,
    read_sheets,
    scan_input_folder,
)
from tests.ingest_fixtures import workbook

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    """A CSV as Excel for Windows writes it: CRLF, quoted where needed, BOM for utf-8-sig."""
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    """An .xlsx with one sheet per entry; an empty list is an empty row."""
    buffer = io.BytesIO()
    workbook(buffer, sheets)
    return buffer.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


ROWS = [
    ["市町村名", "小さな拠点の名称", "地区名", "人口（人）"],
    ["伊達市", "霊山ふれあいセンター", "掛田地区", "１，２３４"],
    ["川俣町", "山木屋の里", "山木屋地区", "567"],
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_encodings_give_the_same_cells(tmp_path, encoding):
    path = write(tmp_path, "list.csv", csv_bytes(ROWS, encoding))
    assert read_sheets(path) == [
        RawSheet(None, [(1, ROWS[0]), (2, ROWS[1]), (3, ROWS[2])], encoding, delimiter=",")
    ]


def test_csv_quoted_newline_keeps_excel_row_numbers(tmp_path):
    rows = [
        ["地区名", "補助金額\n（千円）"],
        ["上野地区\n（旧上野村）", "1,200"],
        ["下野地区", "300"],
    ]
    path = write(tmp_path, "grants.csv", csv_bytes(rows))
    assert len(path.read_bytes().splitlines()) == 5  # 3 records on 5 physical lines
    assert read_sheets(path)[0].rows == [(1, rows[0]), (2, rows[1]), (3, rows[2])]


def test_csv_blank_lines_keep_their_row_numbers(tmp_path):
    rows = [["令和5年度 小さな拠点一覧"], [], ["地区名", "人口"], ["上野地区", "12"]]
    path = write(tmp_path, "list.csv", csv_bytes(rows))
    assert read_sheets(path)[0].rows == [
        (1, ["令和5年度 小さな拠点一覧"]),
        (2, []),
        (3, ["地区名", "人口"]),
        (4, ["上野地区", "12"]),
    ]


def trim(cells: list) -> list:
    """Cells without trailing blanks (xlsx rows may come back padded or ragged)."""
    cells = list(cells)
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def test_xlsx_title_and_gap_rows_keep_row_numbers(tmp_path):
    rows = [
        ["令和5年度 小さな拠点一覧（福島県）"],
        ["令和5年5月31日時点"],
        [],
        [],
        ["市町村名", "小さな拠点の名称", "人口"],
        ["伊達市", "霊山ふれあいセンター", 1234],
        [],
        ["川俣町", None, 567],
    ]
    path = write(tmp_path, "list.xlsx", xlsx_bytes({"一覧": rows}))
    (sheet,) = read_sheets(path)
    assert sheet.name == "一覧" and sheet.encoding is None
    assert [(n, trim(cells)) for n, cells in sheet.rows] == [(i, r) for i, r in enumerate(rows, 1)]


def test_xlsx_every_sheet_in_order(tmp_path):
    path = write(tmp_path, "book.xlsx", xlsx_bytes({"説明": [["注記"]], "一覧": [["a", 1]]}))
    assert read_sheets(path) == [
        RawSheet("説明", [(1, ["注記"])], None),
        RawSheet("一覧", [(1, ["a", 1])], None),
    ]


def _with_stale_dimension(data: bytes, ref: str) -> bytes:
    """The same workbook with a <dimension> that understates the used range, as some tools write."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                content = re.sub(
                    rb'<dimension ref="[^"]*"/>', f'<dimension ref="{ref}"/>'.encode(), content
                )
            target.writestr(info, content)
    return out.getvalue()


def test_xlsx_with_a_stale_dimension_still_reads_every_row(tmp_path):
    # The <dimension> element is only a hint: Excel opens this file with all four rows. A reader
    # that trusts it drops rows 3-4 silently, which loads a partial file without any problem.
    rows = [["地区名", "人口"], ["上野地区", 1], ["下野地区", 2], ["中野地区", 3]]
    path = write(tmp_path, "list.xlsx", _with_stale_dimension(xlsx_bytes({"一覧": rows}), "A1:B2"))
    assert read_sheets(path)[0].rows == [(i, row) for i, row in enumerate(rows, 1)]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "list.xlsx",
            "地区名,人口\r\n上野地区,12\r\n".encode(),
            "xlsxファイルの中身ではありません",
        ),
        ("old.xls", OLE_HEADER + b"\x00" * 504, ".xlsx"),
        ("old.xlsx", OLE_HEADER + b"\x00" * 504, "旧形式のExcel（.xls）"),
        ("broken.xlsx", b"PK\x03\x04" + b"\x00\x01garbage" * 20, "壊れたxlsx"),
        ("garbage.csv", bytes(range(256)) * 4, "テキスト（CSV）ではありません"),
        ("list.pdf", b"%PDF-1.4\n", "対応していない形式"),
    ],
    ids=[
        "csv-named-xlsx",
        "xls",
        "xls-named-xlsx",
        "broken-zip",
        "binary-csv",
        "pdf",
    ],
)
def test_unreadable_files(tmp_path, name, data, reason):
    path = write(tmp_path, name, data)
    with pytest.raises(UnreadableFile) as info:
        read_sheets(path)
    problem = info.value.problem
    assert problem == Problem(name, None, None, None, problem.reason)
    assert reason in problem.reason


def test_xlsx_content_named_csv_is_refused(tmp_path):
    path = write(tmp_path, "list.csv", xlsx_bytes({"一覧": [["a"]]}))
    with pytest.raises(UnreadableFile) as info:
        read_sheets(path)
    assert info.value.problem == Problem(
        "list.csv", None, None, None, "拡張子は.csvですが中身はxlsxです"
    )


def test_bom_followed_by_shift_jis_is_an_unreadable_file(tmp_path):
    # A UTF-8 BOM in front of CP932 bytes (an editor re-saving half a file) must be refused like
    # any other undecodable file, not crash the build with UnicodeDecodeError.
    data = b"\xef\xbb\xbf" + csv_bytes(ROWS, "cp932")
    path = write(tmp_path, "list.csv", data)
    with pytest.raises(UnreadableFile) as info:
        read_sheets(path)
    assert info.value.problem.file == "list.csv"
    assert "文字コード" in info.value.problem.reason


def test_an_undecodable_byte_is_named_by_row_and_column(tmp_path):
    data = "地区名,人口\r\n上野地区,12\r\n".encode() + "下野地区,".encode() + b"\xff12\r\n"
    path = write(tmp_path, "mixed.csv", data)
    with pytest.raises(UnreadableFile) as info:
        read_sheets(path)
    problem = info.value.problem
    assert (problem.file, problem.row, problem.column) == ("mixed.csv", 3, "2列目")
    assert "文字コード" in problem.reason


def test_every_file_of_a_folder_is_read_or_listed_as_not_data(tmp_path):
    names = [
        "a_survey.csv",
        "b_grants.xlsx",
        "c_old.xls",
        "D_UPPER.XLSX",
        "e_macro.xlsm",
        ".hidden.csv",
        "~$b_grants.xlsx",
        "README.md",
        "manifest.json",
        "notes.txt",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "folder.csv").mkdir()
    # every file is read or refused; only what is clearly not data is skipped, with a reason
    assert [p.name for p in scan_input_folder(tmp_path)[0]] == [
        "D_UPPER.XLSX",
        "a_survey.csv",
        "b_grants.xlsx",
        "c_old.xls",
        "e_macro.xlsm",
        "notes.txt",
    ]
    _, skipped = scan_input_folder(tmp_path)
    assert [name for name, _ in skipped] == [
        ".hidden.csv",
        "README.md",
        "folder.csv",
        "manifest.json",
        "~$b_grants.xlsx",
    ]


def test_a_password_protected_workbook_is_named_as_such(tmp_path):
    # an encrypted .xlsx is an OLE container holding an EncryptedPackage stream, like an old .xls
    data = OLE_HEADER + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 100
    path = write(tmp_path, "locked.xlsx", data)
    with pytest.raises(UnreadableFile) as info:
        read_sheets(path)
    assert "パスワード" in info.value.problem.reason


def _parsed_whole(text: str) -> list[tuple[int, list[str]]]:
    """The rows as a list, the way the csv module reads the whole text at once."""
    reader = csv.reader(io.StringIO(text, newline=""))
    return [(n, [c[2:-1].replace('""', '"') if c.startswith('="') and c.endswith('"') and len(c) >= 3
                 else c for c in cells]) for n, cells in enumerate(reader, 1)]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "a,b\r\n1,2\r\n",  # CRLF
        "a,b\n1,2",  # LF, no newline at the end
        "a,b\r1,2\r",  # CR only (old Mac Excel)
        'a,"b\r\nc"\r\n"x\ny","z\rw"\r\n',  # line breaks of every kind inside quoted cells
        "\r\n\r\na,b\r\n\r\n1,2\r\n\r\n",  # blank lines before, between and after
        '="07208",伊達市\r\n="0""7",x\r\n',  # codes written as ="…" keep their zeros
        "",  # an empty file
        'a,"b,c",d\n"""q""",,\n',  # quoted delimiters and quotes, empty cells
    ],
)
def test_text_rows_read_on_access_equal_the_whole_parse(tmp_path, text):
    """A text file's rows are parsed when they are read (TextRows keeps the text once): every
    row, any slice and negative positions give what parsing the whole text gives."""
    path = write(tmp_path, "t.csv", text.encode("utf-8"))
    rows = read_sheets(path)[0].rows
    whole = _parsed_whole(text)
    assert len(rows) == len(whole)
    assert rows == whole
    assert [rows[i] for i in range(len(whole))] == whole
    assert rows[1:] == whole[1:] and rows[:2] == whole[:2]
    assert list(reversed(rows)) == whole[::-1]
    if whole:
        assert rows[-1] == whole[-1]
    with pytest.raises(IndexError):
        rows[len(whole)]


def test_text_rows_keep_a_replaced_row_and_forget_a_released_one(tmp_path):
    path = write(tmp_path, "t.csv", b"a,b\r\n1,2\r\n3,4\r\n")
    rows = read_sheets(path)[0].rows
    rows[1] = (2, ["x", "y"])  # a reader that fills cells in place (merged headers)
    assert rows[1] == (2, ["x", "y"])
    rows[2] = (3, [])  # done with it: nothing is kept
    assert rows[0] == (1, ["a", "b"])
