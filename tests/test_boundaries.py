"""`python -m etl boundaries` on N03-shaped fixtures: GeoJSON, zipped Shapefile, URL."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import zipfile

import geopandas as gpd
import pytest
import shapely

from core.vocabulary import N03_CREDIT as CREDIT
from etl.boundaries import fetch_boundaries
from etl.errors import BoundaryError
from tests.n03 import FUKUSHIMA, n03_frame, write_geojson


def check_output(path, codes):
    gdf = gpd.read_file(path)
    assert gdf.crs.to_epsg() == 4326
    assert sorted(gdf["code"]) == sorted(codes)
    assert gdf["code"].str.fullmatch(r"\d{5}").all()
    assert (gdf["area_km2"] > 300).all()  # a 0.2° square at 37°N is about 390 km²
    assert gdf.geometry.is_valid.all()
    assert gdf.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    exteriors = [
        shapely.get_exterior_ring(p) for g in gdf.geometry for p in getattr(g, "geoms", [g])
    ]
    assert not any(shapely.is_ccw(ring) for ring in exteriors)  # outer rings clockwise
    return gdf


def test_from_geojson(fresh_settings, tmp_path):
    source = write_geojson(tmp_path / "n03.geojson")
    out = fetch_boundaries(fresh_settings, "fukushima", str(source))
    gdf = check_output(out, FUKUSHIMA)
    assert dict(zip(gdf["code"], gdf["name"], strict=True)) == FUKUSHIMA
    meta = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["credit"] == CREDIT
    assert any("所属未定地" in note for note in meta["notes"])
    assert any("境界データにない市町村" in note for note in meta["notes"])


def test_from_zipped_shapefile_in_cp932(fresh_settings, tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    n03_frame().to_file(folder / "N03-20240101_07.shp", encoding="cp932")
    (folder / "N03-20240101_07.cpg").unlink(missing_ok=True)  # old N03 files have no .cpg
    archive = tmp_path / "N03-20240101_07_GML.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.iterdir():
            zf.write(path, f"N03-20240101_07_GML/{path.name}")
    out = fetch_boundaries(fresh_settings, "fukushima", str(archive))
    gdf = check_output(out, FUKUSHIMA)
    assert set(gdf["name"]) == set(FUKUSHIMA.values())


def test_from_url(fresh_settings, tmp_path):
    write_geojson(tmp_path / "n03.geojson")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/n03.geojson"
        out = fetch_boundaries(fresh_settings, "fukushima", url)
    finally:
        server.shutdown()
    check_output(out, FUKUSHIMA)


def test_unreachable_url_says_how_to_work_offline(fresh_settings):
    with pytest.raises(BoundaryError, match="--from"):
        fetch_boundaries(fresh_settings, "fukushima", "http://127.0.0.1:9/N03.zip", timeout=2)


def test_unknown_code_is_refused(fresh_settings, tmp_path):
    source = write_geojson(
        tmp_path / "n03.geojson", municipalities={"07201": "福島市", "07999": "架空村"}
    )
    with pytest.raises(BoundaryError, match="07999"):
        fetch_boundaries(fresh_settings, "fukushima", str(source))
    assert not (fresh_settings.boundaries_dir / "07.geojson").exists()


def test_other_prefecture_is_refused(fresh_settings, tmp_path):
    source = write_geojson(
        tmp_path / "n03.geojson", municipalities={"31201": "鳥取市"}, pref_name="鳥取県"
    )
    with pytest.raises(BoundaryError, match="n03.geojson: 福島県の市町村がありません"):
        fetch_boundaries(fresh_settings, "fukushima", str(source))


def test_missing_n03_columns_are_refused(fresh_settings, tmp_path):
    source = tmp_path / "plain.geojson"
    n03_frame().drop(columns=["N03_007"]).to_file(source, driver="GeoJSON")
    with pytest.raises(BoundaryError, match="N03_007"):
        fetch_boundaries(fresh_settings, "fukushima", str(source))


def test_simplified_neighbours_share_their_border(fresh_settings, tmp_path):
    """coverage_simplify keeps a coverage: no gaps or overlaps open between neighbours."""
    source = write_geojson(tmp_path / "n03.geojson", unassigned=False)
    gdf = gpd.read_file(fetch_boundaries(fresh_settings, "fukushima", str(source))).to_crs(
        "EPSG:6691"
    )
    union_area = gdf.union_all().area
    assert abs(union_area - gdf.area.sum()) / union_area < 1e-6
    assert len(gdf.union_all().interiors if hasattr(gdf.union_all(), "interiors") else []) == 0


SHARED = __import__("core.settings").settings.PROJECT_DIR.parent / "shared" / "data" / "boundaries"


@pytest.mark.skipif(
    not SHARED.exists(), reason="development boundary files are not on this machine"
)
@pytest.mark.parametrize(("profile", "name", "count"), [("fukushima", "N03-21_07_210101.geojson", 59),
                                                        ("tottori", "N03-21_31_210101.geojson", 19)])  # fmt: skip
def test_real_n03_files_match_the_municipality_table(fresh_settings, profile, name, count):
    out = fetch_boundaries(fresh_settings, profile, str(SHARED / name))
    gdf = gpd.read_file(out)
    assert len(gdf) == count and gdf.geometry.is_valid.all()
    assert out.stat().st_size < 400_000
