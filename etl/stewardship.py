"""Data stewardship: upload → validate → preview → publish, and rollback.

Write side only (no streamlit). Uploads go to a private folder per session with sanitised
names; the candidate input set is the published build's own inputs plus the uploads; a preview
builds the candidate into the private folder and compares it with the published warehouse;
publishing runs `python -m etl build` in a child process, so the server never holds a write
connection and a crash of either side leaves the previous build serving.

Validating uploads and building a preview also run in child processes (`python -m etl validate`,
`python -m etl preview`), with the time and memory limits of the settings: no upload can stall or
exhaust the web server, and a child that does not finish cleanly is a refusal, never a pass.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import queue
import re
import resource
import secrets
import shutil
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from core import layout
from core.settings import PROJECT_DIR, SETTINGS, Settings
from etl import publish
from etl.build import disk_message, remove_build_file
from etl.cli import build_command, preview_command, validate_command
from etl.errors import UNCHANGED, DataTestFailed, EtlError, Problem, ValidationFailed
from etl.readers import SUPPORTED_SUFFIXES, UnreadableFile, check_type

SAFE_NAME = re.compile(r"[^\w.\-ー・（）()]+")
# Public marts compared by a preview: each with the columns that identify a row.
MART_KEYS = {
    "kpi_series": ["pref_code", "indicator", "fiscal_year", "kind", "basis"],
    "hubs": ["pref_code", "fiscal_year", "hub_id"],
    "grants": ["pref_code", "fiscal_year", "municipality_code", "district_key", "program"],
    "district_budget": ["pref_code", "municipality_code", "district_key"],
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


# What a child that ran out of memory leaves on stderr: Python, DuckDB, glibc, OpenBLAS, the loader.
MEMORY_SIGNS = ("MemoryError", "Out of Memory", "bad_alloc", "bad allocation", "Cannot allocate memory",
                "failed to map segment", "Memory allocation", "pthread_create failed")  # fmt: skip


class UploadRefused(EtlError):
    """An uploaded file was refused before validation (size, type, name)."""


class NotFinished(EtlError):
    """A validation or preview child did not finish cleanly: time or memory limit, a crash, or
    output that cannot be read. Never a pass."""


def prune_sessions(settings: Settings, max_age_seconds: float = 24 * 3600) -> None:
    """Remove upload folders of sessions older than a day (they hold copies, never the only one)."""
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
        kinds = " / ".join(SUPPORTED_SUFFIXES)
        raise UploadRefused(f"ファイル名「{name}」には拡張子（{kinds}）が必要です")
    while (
        len(stem.encode("utf-8")) > 150
    ):  # file systems limit names in bytes (255), not characters
        stem = stem[:-1]
    return f"{stem}.{suffix.lower()}"


def distinct_name(stored: str, taken: Collection[str]) -> str:
    """`stored`, or `stem_2.suffix`, `stem_3.suffix`… when a file of the same batch has that name
    (compared without case, as some file systems do)."""
    used = {name.casefold() for name in taken}
    if stored.casefold() not in used:
        return stored
    stem, _, suffix = stored.rpartition(".")
    number = 2
    while f"{stem}_{number}.{suffix}".casefold() in used:
        number += 1
    return f"{stem}_{number}.{suffix}"


def save_upload(
    settings: Settings, folder: Path, name: str, data: bytes, taken: Collection[str] = ()
) -> Path:
    """Store one upload after checking its size, its name and its type by content.

    `taken` holds the names already stored from the same batch of uploads: a name that cleans to
    one of them is stored under a numbered name instead of overwriting that file. A file stored
    by an earlier batch of the session is replaced (each page run sends the whole batch again,
    and a corrected file comes back under its old name). A refused file leaves nothing behind,
    not even over an earlier file of the same name."""
    limit = settings.upload_max_mb * 1024 * 1024
    if len(data) > limit:
        raise UploadRefused(
            f"「{name}」は{len(data) / 1024 / 1024:.1f}MBです（上限{settings.upload_max_mb}MB）"
        )
    if not data:
        raise UploadRefused(f"「{name}」は空のファイルです")
    stored = distinct_name(safe_name(name), taken)
    incoming = folder / "incoming"
    target = incoming / stored
    # checked under a hidden name with the same suffix, then renamed into place
    partial = incoming / f".part-{secrets.token_hex(4)}-{stored}"
    try:
        incoming.mkdir(exist_ok=True, mode=0o700)
        partial.write_bytes(data)
        os.chmod(partial, 0o600)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise UploadRefused(disk_message(exc, incoming)) from exc
    try:
        check_type(partial)  # the suffix, compared without case, and the content that fits it
    except UnreadableFile as exc:
        partial.unlink(missing_ok=True)
        raise UploadRefused(f"「{name}」: {exc.problem.reason}") from exc
    try:
        os.replace(partial, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise UploadRefused(disk_message(exc, incoming)) from exc
    return target


@dataclass(frozen=True)
class SavedUploads:
    paths: list[Path]  # the stored files, in upload order
    refused: list[str]  # a message per refused file
    notes: list[str]  # a message per file stored under another name, or left out as a repeat


def save_uploads(
    settings: Settings, folder: Path, files: Iterable[tuple[str, bytes]]
) -> SavedUploads:
    """Store a batch of uploads (the uploader's whole list). Two whose cleaned names coincide are
    both kept, the later one under a numbered name; the same name with the same bytes is one file
    sent twice and is stored once."""
    paths: list[Path] = []
    refused: list[str] = []
    notes: list[str] = []
    digests: dict[str, str] = {}  # stored name → sha256 of its bytes
    for name, data in files:
        digest = hashlib.sha256(data).hexdigest()
        try:
            cleaned = safe_name(name)
            if digests.get(cleaned) == digest:
                notes.append(
                    f"「{name}」は同じ名前・同じ内容のファイルと重複しているため、1つだけ使います"
                )
                continue
            path = save_upload(settings, folder, name, data, taken=[p.name for p in paths])
        except UploadRefused as exc:
            refused.append(str(exc))
            continue
        if path.name != cleaned:
            notes.append(
                f"「{name}」は、ほかのファイルと同じ名前になるため「{path.name}」として保存しました"
            )
        digests[path.name] = digest
        paths.append(path)
    return SavedUploads(paths, refused, notes)


def published_inputs(settings: Settings) -> Path:
    """The input files of the published build: its snapshot, else the folder it was built from.

    Never silently something else: a candidate built from other files would replace the data."""
    build_id = layout.current_build_id(settings.warehouse_dir)
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


def _input_key(name: str) -> str:
    """The name an input has once stored as an upload (safe_name: suffix in lower case, odd
    characters replaced), so a re-uploaded `名簿 2024.CSV` replaces the published one."""
    try:
        return safe_name(name)
    except UploadRefused:
        return name


def candidate_inputs(
    settings: Settings, folder: Path, uploads: list[Path], removed: tuple[str, ...] = ()
) -> Path:
    """The published inputs plus the uploads (same name replaces), minus removed names.

    Names are compared as uploads are stored (see safe_name): a suffix in capitals is the same
    suffix, so `list.CSV` is kept as an input and replaced by an upload of `list.csv`."""
    candidate = folder / "candidate"
    shutil.rmtree(candidate, ignore_errors=True)
    candidate.mkdir(mode=0o700)
    replaced = {_input_key(path.name) for path in uploads}
    gone = {*removed, *(_input_key(name) for name in removed)}
    for path in sorted(published_inputs(settings).iterdir()):
        if not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        if path.name in gone or _input_key(path.name) in gone | replaced:
            continue
        shutil.copy2(path, candidate / path.name)
    for path in uploads:
        shutil.copy2(path, candidate / path.name)
    return candidate


# --- child processes with limits -----------------------------------------------------------------


@dataclass(frozen=True)
class _Finished:
    returncode: int
    stdout: str
    stderr: str


class _TimedOut(Exception):
    pass


def _child_env(settings: Settings) -> dict[str, str]:
    """The environment of a child: this process's, with every setting as the child must see it."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    for name, setting in SETTINGS.items():
        value = getattr(settings, name)
        env[setting.env] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return env


# The child caps its own memory and then becomes the command (exec keeps the limit): no code
# runs between fork and exec in the threaded web server (a preexec_fn could deadlock there).
_LIMITED_EXEC = (
    "import os, resource, sys\n"
    "kind, limit = getattr(resource, sys.argv[1]), int(sys.argv[2])\n"
    "resource.setrlimit(kind, (limit, limit))\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


def _limited(command: list[str], kind: int, megabytes: int) -> list[str]:
    """`command` run under a cap of one memory resource (RLIMIT_AS or RLIMIT_DATA)."""
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    name = "RLIMIT_AS" if kind == resource.RLIMIT_AS else "RLIMIT_DATA"
    return [sys.executable, "-c", _LIMITED_EXEC, name, str(limit), *command]


def _run_limited(
    settings: Settings, command: list[str], memory: int, progress: Callable[[str], None]
) -> _Finished:
    """Run `command` with the validation limits; each stderr line goes to `progress` (in this
    thread). Raises _TimedOut after killing the child when it runs past the time limit."""
    process = subprocess.Popen(  # our own interpreter and module, no shell
        _limited(command, memory, settings.validate_max_mem_mb),
        cwd=PROJECT_DIR,
        env=_child_env(settings),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
    out: list[str] = []

    def pump_stderr() -> None:
        for line in process.stderr:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    readers = [
        threading.Thread(target=pump_stderr, daemon=True),
        threading.Thread(target=lambda: out.append(process.stdout.read()), daemon=True),
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + settings.validate_timeout_s
    err: list[str] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _TimedOut
            try:
                line = lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            if line is None:
                break
            err.append(line)
            progress(line)
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            raise _TimedOut from None
        readers[1].join(timeout=max(deadline - time.monotonic(), 0.01))
        if readers[1].is_alive():
            raise _TimedOut
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for reader in readers:
            reader.join(timeout=5)
        for pipe in (process.stdout, process.stderr):
            with contextlib.suppress(OSError):
                pipe.close()
    return _Finished(process.returncode, "".join(out), "\n".join(err))


def _failure(settings: Settings, what: str, finished: _Finished | None) -> str:
    """Why a child did not finish cleanly, in words for the steward (never a traceback)."""
    if finished is None:
        return f"{what}が制限時間（{settings.validate_timeout_s}秒）内に終わりませんでした。{UNCHANGED}"
    if finished.returncode < 0 or any(sign in finished.stderr for sign in MEMORY_SIGNS):
        return f"{what}がメモリの上限（{settings.validate_max_mem_mb}MB）を超えたため中止しました。{UNCHANGED}"
    said = [line.strip() for line in finished.stderr.splitlines() if line.strip()]
    if said and "Traceback" not in finished.stderr:
        reason = said[0][:300]  # the CLI's own one-line message
    else:
        reason = f"終了コード {finished.returncode}"
    return f"{what}を完了できませんでした（{reason}）。{UNCHANGED}"


def _problem(item: object) -> Problem:
    """A Problem from the JSON of a child; keys this version does not know are ignored."""
    if not isinstance(item, dict):
        raise TypeError(item)
    known = {f.name for f in dataclasses.fields(Problem)}
    problem = Problem(**{k: v for k, v in item.items() if k in known})
    if not isinstance(problem.file, str) or not isinstance(problem.reason, str):
        raise TypeError(item)
    return problem


def _problems(stdout: str) -> list[Problem] | None:
    """The JSON list `python -m etl validate --format json` prints, or None when it is not one."""
    try:
        items = json.loads(stdout)
        if not isinstance(items, list):
            return None
        return [_problem(item) for item in items]
    except (ValueError, TypeError):  # JSONDecodeError is a ValueError; a missing key a TypeError
        return None


def validate_uploads(
    settings: Settings, uploads: list[Path], profile: str | None = None
) -> list[Problem]:
    """Every problem of every uploaded file: `python -m etl validate --format json` in a child
    process with the time (validate_timeout_s) and memory (validate_max_mem_mb, address space)
    limits. Raises NotFinished, naming the files, when the child does not finish cleanly."""
    if not uploads:
        return []
    what = "".join(f"「{path.name}」" for path in uploads) + "の検証"
    try:
        finished = _run_limited(
            settings, validate_command(uploads, profile), resource.RLIMIT_AS, lambda _: None
        )
    except _TimedOut:
        raise NotFinished(_failure(settings, what, None)) from None
    except (OSError, subprocess.SubprocessError) as exc:  # no process at all (fork, limits)
        raise NotFinished(f"{what}を始められませんでした（{exc}）。{UNCHANGED}") from exc
    problems = _problems(finished.stdout) if finished.returncode in (0, 1) else None
    if problems is None or (finished.returncode == 1 and not problems):
        raise NotFinished(_failure(settings, what, finished))
    return problems


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
    # Columns both builds have: a build made before a column was added is still comparable.
    values = [c for c in after.columns if c not in keys and c not in IGNORED and c in before]

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
    frame = con.execute(f"select * from {schema}.kpi_series where kind = 'actual'").df()  # noqa: S608
    if "unknown_rows" not in frame:  # a build made before counts kept their unknown rows
        frame["unknown_rows"] = pd.NA
    return frame[["pref_code", "indicator", "fiscal_year", "basis", "value", "unknown_rows"]]


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

    def differs(column: str) -> pd.Series:
        before_, after_ = (
            kpi[f"{column}_{side}"].astype("Float64") for side in ("before", "after")
        )
        if column == "unknown_rows":  # a build made before the column existed says nothing
            return (before_.notna() & after_.notna() & (before_ != after_)).fillna(False)
        return before_.fillna(-1) != after_.fillna(-1)

    moved = kpi[differs("value") | differs("unknown_rows")]
    kpi = moved.rename(
        columns={"value_before": "before", "value_after": "after",
                 "unknown_rows_before": "unknown_before", "unknown_rows_after": "unknown_after"}
    ).sort_values(keys)[[*keys, "before", "after", "unknown_before", "unknown_after"]]  # fmt: skip
    return pd.DataFrame(rows), kpi.reset_index(drop=True)


def _preview_outcome(stdout: str) -> dict | None:
    """The one JSON object `python -m etl preview` prints, or None when it is not one."""
    try:
        outcome = json.loads(stdout)
    except ValueError:
        return None
    return (
        outcome if isinstance(outcome, dict) and ("rows" in outcome or "error" in outcome) else None
    )


def preview(
    settings: Settings,
    folder: Path,
    candidate_dir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> Preview:
    """Build the candidate inputs into the private folder and compare with what is published.

    The build runs as `python -m etl preview` in a child process with the validation limits (time;
    memory as data size, since DuckDB reserves address space it never uses). Its refusals come
    back as they would in this process: ValidationFailed, DataTestFailed, EtlError; a child that
    does not finish cleanly is NotFinished, and leaves no preview file behind."""
    target = folder / "preview.duckdb"
    what = "公開した場合の変更の確認"
    try:
        finished = _run_limited(
            settings, preview_command(candidate_dir, target), resource.RLIMIT_DATA, progress
        )
    except _TimedOut:
        remove_build_file(target)
        raise NotFinished(_failure(settings, what, None)) from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise NotFinished(f"{what}を始められませんでした（{exc}）。{UNCHANGED}") from exc
    outcome = _preview_outcome(finished.stdout)
    if outcome is None or (finished.returncode == 0) != ("rows" in outcome):
        remove_build_file(target)
        raise NotFinished(_failure(settings, what, finished))
    if "problems" in outcome:
        try:
            problems = [_problem(item) for item in outcome["problems"]]
        except TypeError:
            raise NotFinished(_failure(settings, what, finished)) from None
        raise ValidationFailed(problems)
    if "failures" in outcome:
        raise DataTestFailed(outcome["failures"])
    if "error" in outcome:
        raise EtlError(str(outcome["error"]))
    changes, kpi = compare(layout.current_path(settings.warehouse_dir), target)
    return Preview(changes, kpi, target)


def _run_writer(settings: Settings, command: list[str], progress: Callable[[str], None],
                failure: str) -> str:  # fmt: skip
    """Run an ETL command that writes the warehouse in a child process (the web process never
    writes it); its stdout, or an EtlError with the last lines it wrote."""
    env = dict(os.environ, KYOTEN_WAREHOUSE_DIR=str(settings.warehouse_dir))
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    lines = []
    for line in process.stderr:
        lines.append(line.rstrip())
        progress(line.rstrip())
    out = process.stdout.read()
    if process.wait() != 0:
        detail = "\n".join(lines[-8:]) or out
        raise EtlError(f"{failure}。公開中のデータは変わっていません。\n{detail}")
    return out


def publish_candidate(settings: Settings, candidate_dir: Path, progress: Callable[[str], None] = lambda _: None,
                      wait_seconds: float = 60.0) -> str:  # fmt: skip
    """Build and publish the candidate inputs in a child process; return the new build id.

    Two publishes at once are serialised by the build lock: this one waits up to
    `wait_seconds` for the other, then fails with a clear message."""
    out = _run_writer(
        settings, build_command(candidate_dir, wait=wait_seconds), progress, "公開できませんでした"
    )
    # the id this child built, not whatever is current now
    match = re.search(r"公開しました: (\S+)", out)
    return match.group(1) if match else layout.current_build_id(settings.warehouse_dir) or ""


def rollback_build(settings: Settings, build_id: str, wait_seconds: float = 30.0) -> None:
    """Make a kept build current again, through the same child process as a publish."""
    command = [sys.executable, "-m", "etl", "rollback", build_id, "--wait", str(wait_seconds)]
    _run_writer(settings, command, lambda _: None, "以前の版に戻せませんでした")


def build_history(settings: Settings) -> pd.DataFrame:
    """Kept builds, newest first, with which one is published."""
    current = layout.current_build_id(settings.warehouse_dir)
    rows = []
    for record in publish.list_builds(settings.warehouse_dir):
        inputs = record.manifest.get("inputs", [])
        rows.append({"build_id": record.build_id, "built_at": record.built_at, "files": len(inputs),
                     "hubs": record.manifest.get("rows", {}).get("hubs"),
                     "grants": record.manifest.get("rows", {}).get("grants"),
                     "is_current": record.build_id == current,
                     "file_names": "、".join(i["file"] for i in inputs)})  # fmt: skip
    return pd.DataFrame(rows)
