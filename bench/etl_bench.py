"""`python -m bench etl`: build time and peak memory on the sample and a national-scale input."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.national import generate
from etl.cli import build_command
from etl.settings import PROJECT_DIR


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
    label: str, input_dir: Path, env: dict[str, str], runs: int, profile: str | None = None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = [timed_build(input_dir, Path(tmp) / "wh", env, profile) for _ in range(runs)]
    times = [t for t, _ in results]
    peak = max(m for _, m in results)
    rows = (
        sum(
            1
            for p in input_dir.glob("*.csv")
            for _ in p.open(encoding="utf-8-sig", errors="ignore")
        )
        if "national" in label
        else None
    )
    extra = f"  input lines {rows:,}" if rows else ""
    print(f"{label:<16} median {statistics.median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f}, "
          f"runs {runs})  peak RSS {peak:7.1f} MiB{extra}")  # fmt: skip


def run(args) -> None:
    env = dict(os.environ)
    print("python -m etl build, each run in a fresh process (wall time includes interpreter start)")
    measure("sample", PROJECT_DIR / "data" / "sample", env, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate(Path(tmp))
        national_env = env | {
            "KYOTEN_REFERENCE_DIR": str(paths["reference"]),
            "KYOTEN_PROFILES_DIR": str(paths["profiles"]),
        }
        measure(
            "national-scale", paths["input"], national_env, max(1, args.runs // 2), profile="p07"
        )
    print("targets: sample < 5 s; national-scale < 20 s and < 1024 MiB")
