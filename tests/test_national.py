"""全国比較: the comparison of every loaded prefecture on the sample warehouse, the national
published totals, the bar-chart fallback and the prefecture map from N03-shaped fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core import layout
from core.settings import PROJECT_DIR
from core.vocabulary import N03_CREDIT
from dashboard.db import Warehouse
from dashboard.formatting import NO_DATA, to_csv_bytes
from dashboard.views import direct_loader
from dashboard.views.national import NationalView, build_national, prefecture_shapes
from tests.browser import (
    chromium,
    require_browser,
    screenshot,
    streamlit_server,
    wait_for_app,
    wait_rendered,
)
from tests.n03 import FUKUSHIMA, sample_boundaries

SHARE = "組織のある割合（%）"
PER_MUNICIPALITY = "1市町村あたりの拠点数（拠点）"


@pytest.fixture(scope="module")
def load(sample_settings):
    return direct_loader(Warehouse(sample_settings.warehouse_dir))


@pytest.fixture(scope="module")
def sql(sample_settings):
    """A direct read-only query on the sample build, independent of the dashboard's SQL."""
    path = layout.current_path(sample_settings.warehouse_dir)
    with duckdb.connect(str(path), read_only=True) as con:
        yield lambda text, params=(): con.execute(text, list(params)).fetchall()


@pytest.fixture(scope="module")
def boundaries_dir(tmp_path_factory) -> Path:
    """N03-shaped fixtures for both sample profiles (tests/n03.py)."""
    return sample_boundaries(tmp_path_factory.mktemp("national"))


@pytest.fixture(scope="module")
def bars(load, tmp_path_factory) -> NationalView:
    return build_national(load, tmp_path_factory.mktemp("no-boundaries"), "white-bg")


@pytest.fixture(scope="module")
def mapped(load, boundaries_dir) -> NationalView:
    return build_national(load, boundaries_dir, "white-bg")


def rows(table: pd.DataFrame) -> dict[str, pd.Series]:
    return {row["都道府県"]: row for _, row in table.iterrows()}


def test_the_sample_shows_exactly_its_two_prefectures(bars):
    assert list(bars.table["都道府県"]) == ["福島県", "鳥取県"]
    assert list(bars.comparison_table["都道府県コード"]) == ["07", "31"]


def test_hubs_equal_a_direct_count_of_the_latest_survey_list(bars, sql):
    counted = dict(sql("""select pref_code, count(*) from hubs
                          where (pref_code, fiscal_year) in
                                (select (pref_code, max(fiscal_year)) from hubs group by pref_code)
                          group by pref_code"""))  # fmt: skip
    shown = dict(zip(bars.table["都道府県コード"], bars.table["拠点数（拠点）"], strict=True))
    assert shown == counted == {"07": 59, "31": 46}
    years = dict(zip(bars.table["都道府県"], bars.table["拠点数の年度（西暦）"], strict=True))
    assert years == {"福島県": 2024, "鳥取県": 2022}


def test_hubs_per_municipality_and_change_equal_direct_sql(bars, sql):
    municipalities = dict(sql("select pref_code, count(*) from municipalities group by pref_code"))
    table = rows(bars.comparison_table)
    for name, code, hubs in (("福島県", "07", 59), ("鳥取県", "31", 46)):
        assert table[name]["市町村数"] == municipalities[code]
        assert table[name][PER_MUNICIPALITY] == round(hubs / municipalities[code], 2)
    changes = {
        name: (r["前回からの増減（拠点）"], r["前回の年度（和暦）"]) for name, r in table.items()
    }
    assert changes == {"福島県": (4, "令和5年度"), "鳥取県": (7, "令和3年度")}  # 55→59, 39→46


def test_an_unknown_rmo_share_is_no_data_never_zero(bars):
    table = rows(bars.comparison_table)
    assert table["福島県"][SHARE] == pytest.approx(79.7)
    assert pd.isna(table["鳥取県"][SHARE]) and pd.isna(table["鳥取県"]["割合の年度（西暦）"])
    csv = to_csv_bytes(bars.comparison_table).decode("utf-8-sig").splitlines()
    tottori = dict(zip(csv[0].split(","), csv[2].split(","), strict=True))
    assert tottori[SHARE] == NO_DATA
    share_bars = bars.comparison_figure.data[1]  # the second panel: the RMO share
    assert pd.isna(share_bars.x[1]) and share_bars.text[1] == NO_DATA
    assert "組織のある拠点の割合: データなし" in share_bars.hovertext[1]
    assert [a.text for a in bars.comparison_figure.layout.annotations if a.y == "鳥取県"] == [
        NO_DATA
    ]


def test_the_page_says_how_other_prefectures_appear(bars):
    assert "2都道府県（福島県・鳥取県）" in bars.others_note
    assert "python -m etl profile new <都道府県コード>" in bars.others_note
    assert "\n" not in bars.others_note  # one line


def test_national_published_totals_with_year_and_source(bars, sql):
    expected = dict(sql("""select indicator, value from kpi_actual where pref_code = '00'
                           and fiscal_year = 2024 and indicator in ('hubs_total', 'rmo_in_hubs')"""))  # fmt: skip
    cards = {card.metric: card for card in bars.national_cards}
    assert cards["national_hubs"].reading.value == expected["hubs_total"] == 2306
    assert cards["national_rmo"].reading.value == expected["rmo_in_hubs"]
    assert (cards["national_hubs"].label, cards["national_hubs"].value) == (
        "全国の拠点数（令和6年度 (2024)）",
        "2,306拠点",
    )
    assert cards["national_hubs"].delta == "+102拠点（R4 (2022)比）"
    assert cards["national_rmo_share_pct"].value == "78.8%"
    assert "令和6年度 (2024)" in bars.national_caption and "内閣府" in bars.national_caption


def test_without_boundaries_the_hubs_are_bars_with_a_note(bars):
    assert not bars.has_map
    assert [t.type for t in bars.figure.data] == ["bar"]
    assert list(bars.figure.data[0].y) == ["福島県", "鳥取県"]
    assert list(bars.figure.data[0].x) == [59, 46]
    assert "python -m etl boundaries --from FILE" in bars.map_note


def test_unknown_hubs_get_no_bar_and_no_zero(load, tmp_path):
    def without_tottori_hubs(name: str, **arguments: object) -> pd.DataFrame:
        frame = load(name, **arguments)
        if name == "national_comparison":
            columns = ["hubs", "hubs_fy", "hubs_per_municipality", "change", "previous_fy"]
            frame.loc[frame["pref_code"] == "31", columns] = None
        return frame

    view = build_national(without_tottori_hubs, tmp_path, "white-bg")
    tottori = rows(view.table)["鳥取県"]
    assert pd.isna(tottori["拠点数（拠点）"]) and tottori["拠点数の年度（和暦）"] == NO_DATA
    assert pd.isna(view.figure.data[0].x[1]) and view.figure.data[0].text[1] == NO_DATA
    assert not view.is_empty


def test_prefecture_outlines_dissolve_the_municipalities(boundaries_dir):
    shapes = prefecture_shapes(boundaries_dir, ["07", "31", "01"])  # 01: no boundaries
    assert list(shapes["pref_code"]) == ["07", "31"] and shapes.crs.to_epsg() == 4326
    assert all(shapes.geometry.geom_type == "Polygon")  # adjacent squares: one outline
    minx, miny, maxx, maxy = shapes.geometry.iloc[0].bounds
    width = 0.2 * len(FUKUSHIMA)
    assert (minx, miny, maxx, maxy) == pytest.approx((139.5, 37.3, 139.5 + width, 37.5), abs=0.01)


def test_with_boundaries_the_hubs_are_a_small_prefecture_map(mapped):
    assert mapped.has_map and not mapped.map_note
    (trace,) = mapped.figure.data
    assert trace.type == "choroplethmap" and list(trace.locations) == ["07", "31"]
    assert list(trace.z) == [59, 46]
    assert [f["id"] for f in trace.geojson["features"]] == ["07", "31"]
    assert mapped.figure.layout.map.style == "white-bg"
    assert N03_CREDIT in mapped.figure_caption
    assert len(mapped.figure.to_json()) < 300_000


def test_a_prefecture_without_boundaries_is_named_under_the_map(load, boundaries_dir, tmp_path):
    only_fukushima = tmp_path / "boundaries"
    only_fukushima.mkdir()
    for name in ("07.geojson", "07.json"):
        (only_fukushima / name).write_bytes((boundaries_dir / name).read_bytes())
    view = build_national(load, only_fukushima, "white-bg")
    assert view.has_map and list(view.figure.data[0].locations) == ["07"]
    assert "鳥取県は境界データがないため地図にありません" in view.map_note
    assert list(view.table["都道府県"]) == ["福島県", "鳥取県"]  # still in the table


@pytest.fixture
def page(sample_settings, monkeypatch):
    def run(boundaries: Path, params: dict | None = None) -> AppTest:
        monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(sample_settings.warehouse_dir))
        monkeypatch.setenv("KYOTEN_BOUNDARIES_DIR", str(boundaries))
        at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=30)
        for key, value in (params or {}).items():
            at.query_params[key] = value
        at.run()
        at.switch_page("pages/national.py").run()
        assert not at.exception, at.exception
        assert at.title[0].value == "全国比較"
        return at

    return run


def chart_types(at: AppTest) -> list[set[str]]:
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return [{trace["type"] for trace in spec["data"]} for spec in specs]


def test_the_page_runs_with_bars_and_with_the_map(page, tmp_path, boundaries_dir):
    at = page(tmp_path / "none", {"profile": "tottori"})
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["全国の拠点数（令和6年度 (2024)）"] == "2,306拠点"
    assert any("python -m etl profile new" in i.value for i in at.info)
    assert any("python -m etl boundaries --from FILE" in i.value for i in at.info)
    assert chart_types(at) == [{"bar"}, {"bar"}]
    tables = [frame.value for frame in at.dataframe]
    assert [list(t["都道府県"]) for t in tables] == [["福島県", "鳥取県"]] * 2
    assert list(tables[1][SHARE].astype(object).where(tables[1][SHARE].notna(), NO_DATA)) == [
        pytest.approx(79.7),
        NO_DATA,
    ]

    at = page(boundaries_dir)
    assert chart_types(at) == [{"choroplethmap"}, {"bar"}]
    assert not any("--from FILE" in i.value for i in at.info)


# Polygons rendered on the map and bars on the comparison chart, read in one look: the map may
# draw again after the script run (a rerun, a resize), so the figures are polled, not sampled.
DRAWN = """() => {
  const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
  if (plots.length < 2) return false;
  const sub = plots[0]._fullLayout && plots[0]._fullLayout.map && plots[0]._fullLayout.map._subplot;
  const ready = sub && sub.map && sub.map.isStyleLoaded && sub.map.isStyleLoaded();
  const features = ready ? sub.map.queryRenderedFeatures().length : 0;
  const bars = plots[1].querySelectorAll('.cartesianlayer .trace path').length;
  return features > 0 && bars > 0 ? {features, bars} : false;
}"""


@pytest.mark.browser
def test_the_browser_draws_the_prefecture_map(sample_settings, boundaries_dir):
    require_browser()
    env = {"KYOTEN_WAREHOUSE_DIR": str(sample_settings.warehouse_dir),
           "KYOTEN_BOUNDARIES_DIR": str(boundaries_dir)}  # fmt: skip
    with streamlit_server(env) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
        page.goto(f"{base}/national")
        wait_for_app(page, "指標の比較")
        wait_rendered(page)
        drawn = page.wait_for_function(DRAWN, timeout=30_000).json_value()
        assert drawn["features"] > 0 and drawn["bars"] >= 2  # 2 prefectures' polygons and bars
        body = page.locator("[data-testid=stMain]").inner_text()
        assert "全国の拠点数" in body and "福島県・鳥取県" in body
        screenshot(page, "national")
