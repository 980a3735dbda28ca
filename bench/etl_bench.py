"""`python -m bench etl`: build time and peak memory on the sample, a national-scale input and one
large grant file (`--only large` for that row alone)."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.national import LARGE_PREAMBLE_LINES, generate, generate_large_grants
from core.settings import PROJECT_DIR
from etl.cli import build_command


def timed_build(
    input_dir: Path, warehouse: Path, env: dict[str, str], profile: str | None
) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `python -m etl build` in its own process."""
    command = build_command(input_dir, warehouse=warehouse, profile=profile, quiet=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"build failed: {process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def measure(
    label: str,
    input_dir: Path,
    env: dict[str, str],
    runs: int,
    profile: str | None = None,
    extra: str = "",
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = [timed_build(input_dir, Path(tmp) / "wh", env, profile) for _ in range(runs)]
    times = [t for t, _ in results]
    peak = max(m for _, m in results)
    print(f"{label:<16} median {statistics.median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f}, "
          f"runs {runs})  peak RSS {peak:7.1f} MiB{extra}")  # fmt: skip


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _generated_env(env: dict[str, str], paths: dict[str, Path]) -> dict[str, str]:
    return env | {
        "KYOTEN_REFERENCE_DIR": str(paths["reference"]),
        "KYOTEN_PROFILES_DIR": str(paths["profiles"]),
    }


def measure_large(env: dict[str, str], runs: int) -> None:
    """One CSV of 300,000 grant rows (福島県's layout) alone in its input folder."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate_large_grants(Path(tmp))
        file = paths["file"]
        rows = _lines(file) - LARGE_PREAMBLE_LINES
        extra = f"  input {rows:,} rows, {file.stat().st_size / 1e6:.1f} MB ({file.name})"
        measure("large file", paths["input"], _generated_env(env, paths), runs, "p07", extra)


def run(args) -> None:
    env = dict(os.environ)
    print("python -m etl build, each run in a fresh process (wall time includes interpreter start)")
    if args.only == "large":
        measure_large(env, args.runs)
        print("target: large file < 1024 MiB peak")
        return
    measure("sample", PROJECT_DIR / "data" / "sample", env, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp))
        lines = sum(_lines(p) for p in paths["input"].glob("*.csv"))
        measure("national-scale", paths["input"], _generated_env(env, paths),
                max(1, args.runs // 2), profile="p07", extra=f"  input lines {lines:,}")  # fmt: skip
    measure_large(env, max(1, args.runs // 2))
    print("targets: sample < 5 s; national-scale < 20 s and < 1024 MiB; large file < 1024 MiB peak")
