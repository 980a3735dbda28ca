"""Disk faults on real file systems: a full disk and a read-only one, for builds and uploads.

Each test mounts a small tmpfs (root only; skipped with the reason when mounting is refused) and
always unmounts it afterwards.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from core import layout
from core.settings import PROJECT_DIR
from dashboard.db import Warehouse
from etl import stewardship
from etl.build import build
from etl.errors import EtlError
from etl.stewardship import UploadRefused
from tests.conftest import SAMPLE_DIR, settings_for

FULL = "ディスクの空きがありません"
READ_ONLY = "読み取り専用のため書き込めません"
UNCHANGED = "公開中のデータは変わっていません"
PAGE = 4096


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def fill(path: Path, leave: int) -> None:
    """Fill the file system of `path` with one file until only `leave` bytes are free."""
    with (path / "filler").open("wb") as handle:
        if leave == 0:
            try:
                while True:
                    handle.write(b"\1" * (1 << 20))
                    handle.flush()
            except OSError:
                pass
        else:
            handle.write(b"\1" * (free_bytes(path) - leave))
    assert abs(free_bytes(path) - leave) <= 2 * PAGE, free_bytes(path)


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, check=False)


@pytest.fixture
def tmpfs(tmp_path):
    """mount(size_bytes) → a fresh tmpfs; remount_read_only(path). Unmounted at teardown."""
    mounted: list[Path] = []

    def mount(size: int) -> Path:
        point = tmp_path / f"tmpfs{len(mounted)}"
        point.mkdir()
        done = _mount("-t", "tmpfs", "-o", f"size={size // 1024}k", "tmpfs", str(point))
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(point)
        return point

    def remount_read_only(point: Path) -> None:
        done = _mount("-o", "remount,ro", str(point))
        assert done.returncode == 0, done.stderr

    mount.remount_read_only = remount_read_only
    yield mount
    for point in reversed(mounted):
        if subprocess.run(["umount", str(point)], capture_output=True, check=False).returncode:
            subprocess.run(["umount", "-l", str(point)], check=False)


@pytest.fixture(scope="module")
def build_bytes(tmp_path_factory) -> int:
    """How much one sample build takes: its DuckDB file, manifest and input snapshot."""
    settings = settings_for(tmp_path_factory.mktemp("measure"))
    result = build(settings, SAMPLE_DIR)
    files = [result.path, result.path.with_suffix(".json")]
    files += (settings.warehouse_dir / "inputs" / result.build_id).iterdir()
    return sum(-(-f.stat().st_size // PAGE) * PAGE for f in files)


def assert_first_build_still_serves(settings, first: str) -> None:
    assert layout.current_build_id(settings.warehouse_dir) == first
    path = settings.warehouse_dir / "builds" / f"{first}.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select count(*) from hubs").fetchone()[0] == 277
    reader = Warehouse(settings.warehouse_dir)
    assert int(reader.query("select count(*) as n from hubs").iloc[0]["n"]) == 277
    reader.close()


@pytest.mark.parametrize(
    "leave",
    [0, 64 * 1024, 1024 * 1024, None],
    ids=["full", "64KiB-free", "1MiB-free", "half-a-build-free"],
)
def test_build_on_a_full_disk_fails_clearly_and_keeps_the_published_build(
    tmpfs, build_bytes, leave
):
    root = tmpfs(2 * build_bytes)  # room for one build and most of a second
    settings = settings_for(root)
    first = build(settings, SAMPLE_DIR).build_id
    fill(root, build_bytes // 2 // PAGE * PAGE if leave is None else leave)
    with pytest.raises(EtlError) as info:
        build(settings, SAMPLE_DIR)
    assert FULL in str(info.value) and UNCHANGED in str(info.value), repr(info.value)
    assert_first_build_still_serves(settings, first)
    assert sorted(p.name for p in (settings.warehouse_dir / "tmp").iterdir()) == []
    assert [p.name for p in (settings.warehouse_dir / "inputs").iterdir()] == [first]
    assert sorted(p.name for p in (settings.warehouse_dir / "builds").iterdir()) == [
        f"{first}.duckdb",
        f"{first}.json",
    ]


def test_build_on_a_read_only_disk_fails_clearly_and_the_published_build_still_reads(
    tmpfs, build_bytes
):
    root = tmpfs(2 * build_bytes)
    settings = settings_for(root)
    first = build(settings, SAMPLE_DIR).build_id
    tmpfs.remount_read_only(root)
    with pytest.raises(EtlError) as info:
        build(settings, SAMPLE_DIR)
    assert str(info.value) == f"{READ_ONLY}: {settings.warehouse_dir}。{UNCHANGED}。"
    assert_first_build_still_serves(settings, first)


@pytest.mark.parametrize("leave", [0, 1024 * 1024], ids=["full", "1MiB-free"])
def test_preview_on_a_full_uploads_disk_fails_clearly(tmpfs, sample_settings, leave):
    root = tmpfs(8 * 1024 * 1024)
    settings = dataclasses.replace(sample_settings, uploads_dir=root / "uploads")
    folder = stewardship.session_folder(settings)
    candidate = stewardship.candidate_inputs(settings, folder, [])
    fill(root, leave)
    with pytest.raises(EtlError) as info:
        stewardship.preview(settings, folder, candidate)
    assert str(info.value) == f"{FULL}: {folder}。{UNCHANGED}。", repr(info.value)
    assert sorted(p.name for p in folder.iterdir()) == ["candidate"]  # no half-written preview


# --- uploads ---------------------------------------------------------------------------------


@pytest.fixture
def upload_root(tmpfs, fresh_settings):
    root = tmpfs(1024 * 1024)
    settings = dataclasses.replace(fresh_settings, uploads_dir=root / "uploads")
    return root, settings, stewardship.session_folder(settings)


SURVEY = (SAMPLE_DIR / "fukushima_survey_r06_2024.csv").read_bytes()  # 17 KB


@pytest.mark.parametrize("leave", [0, 2 * PAGE], ids=["full", "less-than-the-file"])
def test_upload_to_a_full_disk_is_refused_clearly(upload_root, leave):
    root, settings, folder = upload_root
    (folder / "incoming").mkdir()
    assert len(SURVEY) > leave
    fill(root, leave)
    with pytest.raises(UploadRefused) as info:
        stewardship.save_upload(settings, folder, "list.csv", SURVEY)
    assert str(info.value) == f"{FULL}: {folder / 'incoming'}。{UNCHANGED}。"
    assert list((folder / "incoming").iterdir()) == []  # no partial file


@pytest.mark.parametrize(
    "earlier_upload", [False, True], ids=["first-upload", "after-an-earlier-upload"]
)
def test_upload_to_a_read_only_disk_is_refused_clearly(upload_root, tmpfs, earlier_upload):
    root, settings, folder = upload_root
    if earlier_upload:  # the session's incoming/ folder exists already
        stewardship.save_upload(settings, folder, "earlier.csv", SURVEY)
    tmpfs.remount_read_only(root)
    with pytest.raises(UploadRefused) as info:
        stewardship.save_upload(settings, folder, "list.csv", SURVEY)
    assert str(info.value).startswith(f"{READ_ONLY}: {folder / 'incoming'}。")


@pytest.mark.parametrize("existing", [True, False], ids=["existing-session", "new-session"])
def test_session_folder_on_a_read_only_disk_is_refused_clearly(upload_root, tmpfs, existing):
    root, settings, folder = upload_root
    tmpfs.remount_read_only(root)
    with pytest.raises(UploadRefused) as info:
        stewardship.session_folder(settings, folder.name if existing else None)
    assert READ_ONLY in str(info.value)


def test_data_page_with_a_read_only_uploads_folder_still_runs(
    upload_root, tmpfs, sample_settings, monkeypatch
):
    root, settings, _ = upload_root
    tmpfs.remount_read_only(root)
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(sample_settings.warehouse_dir))
    monkeypatch.setenv("KYOTEN_UPLOADS_DIR", str(settings.uploads_dir))
    monkeypatch.setenv("KYOTEN_BOUNDARIES_DIR", str(root / "no-boundaries"))
    monkeypatch.setenv("KYOTEN_LOCAL_STEWARD", "1")
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "データ"
