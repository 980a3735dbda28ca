"""Build a warehouse from a folder of input files and publish it atomically.

validate every file → (all clean?) → new DuckDB under tmp/ → landing → models → data tests →
quality report → move into builds/ → CURRENT. Any failure before the last step leaves the
published warehouse exactly as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import gc
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from core.settings import Settings
from etl import publish, warehouse
from etl.checks import OUTPUT_COLUMNS, Context, ParsedFile, parse_file
from etl.crossfile import check_across_files
from etl.errors import DataTestFailed, EtlError, ValidationFailed
from etl.profiles import load_profiles
from etl.readers import SUPPORTED_SUFFIXES, scan_input_folder
from etl.reference import load_reference

LANDING_TABLE = {
    "survey": "raw_survey",
    "grants": "raw_grants",
    "cooperatives": "raw_cooperatives",
    "published_counts": "raw_published",
}
SAMPLE_MANIFEST = "manifest.json"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    build_id: str
    path: Path
    files: int
    rows: dict[str, int]
    warnings: int
    skipped: tuple[tuple[str, str], ...] = ()  # entries of the input folder that are not data


def make_context(settings: Settings, profile: str | None = None) -> Context:
    profiles = load_profiles(settings.profiles_dir)
    key = profile or settings.default_profile
    if key not in profiles:
        raise EtlError(f"プロファイル「{key}」がありません（{', '.join(profiles)}）")
    max_bytes = settings.input_max_mb * 1024 * 1024  # MB as the upload limit counts it
    return Context(load_reference(settings.reference_dir), profiles, key, input_max_bytes=max_bytes)


def validate_files(
    paths: list[Path], ctx: Context, progress: Progress = lambda _: None
) -> list[ParsedFile]:
    """Parse and check every file (one ParsedFile per table of a file), then the files against
    each other (the same file twice, the same rows in two files); the caller decides what to do
    with the problems."""
    parsed = []
    for number, path in enumerate(paths, 1):
        progress(f"[{number}/{len(paths)}] 検証 {path.name}")
        parsed.extend(parse_file(path, ctx))
    check_across_files(parsed)
    return parsed


def sample_hashes(settings: Settings) -> set[str]:
    """sha256 of every file the sample generator wrote: such a file is labelled as sample data."""
    manifest = settings.sample_dir / SAMPLE_MANIFEST
    if not manifest.exists():
        return set()
    return set(json.loads(manifest.read_text(encoding="utf-8"))["files"].values())


def _load_inputs(con: duckdb.DuckDBPyConnection, parsed: list[ParsedFile], samples: set[str],
                 skipped: list[tuple[str, str]]) -> None:  # fmt: skip
    files, warnings = [], []
    for item in parsed:
        item.rows_loaded = _insert_records(con, item)
        files.append({
            "file": item.name, "sha256": item.sha256, "kind": item.kind, "rows": item.rows_loaded,
            "dropped_rows": len(item.dropped_rows), "encoding": item.encoding, "sheet": item.sheet,
            "header_row": item.header_row, "is_sample": item.sha256 in samples, "status": "loaded",
            "note": "。".join(item.notes) or None,
        })  # fmt: skip
        warnings += [{"file": w.file + (f"［{w.sheet}］" if w.sheet else ""), "row": w.row, "column": w.column,
                      "value": w.value, "message": w.reason} for w in item.warnings]  # fmt: skip
    entries = _skipped_sheets(parsed) + [(name, None, reason) for name, reason in skipped]
    for name, sheet, reason in entries:
        files.append({"file": name, "sha256": "", "kind": None, "rows": 0, "dropped_rows": 0,
                      "encoding": None, "sheet": sheet, "header_row": None, "is_sample": False,
                      "status": "skipped", "note": reason})  # fmt: skip
    warehouse.insert_rows(con, "load_files", files)
    warehouse.insert_rows(
        con, "parse_warnings", warnings, ["file", "row", "column", "value", "message"]
    )
    gc.collect()


LOAD_CHUNK_ROWS = 50_000


def _insert_records(con: duckdb.DuckDBPyConnection, item: ParsedFile) -> int:
    """Insert a table's records into its landing table a chunk at a time, letting each chunk's
    Python records go once DuckDB holds them (a large input is never held as records and as a
    frame at once, nor beside DuckDB's working memory when the models run). The row count."""
    records, columns = item.records, OUTPUT_COLUMNS[item.kind]
    extra = ("priority",) if item.kind == "published_counts" else ()
    for start in range(0, len(records), LOAD_CHUNK_ROWS):
        chunk = records[start : start + LOAD_CHUNK_ROWS]
        if item.kind == "published_counts":  # an input's counts rank below the reference's
            chunk = [record | {"priority": 0} for record in chunk]
        warehouse.insert_rows(con, LANDING_TABLE[item.kind], chunk, [*columns, *extra])
        records[start : start + LOAD_CHUNK_ROWS] = [None] * len(chunk)
    item.records = []
    return len(records)


def _skipped_sheets(parsed: list[ParsedFile]) -> list[tuple[str, str | None, str]]:
    """(file, sheet, why) of the sheets skipped in the workbooks read (hidden, cover sheets)."""
    out: list[tuple[str, str | None, str]] = []
    for item in parsed:
        for sheet, reason in item.skipped_sheets:
            if (item.name, sheet, reason) not in out:
                out.append((item.name, sheet, reason))
    return out


def _write_build(target: Path, prepared: Prepared, build_id: str, built_at: dt.datetime,
                 samples: set[str], progress: Progress) -> dict[str, int]:  # fmt: skip
    meta = {"build_id": build_id, "built_at": built_at.replace(tzinfo=None), "input_dir": str(prepared.input_dir),
            "default_profile": prepared.ctx.default_profile}  # fmt: skip
    con = warehouse.connect_for_build(target)
    try:
        warehouse.create_landing(con)
        warehouse.insert_rows(con, "build_meta", [meta])
        warehouse.load_reference(con, prepared.ctx.reference, prepared.ctx.profiles)
        _load_inputs(con, prepared.parsed, samples, prepared.skipped)
        warehouse.run_models(con, progress)
        progress("データテスト")
        failures = warehouse.run_data_tests(con)
        if failures:
            raise DataTestFailed(failures)
        warehouse.build_quality_report(con)
        rows = {
            table: con.execute(f"select count(*) from main.{table}").fetchone()[0]  # noqa: S608
            for table in (
                "kpi_series",
                "hubs",
                "grants",
                "district_budget",
                "cooperatives",
                "quality_report",
            )
        }
        con.execute("checkpoint")
        return rows
    finally:
        con.close()
        shutil.rmtree(target.parent / f"{target.stem}.spill", ignore_errors=True)


@dataclass(frozen=True)
class Prepared:
    input_dir: Path
    ctx: Context
    parsed: list[ParsedFile]
    paths: list[Path]
    skipped: list[tuple[str, str]]  # folder entries that are clearly not data, with the reason


def _prepare(settings: Settings, input_dir: Path | None, profile: str | None,
             progress: Progress) -> Prepared:  # fmt: skip
    """Validate every input file; ValidationFailed lists every problem of every file.

    Every file of the folder is read or refused; only entries that are clearly not data
    (README, .DS_Store, Excel's ~$ lock files) are skipped, and they are listed."""
    input_dir = input_dir or settings.sample_dir
    if not input_dir.is_dir():
        raise EtlError(f"入力フォルダがありません: {input_dir}")
    ctx = make_context(settings, profile)
    paths, skipped = scan_input_folder(input_dir)
    for name, reason in skipped:
        progress(f"読み飛ばし {name}（{reason}）")
    if not paths:
        raise EtlError(f"入力ファイル（{' / '.join(SUPPORTED_SUFFIXES)}）がありません: {input_dir}")
    parsed = validate_files(paths, ctx, progress)
    problems = [p for item in parsed for p in item.problems]
    if problems:
        raise ValidationFailed(problems)
    return Prepared(input_dir, ctx, parsed, paths, skipped)


def _manifest(build_id: str, built_at: dt.datetime, input_dir: Path, parsed: list[ParsedFile],
              samples: set[str], rows: dict[str, int]) -> dict:  # fmt: skip
    inputs = [{"file": p.name, "sha256": p.sha256, "kind": p.kind, "rows": p.rows_loaded,
               "sheet": p.sheet, "is_sample": p.sha256 in samples} for p in parsed]  # fmt: skip
    return {"build_id": build_id, "built_at": built_at.isoformat(timespec="seconds"), "input_dir": str(input_dir),
            "inputs": inputs, "rows": rows}  # fmt: skip


@contextlib.contextmanager
def disk_errors(where: Path):
    """Disk trouble (full, read-only, no permission) as a clear error naming the folder."""
    try:
        yield
    except OSError as exc:
        raise EtlError(disk_message(exc, where)) from exc
    except duckdb.Error as exc:  # DuckDB reports a full disk as IO, transaction or fatal errors
        text = str(exc)
        if (
            isinstance(exc, duckdb.IOException | duckdb.FatalException)
            or "No space left" in text
            or "Read-only" in text
        ):
            code = (
                errno.ENOSPC
                if "No space left" in text
                else errno.EROFS
                if "Read-only" in text
                else errno.EIO
            )
            raise EtlError(disk_message(OSError(code, text), where)) from exc
        raise


def disk_message(exc: OSError, where: Path) -> str:
    text = str(exc)
    if exc.errno == errno.ENOSPC or "No space left" in text:
        reason = "ディスクの空きがありません"
    elif exc.errno == errno.EROFS or "Read-only file system" in text:
        reason = "読み取り専用のため書き込めません"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        reason = "書き込みの権限がありません"
    else:
        reason = f"書き込みに失敗しました（{exc.strerror or text}）"
    return f"{reason}: {where}。公開中のデータは変わっていません。"


def remove_build_file(target: Path) -> None:
    """Remove an unfinished build and its write-ahead log (best effort: the disk may be full)."""
    for path in (target, Path(f"{target}.wal")):
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def snapshot_inputs(warehouse_dir: Path, build_id: str, paths: list[Path]) -> Path:
    """Keep the exact input files of a build beside it: uploads and rollbacks start from them."""
    folder = warehouse_dir / "inputs" / build_id
    folder.mkdir(parents=True, exist_ok=True)
    for path in paths:
        shutil.copy2(path, folder / path.name)
    return folder


def build(settings: Settings, input_dir: Path | None = None, profile: str | None = None,
          progress: Progress = lambda _: None, lock_wait_seconds: float = 0.0) -> BuildResult:  # fmt: skip
    """Validate every input file, build a new warehouse, test it and publish it."""
    prepared = _prepare(settings, input_dir, profile, progress)
    samples = sample_hashes(settings)
    lock = publish.build_lock(settings.warehouse_dir, lock_wait_seconds, on_wait=progress)
    with disk_errors(settings.warehouse_dir), lock:
        publish.clean_tmp(settings.warehouse_dir)
        build_id = publish.new_build_id()
        built_at = dt.datetime.now(dt.UTC)
        target = publish.tmp_path(settings.warehouse_dir, build_id)
        try:
            rows = _write_build(target, prepared, build_id, built_at, samples, progress)
            snapshot = snapshot_inputs(settings.warehouse_dir, build_id, prepared.paths)
        except BaseException:
            remove_build_file(target)  # a failed build leaves nothing behind
            shutil.rmtree(settings.warehouse_dir / "inputs" / build_id, ignore_errors=True)
            raise
        progress("公開")
        manifest = _manifest(build_id, built_at, snapshot, prepared.parsed, samples, rows)
        path = publish.publish(settings.warehouse_dir, target, manifest)
        publish.prune_builds(settings.warehouse_dir, settings.keep_builds)
    warnings = sum(len(p.warnings) for p in prepared.parsed)
    return BuildResult(build_id, path, len(prepared.paths), rows, warnings, tuple(prepared.skipped))


def preview_build(settings: Settings, input_dir: Path, target: Path, profile: str | None = None,
                  progress: Progress = lambda _: None) -> dict[str, int]:  # fmt: skip
    """Build a candidate warehouse into `target` without publishing it (for a preview)."""
    prepared = _prepare(settings, input_dir, profile, progress)
    target.unlink(missing_ok=True)
    with disk_errors(target.parent):
        try:
            return _write_build(target, prepared, "preview", dt.datetime.now(dt.UTC),
                                sample_hashes(settings), progress)  # fmt: skip
        except BaseException:
            remove_build_file(target)
            raise
