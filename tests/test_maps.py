"""補助金マップ: boundaries, dissolve, district offsets, figures and the page model, on the sample
warehouse and N03-shaped fixtures (plus the full 福島県 file when the shared data is present)."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

from core.settings import PROJECT_DIR
from core.vocabulary import N03_CREDIT as CREDIT
from dashboard.db import Warehouse
from dashboard.filters import Filters, ProfileOption, build_profile_options
from dashboard.maps import (
    dissolve_by_bureau,
    district_positions,
    load_boundaries,
    local_utm,
    plot_grant_choropleth,
    plot_grant_points,
)
from dashboard.views import direct_loader
from dashboard.views.grant_map import GrantMap, build_grant_map
from etl.boundaries import fetch_boundaries
from tests.conftest import settings_for
from tests.n03 import FUKUSHIMA, TOTTORI, sample_boundaries

FULL_FUKUSHIMA = Path("/work/shared/data/boundaries/N03-21_07_210101.geojson")


@pytest.fixture(scope="module")
def load(sample_settings):
    return direct_loader(Warehouse(sample_settings.warehouse_dir))


@pytest.fixture(scope="module")
def options(load) -> dict[str, ProfileOption]:
    return build_profile_options(load)


@pytest.fixture(scope="module")
def boundaries_dir(tmp_path_factory) -> Path:
    """N03-shaped fixtures for both sample profiles (tests/n03.py)."""
    return sample_boundaries(tmp_path_factory.mktemp("maps"))


def everything(option: ProfileOption, bureaus: tuple[str, ...] = ()) -> Filters:
    return Filters(option.key, option.first_fy, option.last_fy, bureaus)


def whole_map(load, option: ProfileOption, level: str, boundaries: Path) -> GrantMap:
    """The page model for every year and bureau of the profile."""
    return build_grant_map(load, everything(option), option, level, boundaries, "white-bg")


def traces(fig, kind: str = "choroplethmap") -> dict[str, object]:
    return {t.name: t for t in fig.data if t.type == kind}


def values_gdf(grants: list[float | None], selected: list[bool], names: list[str] | None = None):
    codes = list(FUKUSHIMA)[: len(grants)]
    return gpd.GeoDataFrame({
        "key": codes, "name": names or [FUKUSHIMA[c] for c in codes], "bureau": "会津",
        "grant_yen": pd.array(grants, dtype="Float64"), "records": 1, "districts": 1,
        "is_selected": selected,
        "geometry": [box(139.5 + 0.2 * i, 37.3, 139.7 + 0.2 * i, 37.5) for i in range(len(grants))],
    }, crs="EPSG:4326")  # fmt: skip


def districts_frame(names: tuple[str, str] = ("東地区", "西地区")) -> pd.DataFrame:
    return pd.DataFrame({
        "municipality_code": ["07208", "07208", "07367"], "municipality_name": ["喜多方市", "喜多方市", "只見町"],
        "district_name": [*names, "早森田地区"], "district_key": ["b", "a", "c"],
        "first_fy": [2021, 2022, 2022], "last_fy": [2023, 2024, 2025],
        "cumulative_grant_yen": [3_222_000, 1_000_000, 5_220_000], "cap_yen": 5_000_000,
        "cap_used_pct": [64.4, 20.0, 104.4], "rep_lat": [37.7059, 37.7059, 37.2935],
        "rep_lon": [139.8424, 139.8424, 139.3585],
    })  # fmt: skip


def test_choropleth_has_code_locations_and_category_traces():
    gdf = values_gdf([None, 0, 1_500_000, 2_000_000], [True, True, True, False])
    fig = plot_grant_choropleth(gdf, "municipality", districts_frame(), "white-bg")
    layers = traces(fig)
    assert {name: list(t.locations) for name, t in layers.items()} == {
        "補助なし": ["07202"], "データなし": ["07201"], "選択外の地方振興局": ["07367"], "補助あり": ["07208"],
    }  # fmt: skip
    assert all(layers[n].showlegend for n in ("補助なし", "データなし", "選択外の地方振興局"))
    assert list(layers["補助あり"].z) == [1500.0]  # 千円
    assert layers["補助あり"].colorbar.title.text == "補助金額（千円）"
    for trace in layers.values():  # each layer carries only its own features
        assert [f["id"] for f in trace.geojson["features"]] == list(trace.locations)
    assert fig.layout.map.style == "white-bg"
    assert 139.5 < fig.layout.map.center.lon < 140.3 and 37.3 < fig.layout.map.center.lat < 37.5


def test_districts_sized_by_grant_and_coloured_by_cap_use():
    fig = plot_grant_choropleth(
        values_gdf([0], [True]), "municipality", districts_frame(), "white-bg"
    )
    markers = traces(fig, "scattermap")
    main = markers["地区（大きさ: 累計補助金額）"]
    largest_radius_px = (max(main.marker.size) / 2 / main.marker.sizeref) ** 0.5  # as plotly.js
    assert 2 * largest_radius_px == pytest.approx(30)
    assert main.marker.colorbar.title.text == "上限使用率（%）"
    assert max(main.marker.color) == 100 and main.marker.cmax == 100  # over the cap: darkest
    assert len(markers["上限超過（100%超）"].lat) == 1
    over = [text for text in main.hovertext if "上限超過" in text]
    assert over == [
        "早森田地区（只見町）<br>累計: 5,220千円 / 上限 5,000千円（104.4%）"
        "<br>期間: 令和4年度 (2022)～令和7年度 (2025)<br><b>上限超過</b>"
    ]


def test_zero_yen_is_no_grant_not_spend(load, options, boundaries_dir):
    option = options["fukushima"]
    grant_map = whole_map(load, option, "municipality", boundaries_dir)
    layers = traces(grant_map.figure)
    assert grant_map.has_boundaries and grant_map.credit == CREDIT
    assert set(layers["補助なし"].locations) == {"07201", "07202"}  # 0 yen in the sample
    assert set(layers["補助あり"].locations) == {"07208", "07367"}
    assert min(layers["補助あり"].z) > 0
    locations = [code for t in layers.values() for code in t.locations]
    assert sorted(locations) == sorted(FUKUSHIMA) and all(len(c) == 5 for c in locations)
    table = grant_map.table.set_index("市町村コード")
    assert table.loc["07201", "補助金額（千円）"] == 0  # a known zero stays 0
    assert not grant_map.is_empty


def test_outside_selected_bureaus_is_faded(load, options, boundaries_dir):
    option = options["fukushima"]
    filters = everything(option, ("会津", "南会津"))
    grant_map = build_grant_map(load, filters, option, "municipality", boundaries_dir, "white-bg")
    assert list(traces(grant_map.figure)["選択外の地方振興局"].locations) == ["07201"]
    assert "福島市" not in set(grant_map.table["市町村名"])
    assert set(grant_map.districts_table["市町村"]) <= {"喜多方市", "只見町", "下郷町", "南会津町",
                                                      "西会津町", "猪苗代町", "柳津町", "三島町",
                                                      "金山町", "昭和村", "会津美里町"}  # fmt: skip


def test_prefecture_without_grant_data_is_all_no_data(load, options, boundaries_dir):
    option = options["tottori"]
    grant_map = whole_map(load, option, "municipality", boundaries_dir)
    assert list(traces(grant_map.figure)) == ["データなし"]
    assert sorted(traces(grant_map.figure)["データなし"].locations) == sorted(TOTTORI)
    assert grant_map.is_empty and "まだ取り込まれていません" in grant_map.message
    assert (grant_map.spend.value, grant_map.municipalities.value) == ("データなし", "データなし")
    for column in ("補助金額（千円）", "記録数", "地区数"):  # unknown is NULL, never 0
        assert grant_map.table[column].isna().all(), column
    bureau_map = whole_map(load, option, "bureau", boundaries_dir)
    assert bureau_map.table["補助金額（千円）"].isna().all()


def test_selection_without_grants_is_empty(load, options, boundaries_dir):
    option = options["fukushima"]
    filters = Filters("fukushima", 2021, 2022, ("いわき",))
    grant_map = build_grant_map(load, filters, option, "municipality", boundaries_dir, "white-bg")
    assert grant_map.is_empty and "補助金の記録がありません" in grant_map.message
    assert (grant_map.spend.value, grant_map.municipalities.value) == ("0千円", "0市町村")


def test_all_unknown_amounts_are_null_not_zero(load):
    # In FY2026 昭和村 has only a 採択 record whose amount is not yet known: unknown, not 0.
    frame = load("grant_by_municipality", pref="07", from_fy=2026, to_fy=2026).set_index(
        "municipality_code"
    )
    assert pd.isna(frame.loc["07446", "grant_yen"]) and frame.loc["07446", "records"] == 1
    assert frame.loc["07362", "grant_yen"] == 360_000  # 下郷町: a 交付決定 planning grant
    assert frame.loc["07201", "grant_yen"] == 0  # 福島市: no grant at all that year


def test_bureau_level_dissolves_one_feature_per_bureau(load, options, boundaries_dir):
    gdf = load_boundaries(boundaries_dir, "07")
    bureaus = dissolve_by_bureau(gdf)
    assert bureaus.crs.to_epsg() == 4326
    assert sorted(bureaus["bureau"]) == ["会津", "南会津", "県北"]
    assert dict(zip(bureaus["bureau"], bureaus["municipalities"], strict=True))["会津"] == 2
    assert bureaus["area_km2"].sum() == pytest.approx(gdf["area_km2"].sum(), rel=1e-3)
    projected = bureaus.to_crs(bureaus.estimate_utm_crs())  # no gaps, no overlaps
    assert projected.union_all().area == pytest.approx(projected.area.sum(), rel=1e-6)
    option = options["fukushima"]
    grant_map = whole_map(load, option, "bureau", boundaries_dir)
    locations = [key for t in traces(grant_map.figure).values() for key in t.locations]
    assert sorted(locations) == ["会津", "南会津", "県北"]
    assert list(grant_map.table.columns[:3]) == ["地方振興局", "市町村数", "補助のある市町村数"]
    assert len(grant_map.table) == len(option.bureaus)


def test_without_boundaries_falls_back_to_points(load, options, tmp_path):
    option = options["fukushima"]
    grant_map = whole_map(load, option, "municipality", tmp_path)
    assert not grant_map.has_boundaries and grant_map.credit == ""
    assert "python -m etl boundaries --profile fukushima" in grant_map.note
    assert {t.type for t in grant_map.figure.data} == {"scattermap"}
    assert {"補助なし", "補助あり（大きさ・色: 金額）"} <= {t.name for t in grant_map.figure.data}
    tottori = options["tottori"]
    points = build_grant_map(load, everything(tottori), tottori, "bureau", tmp_path, "white-bg")
    assert [t.name for t in points.figure.data] == ["データなし"]


def test_load_boundaries_copies_and_follows_the_file(boundaries_dir, tmp_path):
    assert load_boundaries(tmp_path, "07") is None
    first = load_boundaries(boundaries_dir, "07")
    first.loc[:, "name"] = "changed"
    assert "changed" not in set(load_boundaries(boundaries_dir, "07")["name"])
    (tmp_path / "07.geojson").write_bytes((boundaries_dir / "07.geojson").read_bytes())
    assert len(load_boundaries(tmp_path, "07")) == 4
    smaller = load_boundaries(tmp_path, "07").head(2)
    smaller.to_file(tmp_path / "07.geojson", driver="GeoJSON")
    os.utime(tmp_path / "07.geojson", ns=(1, 1))  # a different mtime, as a re-download has
    assert len(load_boundaries(tmp_path, "07")) == 2


def test_district_offsets_are_deterministic_and_distinct():
    frame = districts_frame()
    placed = district_positions(frame)
    again = district_positions(frame.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(placed, again)
    kitakata = placed[placed["municipality_code"] == "07208"]
    assert list(kitakata["district_key"]) == ["a", "b"]
    assert len(set(zip(kitakata["lat"], kitakata["lon"], strict=True))) == 2
    assert kitakata["lat"].tolist() == [round(37.7059 + 0.03, 5), round(37.7059 - 0.03, 5)]
    tadami = placed[placed["municipality_code"] == "07367"].iloc[0]
    assert (tadami["lat"], tadami["lon"]) == (37.2935, 139.3585)  # a single district stays put


def test_hover_text_escapes_markup():
    script = "<script>alert(1)</script>&"
    gdf = values_gdf([1_000_000], [True], names=[script])
    fig = plot_grant_choropleth(gdf, "municipality", districts_frame((script, "西")), "white-bg")
    points = plot_grant_points(
        gdf.drop(columns="geometry").assign(rep_lat=37.5, rep_lon=139.6), districts_frame((script, "西"))
    )  # fmt: skip
    hovers = [text for f in (fig, points) for t in f.data for text in t.hovertext]
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;&amp;" in text for text in hovers)
    assert not any("<script>" in text for text in hovers)


@pytest.mark.skipif(not FULL_FUKUSHIMA.exists(), reason="shared N03 file for 福島県 not present")
@pytest.mark.parametrize("level", ["municipality", "bureau"])
def test_full_prefecture_figure_is_small(load, options, tmp_path, level):
    settings = settings_for(tmp_path)
    fetch_boundaries(settings, "fukushima", str(FULL_FUKUSHIMA))
    option = options["fukushima"]
    grant_map = whole_map(load, option, level, settings.boundaries_dir)
    locations = [key for t in traces(grant_map.figure).values() for key in t.locations]
    assert len(locations) == (59 if level == "municipality" else 7)
    assert len(grant_map.figure.to_json()) < 1_000_000


@pytest.fixture
def app(sample_settings, boundaries_dir, monkeypatch):
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(sample_settings.warehouse_dir))

    def run(boundaries: Path = boundaries_dir, **params: str) -> AppTest:
        monkeypatch.setenv("KYOTEN_BOUNDARIES_DIR", str(boundaries))
        at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=30)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()  # the documented order: a first run registers the pages, then switch
        at.switch_page("pages/grant_map.py").run()
        assert not at.exception, at.exception
        assert at.title[0].value == "補助金マップ"
        return at

    return run


def test_page_runs_at_each_level(app):
    at = app()
    assert at.radio(key="grant_map_level_radio").value == "municipality"
    assert at.query_params["level"] in ("municipality", ["municipality"])
    assert any("国土数値情報" in c.value for c in at.caption)
    at.radio(key="grant_map_level_radio").set_value("bureau").run()
    assert not at.exception
    assert at.query_params["level"] in ("bureau", ["bureau"])
    assert at.query_params["profile"] in ("fukushima", ["fukushima"])  # other keys untouched


def test_page_reads_level_from_the_link(app):
    at = app(level="bureau")
    assert at.radio(key="grant_map_level_radio").value == "bureau"
    assert any("地方振興局別の表" in e.label for e in at.expander)


def test_page_for_prefecture_without_grants(app):
    at = app(profile="tottori")
    assert any("まだ取り込まれていません" in i.value for i in at.info)


def test_page_without_boundaries_says_how_to_get_them(app, tmp_path):
    at = app(boundaries=tmp_path)
    assert any("python -m etl boundaries --profile fukushima" in i.value for i in at.info)
    assert not any("国土数値情報（行政区域データ）" in c.value for c in at.caption)


def test_bureau_sums_equal_the_municipality_sums(load, options, boundaries_dir):
    """The bureau level is summed in SQL from the same mart: each bureau equals its municipalities."""
    option = options["fukushima"]
    towns = whole_map(load, option, "municipality", boundaries_dir).table
    bureaus = whole_map(load, option, "bureau", boundaries_dir).table.set_index("地方振興局")
    by_town = towns.groupby("地方振興局")["補助金額（千円）"].sum()
    for bureau, total in by_town.items():
        assert float(bureaus.loc[bureau, "補助金額（千円）"]) == pytest.approx(float(total)), bureau


@pytest.mark.parametrize(
    "bounds",
    [(139.2, 36.8, 141.1, 38.0), (133.1, 35.0, 134.5, 35.6), (139.3, 41.3, 145.8, 45.6),
     (122.9, 24.0, 131.4, 27.9)],  # 福島, 鳥取, a 北海道-wide frame, 沖縄 (zone 51/52)
)  # fmt: skip
def test_local_utm_is_the_zone_geopandas_estimates(bounds):
    frame = gpd.GeoDataFrame(geometry=[box(*bounds)], crs="EPSG:4326")
    assert local_utm(frame) == f"EPSG:{frame.estimate_utm_crs('JGD2011').to_epsg()}"
