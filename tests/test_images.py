"""The packs' browser: one headless Chromium per process draws every pack's charts (and prints
the PDF), kept between packs, shared by threads, started again after it was stopped or died;
the PNGs are those plotly.io draws, at twice the chart's size."""

from __future__ import annotations

import io
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import plotly.graph_objects as go
import plotly.io as pio
import pytest
from PIL import Image

from dashboard.export import images
from dashboard.export.images import SCALE, browser_pid, print_pdf, render_charts
from dashboard.export.pdf_pack import html_to_pdf
from dashboard.views.pack import Chart
from tests.browser import CHROMIUM, require_browser

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True, scope="module")
def browser():
    require_browser()
    yield
    images.stop()


def chart(key: str, width: int = 320, height: int = 200) -> Chart:
    figure = go.Figure(go.Bar(x=["会津", "南会津", "相双"], y=[3, 1, 2]))
    figure.update_layout(title="拠点数", margin={"l": 40, "r": 10, "t": 40, "b": 30})
    return Chart(key, "拠点数", figure, "出典: テスト", width=width, height=height)


def running(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_charts_are_pngs_at_twice_their_size():
    drawn = render_charts([chart("wide", 320, 200), chart("tall", 200, 300)])
    assert set(drawn) == {"wide", "tall"}
    for key, (width, height) in {"wide": (320, 200), "tall": (200, 300)}.items():
        assert drawn[key].startswith(PNG_MAGIC)
        assert Image.open(io.BytesIO(drawn[key])).size == (width * SCALE, height * SCALE)


def test_no_charts_start_no_browser():
    images.stop()
    assert render_charts([]) == {}
    assert browser_pid() is None


def test_the_browser_is_kept_between_calls():
    render_charts([chart("first")])
    first = browser_pid()
    assert running(first)
    render_charts([chart("second")])
    assert browser_pid() == first


def test_the_images_are_those_plotly_draws():
    """The same PNG bytes as plotly.io (a browser of its own) draws: the packs look as before."""
    one = chart("same", 300, 180)
    expected = pio.to_image(one.figure, format="png", width=300, height=180, scale=SCALE)
    assert render_charts([one])["same"] == expected


def test_charts_after_a_garbage_collection_are_the_same(monkeypatch):
    """Past the heap limit the tab's garbage is collected (and plotly.js warmed up again) after
    a pack; the next pack's images do not change and the browser is kept."""
    monkeypatch.setattr(images, "HEAP_LIMIT_MIB", 0)  # collect after every pack
    first = render_charts([chart("same")])["same"]
    kept = browser_pid()
    assert render_charts([chart("same")])["same"] == first
    assert render_charts([chart("same")])["same"] == first
    assert browser_pid() == kept


def test_threads_share_one_browser_one_pack_at_a_time():
    render_charts([chart("warm")])
    kept = browser_pid()
    with ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda i: render_charts([chart(f"c{i}"), chart(f"d{i}")]), range(4))
        )
    assert all(set(drawn) == {f"c{i}", f"d{i}"} for i, drawn in enumerate(results))
    assert all(png.startswith(PNG_MAGIC) for drawn in results for png in drawn.values())
    assert browser_pid() == kept


def test_a_stopped_browser_starts_again():
    render_charts([chart("before")])
    before = browser_pid()
    images.stop()
    assert browser_pid() is None
    assert not running(before) or _wait_gone(before)
    drawn = render_charts([chart("after")])
    assert drawn["after"].startswith(PNG_MAGIC)
    assert running(browser_pid())


def test_a_dead_browser_is_replaced():
    render_charts([chart("alive")])
    dead = browser_pid()
    os.killpg(dead, signal.SIGKILL)  # Chromium and its helpers (they run in their own session)
    assert _wait_gone(dead)
    drawn = render_charts([chart("again")])
    assert drawn["again"].startswith(PNG_MAGIC)
    assert browser_pid() not in (None, dead)


def test_the_pdf_is_printed_in_the_kept_browser():
    render_charts([chart("first")])
    kept = browser_pid()
    pdf = html_to_pdf('<html lang="ja"><body><h1>拠点</h1></body></html>', CHROMIUM)
    assert pdf.startswith(b"%PDF-")
    assert browser_pid() == kept


def test_another_chromium_is_not_printed_in_the_kept_browser(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body>x</body></html>", encoding="utf-8")
    assert print_pdf(page, str(tmp_path / "other-chromium"), timeout_s=10) is None


def _wait_gone(pid: int, timeout_s: float = 10) -> bool:
    """True once the process has ended (reaped, or a zombie nobody has waited for yet)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:  # gone: no entry, or reaped between opening and reading (ESRCH)
            return True
        time.sleep(0.05)
    return False


def test_prewarm_starts_the_browser_ahead_and_the_pack_uses_it():
    images.stop()
    images.prewarm()  # returns at once: the page goes on while the browser starts
    deadline = time.monotonic() + 60
    while browser_pid() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    started = browser_pid()
    assert running(started)
    images.prewarm()  # already running: nothing new
    assert render_charts([chart("after")])["after"].startswith(PNG_MAGIC)
    assert browser_pid() == started
