"""`python -m bench pages`: server-side run time of each page (cold and warm) on the sample
warehouse and on a national-scale one, and the size of the grant map's figure JSON.

A page run is timed with Streamlit's AppTest, in this process: "cold" clears every cache first
(new connection, every query executed), "warm" reruns with the caches filled. Then the same warm
reruns through a real `streamlit run` (the project's `.streamlit/config.toml`), over its websocket
as a browser tab asks for them, beside an empty page served the same way: what a user waits for."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
import streamlit.testing.v1.app_test as app_test_module
from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
from streamlit.testing.v1 import AppTest

from bench.national import generate
from core.settings import PROJECT_DIR, load_settings
from dashboard.ui.navigation import TITLES
from etl.build import build

PAGES = {path: title for path, title in TITLES.items()}  # every page (--pages narrows it)
APP = PROJECT_DIR / "app.py"
DEV_BOUNDARIES = PROJECT_DIR.parent / "shared" / "data" / "boundaries" / "N03-21_07_210101.geojson"


@contextmanager
def environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# AppTest gives every run a new st.cache_data store, which would make every run cold. Share one
# store, as a server does, and clear it explicitly for the cold runs.
SHARED_CACHE = MemoryCacheStorageManager()
app_test_module.MemoryCacheStorageManager = lambda: SHARED_CACHE


def quiet_streamlit() -> None:
    """No "missing ScriptRunContext" / "No runtime found" line for every run outside a server:
    the figures are what this prints. (A filter, since Streamlit resets its loggers' levels.)"""
    import logging

    for name in ("streamlit.runtime.scriptrunner_utils.script_run_context",
                 "streamlit.runtime.caching.cache_data_api"):  # fmt: skip
        logging.getLogger(name).addFilter(lambda record: record.levelno >= logging.ERROR)


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


EMPTY_APP = 'import streamlit as st\n\nst.title("空のページ")\n'


def empty_page_warm(runs: int) -> float:
    """Median warm rerun of a page that only writes a title: the harness's own cost."""
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "empty.py"
        app.write_text(EMPTY_APP, encoding="utf-8")
        at = AppTest.from_file(str(app), default_timeout=60)
        at.run()
        times = []
        for _ in range(max(runs * 4, 10)):
            started = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def _page_run(page: str, params: dict[str, str], cold: bool = False) -> tuple[AppTest, float]:
    at = AppTest.from_file(str(APP), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()  # the default page: registers the pages, and fills the caches
    if cold:
        clear_caches()  # so the timed run starts from nothing: connection, queries, view
    started = time.perf_counter()
    at.switch_page(page).run()
    elapsed = time.perf_counter() - started
    if at.exception or not at.title or at.title[0].value != PAGES[page]:
        raise SystemExit(f"{page} failed: {at.exception}")
    return at, elapsed


def time_pages(params: dict[str, str], runs: int) -> dict[str, tuple[float, float]]:
    """Median cold and warm seconds per page."""
    results = {}
    for page in PAGES:
        cold = []
        for _ in range(runs):
            cold.append(_page_run(page, params, cold=True)[1])
        at, _ = _page_run(page, params)
        warm = []
        for _ in range(runs * 2):
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
        results[page] = (statistics.median(cold), statistics.median(warm))
    return results


SHARES = (  # where a warm rerun's time goes, as `_classify` sorts a sampled stack
    "the pages' own code", "st.cache_* lookups", "st.plotly_chart", "other Streamlit elements",
    "Streamlit's run", "AppTest compiles the scripts",
)  # fmt: skip
# A frame of the project's own code (py-spy names the project's files relative to it).
OWN_FRAME = re.compile(r"\((app\.py|pages/|dashboard/|core/)")
CHILD = """
import sys
from pathlib import Path
from bench import pages_bench
pages_bench.quiet_streamlit()
pages_bench.APP = Path(sys.argv[3])
at, _ = pages_bench._page_run(sys.argv[1], {})
for _ in range(int(sys.argv[2])):
    at.run()
"""


def _classify(frames: list[str]) -> str | None:
    """One stack py-spy sampled (outermost first) as one of SHARES; None outside a warm rerun."""
    stack = ";".join(frames)
    if "_run_script" not in stack:
        return None  # another thread, or the process starting
    if "_find_and_load" in stack or "_handle_cache_miss" in stack:
        return None  # the first run (imports, queries): cold, not a warm rerun
    if "get_bytecode" in stack or "get_page_script_byte_code" in stack:
        return SHARES[5]  # a server compiles each script once; AppTest does on every run
    own = [i for i, frame in enumerate(frames) if OWN_FRAME.search(frame)]
    if not own:
        return SHARES[4]
    below = ";".join(frames[own[-1] + 1 :])
    if "streamlit/runtime/caching" in below:
        return SHARES[1]
    if "streamlit/elements/plotly_chart" in below:
        return SHARES[2]
    if "streamlit/" in below:
        return SHARES[3]
    return SHARES[0]  # and the pandas it calls


def breakdown(page: str, runs: int) -> dict[str, float] | None:
    """Shares of a page's warm reruns (AppTest, in a child process that py-spy samples from
    outside, so nothing in the process is slowed); None without py-spy (requirements-dev)."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        return None
    counts: collections.Counter[str] = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.txt"
        command = [spy, "record", "--rate", "500", "--format", "raw", "--output", str(raw), "--",
                   sys.executable, "-c", CHILD, page, str(runs), str(APP)]  # fmt: skip
        done = subprocess.run(command, cwd=PROJECT_DIR, capture_output=True, text=True)
        if done.returncode != 0 or not raw.exists():
            print(f"  (py-spy could not sample {page}: {done.stderr.strip()[-300:]})")
            return None
        for line in raw.read_text(encoding="utf-8").splitlines():
            stack, _, count = line.rpartition(" ")
            share = _classify(stack.split(";"))
            if share is not None:
                counts[share] += int(count)
    total = sum(counts.values()) or 1
    return {share: counts[share] / total for share in SHARES}


def report_breakdown(timings: dict[str, tuple[float, float]], empty: float, runs: int) -> None:
    print("  where a warm rerun's time goes (py-spy, 500 samples/s of the script thread); "
          "'without the pages' code': the rerun less the pages' code and cache lookups, "
          "× the empty page")  # fmt: skip
    for page, (_, warm) in timings.items():
        shares = breakdown(page, runs)
        if shares is None:
            print("  (no py-spy: pip install -r requirements-dev.txt)")
            return
        rest = 1 - shares[SHARES[0]] - shares[SHARES[1]]
        print(f"  {page}: " + ", ".join(f"{s} {shares[s]:.0%}" for s in SHARES)
              + f"; without the pages' code {warm * rest / empty:.1f} ×")  # fmt: skip


def map_size(settings, profile: str, boundaries_dir: Path) -> dict[str, int]:
    from dashboard.db import Warehouse
    from dashboard.filters import Filters, build_profile_options
    from dashboard.views import direct_loader
    from dashboard.views.grant_map import build_grant_map

    load = direct_loader(Warehouse(settings.warehouse_dir))
    option = build_profile_options(load)[profile]
    filters = Filters(profile, option.first_fy, option.last_fy, ())
    return {level: len(build_grant_map(load, filters, option, level, boundaries_dir, "white-bg").figure.to_json())
            for level in ("municipality", "bureau")}  # fmt: skip


def report(
    label: str, timings: dict[str, tuple[float, float]], sizes: dict[str, int], note: str,
    empty: float = 0.0,
) -> None:  # fmt: skip
    print(f"\n{label}")
    print(f"  {'page':<22} {'cold (ms)':>10} {'warm (ms)':>10} {'warm × empty page':>18}")
    for page, (cold, warm) in timings.items():
        ratio = f"{warm / empty:18.1f}" if empty else ""
        print(f"  {page:<22} {cold * 1000:10.0f} {warm * 1000:10.0f}{ratio}")
    if empty:
        print(f"  {'(empty page: st.title)':<22} {'':>10} {empty * 1000:10.1f} {1.0:18.1f}")
    for level, size in sizes.items():
        print(f"  map figure JSON ({level}): {size / 1024:.0f} KiB {note}")


SERVER_RERUNS = 12
BREAKDOWN_RERUNS = 150  # warm reruns py-spy watches per page


async def _warm_over_websocket(url: str, pages: dict[str, str], query: str) -> dict[str, float]:
    """Median seconds of a rerun of each page (url name → label) after two that fill the caches."""
    from websockets.asyncio.client import connect

    from bench.load_bench import run_page

    out = {}
    async with connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
        for name, label in pages.items():
            times = []
            for _ in range(SERVER_RERUNS):
                started = time.perf_counter()
                problems = await run_page(ws, name, query)
                if problems:
                    raise SystemExit(f"{label}: {problems[:3]}")
                times.append(time.perf_counter() - started)
            out[label] = statistics.median(times[2:])
    return out


def time_server(env: dict[str, str], query: str) -> tuple[float, dict[str, float]]:
    """(empty page, {page: seconds}) of warm reruns through real servers."""
    from bench.load_bench import stream_url
    from dashboard.ui.navigation import PAGES as NAVIGATION
    from tests.browser import streamlit_server

    with tempfile.TemporaryDirectory() as tmp:
        empty_app = Path(tmp) / "empty.py"
        empty_app.write_text(EMPTY_APP, encoding="utf-8")
        with streamlit_server(env, app=str(empty_app)) as base:
            empty = asyncio.run(_warm_over_websocket(stream_url(base), {"": "empty"}, ""))["empty"]
    names = {"" if spec.path == NAVIGATION[0].path else Path(spec.path).stem: spec.path
             for spec in NAVIGATION if spec.path in PAGES}  # fmt: skip
    with streamlit_server(env) as base:
        return empty, asyncio.run(_warm_over_websocket(stream_url(base), names, query))


def report_server(empty: float, timings: dict[str, float], warehouse: str) -> None:
    print(f"\nthrough a real server (streamlit run, websocket), warm rerun, {warehouse}")
    print(f"  {'page':<22} {'warm (ms)':>10} {'× empty page':>13}")
    for page, seconds in timings.items():
        print(f"  {page:<22} {seconds * 1000:10.0f} {seconds / empty:13.1f}")
    print(f"  {'(empty page: st.title)':<22} {empty * 1000:10.0f} {1.0:13.1f}")


def run(args) -> None:
    global APP, PAGES
    if args.app:
        APP = Path(args.app).resolve()
    if args.pages:
        wanted = [
            p if p.startswith("pages/") else f"pages/{p.removesuffix('.py')}.py"
            for p in args.pages.split(",")
        ]
        unknown = [p for p in wanted if p not in TITLES]
        if unknown:
            raise SystemExit(f"unknown pages: {', '.join(unknown)} (known: {', '.join(TITLES)})")
        PAGES = {p: TITLES[p] for p in wanted}
    quiet_streamlit()
    empty = empty_page_warm(args.runs)
    print(f"empty page (st.title only), warm rerun in the same harness: {empty * 1000:.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sample = dataclasses.replace(
            load_settings(), warehouse_dir=root / "sample", boundaries_dir=root / "bnd"
        )
        build(sample)
        note = "(points: no boundaries)"
        if DEV_BOUNDARIES.exists():
            from etl.boundaries import fetch_boundaries

            fetch_boundaries(sample, "fukushima", str(DEV_BOUNDARIES))
            note = "(simplified N03 boundaries, 59 municipalities)"
        env = {
            "KYOTEN_WAREHOUSE_DIR": str(sample.warehouse_dir),
            "KYOTEN_BOUNDARIES_DIR": str(sample.boundaries_dir),
        }
        with environment(env):
            timings = time_pages({}, args.runs)
            sizes = map_size(sample, "fukushima", sample.boundaries_dir)
            report("sample warehouse (福島県)", timings, sizes, note, empty)
            if args.breakdown:
                report_breakdown(timings, empty, BREAKDOWN_RERUNS)
        report_server(*time_server(env, "profile=fukushima"), "sample warehouse (福島県)")
        paths = generate(root / "national")
        national_env = {"KYOTEN_REFERENCE_DIR": str(paths["reference"]), "KYOTEN_PROFILES_DIR": str(paths["profiles"]),
                        "KYOTEN_DEFAULT_PROFILE": "p07"}  # fmt: skip
        with environment(national_env):
            national = dataclasses.replace(
                load_settings(), warehouse_dir=root / "national-wh", boundaries_dir=root / "none"
            )
            build(national, paths["input"])
            env = {
                "KYOTEN_WAREHOUSE_DIR": str(national.warehouse_dir),
                "KYOTEN_BOUNDARIES_DIR": str(root / "none"),
            }
            with environment(env):
                timings = time_pages({}, args.runs)
                report("national-scale warehouse (1,741 municipalities, 47 profiles; profile p07)",
                       timings, map_size(national, "p07", root / "none"), "(points)", empty)  # fmt: skip
                if args.breakdown:
                    report_breakdown(timings, empty, BREAKDOWN_RERUNS)
                report_server(
                    *time_server(env, "profile=p07"), "national-scale warehouse (profile p07)"
                )
    print(
        "\ntargets: warm rerun ≤ 3 × the empty page (stretch 2×); cold < 3 s; map JSON < 1 MB per prefecture"
    )
