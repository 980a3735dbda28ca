"""`python -m bench export`: time and peak memory of each pack (PPTX, PDF, xlsx) on the sample.

Each pack is made in a fresh process, as `python -m dashboard export` would be: "export" is the
time inside that process (content, chart images in one Chromium session, rendering), "wall"
adds interpreter start and imports. Peak memory is that process's own, and separately the
largest child (Chromium, for kaleido's chart images and the PDF print)."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.settings import PROJECT_DIR, load_settings
from etl.build import build

FORMATS = ("pptx", "pdf", "xlsx")


def child(fmt: str, warehouse: str, out: str) -> None:
    """Runs in the measured process: one export, then its figures as JSON on stdout."""
    started = time.perf_counter()
    from dashboard.db import Warehouse
    from dashboard.export.packs import export
    from dashboard.filters import Filters, build_profile_options
    from dashboard.views import direct_loader

    imported = time.perf_counter()
    settings = load_settings()
    load = direct_loader(Warehouse(Path(warehouse)))
    option = build_profile_options(load)[settings.default_profile]
    filters = Filters(option.key, option.first_fy, option.last_fy, ())
    result = export(load, filters, option, fmt, settings.boundaries_dir, settings.map_style)
    Path(out).write_bytes(result.data)
    done = time.perf_counter()
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"export": done - imported, "imports": imported - started, "rss": own,
                      "child_rss": children, "bytes": len(result.data)}))  # fmt: skip


def run(args) -> None:
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
        print(
            f"  {'format':<6} {'export s':>9} {'wall s':>7} {'python MiB':>11} {'chromium MiB':>13} {'size KiB':>9}"
        )
        for fmt in FORMATS:
            for _ in range(args.runs):
                out = Path(tmp) / f"pack.{fmt}"
                code = f"from bench.export_bench import child; child({fmt!r}, {str(settings.warehouse_dir)!r}, {str(out)!r})"
                started = time.perf_counter()
                result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True,
                                        text=True, check=True)  # fmt: skip
                wall = time.perf_counter() - started
                figures = json.loads(result.stdout.strip().splitlines()[-1])
                print(f"  {fmt:<6} {figures['export']:9.2f} {wall:7.2f} {figures['rss']:11.0f} "
                      f"{figures['child_rss']:13.0f} {figures['bytes'] / 1024:9.0f}")  # fmt: skip
    print("target: each pack in under 20 s")
