"""Chart images for the packs, drawn by one long-lived headless Chromium (kaleido) per process.

Starting Chromium costs a second or two; a running one draws a chart in a fraction of a second.
So the browser is started on the first pack, kept for the later ones (every Streamlit session of
the process shares it, one pack at a time behind a lock), started again when it has died, and
closed when the interpreter exits. The PDF pack is printed in the same browser (`print_pdf`).
Its tab's JavaScript garbage is collected now and then, or it would grow with every pack.

It is kaleido's own `Kaleido` browser, driven on an event loop in a thread of its own: kaleido's
`start_sync_server` keeps one too, but a call on it waits forever when the browser could not
start, and it has no timeout. Without `kaleido.Kaleido` (kaleido < 1) every call renders in a
browser of its own through plotly.io, as before.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import plotly.io as pio

from dashboard.views.pack import Chart

try:
    from kaleido import Kaleido
except ImportError:  # kaleido < 1: no browser to keep
    Kaleido = None

SCALE = 2  # 2x pixels: sharp on a projector and in print
# kaleido's tabs: a second one draws two charts at once (0.1 s less a pack) but doubles the
# browser's start (each tab loads plotly.js) and costs about 100 MiB more
TABS = 1
START_TIMEOUT_S = 60
RENDER_TIMEOUT_S = 60  # one pack's charts
STOP_TIMEOUT_S = 10
HEAP_LIMIT_MIB = 128  # a kept tab's JavaScript heap past this is collected (every 6-8 packs)
WARM_UP = {"data": [{"type": "bar", "x": [1, 2], "y": [1, 2]}], "layout": {}}  # compiles plotly.js
VIRTUAL_TIME_BUDGET_MS = 10_000  # as `chromium --headless --virtual-time-budget=10000`

_logger = logging.getLogger(__name__)
_COLLECTING: set[asyncio.Task] = set()


def render_charts(charts: list[Chart]) -> dict[str, bytes]:
    """PNG bytes per chart key, all drawn in the process's browser (started on first use)."""
    if not charts:
        return {}
    if Kaleido is None:
        return _render_in_own_browser(charts)
    specs = [
        (chart.figure.to_dict(), {"format": "png", "width": chart.width, "height": chart.height,
                                  "scale": SCALE})
        for chart in charts
    ]  # fmt: skip
    topojson = pio.defaults.topojson

    async def draw(browser: Kaleido) -> list[bytes]:
        results = await asyncio.gather(
            *(browser.calc_fig(fig, opts=opts, topojson=topojson) for fig, opts in specs),
            return_exceptions=True,  # every tab back in its queue before the lock is let go
        )
        _collect_garbage_later(browser)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results

    images = _RENDERER.call(draw, RENDER_TIMEOUT_S)
    return {chart.key: png for chart, png in zip(charts, images, strict=True)}


def print_pdf(page: Path, chromium: str, timeout_s: float) -> bytes | None:
    """An HTML file printed to PDF in the process's browser, as `chromium --headless
    --print-to-pdf --no-pdf-header-footer --virtual-time-budget=10000` prints it. None when that
    browser is not this `chromium` (another one was asked for) or kaleido cannot keep one; then
    the caller starts its own. Raises TimeoutError after `timeout_s` (the browser is stopped)."""
    if Kaleido is None or not _same_executable(chromium, _browser_path()):
        return None
    url = page.resolve().as_uri()

    async def pdf(browser: Kaleido) -> bytes:
        tab = await browser.create_tab("about:blank")
        try:
            loaded = asyncio.get_running_loop().create_future()

            async def lifecycle(event: dict) -> None:
                if event.get("params", {}).get("name") == "load" and not loaded.done():
                    loaded.set_result(None)

            tab.subscribe("Page.lifecycleEvent", lifecycle)
            _checked(await tab.send_command("Page.enable"))
            _checked(await tab.send_command("Page.setLifecycleEventsEnabled", {"enabled": True}))
            navigated = _checked(await tab.send_command("Page.navigate", {"url": url}))
            if navigated.get("result", {}).get("errorText"):
                raise RuntimeError(f"{url}: {navigated['result']['errorText']}")
            await loaded
            expired = tab.subscribe_once("Emulation.virtualTimeBudgetExpired")
            _checked(await tab.send_command("Emulation.setVirtualTimePolicy", {
                "budget": VIRTUAL_TIME_BUDGET_MS, "maxVirtualTimeTaskStarvationCount": 9999,
                "policy": "pauseIfNetworkFetchesPending"}))  # fmt: skip
            await expired
            printed = _checked(await tab.send_command("Page.printToPDF", {
                "displayHeaderFooter": False, "generateTaggedPDF": True,
                "printBackground": True, "preferCSSPageSize": True}))  # fmt: skip
            return base64.b64decode(printed["result"]["data"])
        finally:
            await browser.close_tab(tab)

    return _RENDERER.call(pdf, timeout_s)


def prewarm() -> None:
    """Start the browser in the background, so that the first pack does not wait for Chromium
    to start (the ブリーフィング page calls this when it opens). Nothing when it runs already,
    is starting, or kaleido is missing; a failure is logged, and the pack will try again."""
    if Kaleido is None or _RENDERER.running() or not _PREWARMING.acquire(blocking=False):
        return

    def start() -> None:
        try:
            _RENDERER.start()
        except Exception as error:  # noqa: BLE001 - a pack started later reports the failure
            _logger.warning("starting the pack browser ahead failed (%r)", error)
        finally:
            _PREWARMING.release()

    threading.Thread(target=start, name="pack-browser-prewarm", daemon=True).start()


def browser_pid() -> int | None:
    """The process id of the running browser (None when none is running)."""
    return _RENDERER.pid()


def stop() -> None:
    """Close the browser (at interpreter exit; the next call starts a new one)."""
    _RENDERER.stop()


def _collect_garbage_later(browser: Kaleido) -> None:
    """Collect a tab's JavaScript garbage once its heap is past HEAP_LIMIT_MIB, while the caller
    goes on with the pack.

    A kept tab reloads between charts, but its heap is not collected by itself: its renderer grew
    by about 20 MiB a pack (760 MiB after 40 packs). A collection also drops plotly.js's compiled
    code, which cost the next pack about a second, so a small chart is drawn right after it."""

    async def collect() -> None:
        try:
            collected = False
            for tab in list(browser.tabs.values()):
                heap = _checked(await tab.send_command("Runtime.getHeapUsage"))["result"]
                if heap["totalSize"] > HEAP_LIMIT_MIB * 2**20:
                    _checked(await tab.send_command("HeapProfiler.collectGarbage"))
                    collected = True
            if collected:
                await browser.calc_fig(WARM_UP, opts={"format": "png", "width": 100, "height": 100})
        except Exception as error:  # noqa: BLE001 - the images are made; the next pack retries
            _logger.info("collecting the tabs' garbage failed (%r)", error)

    task = asyncio.get_running_loop().create_task(collect())
    _COLLECTING.add(task)  # a reference until it is done (the loop keeps only a weak one)
    task.add_done_callback(_COLLECTING.discard)


def _checked(response: dict) -> dict:
    if "error" in response:
        raise RuntimeError(f"Chromium DevTools: {response['error']}")
    return response


def _browser_path() -> str | None:
    """The Chromium that kaleido starts (choreographer's search, as `Kaleido()` does it)."""
    from choreographer.browsers import Chromium

    return Chromium.find_browser(skip_local=False)


def _same_executable(one: str, other: str | None) -> bool:
    if not other:
        return False
    resolved = [os.path.realpath(shutil.which(path) or path) for path in (one, other)]
    return resolved[0] == resolved[1]


def _kaleido_options() -> dict[str, Any]:
    """The options plotly.io would give kaleido, so images are the same as plotly.io draws them."""
    options: dict[str, Any] = {}
    for name in ("plotlyjs", "mathjax", "headers"):
        if value := getattr(pio.defaults, name, None):
            options[name] = value
    return options


def _render_in_own_browser(charts: list[Chart]) -> dict[str, bytes]:
    """One browser session for this call only (a start costs seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"{index}.png" for index in range(len(charts))]
        figures = [chart.figure for chart in charts]
        pio.write_images(figures, paths, format="png", width=[c.width for c in charts],
                         height=[c.height for c in charts], scale=SCALE)  # fmt: skip
        return {chart.key: path.read_bytes() for chart, path in zip(charts, paths, strict=True)}


class _Browser:
    """One `Kaleido` browser and the event loop (in its own thread) that drives it."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        self.owner = os.getpid()  # a forked child must not drive its parent's browser
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="pack-browser",
                                       daemon=True)  # fmt: skip
        self.thread.start()
        self.kaleido: Kaleido | None = None
        try:
            self.run(self._open(), START_TIMEOUT_S)
        except BaseException:
            self.close()  # a browser that started but did not answer is not left behind
            raise

    async def _open(self) -> None:
        self.kaleido = Kaleido(n=TABS, timeout=RENDER_TIMEOUT_S, **self.options)
        await self.kaleido.open()

    def run(self, coroutine: Coroutine, timeout_s: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout_s)
        except TimeoutError:
            future.cancel()
            raise

    def pid(self) -> int | None:
        process = getattr(self.kaleido, "subprocess", None)
        return process.pid if process is not None else None

    def alive(self) -> bool:
        process = getattr(self.kaleido, "subprocess", None)
        return (
            self.owner == os.getpid()
            and self.thread.is_alive()
            and process is not None
            and process.poll() is None
        )

    def close(self) -> None:
        """Close the browser (killed when it does not close in time) and end the loop."""
        if self.owner != os.getpid():
            return
        if self.kaleido is not None and self.thread.is_alive():
            try:
                self.run(self.kaleido.close(), STOP_TIMEOUT_S)
            except BaseException as error:  # noqa: BLE001 - closing must not fail; kill instead
                _logger.warning("closing the pack browser failed (%r); killing it", error)
        process = getattr(self.kaleido, "subprocess", None)
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # its own session: the helpers too
            except ProcessLookupError:
                pass
            process.wait()
        if self.thread.is_alive():
            try:
                self.run(_cancel_the_rest(), STOP_TIMEOUT_S)  # e.g. choreographer's watchdog
            except BaseException as error:  # noqa: BLE001 - the loop is stopped anyway
                _logger.warning("the pack browser's tasks did not end (%r)", error)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(STOP_TIMEOUT_S)
        if not self.thread.is_alive():
            self.loop.close()


async def _cancel_the_rest() -> None:
    """Cancel the loop's other tasks and wait for them, so none is destroyed while pending."""
    rest = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


class _Renderer:
    """The process's browser: started on first use, started again when it has died, one call at a
    time (Streamlit serves its sessions in threads)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._browser: _Browser | None = None

    def call(self, work: Callable[[Kaleido], Coroutine], timeout_s: float) -> Any:
        """`work(kaleido)` on the browser's loop; once more in a new browser if it died meanwhile."""
        with self._lock:
            for attempt in (1, 2):
                browser = self._ensure()
                try:
                    return browser.run(work(browser.kaleido), timeout_s)
                except TimeoutError:
                    self._stop()  # a hung browser is no use to the next pack
                    raise
                except Exception:
                    if attempt == 2 or browser.alive():
                        raise
                    _logger.warning("the pack browser died; starting a new one")
                    self._stop()

    def _ensure(self) -> _Browser:
        options = _kaleido_options()
        browser = self._browser
        if browser is not None and (not browser.alive() or browser.options != options):
            self._stop()
        if self._browser is None:
            self._browser = _Browser(options)
        return self._browser

    def start(self) -> None:
        with self._lock:
            self._ensure()

    def running(self) -> bool:
        """Whether a browser is up, without waiting for a pack being drawn (no lock)."""
        browser = self._browser
        return browser is not None and browser.alive()

    def pid(self) -> int | None:
        with self._lock:
            browser = self._browser
            return browser.pid() if browser is not None and browser.alive() else None

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        browser, self._browser = self._browser, None
        if browser is not None:
            browser.close()


_RENDERER = _Renderer()
_PREWARMING = threading.Lock()  # one start ahead at a time
atexit.register(stop)
