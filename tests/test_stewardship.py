"""Stewardship: upload → validate → preview → publish (etl.stewardship and the データ page)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import layout
from core.settings import PROJECT_DIR
from dashboard.db import Warehouse
from etl import publish, stewardship
from etl.build import build
from etl.errors import EtlError, ValidationFailed
from etl.readers import SUPPORTED_SUFFIXES
from etl.stewardship import NotFinished, UploadRefused, safe_name
from tests.conftest import SAMPLE_DIR, settings_for

SURVEY_2024 = "fukushima_survey_r06_2024.csv"
SURVEY_2023 = "fukushima_survey_r05_2023.xlsx"
SAMPLE_FILES = sorted(p.name for p in SAMPLE_DIR.iterdir() if p.suffix in (".csv", ".xlsx"))
SAMPLE_ROWS = {
    "kpi_series": 37,
    "hubs": 277,
    "grants": 62,
    "district_budget": 23,
    "cooperatives": 11,
    "quality_report": 4,
}
# The extra hub also adds two quality warnings: the list now counts 60 hubs and 48 組織 for 2024,
# the published counts say 59 and 47.
EXTRA_HUB_ROWS = SAMPLE_ROWS | {"hubs": 278, "quality_report": 6}
MARTS = ["kpi_series", "hubs", "grants", "district_budget", "cooperatives", "rule_findings"]
WAITING = "別の公開処理が実行中です"
UNCHANGED = "公開中のデータは変わっていません。"
UNSUPPORTED = f"対応していない形式です（{', '.join(SUPPORTED_SUFFIXES)} のみ）"


def survey_with_extra_hub(rmo: str = "あり") -> bytes:
    """The 2024 survey list of 福島県 with one more hub (UTF-8 with BOM, like the original)."""
    text = (SAMPLE_DIR / SURVEY_2024).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    extra = dict(zip(header, rows[1], strict=True))
    extra.update(
        {
            "小さな拠点の名称": "新山テスト交流館",
            "地区名": "新山地区",
            "所在地": "福島県喜多方市新山字中島1",
            "地域運営組織の有無": rmo,
            "地域運営組織名": "新山の会" if rmo == "あり" else "",
            "法人格": "任意団体",
        }
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    writer.writerow([extra[h] for h in header])
    return out.getvalue().encode("utf-8-sig")


def survey_with_bad_cells() -> bytes:
    text = (SAMPLE_DIR / SURVEY_2024).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    rows[3][header.index("人口")] = "たくさん"  # row 4 as Excel shows it
    rows[5][header.index("団体コード")] = "079999"  # row 6: wrong check digit
    rows[7][header.index("地域運営組織の有無")] = "たぶん"  # row 8
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def changes_of(preview: stewardship.Preview) -> dict[str, tuple[int, int, int]]:
    return {r.mart: (r.added, r.changed, r.removed) for r in preview.changes.itertuples()}


def no_changes() -> dict[str, tuple[int, int, int]]:
    return dict.fromkeys(MARTS, (0, 0, 0))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def private(tmp_path):
    """Settings reading the shared sample warehouse, with uploads under tmp_path."""

    def make(settings, **changes):
        return dataclasses.replace(
            settings, uploads_dir=tmp_path / "uploads", log_dir=tmp_path / "logs", **changes
        )

    return make


@pytest.fixture
def published(tmp_path):
    """A private warehouse with the sample published once (publishing tests change it)."""
    settings = settings_for(tmp_path, uploads_dir=tmp_path / "uploads", log_dir=tmp_path / "logs")
    build(settings, SAMPLE_DIR)
    return settings


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stored"),
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("..\\..\\Windows\\x.xlsx", "x.xlsx"),
        ("/abs/path/list.CSV", "list.csv"),
        ("名簿 2024.csv", "名簿_2024.csv"),
        ("名簿\u30002024.csv", "名簿_2024.csv"),  # an ideographic space
        (".hidden.csv", "hidden.csv"),
        ("a\x00b\x1fc\x7fd.csv", "a_b_c_d.csv"),
        ("line\nbreak\r.csv", "line_break_.csv"),
        ('a<b>c:d"e|f?g*h.csv', "a_b_c_d_e_f_g_h.csv"),
        ("x" * 300 + ".csv", "x" * 150 + ".csv"),  # names are limited in bytes (150 for the stem)
        ("ｆｕｌｌ.ＣＳＶ", "full.csv"),  # NFKC: full-width letters
        ("ａ／ｂ.csv", "b.csv"),  # NFKC turns the full-width slash into a folder separator
        ("報告書（最終）.xlsx", "報告書(最終).xlsx"),
        ("file.csv.", "file.csv"),
        ("x\u202egnp.csv", "x_gnp.csv"),  # a right-to-left override
        ("$(rm -rf ~).csv", "(rm_-rf_).csv"),
    ],
)
def test_safe_name(name, stored):
    assert safe_name(name) == stored


@pytest.mark.parametrize("name", ["noext", "", ".csv", "..", "x.", "folder/", "..\\"])
def test_safe_name_refuses_a_name_without_extension(name):
    with pytest.raises(UploadRefused) as info:
        safe_name(name)
    assert (
        str(info.value)
        == f"ファイル名「{name}」には拡張子（.xlsx / .xlsm / .csv / .tsv / .txt）が必要です"
    )


# --- save_upload -------------------------------------------------------------------------------


def test_save_upload_stores_a_private_copy(fresh_settings, tmp_path):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    folder = stewardship.session_folder(settings)
    data = (SAMPLE_DIR / SURVEY_2024).read_bytes()
    path = stewardship.save_upload(settings, folder, "名簿 2024.csv", data)
    assert path == folder / "incoming" / "名簿_2024.csv"
    assert path.read_bytes() == data
    assert folder.parent == settings.uploads_dir and len(folder.name) == 16
    assert {
        "uploads": mode(settings.uploads_dir),
        "session": mode(folder),
        "incoming": mode(folder / "incoming"),
        "file": mode(path),
    } == {"uploads": 0o700, "session": 0o700, "incoming": 0o700, "file": 0o600}


@pytest.mark.parametrize(
    "name",
    [
        "../../../evil.csv",
        "..\\..\\evil.csv",
        "/etc/cron.d/evil.csv",
        "incoming/../../evil.csv",
        "....//....//evil.csv",
        "%2e%2e%2fevil.csv",
    ],
)
def test_save_upload_never_leaves_the_session_folder(fresh_settings, tmp_path, name):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    folder = stewardship.session_folder(settings)
    path = stewardship.save_upload(settings, folder, name, b"a,b\n1,2\n")
    assert path.resolve().parent == (folder / "incoming").resolve()
    assert [p.name for p in (folder / "incoming").iterdir()] == [path.name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["uploads"]


def _xlsx_bytes() -> bytes:
    return (SAMPLE_DIR / SURVEY_2023).read_bytes()


REFUSALS = {
    "too-big": (
        1,
        "big.csv",
        lambda: b"a,b\n" + b"1,2\n" * (512 * 1024),
        "「big.csv」は2.0MBです（上限1MB）",
    ),
    "just-over": (
        1,
        "edge.csv",
        lambda: b"x" * (1024 * 1024 + 1),
        "「edge.csv」は1.0MBです（上限1MB）",
    ),
    "empty": (20, "empty.csv", lambda: b"", "「empty.csv」は空のファイルです"),
    "csv-text-as-xlsx": (
        20,
        "list.xlsx",
        lambda: b"a,b\n1,2\n",
        "「list.xlsx」: xlsxファイルの中身ではありません",
    ),
    "zip-as-csv": (20, "list.csv", _xlsx_bytes, "「list.csv」: 拡張子は.csvですが中身はxlsxです"),
    "zip-as-upper-case-csv": (
        20,
        "LIST.CSV",
        _xlsx_bytes,
        "「LIST.CSV」: 拡張子は.csvですが中身はxlsxです",
    ),
    "csv-text-as-upper-case-xlsx": (
        20,
        "list.XLSX",
        lambda: b"a,b\n1,2\n",
        "「list.XLSX」: xlsxファイルの中身ではありません",
    ),
    "broken-zip-as-csv": (
        20,
        "list.csv",
        lambda: b"PK\x03\x04garbage",
        "「list.csv」: 壊れたxlsxファイルです",
    ),
    "nul-bytes-as-csv": (
        20,
        "list.csv",
        lambda: b"a,b\n1,\x00\x00\n",
        "「list.csv」: テキスト（CSV）ではありません",
    ),
    "ole-as-xlsx": (
        20,
        "old.xlsx",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
        "「old.xlsx」: 旧形式のExcel（.xls）は読めません。.xlsx で保存し直してください",
    ),
    "exe": (20, "tool.exe", lambda: b"MZ\x90\x00", f"「tool.exe」: {UNSUPPORTED}"),
    "upper-case-exe": (20, "TOOL.EXE", lambda: b"MZ\x90\x00", f"「TOOL.EXE」: {UNSUPPORTED}"),
    "xls": (20, "old.xls", lambda: b"\xd0\xcf\x11\xe0", f"「old.xls」: {UNSUPPORTED}"),
    "no-extension": (
        20,
        "README",
        lambda: b"a,b\n",
        "ファイル名「README」には拡張子（.xlsx / .xlsm / .csv / .tsv / .txt）が必要です",
    ),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_save_upload_refuses(fresh_settings, tmp_path, case):
    limit, name, data, message = REFUSALS[case]
    settings = dataclasses.replace(
        fresh_settings, uploads_dir=tmp_path / "uploads", upload_max_mb=limit
    )
    folder = stewardship.session_folder(settings)
    with pytest.raises(UploadRefused) as info:
        stewardship.save_upload(settings, folder, name, data())
    assert str(info.value) == message
    assert files_in(folder / "incoming") == []  # nothing stored, not even a partial file


def test_save_upload_accepts_exactly_the_limit(fresh_settings, tmp_path):
    settings = dataclasses.replace(
        fresh_settings, uploads_dir=tmp_path / "uploads", upload_max_mb=1
    )
    folder = stewardship.session_folder(settings)
    data = b"a,b\n" + b"1" * (1024 * 1024 - 5) + b"\n"
    assert len(data) == 1024 * 1024
    assert stewardship.save_upload(settings, folder, "edge.csv", data).stat().st_size == len(data)


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_save_upload_accepts_every_sample_file(fresh_settings, tmp_path, name):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    folder = stewardship.session_folder(settings)
    data = (SAMPLE_DIR / name).read_bytes()
    path = stewardship.save_upload(settings, folder, name, data)
    assert (path.name, path.read_bytes()) == (name, data)


@pytest.mark.parametrize(
    ("char", "bytes_per_char"), [("x", 1), ("あ", 3), ("𠮷", 4)], ids=["ascii", "kana", "U+20BB7"]
)  # 𠮷 (U+20BB7) is a real family-name character outside the BMP (4 bytes in UTF-8)
def test_save_upload_stores_a_300_character_name(fresh_settings, tmp_path, char, bytes_per_char):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    folder = stewardship.session_folder(settings)
    name = char * 300 + ".csv"
    assert len(name.encode()) == 300 * bytes_per_char + 4
    path = stewardship.save_upload(settings, folder, name, b"a,b\n1,2\n")
    assert path.name.startswith(char * 10) and path.name.endswith(".csv")
    assert len(path.name.encode()) <= 255  # a Linux file name holds at most 255 bytes


@pytest.mark.parametrize(
    ("name", "data", "stored"),
    [
        ("LIST.CSV", lambda: b"a,b\n1,2\n", "LIST.csv"),
        ("Book.XLSX", _xlsx_bytes, "Book.xlsx"),
        ("Macro.Xlsm", _xlsx_bytes, "Macro.xlsm"),
        ("tab.TSV", lambda: b"a\tb\n1\t2\n", "tab.tsv"),
        ("notes.TXT", lambda: b"a,b\n1,2\n", "notes.txt"),
    ],
)
def test_save_upload_accepts_every_supported_suffix_in_any_case(
    fresh_settings, tmp_path, name, data, stored
):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    folder = stewardship.session_folder(settings)
    path = stewardship.save_upload(settings, folder, name, data())
    assert (path.name, path.read_bytes()) == (stored, data())
    assert files_in(folder / "incoming") == [stored]


def test_a_refused_upload_leaves_an_earlier_file_of_the_same_name_as_it_was(
    fresh_settings, tmp_path
):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    folder = stewardship.session_folder(settings)
    earlier = stewardship.save_upload(settings, folder, "list.csv", b"a,b\n1,2\n")
    with pytest.raises(UploadRefused):
        stewardship.save_upload(settings, folder, "list.csv", _xlsx_bytes())
    assert earlier.read_bytes() == b"a,b\n1,2\n"
    assert files_in(folder / "incoming") == ["list.csv"]  # no partial file either


def test_two_uploads_whose_names_clean_alike_are_both_kept(fresh_settings, tmp_path):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    folder = stewardship.session_folder(settings)
    batch = [
        ("名簿 2024.csv", b"a,b\n1,1\n"),
        ("名簿_2024.csv", b"a,b\n2,2\n"),
        ("名簿\u30002024.CSV", b"a,b\n3,3\n"),  # an ideographic space and a capital suffix
        ("名簿_2024_2.csv", b"a,b\n4,4\n"),  # the name the second one got
    ]
    for _ in range(2):  # a page run sends the whole batch again: nothing is added or lost
        result = stewardship.save_uploads(settings, folder, batch)
        stored = {p.name: p.read_bytes() for p in result.paths}
        assert stored == {
            "名簿_2024.csv": b"a,b\n1,1\n",
            "名簿_2024_2.csv": b"a,b\n2,2\n",
            "名簿_2024_3.csv": b"a,b\n3,3\n",
            "名簿_2024_2_2.csv": b"a,b\n4,4\n",
        }
        assert [p.name for p in result.paths] == list(stored)  # upload order
        assert files_in(folder / "incoming") == sorted(stored)
        assert result.refused == []
        assert result.notes == [
            "「名簿_2024.csv」は、ほかのファイルと同じ名前になるため「名簿_2024_2.csv」として保存しました",
            "「名簿\u30002024.CSV」は、ほかのファイルと同じ名前になるため「名簿_2024_3.csv」として保存しました",
            "「名簿_2024_2.csv」は、ほかのファイルと同じ名前になるため「名簿_2024_2_2.csv」として保存しました",
        ]


def test_the_same_file_sent_twice_in_a_batch_is_stored_once(fresh_settings, tmp_path):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    folder = stewardship.session_folder(settings)
    data = b"a,b\n1,2\n"
    result = stewardship.save_uploads(
        settings, folder, [("list.csv", data), ("list.CSV", data), ("bad.exe", b"MZ")]
    )
    assert [p.name for p in result.paths] == ["list.csv"]
    assert result.notes == [
        "「list.CSV」は同じ名前・同じ内容のファイルと重複しているため、1つだけ使います"
    ]
    assert result.refused == [f"「bad.exe」: {UNSUPPORTED}"]
    assert files_in(folder / "incoming") == ["list.csv"]


def test_a_later_batch_replaces_the_sessions_upload_of_the_same_name(fresh_settings, tmp_path):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    folder = stewardship.session_folder(settings)
    stewardship.save_uploads(settings, folder, [("list.csv", b"a,b\n1,2\n")])
    corrected = stewardship.save_uploads(settings, folder, [("list.csv", b"a,b\n1,3\n")])
    assert [(p.name, p.read_bytes()) for p in corrected.paths] == [("list.csv", b"a,b\n1,3\n")]
    assert corrected.notes == [] and files_in(folder / "incoming") == ["list.csv"]


# --- sessions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "session",
    [
        "../../x",
        "../0123456789abcd",
        "0123456789ABCDEF",
        "0123456789abcde",
        "0123456789abcdef0",
        "0123456789abcdeg",
        "0123456789abcdef\n",
        "/tmp/0123456789a",
        "０１２３４５６７８９ａｂｃｄｅｆ",
    ],
)
def test_session_folder_refuses_a_bad_identifier(fresh_settings, tmp_path, session):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    with pytest.raises(UploadRefused) as info:
        stewardship.session_folder(settings, session)
    assert str(info.value) == "セッションの識別子が不正です"
    assert not settings.uploads_dir.exists()


def test_session_folder_is_new_and_random_unless_given(fresh_settings, tmp_path):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    first, second = stewardship.session_folder(settings), stewardship.session_folder(settings)
    assert first != second
    assert stewardship.session_folder(settings, first.name) == first
    assert sorted(p.name for p in settings.uploads_dir.iterdir()) == sorted(
        [first.name, second.name]
    )


def test_prune_sessions_removes_only_old_sessions(fresh_settings, tmp_path):
    settings = dataclasses.replace(fresh_settings, uploads_dir=tmp_path / "uploads")
    old, recent = stewardship.session_folder(settings), stewardship.session_folder(settings)
    stewardship.save_upload(settings, old, "a.csv", b"a,b\n1,2\n")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    stewardship.prune_sessions(settings)
    assert [p.name for p in settings.uploads_dir.iterdir()] == [recent.name]


# --- candidate and preview ---------------------------------------------------------------------


def test_candidate_is_the_published_inputs_plus_uploads(sample_settings, private):
    settings = private(sample_settings)
    folder = stewardship.session_folder(settings)
    upload = stewardship.save_upload(settings, folder, SURVEY_2024, survey_with_extra_hub())
    extra = stewardship.save_upload(settings, folder, "extra.csv", survey_with_extra_hub())
    build_id = layout.current_build_id(settings.warehouse_dir)
    assert stewardship.published_inputs(settings) == settings.warehouse_dir / "inputs" / build_id
    candidate = stewardship.candidate_inputs(
        settings, folder, [upload, extra], removed=("tottori_cooperatives.xlsx",)
    )
    expected = sorted({*SAMPLE_FILES, "extra.csv"} - {"tottori_cooperatives.xlsx"})
    assert files_in(candidate) == expected
    assert (candidate / SURVEY_2024).read_bytes() == survey_with_extra_hub()  # same name replaces
    assert (candidate / SURVEY_2023).read_bytes() == (SAMPLE_DIR / SURVEY_2023).read_bytes()
    assert mode(candidate) == 0o700


@pytest.mark.parametrize(
    "published_name",
    ["fukushima_survey_r06_2024.CSV", "fukushima survey r06 2024.csv"],
    ids=["capital-suffix", "name-with-spaces"],
)
def test_a_published_input_stays_in_the_candidate_and_its_upload_replaces_it(
    tmp_path, sample_copy, published_name
):
    (sample_copy / SURVEY_2024).rename(sample_copy / published_name)
    settings = settings_for(tmp_path, uploads_dir=tmp_path / "uploads", log_dir=tmp_path / "logs")
    build(settings, sample_copy)
    folder = stewardship.session_folder(settings)
    unchanged = stewardship.candidate_inputs(settings, folder, [])
    others = sorted(set(SAMPLE_FILES) - {SURVEY_2024})
    assert files_in(unchanged) == sorted([*others, published_name])
    assert changes_of(stewardship.preview(settings, folder, unchanged)) == no_changes()

    # The steward uploads a corrected copy of that file: it is stored as SURVEY_2024 and
    # replaces the published one instead of joining it.
    upload = stewardship.save_upload(settings, folder, published_name, survey_with_extra_hub())
    assert upload.name == SURVEY_2024
    candidate = stewardship.candidate_inputs(settings, folder, [upload])
    assert files_in(candidate) == SAMPLE_FILES
    assert changes_of(stewardship.preview(settings, folder, candidate)) == no_changes() | {
        "kpi_series": (0, 2, 0),
        "hubs": (1, 0, 0),
    }


PREVIEWS = {
    "one-more-hub-with-rmo": (
        {SURVEY_2024: lambda: survey_with_extra_hub("あり")},
        (),
        {"kpi_series": (0, 2, 0), "hubs": (1, 0, 0)},
        [
            ("07", "hubs_total", 2024, "survey_list", 59, 60),
            ("07", "rmo_in_hubs", 2024, "survey_list", 47, 48),
        ],
    ),
    "one-more-hub-without-rmo": (
        {SURVEY_2024: lambda: survey_with_extra_hub("なし")},
        (),
        {"kpi_series": (0, 1, 0), "hubs": (1, 0, 0)},
        [("07", "hubs_total", 2024, "survey_list", 59, 60)],
    ),
    "identical": ({}, (), {}, []),
    "identical-upload": (
        {SURVEY_2024: lambda: (SAMPLE_DIR / SURVEY_2024).read_bytes()},
        (),
        {},
        [],
    ),
    "without-the-2023-list": (
        {},
        (SURVEY_2023,),
        {"kpi_series": (0, 0, 2), "hubs": (0, 0, 55)},
        [
            ("07", "hubs_total", 2023, "survey_list", 55, None),
            ("07", "rmo_in_hubs", 2023, "survey_list", 43, None),
        ],
    ),
}


def test_compare_with_a_build_made_before_a_column_existed(sample_settings, tmp_path):
    import shutil

    import duckdb

    current = layout.current_path(sample_settings.warehouse_dir)
    older = tmp_path / "older.duckdb"
    shutil.copy(current, older)
    with duckdb.connect(str(older)) as con:  # as builds were before unknown_rows
        con.execute(
            "create or replace table kpi_series as select * exclude (unknown_rows) from kpi_series"
        )
        con.execute("update kpi_series set value = 40 where pref_code = '07' and fiscal_year = 2024"
                    " and indicator = 'rmo_in_hubs' and basis = 'survey_list'")  # fmt: skip
    changes, kpi = stewardship.compare(older, current)
    assert dict(zip(changes["mart"], changes["changed"], strict=True))["kpi_series"] == 1
    assert kpi[["indicator", "fiscal_year", "before", "after"]].values.tolist() == [
        ["rmo_in_hubs", 2024, 40, 47]
    ]
    assert kpi["unknown_before"].isna().all() and (kpi["unknown_after"] == 0).all()


@pytest.mark.parametrize("case", PREVIEWS)
def test_preview_reports_changes_per_mart_and_kpi(sample_settings, private, case):
    uploads, removed, changed_marts, kpi = PREVIEWS[case]
    settings = private(sample_settings)
    folder = stewardship.session_folder(settings)
    saved = [stewardship.save_upload(settings, folder, n, data()) for n, data in uploads.items()]
    candidate = stewardship.candidate_inputs(settings, folder, saved, removed)
    lines: list[str] = []
    result = stewardship.preview(settings, folder, candidate, progress=lines.append)
    assert changes_of(result) == no_changes() | changed_marts
    assert list(result.changes["mart"]) == MARTS
    rows = [
        (
            r.pref_code,
            r.indicator,
            r.fiscal_year,
            r.basis,
            None if pd.isna(r.before) else int(r.before),
            None if pd.isna(r.after) else int(r.after),
        )
        for r in result.kpi.itertuples()
    ]
    assert rows == kpi
    assert list(result.kpi.columns) == [
        "pref_code",
        "indicator",
        "fiscal_year",
        "basis",
        "before",
        "after",
        "unknown_before",
        "unknown_after",
    ]
    assert result.candidate == folder / "preview.duckdb" and result.candidate.exists()
    assert "データテスト" in lines
    # The published warehouse is untouched by a preview.
    assert layout.current_path(settings.warehouse_dir).parent == settings.warehouse_dir / "builds"
    assert publish.list_builds(settings.warehouse_dir)[0].manifest["rows"] == SAMPLE_ROWS


def test_validate_uploads_names_file_row_column_and_value_like_the_cli(sample_settings, private):
    settings = private(sample_settings)
    folder = stewardship.session_folder(settings)
    bad = stewardship.save_upload(settings, folder, "bad.csv", survey_with_bad_cells())
    good = stewardship.save_upload(settings, folder, SURVEY_2024, survey_with_extra_hub())
    problems = stewardship.validate_uploads(settings, [bad, good])
    assert [(p.file, p.row, p.column, p.value, p.reason) for p in problems] == [
        ("bad.csv", 4, "人口", "たくさん", "数値として読めません"),
        ("bad.csv", 6, "団体コード", "079999", "検査数字が正しくありません（正しくは079995）"),
        (
            "bad.csv",
            8,
            "地域運営組織の有無",
            "たぶん",
            "有無として読めません（有/無, あり/なし, ○/× のいずれか）",
        ),
    ]
    cli = subprocess.run(
        [sys.executable, "-m", "etl", "validate", "--format", "json", str(bad), str(good)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 1, cli.stderr
    assert json.loads(cli.stdout) == [p.as_dict() for p in problems]
    assert stewardship.validate_uploads(settings, [good]) == []


# --- validation and preview in a child process with limits ---------------------------------------


def child_runs(monkeypatch, code: str, command: str = "validate_command") -> None:
    """Make the validation (or preview) child run `code` instead of `python -m etl …`."""
    monkeypatch.setattr(stewardship, command, lambda *_, **__: [sys.executable, "-c", code])


def bad_upload(settings) -> Path:
    folder = stewardship.session_folder(settings)
    return stewardship.save_upload(settings, folder, "bad.csv", survey_with_bad_cells())


def test_validate_uploads_runs_in_a_child_with_the_memory_limit_and_the_settings(
    sample_settings, private, monkeypatch
):
    settings = private(sample_settings, validate_max_mem_mb=700)
    seen = (
        "[resource.getrlimit(resource.RLIMIT_AS)[0], os.getcwd(),"
        " os.environ['KYOTEN_UPLOADS_DIR'], os.environ['KYOTEN_WAREHOUSE_DIR']]"
    )
    child_runs(
        monkeypatch,
        "import json, os, resource\n"
        f"problem = {{'file': 'bad.csv', 'row': 4, 'column': '人口', 'value': json.dumps({seen}),"
        " 'reason': '数値として読めません', 'hint': 'a key this version does not know'}\n"
        "print(json.dumps([problem]))\n"
        "raise SystemExit(1)\n",
    )
    [problem] = stewardship.validate_uploads(settings, [bad_upload(settings)])
    assert (problem.file, problem.row, problem.column, problem.reason) == (
        "bad.csv",
        4,
        "人口",
        "数値として読めません",
    )
    assert json.loads(problem.value) == [
        700 * 1024 * 1024,
        str(PROJECT_DIR),
        str(settings.uploads_dir),
        str(settings.warehouse_dir),
    ]


def test_validate_uploads_past_the_time_limit_is_refused_and_the_child_killed(
    sample_settings, private, monkeypatch, tmp_path
):
    settings = private(sample_settings, validate_timeout_s=1)
    folder = stewardship.session_folder(settings)
    uploads = [
        stewardship.save_upload(settings, folder, name, b"a,b\n1,2\n")
        for name in ("a.csv", "b.csv")
    ]
    pid_file = tmp_path / "child.pid"
    child_runs(
        monkeypatch,
        f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)",
    )
    started = time.monotonic()
    with pytest.raises(NotFinished) as info:
        stewardship.validate_uploads(settings, uploads)
    assert time.monotonic() - started < 15
    assert str(info.value) == (
        f"「a.csv」「b.csv」の検証が制限時間（1秒）内に終わりませんでした。{UNCHANGED}"
    )
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(int(pid_file.read_text()), 0)


@pytest.mark.parametrize(
    "code",
    [
        "bytearray(1024 * 1024 * 1024)",
        "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    ],
    ids=["MemoryError", "killed"],
)
def test_validate_uploads_that_run_out_of_memory_are_refused(
    sample_settings, private, monkeypatch, code
):
    settings = private(sample_settings, validate_max_mem_mb=256)
    child_runs(monkeypatch, code)
    with pytest.raises(NotFinished) as info:
        stewardship.validate_uploads(settings, [bad_upload(settings)])
    assert str(info.value) == (
        f"「bad.csv」の検証がメモリの上限（256MB）を超えたため中止しました。{UNCHANGED}"
    )


def test_real_validation_under_too_small_a_memory_limit_is_refused_without_a_traceback(
    sample_settings, private
):
    settings = private(sample_settings, validate_max_mem_mb=100)
    with pytest.raises(NotFinished) as info:
        stewardship.validate_uploads(settings, [bad_upload(settings)])
    message = str(info.value)
    assert message.startswith("「bad.csv」の検証") and message.endswith(UNCHANGED), message
    assert "Traceback" not in message and "File " not in message


UNREADABLE = {
    "not-json": ("print('OK')", "終了コード 0"),
    "problems-promised-none-given": ("print('[]')\nraise SystemExit(1)", "終了コード 1"),
    "a-problem-without-its-reason": (
        'print(\'[{"file": "bad.csv", "row": 4}]\')\nraise SystemExit(1)',
        "終了コード 1",
    ),
    "not-a-list": ('print(\'{"file": "bad.csv"}\')', "終了コード 0"),
    "odd-exit-code": ("print('[]')\nraise SystemExit(3)", "終了コード 3"),
    "a-traceback": ("raise RuntimeError('boom')", "終了コード 1"),
    "a-clean-message": (
        "import sys\nprint('エラー: 何かが足りません', file=sys.stderr)\nraise SystemExit(1)",
        "エラー: 何かが足りません",
    ),
}


@pytest.mark.parametrize("case", UNREADABLE)
def test_validate_uploads_with_unreadable_output_is_refused_never_passed(
    sample_settings, private, monkeypatch, case
):
    code, reason = UNREADABLE[case]
    settings = private(sample_settings)
    child_runs(monkeypatch, code)
    with pytest.raises(NotFinished) as info:
        stewardship.validate_uploads(settings, [bad_upload(settings)])
    assert str(info.value) == f"「bad.csv」の検証を完了できませんでした（{reason}）。{UNCHANGED}"


def test_validate_uploads_relays_the_clis_own_refusal(sample_settings, private):
    settings = private(sample_settings)
    with pytest.raises(NotFinished) as info:
        stewardship.validate_uploads(settings, [bad_upload(settings)], profile="nowhere")
    message = str(info.value)
    assert message.startswith(
        "「bad.csv」の検証を完了できませんでした（エラー: プロファイル「nowhere」"
    )
    assert message.endswith(f"）。{UNCHANGED}")


def test_a_chatty_child_does_not_stall_the_validation(sample_settings, private, monkeypatch):
    settings = private(sample_settings, validate_timeout_s=30)
    child_runs(
        monkeypatch,
        "import json, sys\n"
        "for i in range(20000):\n    print('warning', i, 'x' * 60, file=sys.stderr)\n"
        "print(json.dumps([{'file': 'bad.csv', 'row': i, 'column': None, 'value': 'y' * 200000,"
        " 'reason': 'r'}]))\nraise SystemExit(1)\n",
    )  # far more than a pipe holds, on both streams
    [problem] = stewardship.validate_uploads(settings, [bad_upload(settings)])
    assert (problem.row, len(problem.value)) == (19999, 200000)


def test_preview_refused_by_validation_lists_the_problems_of_the_child(sample_settings, private):
    settings = private(sample_settings)
    folder = stewardship.session_folder(settings)
    candidate = stewardship.candidate_inputs(settings, folder, [bad_upload(settings)])
    with pytest.raises(ValidationFailed) as info:
        stewardship.preview(settings, folder, candidate)
    assert [(p.file, p.row, p.column, p.value) for p in info.value.problems] == [
        ("bad.csv", 4, "人口", "たくさん"),
        ("bad.csv", 6, "団体コード", "079999"),
        ("bad.csv", 8, "地域運営組織の有無", "たぶん"),
    ]
    assert str(info.value) == "3件の問題があります（bad.csv）"
    assert not (folder / "preview.duckdb").exists()


def test_preview_relays_a_known_error_of_the_child(sample_settings, private, tmp_path):
    settings = private(sample_settings)
    folder = stewardship.session_folder(settings)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EtlError) as info:
        stewardship.preview(settings, folder, empty)
    assert type(info.value) is EtlError and str(empty) in str(info.value)


def test_preview_past_the_time_limit_is_refused_and_leaves_no_preview_file(
    sample_settings, private, monkeypatch
):
    settings = private(sample_settings, validate_timeout_s=1)
    folder = stewardship.session_folder(settings)
    candidate = stewardship.candidate_inputs(settings, folder, [])
    target = folder / "preview.duckdb"
    child_runs(
        monkeypatch,
        f"import time\nopen({str(target)!r}, 'w').write('half a build')\ntime.sleep(60)",
        command="preview_command",
    )
    with pytest.raises(NotFinished) as info:
        stewardship.preview(settings, folder, candidate)
    assert str(info.value) == (
        f"公開した場合の変更の確認が制限時間（1秒）内に終わりませんでした。{UNCHANGED}"
    )
    assert files_in(folder) == ["candidate"]


def test_preview_under_too_small_a_memory_limit_is_refused_without_a_traceback(
    sample_settings, private
):
    settings = private(sample_settings, validate_max_mem_mb=150)
    folder = stewardship.session_folder(settings)
    candidate = stewardship.candidate_inputs(settings, folder, [])
    with pytest.raises(NotFinished) as info:
        stewardship.preview(settings, folder, candidate)
    message = str(info.value)
    assert message.startswith("公開した場合の変更の確認") and message.endswith(UNCHANGED)
    assert "Traceback" not in message
    assert files_in(folder) == ["candidate"]


# --- publishing --------------------------------------------------------------------------------


def hub_total(warehouse: Warehouse) -> int:
    return int(warehouse.query("select count(*) as n from hubs").iloc[0]["n"])


def candidate_with_extra_hub(settings) -> Path:
    folder = stewardship.session_folder(settings)
    upload = stewardship.save_upload(settings, folder, SURVEY_2024, survey_with_extra_hub())
    return stewardship.candidate_inputs(settings, folder, [upload])


def test_publish_candidate_publishes_and_later_candidates_start_from_it(published):
    settings = published
    first = layout.current_build_id(settings.warehouse_dir)
    candidate = candidate_with_extra_hub(settings)
    lines: list[str] = []
    build_id = stewardship.publish_candidate(settings, candidate, progress=lines.append)

    assert build_id != first
    assert layout.current_build_id(settings.warehouse_dir) == build_id
    assert [b.build_id for b in publish.list_builds(settings.warehouse_dir)] == [build_id, first]
    manifest = publish.list_builds(settings.warehouse_dir)[0].manifest
    snapshot = settings.warehouse_dir / "inputs" / build_id
    assert manifest["input_dir"] == str(snapshot)
    assert manifest["rows"] == EXTRA_HUB_ROWS
    assert files_in(snapshot) == SAMPLE_FILES
    assert (snapshot / SURVEY_2024).read_bytes() == survey_with_extra_hub()
    assert any(line.endswith("[5/9] 検証 fukushima_survey_r06_2024.csv") for line in lines), lines
    assert lines[-1].endswith("公開"), lines
    reader = Warehouse(settings.warehouse_dir)
    assert hub_total(reader) == 278
    history = stewardship.build_history(settings)
    assert history[["build_id", "files", "hubs", "is_current"]].values.tolist() == [
        [build_id, 9, 278, True],
        [first, 9, 277, False],
    ]

    # A new session's candidate starts from the published inputs: nothing changes.
    assert stewardship.published_inputs(settings) == snapshot
    folder = stewardship.session_folder(settings)
    again = stewardship.candidate_inputs(settings, folder, [])
    assert (again / SURVEY_2024).read_bytes() == survey_with_extra_hub()
    assert changes_of(stewardship.preview(settings, folder, again)) == no_changes()

    # After a rollback the candidates start from the rolled-back build's inputs.
    publish.rollback(settings.warehouse_dir, first)
    assert stewardship.published_inputs(settings) == settings.warehouse_dir / "inputs" / first
    after_rollback = stewardship.candidate_inputs(settings, folder, [])
    assert (after_rollback / SURVEY_2024).read_bytes() == (SAMPLE_DIR / SURVEY_2024).read_bytes()
    assert hub_total(reader) == 277
    reader.close()


def test_publish_candidate_refused_by_validation_changes_nothing(published):
    settings = published
    first = layout.current_build_id(settings.warehouse_dir)
    folder = stewardship.session_folder(settings)
    bad = stewardship.save_upload(settings, folder, SURVEY_2024, survey_with_bad_cells())
    candidate = stewardship.candidate_inputs(settings, folder, [bad])
    with pytest.raises(EtlError) as info:
        stewardship.publish_candidate(settings, candidate, wait_seconds=0)
    assert str(info.value).startswith("公開できませんでした。公開中のデータは変わっていません。\n")
    assert layout.current_build_id(settings.warehouse_dir) == first
    assert files_in(settings.warehouse_dir / "inputs") == [first]


def test_two_publishes_at_once_are_serialised(published):
    settings = published
    first = layout.current_build_id(settings.warehouse_dir)
    candidates = [candidate_with_extra_hub(settings) for _ in range(2)]
    progress: list[list[str]] = [[], []]
    results: list[str | BaseException | None] = [None, None]

    def run(number: int) -> None:
        try:
            results[number] = stewardship.publish_candidate(
                settings, candidates[number], progress=progress[number].append, wait_seconds=60
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the assertions below
            results[number] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    with publish.build_lock(settings.warehouse_dir):  # both children must wait for this lock
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(
            any(WAITING in line for line in lines) for lines in progress
        ):
            time.sleep(0.1)
        time.sleep(1.0)
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, str) for r in results), results
    assert [any(WAITING in line for line in lines) for lines in progress] == [True, True]
    builds = [b.build_id for b in publish.list_builds(settings.warehouse_dir)]
    assert len(builds) == 3 and builds[-1] == first
    assert sorted(results) == sorted(builds[:2])  # each call returns the build its child made
    assert layout.current_build_id(settings.warehouse_dir) == builds[0]
    for record in publish.list_builds(settings.warehouse_dir)[:2]:
        assert record.manifest["rows"] == EXTRA_HUB_ROWS
    reader = Warehouse(settings.warehouse_dir)
    counts = {
        t: int(reader.query(f"select count(*) as n from {t}").iloc[0]["n"]) for t in SAMPLE_ROWS
    }
    assert counts == EXTRA_HUB_ROWS
    reader.close()
    assert files_in(settings.warehouse_dir / "tmp") == []


def test_readers_during_a_publish_see_no_error_and_then_the_new_build(published):
    settings = published
    reader = Warehouse(settings.warehouse_dir)
    before = reader.version()
    candidate = candidate_with_extra_hub(settings)
    errors: list[BaseException] = []
    seen: list[set[int]] = [set() for _ in range(3)]
    stop = threading.Event()

    def keep_reading(number: int) -> None:
        while not stop.is_set():
            try:
                seen[number].add(hub_total(reader))
            except BaseException as exc:  # noqa: BLE001 - any error fails the test below
                errors.append(exc)
                return

    threads = [threading.Thread(target=keep_reading, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    while not all(seen) and not errors:
        time.sleep(0.01)
    build_id = stewardship.publish_candidate(settings, candidate)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not errors and not all(278 in s for s in seen):
        time.sleep(0.01)
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert seen == [{277, 278}] * 3
    assert (before, reader.version()) == (
        publish.list_builds(settings.warehouse_dir)[1].build_id,
        build_id,
    )
    assert hub_total(reader) == 278
    reader.close()


# --- the データ page's panel (AppTest) -------------------------------------------------------


@pytest.fixture
def steward_app(published, monkeypatch, tmp_path):
    """The データ page as a local steward, over a private warehouse and uploads folder."""
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(published.warehouse_dir))
    monkeypatch.setenv("KYOTEN_UPLOADS_DIR", str(published.uploads_dir))
    monkeypatch.setenv("KYOTEN_BOUNDARIES_DIR", str(tmp_path / "no-boundaries"))
    monkeypatch.setenv("KYOTEN_LOCAL_STEWARD", "1")
    # Under AppTest every run starts in Streamlit's legacy pages-folder mode, so the page's
    # one-off st.rerun() would fire on every run and swallow button clicks; a real server
    # leaves that mode on its first request.
    monkeypatch.setattr("dashboard.ui.state._leave_legacy_pages_mode", lambda: None)
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/data.py").run()
    assert at.title[0].value == "データ"
    return at


def test_panel_upload_preview_and_publish(steward_app, published):
    at = steward_app
    data = survey_with_extra_hub()
    at.file_uploader(key="uploads").set_value([(SURVEY_2024, data, "text/csv")]).run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["1ファイルを検証しました。問題はありません。"]
    at.button(key="preview").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    changes, kpi = at.dataframe[-2].value, at.dataframe[-1].value
    assert changes.values.tolist() == [
        ["KPI 時系列", 0, 2, 0],
        ["拠点", 1, 0, 0],
        ["補助金", 0, 0, 0],
        ["地区別の補助", 0, 0, 0],
        ["協同組合", 0, 0, 0],
        ["規則チェック", 0, 0, 0],
    ]
    assert kpi.values.tolist() == [
        ["07", "小さな拠点数", 2024, "拠点一覧", "59", "60"],
        ["07", "拠点内の地域運営組織数", 2024, "拠点一覧", "47", "48"],
    ]
    first = layout.current_build_id(published.warehouse_dir)
    at.button(key="publish").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    build_id = layout.current_build_id(published.warehouse_dir)
    assert build_id != first
    assert at.status[0].label == f"公開しました（版 {build_id}）"
    assert at.success[-1].value.startswith("公開しました。")
    assert (published.warehouse_dir / "inputs" / build_id / SURVEY_2024).read_bytes() == data
    history = [t.value for t in at.text]
    assert sum(f"版 {build_id}（公開中）" in line for line in history) == 1, history


def test_panel_lists_every_problem_of_a_bad_upload_and_offers_no_preview(steward_app):
    at = steward_app
    at.file_uploader(key="uploads").set_value([("bad.csv", survey_with_bad_cells(), "text/csv")])
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "3件の問題があります。直してからもう一度アップロードしてください（何も取り込んでいません）。"
    ]
    problems = at.dataframe[-1].value
    assert problems[["ファイル", "行", "列", "値"]].values.tolist() == [
        ["bad.csv", 4, "人口", "たくさん"],
        ["bad.csv", 6, "団体コード", "079999"],
        ["bad.csv", 8, "地域運営組織の有無", "たぶん"],
    ]
    assert "preview" not in [b.key for b in at.button]


def test_panel_refuses_a_disguised_file_with_a_message(steward_app):
    at = steward_app
    fake = ("list.xlsx", b"a,b\n1,2\n", "application/vnd.ms-excel")
    at.file_uploader(key="uploads").set_value([fake]).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["「list.xlsx」: xlsxファイルの中身ではありません"]
    assert "preview" not in [b.key for b in at.button]


def test_panel_rollback_makes_the_earlier_build_current_and_says_so(steward_app, published):
    first = layout.current_build_id(published.warehouse_dir)
    second = build(published, SAMPLE_DIR).build_id
    at = steward_app
    at.run()
    at.button(key=f"rollback_{first}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert layout.current_build_id(published.warehouse_dir) == first
    assert [b.key for b in at.button if b.label == "この版に戻す"] == [f"rollback_{second}"]
    assert [s.value for s in at.success] == [f"版 {first} に戻しました。"]


def test_panel_refuses_an_upload_whose_validation_runs_past_the_time_limit(
    steward_app, monkeypatch
):
    monkeypatch.setenv("KYOTEN_VALIDATE_TIMEOUT_S", "1")
    child_runs(monkeypatch, "import time\ntime.sleep(60)")
    at = steward_app
    at.file_uploader(key="uploads").set_value([(SURVEY_2024, survey_with_extra_hub(), "text/csv")])
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"「{SURVEY_2024}」の検証が制限時間（1秒）内に終わりませんでした。{UNCHANGED}"
    ]
    assert not at.success and "preview" not in [b.key for b in at.button]


def test_panel_keeps_two_uploads_whose_names_clean_alike_and_says_so(steward_app):
    at = steward_app
    files = [
        ("bad list.csv", survey_with_bad_cells(), "text/csv"),
        ("bad_list.csv", survey_with_bad_cells() + b"\n", "text/csv"),  # other bytes
    ]
    at.file_uploader(key="uploads").set_value(files).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [
        "「bad_list.csv」は、ほかのファイルと同じ名前になるため「bad_list_2.csv」として保存しました"
    ]
    problems = at.dataframe[-1].value
    assert sorted(set(problems["ファイル"])) == ["bad_list.csv", "bad_list_2.csv"]
    assert len(problems) == 6  # three in each: neither file overwrote the other


def test_panel_validates_the_uploads_once_across_page_runs(steward_app, monkeypatch):
    calls = []
    validate = stewardship.validate_uploads

    def counting(*args, **kwargs):
        calls.append(args[1])
        return validate(*args, **kwargs)

    monkeypatch.setattr(stewardship, "validate_uploads", counting)
    at = steward_app
    at.file_uploader(key="uploads").set_value([(SURVEY_2024, survey_with_extra_hub(), "text/csv")])
    at.run()
    at.button(key="preview").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.dataframe[-2].value.values.tolist()[1] == ["拠点", 1, 0, 0]
    assert len(calls) == 1
    # A different file under the same name is validated again.
    at.file_uploader(key="uploads").set_value([(SURVEY_2024, survey_with_bad_cells(), "text/csv")])
    at.run()
    assert len(calls) == 2 and at.error[0].value.startswith("3件の問題があります")
