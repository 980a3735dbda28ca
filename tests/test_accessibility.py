"""JIS X 8341-3:2016 AA on every page, checked in Chromium at a desktop width (1440 px) and a
tablet held upright (820 px): lang="ja", no serious or critical axe-core violation, headings in
order, every chart named, no English Streamlit label left, a visible focus ring, the sidebar
closed on a narrow screen, and no card whose label or value is cut off (no bureau, one, two;
1024 px too). Screenshots of every page at both widths go to test-output/screenshots/ for a
person to look at."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboard.ui.navigation import PAGES
from tests.browser import require_browser, screenshot, streamlit_server, wait_for_app

pytestmark = pytest.mark.browser
WIDTHS = (1440, 820)
CARD_WIDTHS = (1440, 1024, 820)
ENGLISH = ("Skip to main content", "Collapse sidebar", "Expand sidebar", "App pages", "Help for ",
           "Link to heading", "Show/hide columns", "Download as CSV", "Fullscreen", "Search")  # fmt: skip
UNNAMED_CHARTS = """() => Array.from(document.querySelectorAll('[data-testid=stPlotlyChart]'))
  .filter(chart => { const box = chart.closest('[role=figure]');
                     return !box || !(box.getAttribute('aria-label') || '').trim(); }).length"""
LABELS_IN_ENGLISH = """(words) => Array.from(document.querySelectorAll('[aria-label], [title]'))
  .flatMap(e => [e.getAttribute('aria-label') || '', e.getAttribute('title') || ''])
  .concat(Array.from(document.querySelectorAll('a, button, label')).map(e => e.textContent.trim()))
  .filter(text => words.some(word => text.startsWith(word)))"""
BLOCKING = ("serious", "critical")
CUT_OFF = """() => Array.from(document.querySelectorAll('[data-testid=stMetric]')).flatMap(card => {
  const box = (card.closest('[data-testid=stColumn]') || card).getBoundingClientRect();
  return Array.from(card.querySelectorAll(
      '[data-testid=stMetricLabel] p, [data-testid=stMetricValue] p, [data-testid=stMetricDelta] p'))
    .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > box.right + 1)
    .map(e => e.textContent);
})"""


HEADING_LEVELS = """() => Array.from(document.querySelectorAll(
  '[data-testid=stMain] h1, [data-testid=stMain] h2, [data-testid=stMain] h3, [data-testid=stMain] h4'))
  .map(h => Number(h.tagName[1]))"""


def skipped_levels(levels: list[int]) -> list[tuple[int, int]]:
    """Pairs of consecutive headings where a level is skipped (h1 followed by h3)."""
    return [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]


def path_of(spec) -> str:
    return "" if spec is PAGES[0] else spec.path.removeprefix("pages/").removesuffix(".py")


@pytest.fixture(scope="module")
def server(sample_settings, tmp_path_factory):
    require_browser()
    env = {"KYOTEN_WAREHOUSE_DIR": str(sample_settings.warehouse_dir),
           "KYOTEN_BOUNDARIES_DIR": str(tmp_path_factory.mktemp("no-boundaries"))}  # fmt: skip
    with streamlit_server(env) as base:
        yield base


def open_page(browser, base: str, path: str, width: int, query: str = ""):
    page = browser.new_context(viewport={"width": width, "height": 1000}, locale="ja-JP").new_page()
    page.goto(f"{base}/{path}{query}")
    wait_for_app(page, "福島県 ／", timeout=60_000)  # the page body's scope line
    page.wait_for_function("() => document.documentElement.lang === 'ja'", timeout=10_000)
    return page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("spec", PAGES, ids=lambda s: path_of(s) or "overview")
def test_every_page_meets_aa_at_both_widths(server, browser, spec, width):
    from axe_playwright_python.sync_playwright import Axe

    page = open_page(browser, server, path_of(spec), width)
    assert page.evaluate("() => document.documentElement.lang") == "ja"  # (waited for above)
    violations = Axe().run(page).response["violations"]
    blocking = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations
                if v["impact"] in BLOCKING]  # fmt: skip
    assert blocking == [], blocking
    levels = page.evaluate(HEADING_LEVELS)
    assert levels[:1] == [1] and skipped_levels(levels) == [], levels  # headings in order
    page.wait_for_timeout(300)  # the labelling script runs on the next animation frame
    assert page.evaluate(UNNAMED_CHARTS) == 0  # every chart has an accessible name
    assert page.evaluate(LABELS_IN_ENGLISH, list(ENGLISH)) == []
    screenshot(page, f"a11y-{path_of(spec) or 'overview'}-{width}", width=width)
    page.context.close()


@pytest.mark.parametrize("width", CARD_WIDTHS)
@pytest.mark.parametrize("query", ["", "?bureau=会津", "?bureau=会津&bureau=南会津&from=2022&to=2024"],
                         ids=["no-bureau", "one-bureau", "two-bureaus"])  # fmt: skip
@pytest.mark.parametrize("path", ["", "briefing", "grant_map", "pipeline"])
def test_no_card_is_cut_off(server, browser, path, query, width):
    page = open_page(browser, server, path, width, query)
    page.wait_for_function("() => document.querySelectorAll('[data-testid=stMetric]').length > 0")
    try:  # once the layout has settled (fonts loaded, columns sized); a real overflow persists
        page.wait_for_function(f"() => document.fonts.status === 'loaded' && ({CUT_OFF})().length === 0",
                               timeout=5_000)  # fmt: skip
    except PlaywrightTimeout:
        pass
    assert page.evaluate(CUT_OFF) == []
    page.context.close()


@pytest.mark.parametrize(("width", "expanded"), [(1440, True), (1024, False), (820, False)])
def test_sidebar_starts_closed_on_a_narrow_screen(server, browser, width, expanded):
    page = open_page(browser, server, "", width)
    shown = "() => { const s = document.querySelector('[data-testid=stSidebar]'); return !!s && s.offsetWidth > 50; }"
    try:  # the sidebar slides shut
        page.wait_for_function(f"() => ({shown})() === {str(expanded).lower()}", timeout=10_000)
    except PlaywrightTimeout:
        pass
    assert page.evaluate(shown) is expanded
    page.context.close()


def test_focus_is_visible_on_the_navigation(server, browser):
    page = open_page(browser, server, "", 1440)
    link = page.locator("[data-testid=stSidebarNavLink]").nth(1)
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }"
    )
    assert outline[0] == "solid" and outline[1] >= 2 and outline[2] == "rgb(0, 23, 193)", outline
    page.context.close()


def test_briefing_table_scrolls_instead_of_wrapping_at_820(server, browser):
    page = open_page(browser, server, "briefing", 820)
    page.wait_for_selector("[data-testid=stTable] td")
    tall = page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-testid=stTable] td, [data-testid=stTable] th'))"
        ".filter(c => c.getBoundingClientRect().height > 3 * parseFloat(getComputedStyle(c).lineHeight))"
        ".map(c => c.textContent)"
    )
    assert tall == []  # no cell one character per line
    page.context.close()
