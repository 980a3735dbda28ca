"""Warehouse layout and atomic publishing.

    <warehouse_dir>/CURRENT              the published build's file name (replaced atomically)
    <warehouse_dir>/builds/<id>.duckdb   published builds, never modified after publishing
    <warehouse_dir>/builds/<id>.json     their manifests (inputs, row counts, build time)
    <warehouse_dir>/tmp/                 builds in progress (a killed build leaves garbage here only)
    <warehouse_dir>/.lock                serialises builds between processes (flock)

Readers open `builds/<CURRENT>` read-only. A build writes under tmp/, moves the finished file into
builds/ and only then replaces CURRENT, so a reader sees either the old or the new build, whole.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.layout import POINTER, build_path, current_build_id
from etl.errors import EtlError, PublishBusy


@dataclass(frozen=True)
class BuildRecord:
    build_id: str
    path: Path
    manifest: dict

    @property
    def built_at(self) -> str:
        return self.manifest.get("built_at", "")


def new_build_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_layout(warehouse_dir: Path) -> None:
    try:
        (warehouse_dir / "builds").mkdir(parents=True, exist_ok=True)
        (warehouse_dir / "tmp").mkdir(exist_ok=True)
    except OSError as exc:
        raise EtlError(f"倉庫フォルダを作れません: {warehouse_dir} ({exc.strerror})") from exc


@contextlib.contextmanager
def build_lock(warehouse_dir: Path, wait_seconds: float = 0.0,
               on_wait: Callable[[str], None] = lambda _: None) -> Iterator[None]:  # fmt: skip
    """Hold the warehouse's build lock; PublishBusy if another build holds it past the wait."""
    _ensure_layout(warehouse_dir)
    handle = (warehouse_dir / ".lock").open("a+")
    deadline = time.monotonic() + wait_seconds
    told = False
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and wait_seconds > 0:
                    on_wait("別の公開処理が実行中です。終わるのを待っています…")
                    told = True
                if time.monotonic() >= deadline:
                    raise PublishBusy(
                        "別の取り込み（ビルド）が実行中です。終わってからやり直してください"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        handle.close()  # closing releases the flock; the kernel also releases it on SIGKILL


def clean_tmp(warehouse_dir: Path) -> None:
    """Remove what killed or failed builds left behind. Call only while holding the lock."""
    tmp = warehouse_dir / "tmp"
    for path in tmp.iterdir() if tmp.exists() else ():
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def tmp_path(warehouse_dir: Path, build_id: str) -> Path:
    return warehouse_dir / "tmp" / f"{build_id}.duckdb"


def _write_pointer(warehouse_dir: Path, build_id: str) -> None:
    staging = warehouse_dir / f".{POINTER}.{os.getpid()}"
    with staging.open("w", encoding="utf-8") as handle:
        handle.write(f"{build_id}.duckdb\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(staging, warehouse_dir / POINTER)
    _fsync_dir(warehouse_dir)


def publish(warehouse_dir: Path, built: Path, manifest: dict) -> Path:
    """Move a finished build into builds/ and make it current. Call while holding the lock."""
    build_id = built.stem
    builds = warehouse_dir / "builds"
    with built.open("rb") as handle:
        os.fsync(handle.fileno())
    manifest_tmp = built.with_suffix(".json")
    manifest_tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(manifest_tmp, builds / f"{build_id}.json")
    target = builds / f"{build_id}.duckdb"
    os.replace(built, target)
    _fsync_dir(builds)
    _write_pointer(warehouse_dir, build_id)
    return target


def list_builds(warehouse_dir: Path) -> list[BuildRecord]:
    """Published builds, newest first (a build whose manifest is missing is not listed)."""
    records = []
    for path in sorted((warehouse_dir / "builds").glob("*.duckdb"), reverse=True):
        manifest_path = path.with_suffix(".json")
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            records.append(BuildRecord(path.stem, path, manifest))
    return records


def prune_builds(warehouse_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` builds, never the current one. Call while holding the lock."""
    current = current_build_id(warehouse_dir)
    removed = []
    for record in list_builds(warehouse_dir)[max(keep, 1) :]:
        if record.build_id == current:
            continue
        record.path.unlink(missing_ok=True)
        record.path.with_suffix(".json").unlink(missing_ok=True)
        shutil.rmtree(warehouse_dir / "inputs" / record.build_id, ignore_errors=True)
        removed.append(record.build_id)
    return removed


def missing_marts(path: Path) -> list[str]:
    """The public marts of today's models that a build file lacks (a build made by an older
    version of the ETL): the dashboard reads every one of them."""
    expected = sorted(p.stem for p in (Path(__file__).parent / "sql" / "marts").glob("*.sql"))
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}  # fmt: skip
    finally:
        con.close()
    return [name for name in expected if name not in present]


def rollback(warehouse_dir: Path, build_id: str, wait_seconds: float = 0.0) -> None:
    """Make an earlier published build current again, if the dashboard can read it."""
    with build_lock(warehouse_dir, wait_seconds):
        path = build_path(warehouse_dir, build_id)
        if not path.exists():
            raise EtlError(f"ビルド {build_id} は残っていません")
        missing = missing_marts(path)
        if missing:
            raise EtlError(
                f"版 {build_id} は古い形式のため戻せません（公開テーブル {'、'.join(missing[:3])}"
                f"{' ほか' if len(missing) > 3 else ''}がありません）。その版の入力ファイルから作り直してください"
                "（python -m etl build --input …）。公開中のデータは変わっていません。"
            )
        _write_pointer(warehouse_dir, build_id)
