"""`python -m bench load --sessions N`: N concurrent sessions against a server on loopback, for
a bounded time, with a publish in the middle of the run.

Each session speaks Streamlit's own websocket protocol, as a browser tab does: it asks for a
page with a query string (a random profile, years and bureaus), waits until the server reports
that the script finished, counts any exception or error element in what came back, then reads
for a while (3–10 s by default) like a person. The page time runs from the request to the
finished script: the server's work and the transfer, not the browser's drawing.

With `--target URL` it drives a server that is already running (e.g. the nginx front of
`make serve`) instead of starting one; the mid-run publish then goes to `--warehouse DIR` (the
warehouse that server reads) or is skipped. The client's own CPU time is reported beside the
results, since on this machine it shares the cores with the servers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import resource
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from core import layout
from core.settings import Settings, load_settings
from dashboard.ui.navigation import PAGES as NAVIGATION
from etl.build import build
from etl.errors import EtlError
from etl.stewardship import publish_candidate
from tests.browser import free_port, streamlit_server  # the same server start as the browser tests

PAGES = ["", *(Path(page.path).stem for page in NAVIGATION[1:])]  # url paths; "" is the default
FUKUSHIMA_BUREAUS = ["県北", "県中", "県南", "会津", "南会津", "相双", "いわき"]
DONE = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY


@dataclasses.dataclass
class Tally:
    times: list[float] = dataclasses.field(default_factory=list)
    by_page: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    errors: list[str] = dataclasses.field(default_factory=list)
    after_publish: int = 0


@dataclasses.dataclass(frozen=True)
class Plan:
    url: str
    sessions: int
    duration: float
    think: tuple[float, float]
    settings: Settings | None  # the warehouse the server reads (None: not known, no publish)
    candidate: Path | None  # the files the steward publishes mid-run (None: no publish)


@dataclasses.dataclass(frozen=True)
class ClientCpu:
    """This process's CPU time (user + sys) over the wall time of the run."""

    seconds: float
    wall: float
    cores: int


def random_query(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return urllib.parse.urlencode({"profile": "tottori"})
    start = rng.choice(range(2020, 2027))
    params = [("profile", "fukushima"), ("from", start), ("to", rng.choice(range(start, 2027)))]
    params += [("bureau", b) for b in rng.sample(FUKUSHIMA_BUREAUS, rng.choice([0, 0, 1, 2]))]
    return urllib.parse.urlencode(params)


def problems_in(message: ForwardMsg) -> list[str]:
    if not message.HasField("delta") or not message.delta.HasField("new_element"):
        return []
    element = message.delta.new_element
    if element.HasField("exception"):
        return [f"exception: {element.exception.message}"]
    if element.HasField("alert") and element.alert.format == element.alert.ERROR:
        return [f"error: {element.alert.body}"]
    return []


async def run_page(ws, page: str, query: str) -> list[str]:
    request = BackMsg()
    request.rerun_script.page_name = page
    request.rerun_script.query_string = query
    await ws.send(request.SerializeToString())
    found: list[str] = []
    while True:
        message = ForwardMsg.FromString(await ws.recv())
        found += problems_in(message)
        if message.HasField("script_finished") and message.script_finished == DONE:
            return found


async def session(
    plan: Plan, seed: int, deadline: float, published: asyncio.Event, tally: Tally
) -> None:
    from websockets.asyncio.client import connect

    rng = random.Random(seed)
    async with connect(plan.url, subprotocols=["streamlit"], max_size=None, open_timeout=30) as ws:
        await asyncio.sleep(rng.uniform(0, plan.think[1]))  # people do not all arrive at once
        while time.monotonic() < deadline:
            page = rng.choice(PAGES)
            started = time.perf_counter()
            try:
                found = await asyncio.wait_for(run_page(ws, page, random_query(rng)), timeout=60)
            except TimeoutError:
                found = ["timeout: no finished script within 60 s"]
            elapsed = time.perf_counter() - started
            tally.times.append(elapsed)
            tally.by_page.setdefault(page or "overview", []).append(elapsed)
            tally.errors += found
            tally.after_publish += published.is_set()
            await asyncio.sleep(rng.uniform(*plan.think))


async def drive(plan: Plan) -> tuple[Tally, float | None]:
    tally, published = Tally(), asyncio.Event()
    deadline = time.monotonic() + plan.duration
    tasks = [
        asyncio.create_task(session(plan, seed, deadline, published, tally))
        for seed in range(plan.sessions)
    ]
    if plan.candidate is None:  # --target without --warehouse
        await asyncio.gather(*tasks)
        return tally, None
    await asyncio.sleep(plan.duration / 2)
    started = time.perf_counter()
    try:  # the data page's own publish: a child build, then the pointer swap
        await asyncio.to_thread(publish_candidate, plan.settings, plan.candidate)
    except EtlError as error:
        tally.errors.append(f"publish failed: {str(error)[-500:]}")
    published.set()
    publish_seconds = time.perf_counter() - started
    await asyncio.gather(*tasks)
    return tally, publish_seconds


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # this process only: not the publish's child
    return usage.ru_utime + usage.ru_stime


def measured_drive(plan: Plan) -> tuple[Tally, float | None, ClientCpu]:
    cpu, wall = cpu_seconds(), time.perf_counter()
    tally, publish_seconds = asyncio.run(drive(plan))
    client = ClientCpu(cpu_seconds() - cpu, time.perf_counter() - wall, os.cpu_count() or 1)
    return tally, publish_seconds, client


def alternate_inputs(settings: Settings, root: Path) -> Path:
    """What the steward publishes mid-run: the sample minus one list."""
    alternate = root / "alternate"
    alternate.mkdir()
    for path in settings.sample_dir.iterdir():
        if path.suffix in (".csv", ".xlsx") and path.name != "tottori_survey_r04_2022.xlsx":
            (alternate / path.name).write_bytes(path.read_bytes())
    return alternate


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share + 0.5) - 1)] if ordered else float("nan")


def report(tally: Tally, plan: Plan, publish_seconds: float | None, peak: float | None,
           client: ClientCpu) -> None:  # fmt: skip
    times = tally.times
    if not times:
        print(
            f"no page finished (errors: {len(tally.errors)})"
            + "".join(f"\n  {e}" for e in tally.errors[:10])
        )
        return
    published = (
        "no publish" if publish_seconds is None else f"{tally.after_publish} after the publish"
    )
    print(f"sessions {plan.sessions}, {plan.duration:.0f} s, think time {plan.think[0]:g}–{plan.think[1]:g} s, "
          f"{len(times)} page runs ({published})")  # fmt: skip
    print(f"page time: p50 {percentile(times, 0.5) * 1000:.0f} ms, p95 {percentile(times, 0.95) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms")  # fmt: skip
    for page, values in sorted(tally.by_page.items()):
        print(f"  {page:<10} n={len(values):3d}  p50 {percentile(values, 0.5) * 1000:5.0f} ms  "
              f"p95 {percentile(values, 0.95) * 1000:5.0f} ms")  # fmt: skip
    print(f"errors: {len(tally.errors)}" + "".join(f"\n  {e}" for e in tally.errors[:10]))
    if publish_seconds is None:
        print("publish in the middle of the run: skipped (--target without --warehouse DIR)")
    else:
        print(f"publish in the middle of the run: {publish_seconds:.1f} s")
    if peak is None:
        print("server peak memory: not measured (--target: the servers are not this bench's)")
    else:
        print(f"server peak memory (VmHWM): {peak:.0f} MiB")
    share = client.seconds / client.wall if client.wall else float("nan")
    print(f"load client CPU (this process, user+sys): {client.seconds:.1f} s in {client.wall:.1f} s = "
          f"{share:.1%} of one core, {share / client.cores:.1%} of the machine's {client.cores} cores")  # fmt: skip
    print("targets: p95 < 2 s and server memory < 1.5 GiB at 20 sessions, no errors")


def stream_url(base: str) -> str:
    """Streamlit's websocket address under a server's base URL (http → ws, https → wss)."""
    parts = urllib.parse.urlsplit(base.rstrip("/"))
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urllib.parse.urlunsplit((scheme, parts.netloc, parts.path + "/_stcore/stream", "", ""))


def run_target(args) -> None:
    """Drive a server that is already running; publish into --warehouse if given."""
    if args.port:
        raise SystemExit("--port is for the server the bench starts; not with --target")
    base = args.target.rstrip("/")
    try:
        with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as response:  # noqa: S310
            response.read()
    except OSError as error:
        raise SystemExit(f"{base}/_stcore/health does not answer: {error}") from None
    with tempfile.TemporaryDirectory() as tmp:
        settings = alternate = previous = None
        if args.warehouse:
            settings = dataclasses.replace(
                load_settings(), warehouse_dir=Path(args.warehouse).resolve()
            )
            previous = layout.current_build_id(settings.warehouse_dir)
            if previous is None:
                raise SystemExit(f"no published build in {settings.warehouse_dir} (--warehouse)")
            alternate = alternate_inputs(settings, Path(tmp))
        else:
            print("no --warehouse DIR: the publish in the middle of the run is skipped")
        think = (args.think_min, args.think_max)
        plan = Plan(stream_url(base), args.sessions, args.duration, think, settings, alternate)
        tally, publish_seconds, client = measured_drive(plan)
    print(f"target: {base}")
    report(tally, plan, publish_seconds, None, client)
    if previous is not None and publish_seconds is not None:
        print(f"{settings.warehouse_dir} now serves the build published mid-run (the sample minus one "
              f"list); to serve the earlier one again: python -m etl rollback {previous} "
              f"--warehouse {settings.warehouse_dir}")  # fmt: skip


def run(args) -> None:
    if getattr(args, "target", None):
        run_target(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        settings = dataclasses.replace(load_settings(), warehouse_dir=Path(tmp) / "wh")
        build(settings)
        alternate = alternate_inputs(settings, Path(tmp))
        env = dict(os.environ, KYOTEN_WAREHOUSE_DIR=str(settings.warehouse_dir),
                   KYOTEN_BOUNDARIES_DIR=str(Path(tmp) / "none"))  # fmt: skip
        port = args.port or free_port()
        with streamlit_server(env, port=port) as base:
            found = subprocess.run(
                ["pgrep", "-f", f"server.port {port}"], capture_output=True, text=True
            )
            pid = int(found.stdout.split()[0])
            url = base.replace("http://", "ws://") + "/_stcore/stream"
            think = (args.think_min, args.think_max)
            plan = Plan(url, args.sessions, args.duration, think, settings, alternate)
            tally, publish_seconds, client = measured_drive(plan)
            peak = peak_rss_mib(pid)
    report(tally, plan, publish_seconds, peak, client)
