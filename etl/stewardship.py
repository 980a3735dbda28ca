"""Data stewardship: upload → validate → preview → publish, and rollback.

Write side only (no streamlit). Uploads go to a private folder per session with sanitised
names; the candidate input set is the published build's own inputs plus the uploads; a preview
builds the candidate into the private folder and compares it with the published warehouse;
publishing runs `python -m etl build` in a child process, so the server never holds a write
connection and a crash of either side leaves the previous build serving.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from etl import publish
from etl.build import disk_message, make_context, preview_build, validate_files
from etl.cli import build_command
from etl.errors import EtlError, Problem
from etl.readers import SUPPORTED_SUFFIXES, UnreadableFile, sniff_type
from etl.settings import PROJECT_DIR, Settings

SAFE_NAME = re.compile(r"[^\w.\-ー・（）()]+")
# Public marts compared by a preview: each with the columns that identify a row.
MART_KEYS = {
    "kpi_series": ["pref_code", "indicator", "fiscal_year", "kind", "basis"],
    "hubs": ["pref_code", "fiscal_year", "hub_id"],
    "grants": ["pref_code", "fiscal_year", "municipality_code", "district_key", "program"],
    "grant_by_district": ["pref_code", "municipality_code", "district_key"],
    "cooperatives": ["pref_code", "fiscal_year", "cooperative_name"],
    "rule_findings": [
        "pref_code",
        "rule_id",
        "rule_order",
        "fiscal_year",
        "municipality_code",
        "district_key",
    ],
}
IGNORED = {
    "source_file",
    "source_row",
    "is_sample",
    "as_of",
}  # where a row came from is not a change


class UploadRefused(EtlError):
    """An uploaded file was refused before validation (size, type, name)."""


def prune_sessions(settings: Settings, max_age_seconds: float = 24 * 3600) -> None:
    """Remove upload folders of sessions older than a day (they hold copies, never the only one)."""
    import time

    if not settings.uploads_dir.is_dir():
        return
    for folder in settings.uploads_dir.iterdir():
        if folder.is_dir() and time.time() - folder.stat().st_mtime > max_age_seconds:
            shutil.rmtree(folder, ignore_errors=True)


def session_folder(settings: Settings, session: str | None = None) -> Path:
    """A private folder (0700) for one steward's session; a new random one when not given."""
    name = session or secrets.token_hex(8)
    if not re.fullmatch(r"[0-9a-f]{16}", name):
        raise UploadRefused("セッションの識別子が不正です")
    folder = settings.uploads_dir / name
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(settings.uploads_dir, 0o700)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise UploadRefused(disk_message(exc, settings.uploads_dir)) from exc
    return folder


def safe_name(name: str) -> str:
    """The file name to store: no folders, no traversal, no control or odd characters."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = SAFE_NAME.sub("_", base).strip("._ ")
    stem, dot, suffix = base.rpartition(".")
    if not dot or not stem:
        raise UploadRefused(f"ファイル名「{name}」には拡張子（.xlsx / .csv）が必要です")
    while (
        len(stem.encode("utf-8")) > 150
    ):  # file systems limit names in bytes (255), not characters
        stem = stem[:-1]
    return f"{stem}.{suffix.lower()}"


def save_upload(settings: Settings, folder: Path, name: str, data: bytes) -> Path:
    """Store one upload after checking its size, its name and its type by content."""
    limit = settings.upload_max_mb * 1024 * 1024
    if len(data) > limit:
        raise UploadRefused(
            f"「{name}」は{len(data) / 1024 / 1024:.1f}MBです（上限{settings.upload_max_mb}MB）"
        )
    if not data:
        raise UploadRefused(f"「{name}」は空のファイルです")
    stored = safe_name(name)
    if Path(stored).suffix not in SUPPORTED_SUFFIXES:
        raise UploadRefused(f"「{name}」は取り込めない形式です（.xlsx と .csv のみ）")
    incoming = folder / "incoming"
    target = incoming / stored
    try:
        incoming.mkdir(exist_ok=True, mode=0o700)
        target.write_bytes(data)
        os.chmod(target, 0o600)
    except OSError as exc:
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)
        raise UploadRefused(disk_message(exc, incoming)) from exc
    try:
        kind = sniff_type(target)
    except UnreadableFile as exc:
        target.unlink(missing_ok=True)
        raise UploadRefused(f"「{name}」: {exc.problem.reason}") from exc
    if f".{kind}" != target.suffix:
        target.unlink(missing_ok=True)
        raise UploadRefused(f"「{name}」は拡張子が{target.suffix}ですが中身は{kind}です")
    return target


def published_inputs(settings: Settings) -> Path:
    """The input files of the published build: its snapshot, else the folder it was built from.

    Never silently something else: a candidate built from other files would replace the data."""
    build_id = publish.current_build_id(settings.warehouse_dir)
    if build_id is None:
        raise EtlError(
            "公開されている版がありません。先に python -m etl build で倉庫を作ってください。"
        )
    snapshot = settings.warehouse_dir / "inputs" / build_id
    if snapshot.is_dir():
        return snapshot
    manifest = next(
        (r.manifest for r in publish.list_builds(settings.warehouse_dir) if r.build_id == build_id),
        {},
    )
    recorded = Path(manifest.get("input_dir", ""))
    if manifest.get("input_dir") and recorded.is_dir():
        return recorded
    raise EtlError(
        f"公開中の版（{build_id}）の入力ファイルが見つかりません。入力フォルダから python -m etl build で作り直してください。"
    )


def candidate_inputs(
    settings: Settings, folder: Path, uploads: list[Path], removed: tuple[str, ...] = ()
) -> Path:
    """The published inputs plus the uploads (same name replaces), minus removed names."""
    candidate = folder / "candidate"
    shutil.rmtree(candidate, ignore_errors=True)
    candidate.mkdir(mode=0o700)
    for path in sorted(published_inputs(settings).iterdir()):
        if path.is_file() and path.name not in removed and path.suffix in SUPPORTED_SUFFIXES:
            shutil.copy2(path, candidate / path.name)
    for path in uploads:
        shutil.copy2(path, candidate / path.name)
    return candidate


def validate_uploads(
    settings: Settings, uploads: list[Path], profile: str | None = None
) -> list[Problem]:
    """Every problem of every uploaded file (the same checks as `python -m etl validate`)."""
    parsed = validate_files(uploads, make_context(settings, profile))
    return [p for item in parsed for p in item.problems]


@dataclass(frozen=True)
class Preview:
    changes: pd.DataFrame  # mart, added, changed, removed
    kpi: pd.DataFrame  # pref_code, indicator, fiscal_year, basis, before, after
    candidate: Path


def _rows(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame:
    if table not in MART_KEYS:
        raise ValueError(table)
    return con.execute(f"select * from {schema}.{table}").df()  # noqa: S608 - allow-listed names


def _diff(before: pd.DataFrame, after: pd.DataFrame, keys: list[str]) -> tuple[int, int, int]:
    values = [c for c in after.columns if c not in keys and c not in IGNORED]

    def keyed(frame: pd.DataFrame) -> dict:
        return {
            tuple(r[: len(keys)]): tuple(r[len(keys) :])
            for r in frame[keys + values].astype(str).itertuples(index=False)
        }

    old, new = keyed(before), keyed(after)
    changed = sum(1 for k in old.keys() & new.keys() if old[k] != new[k])
    return len(new.keys() - old.keys()), changed, len(old.keys() - new.keys())


def _kpi(con: duckdb.DuckDBPyConnection, schema: str) -> pd.DataFrame:
    if schema not in ("cand", "cur"):  # the two attached databases: an allow-list, not input
        raise ValueError(schema)
    columns = "pref_code, indicator, fiscal_year, basis, value"
    return con.execute(f"select {columns} from {schema}.kpi_series where kind = 'actual'").df()  # noqa: S608


def compare(current: Path | None, candidate: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows added, changed and removed per public mart, and KPI values before → after."""
    con = duckdb.connect()
    try:
        con.execute("attach ? as cand (read_only)", [str(candidate)])
        if current is not None:
            con.execute("attach ? as cur (read_only)", [str(current)])
        rows = []
        for table, keys in MART_KEYS.items():
            after = _rows(con, "cand", table)
            before = _rows(con, "cur", table) if current is not None else after.iloc[0:0]
            added, changed, removed = _diff(before, after, keys)
            rows.append({"mart": table, "added": added, "changed": changed, "removed": removed})
        after = _kpi(con, "cand")
        before = _kpi(con, "cur") if current is not None else after.iloc[0:0]
    finally:
        con.close()
    keys = ["pref_code", "indicator", "fiscal_year", "basis"]
    kpi = before.merge(after, on=keys, how="outer", suffixes=("_before", "_after"))
    moved = kpi[
        kpi["value_before"].astype("Float64").fillna(-1)
        != kpi["value_after"].astype("Float64").fillna(-1)
    ]
    kpi = moved.rename(columns={"value_before": "before", "value_after": "after"}).sort_values(keys)
    return pd.DataFrame(rows), kpi.reset_index(drop=True)


def preview(
    settings: Settings,
    folder: Path,
    candidate_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> Preview:
    """Build the candidate inputs into the private folder and compare with what is published."""
    target = folder / "preview.duckdb"
    preview_build(settings, candidate_dir, target, progress=progress)
    changes, kpi = compare(publish.current_path(settings.warehouse_dir), target)
    return Preview(changes, kpi, target)


def publish_candidate(settings: Settings, candidate_dir: Path, progress: Callable[[str], None] = lambda _: None,
                      wait_seconds: float = 60.0) -> str:  # fmt: skip
    """Build and publish the candidate inputs in a child process; return the new build id.

    Two publishes at once are serialised by the build lock: this one waits up to
    `wait_seconds` for the other, then fails with a clear message."""
    env = dict(os.environ, KYOTEN_WAREHOUSE_DIR=str(settings.warehouse_dir))
    command = build_command(candidate_dir, wait=wait_seconds)
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    lines = []
    for line in process.stderr:
        lines.append(line.rstrip())
        progress(line.rstrip())
    out = process.stdout.read()
    if process.wait() != 0:
        detail = "\n".join(lines[-8:]) or out
        raise EtlError(f"公開できませんでした。公開中のデータは変わっていません。\n{detail}")
    # the id this child built, not whatever is current now
    match = re.search(r"公開しました: (\S+)", out)
    return match.group(1) if match else publish.current_build_id(settings.warehouse_dir) or ""


def build_history(settings: Settings) -> pd.DataFrame:
    """Kept builds, newest first, with which one is published."""
    current = publish.current_build_id(settings.warehouse_dir)
    rows = []
    for record in publish.list_builds(settings.warehouse_dir):
        inputs = record.manifest.get("inputs", [])
        rows.append({"build_id": record.build_id, "built_at": record.built_at, "files": len(inputs),
                     "hubs": record.manifest.get("rows", {}).get("hubs"),
                     "grants": record.manifest.get("rows", {}).get("grants"),
                     "is_current": record.build_id == current,
                     "file_names": "、".join(i["file"] for i in inputs)})  # fmt: skip
    return pd.DataFrame(rows)
