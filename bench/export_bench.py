"""`python -m bench export`: cold and warm time and peak memory of each pack (PPTX, PDF, xlsx) on
the sample.

Each format is measured in a fresh process, as `python -m dashboard export` or a just-started
server would make it: "cold" is the first pack in that process (the chart browser starts then),
"warm" the median of the `--runs` packs after it in the same process (as a running server makes
them: the browser is kept). A pack's time is `export()`: content, chart images, rendering.
Memory: the process's own peak; the largest Chromium process's peak; and the peak of all the
process's children together (proportional set size, sampled every 0.2 s: the browser kept for
the charts and the PDF with its helper processes)."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from core.settings import PROJECT_DIR, load_settings
from etl.build import build

FORMATS = ("pptx", "pdf", "xlsx")
TARGET_WARM_S = 3.0
SAMPLE_S = 0.2


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children, …)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        children = []
        for task in Path(f"/proc/{parent}/task").glob("*"):  # a thread's children are its own
            try:
                children += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue  # gone meanwhile
        found += children
        todo += children
    return found


def pss_mib(pids: list[int]) -> float:
    """Proportional set size of the processes together (shared pages counted once)."""
    total_kib = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kib += int(line.split()[1])
                    break
        except OSError:
            continue  # gone meanwhile
    return total_kib / 1024


class ChildMemory:
    """The peak PSS of all child processes together, sampled in a thread."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(SAMPLE_S):
            self.peak = max(self.peak, pss_mib(descendants(os.getpid())))

    def __enter__(self) -> ChildMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()


def child(fmt: str, warehouse: str, out: str, runs: int) -> None:
    """Runs in the measured process: one cold export and `runs` warm ones, then the figures as
    JSON on stdout."""
    from dashboard.db import Warehouse
    from dashboard.export import images
    from dashboard.export.packs import export
    from dashboard.filters import Filters, build_profile_options
    from dashboard.views import direct_loader

    settings = load_settings()
    load = direct_loader(Warehouse(Path(warehouse)))
    option = build_profile_options(load)[settings.default_profile]
    filters = Filters(option.key, option.first_fy, option.last_fy, ())
    times = []
    with ChildMemory() as memory:
        for _ in range(1 + runs):
            begun = time.perf_counter()
            result = export(load, filters, option, fmt, settings.boundaries_dir, settings.map_style)
            times.append(time.perf_counter() - begun)
        Path(out).write_bytes(result.data)
        images.stop()  # the browser's processes end, so their peaks count as the children's
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"times": times, "rss": own, "largest_child_rss": largest,
                      "children_pss": memory.peak, "bytes": len(result.data)}))  # fmt: skip


def run(args) -> None:
    runs = max(args.runs, 1)
    with tempfile.TemporaryDirectory() as tmp:
        settings = dataclasses.replace(load_settings(), warehouse_dir=Path(tmp) / "wh")
        build(settings)
        boundaries = (
            PROJECT_DIR.parent / "shared" / "data" / "boundaries" / "N03-21_07_210101.geojson"
        )
        env = dict(os.environ, KYOTEN_BOUNDARIES_DIR=str(Path(tmp) / "bnd"))
        note = "map: points (no boundaries)"
        if boundaries.exists():
            from etl.boundaries import fetch_boundaries

            fetch_boundaries(
                dataclasses.replace(settings, boundaries_dir=Path(tmp) / "bnd"),
                "fukushima",
                str(boundaries),
            )
            note = "map: simplified N03 polygons"
        print(f"briefing packs on the sample warehouse (福島県, all bureaus, all years; {note})")
        print(f"each format in a fresh process: cold = its first pack, warm = median of the {runs} after it")  # fmt: skip
        width = max(len("warm runs s"), 5 * runs - 1)
        print(f"  {'format':<6} {'cold s':>7} {'warm s':>7} {'warm runs s':<{width}} {'python MiB':>11} "
              f"{'chromium MiB':>13} {'children MiB':>13} {'size KiB':>9}")  # fmt: skip
        for fmt in FORMATS:
            out = Path(tmp) / f"pack.{fmt}"
            code = (
                "from bench.export_bench import child; "
                f"child({fmt!r}, {str(settings.warehouse_dir)!r}, {str(out)!r}, {runs})"
            )
            result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True,
                                    text=True, check=True)  # fmt: skip
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            cold, *warm = figures["times"]
            each = " ".join(f"{t:.2f}" for t in warm)
            print(f"  {fmt:<6} {cold:7.2f} {statistics.median(warm):7.2f} {each:<{width}} "
                  f"{figures['rss']:11.0f} {figures['largest_child_rss']:13.0f} "
                  f"{figures['children_pss']:13.0f} {figures['bytes'] / 1024:9.0f}")  # fmt: skip
    print(
        f"target: each pack in under {TARGET_WARM_S:.0f} s warm (the PPTX and the PDF draw charts)"
    )
    print("python MiB: the process's peak RSS; chromium MiB: the largest Chromium process's peak")
    print(
        "RSS; children MiB: peak PSS of all Chromium processes together (the kept browser, its tabs)"
    )
