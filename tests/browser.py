"""Browser test support: a real `streamlit run` on a free loopback port and headless Chromium.

Browser tests are skipped when Chromium is missing, unless KYOTEN_REQUIRE_BROWSER=1 (CI), in
which case they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import PROJECT_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
OUTPUT_DIR = PROJECT_DIR / "test-output" / "screenshots"


def require_browser() -> None:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        message = "Chromium がありません（apt-get install chromium fonts-noto-cjk）"
        if os.environ.get("KYOTEN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(env: dict[str, str], timeout: float = 60, port: int | None = None,
                     args: tuple[str, ...] = (), app: str = "app.py") -> Iterator[str]:  # fmt: skip
    """Run the app (or another script) on a (free) port; yield its base URL; stop it afterwards."""
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", app, "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *args]  # fmt: skip
    log = OUTPUT_DIR.parent / f"streamlit-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as handle:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env={**os.environ, **env}, stdout=handle,
                                   stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"streamlit did not start: {log.read_text()[-2000:]}"
                    ) from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


RENDERED_JS = """
() => {
  const visible = (selector) => Array.from(document.querySelectorAll(selector)).filter(e => e.offsetParent !== null);
  return visible('[data-testid*="Skeleton"]').length === 0
    && visible('[data-testid="stPlotlyChart"]').every(c => c.querySelector('.main-svg'));
}
"""


def wait_rendered(page, timeout: float = 20_000) -> None:
    """Wait until every visible chart has drawn (charts render after the script has run)."""
    page.wait_for_function(RENDERED_JS, timeout=timeout)
    page.wait_for_timeout(300)


def screenshot(page, name: str, width: int = 1400) -> Path:
    """A full-length screenshot of a Streamlit page (its main area scrolls, not the window),
    at `width` pixels."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight"
    )
    page.set_viewport_size({"width": width, "height": min(int(height) + 60, 8000)})
    wait_rendered(page)
    page.wait_for_timeout(2000)  # charts lay themselves out again, tables draw, after the resize
    path = OUTPUT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path


def wait_for_app(page, text: str, timeout: float = 30_000) -> None:
    """Wait until the page shows `text` and Streamlit has finished running the script."""
    page.wait_for_selector(f"text={text}", timeout=timeout)
    page.evaluate("() => { window.__quietSince = null; }")
    page.wait_for_function(QUIET_JS, timeout=timeout)


# True once no script run is in progress and no element is left over from an earlier run,
# and that has held for 750 ms: the running indicator appears only after a short delay and a
# page may rerun itself once, so a single look can fall between two runs.
QUIET_JS = """
() => {
  const busy = document.querySelector('[data-testid="stStatusWidget"]')
    || document.querySelector('[data-stale="true"]');
  const now = performance.now();
  if (busy) { window.__quietSince = null; return false; }
  if (window.__quietSince == null) window.__quietSince = now;
  return now - window.__quietSince > 750;
}
"""


PLOT_MARKS_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
  const svgMarks = gd.querySelectorAll('.cartesianlayer .trace path, .cartesianlayer .trace image, .cartesianlayer image').length;
  let mapFeatures = null;
  const sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
  if (sub && sub.map && sub.map.isStyleLoaded && sub.map.isStyleLoaded()) {
    mapFeatures = sub.map.queryRenderedFeatures().length;
  }
  return {svgMarks, mapFeatures, traces: (gd._fullData || []).length};
})
"""


def plot_marks(page) -> list[dict]:
    """For each plotly chart on the page: drawn SVG marks, rendered map features, trace count."""
    return page.evaluate(PLOT_MARKS_JS)
