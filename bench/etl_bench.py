"""`python -m bench etl`: the national-scale build beside two references on the same input, in one
interleaved run, and how the build grows with the grant file.

- project: `python -m etl build` (every check, the models, the data tests, the publish);
- naive: pandas `read_csv` of every file, `concat` per kind, one DuckDB table each;
- floor: DuckDB `read_csv_auto` of every file into tables (no checks at all);
- floor + tables: the floor, then a copy of every table the project's build of the same run
  holds beyond its landing tables (its staging models, marts, quality report). No build that
  publishes those tables can take less: it shows how much of the floor's multiple is the output
  alone, before any check or model is computed.

Each run is its own process (wall time includes interpreter start-up; peak RSS from wait4). The
three are interleaved (project, naive, floor, project, …) so that a busy machine slows all alike.
`--only large` times one 300,000-row grant file alone; `--only sample` the embedded sample (a
prefecture's size, where fixed costs such as imports weigh most) beside Python's start-up."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.national import GRANT_ROWS, LARGE_PREAMBLE_LINES, generate, generate_large_grants
from core.settings import PROJECT_DIR, load_settings
from etl.cli import build_command

NAIVE = """
import sys, pathlib, pandas as pd, duckdb
folder = pathlib.Path(sys.argv[1])
frames = {}
for path in sorted(folder.glob("*.csv")):
    kind = "grants" if path.name.startswith("grants") else "survey"
    frames.setdefault(kind, []).append(pd.read_csv(path, dtype=str))
con = duckdb.connect(sys.argv[2])
for kind, parts in frames.items():
    frame = pd.concat(parts, ignore_index=True)
    con.execute(f"create table {kind} as select * from frame")
con.close()
"""
FLOOR = """
import sys, pathlib, duckdb
folder = pathlib.Path(sys.argv[1])
con = duckdb.connect(sys.argv[2])
grants = [str(p) for p in sorted(folder.glob("grants*.csv"))]
surveys = [str(p) for p in sorted(folder.glob("survey*.csv"))]
con.execute("create table grants as select * from read_csv_auto(?, all_varchar = true)", [grants])
con.execute("create table survey as select * from read_csv_auto(?, all_varchar = true, union_by_name = true)", [surveys])
con.close()
"""
# The floor, then a copy of what the build wrote beyond its landing tables (raw_*, which the
# floor's own tables stand for): the least time in which any build can produce those tables.
WRITE_TABLES = FLOOR.replace(
    "con.close()",
    """
con.execute("attach ? as build (read_only)", [sys.argv[3]])
tables = con.execute(
    "select schema_name, table_name from duckdb_tables() where database_name = 'build' "
    "and not (schema_name = 'staging' and starts_with(table_name, 'raw_')) order by all"
).fetchall()
for schema, name in tables:  # beside the floor's own tables (main.grants is both)
    con.execute(f'create schema if not exists "built_{schema}"')
    con.execute(f'create table "built_{schema}"."{name}" as from build."{schema}"."{name}"')
con.close()
""",
)


def _build_file(warehouse: Path) -> str:
    """The one build a run of the project wrote (its warehouse folder holds no other)."""
    (path,) = (warehouse / "builds").glob("*.duckdb")
    return str(path)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one command in its own process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[:4]} failed: {process.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def _env(paths: dict[str, Path]) -> dict[str, str]:
    return dict(os.environ) | {
        "KYOTEN_REFERENCE_DIR": str(paths["reference"]),
        "KYOTEN_PROFILES_DIR": str(paths["profiles"]),
    }


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def side_by_side(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = generate(root / "national")
        env, inputs = _env(paths), paths["input"]
        grant_rows = _lines(inputs / "grants.csv") - 1
        hub_rows = sum(_lines(p) - 1 for p in inputs.glob("survey_*.csv"))
        commands = {
            "project": lambda n: build_command(inputs, warehouse=root / f"wh{n}", profile="p07", quiet=True),
            "naive": lambda n: [sys.executable, "-c", NAIVE, str(inputs), str(root / f"naive{n}.duckdb")],
            "floor": lambda n: [sys.executable, "-c", FLOOR, str(inputs), str(root / f"floor{n}.duckdb")],
            "tables": lambda n: [sys.executable, "-c", WRITE_TABLES, str(inputs), str(root / f"tables{n}.duckdb"),
                                 _build_file(root / f"wh{n}")],
        }  # fmt: skip
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for run in range(runs):
            for name, command in commands.items():
                results[name].append(timed(command(run), env))
    medians = {name: (statistics.median(t for t, _ in rows), max(m for _, m in rows))
               for name, rows in results.items()}  # fmt: skip
    floor_t, floor_m = medians["floor"]
    naive_t, _ = medians["naive"]
    print(f"national-scale input: {grant_rows:,} grant rows, {hub_rows:,} hub rows "
          f"(interleaved, median of {runs} runs, each a fresh process)")  # fmt: skip
    print(f"  {'':<28} {'time (s)':>9} {'peak RSS (MiB)':>15} {'× floor':>8} {'× naive':>8}")
    labels = {"project": "project (python -m etl build)", "naive": "naive (pandas + DuckDB)",
              "floor": "floor (DuckDB read_csv)", "tables": "floor + writing the tables"}  # fmt: skip
    for name, (seconds, rss) in medians.items():
        print(f"  {labels[name]:<28} {seconds:9.2f} {rss:15.0f} {seconds / floor_t:8.1f} "
              f"{seconds / naive_t:8.1f}   memory × floor {rss / floor_m:.1f}")  # fmt: skip
    tables_t = medians["tables"][0]
    print("  target: project ≤ 3 × floor (time)")
    print(f"  writing the build's tables alone adds {tables_t - floor_t:.2f} s to the floor "
          f"({tables_t / floor_t:.1f} × floor before any check or model); the project's checks, "
          f"models and publish take the other {medians['project'][0] - tables_t:.2f} s")  # fmt: skip


def curve(scales: list[int]) -> None:
    print("\nbuild time and peak memory as the grant file grows (one run each)")
    print(
        f"  {'scale':<6} {'grant rows':>11} {'time (s)':>9} {'peak RSS (MiB)':>15} {'µs / row':>9}"
    )
    for scale in scales:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            paths = generate(root / "national", grant_rows=GRANT_ROWS * scale)
            rows = _lines(paths["input"] / "grants.csv") - 1
            command = build_command(
                paths["input"], warehouse=root / "wh", profile="p07", quiet=True
            )
            seconds, rss = timed(command, _env(paths))
        print(f"  {scale:>4}×  {rows:>11,} {seconds:9.2f} {rss:15.0f} {seconds / rows * 1e6:9.1f}")
    print("  target: 16× < 1024 MiB peak, time growing linearly")


def measure_large(runs: int) -> None:
    """One CSV of 300,000 grant rows (福島県's layout) alone in its input folder."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = generate_large_grants(Path(tmp))
        file = paths["file"]
        rows, size = _lines(file) - LARGE_PREAMBLE_LINES, file.stat().st_size
        results = [timed(build_command(paths["input"], warehouse=Path(tmp) / f"wh{n}", profile="p07", quiet=True),
                         _env(paths)) for n in range(runs)]  # fmt: skip
    seconds = statistics.median(t for t, _ in results)
    peak = max(m for _, m in results)
    print(f"\nlarge file: {rows:,} rows, {size / 1e6:.1f} MB ({file.name}): "
          f"median {seconds:.2f} s, peak RSS {peak:.0f} MiB (target < 1024 MiB)")  # fmt: skip


STARTUP = "import duckdb"  # what any build pays before reading a file: the interpreter and DuckDB


def measure_sample(runs: int) -> None:
    """The embedded sample (福島県 and 鳥取県, workbooks and CSVs: a prefecture's size), what
    `make warehouse` builds, beside a process that only starts Python and imports DuckDB."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KYOTEN_")}
    sample = load_settings(env).sample_dir
    with tempfile.TemporaryDirectory() as tmp:
        results = {"sample": [], "startup": []}
        for n in range(runs):  # interleaved
            command = build_command(sample, warehouse=Path(tmp) / f"wh{n}", quiet=True)
            results["sample"].append(timed(command, env))
            results["startup"].append(timed([sys.executable, "-c", STARTUP], env))
    (seconds, _), (startup, _) = (
        (statistics.median(t for t, _ in rows), max(m for _, m in rows))
        for rows in results.values()
    )
    peak = max(m for _, m in results["sample"])
    print(f"\nsample ({sample.name}: what `make warehouse` builds, median of {runs}): {seconds:.2f} s, "
          f"peak RSS {peak:.0f} MiB; python -c '{STARTUP}': {startup:.2f} s "
          f"(build × start-up {seconds / startup:.1f})")  # fmt: skip


def run(args) -> None:
    if args.only == "large":
        measure_large(args.runs)
        return
    if args.only == "sample":
        measure_sample(args.runs)
        return
    side_by_side(args.runs)
    measure_sample(args.runs)
    curve([int(s) for s in args.scales.split(",") if s])
    measure_large(max(1, args.runs // 2))
