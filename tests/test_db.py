"""dashboard.db: the read-only holder follows the published build; snapshots read one build, and
the app's cache stores under each version only what that build holds."""

from __future__ import annotations

import duckdb
import pytest

from core import layout
from dashboard.db import BuildGone, Warehouse, WarehouseMissing
from dashboard.ui import cache
from etl import publish
from etl.build import build


def test_missing_warehouse_says_how_to_build(tmp_path):
    with pytest.raises(WarehouseMissing, match="python -m etl build"):
        Warehouse(tmp_path).query("select 1")


def test_queries_take_bound_parameters(sample_settings):
    reader = Warehouse(sample_settings.warehouse_dir)
    frame = reader.query(
        "select count(*) as n from hubs where pref_code = ? and fiscal_year = ?", ["07", 2024]
    )
    assert frame["n"].tolist() == [59]
    hostile = reader.query("select count(*) as n from hubs where bureau = ?", ["会津' or 1=1 --"])
    assert hostile["n"].tolist() == [0]
    reader.close()


def test_old_connection_is_closed_after_a_publish(fresh_settings, sample_copy):
    build(fresh_settings, sample_copy)
    reader = Warehouse(fresh_settings.warehouse_dir)
    reader.query("select 1")
    old = reader._handle
    build(fresh_settings, sample_copy)
    reader.query("select 1")
    assert reader._handle is not old and old.retired
    with pytest.raises(duckdb.ConnectionException):
        old.connection.execute("select 1")
    assert reader.version() == layout.current_build_id(fresh_settings.warehouse_dir)
    reader.close()


def test_connection_in_use_is_closed_only_when_released(fresh_settings, sample_copy):
    build(fresh_settings, sample_copy)
    reader = Warehouse(fresh_settings.warehouse_dir)
    with reader.cursor() as (_, cursor):
        old = reader._handle
        build(fresh_settings, sample_copy)
        reader.query("select 1")  # another caller moves on to the new build
        assert cursor.execute("select count(*) from hubs").fetchone()[0] == 277
    with pytest.raises(duckdb.ConnectionException):
        old.connection.execute("select 1")
    reader.close()


def drop_one_hub(folder) -> None:
    """The 2024 survey list of 福島県 without its last hub (59 → 58 hubs in 2024)."""
    path = folder / "fukushima_survey_r06_2024.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8-sig")


HUBS_2024 = "select count(*) as n from hubs where pref_code = '07' and fiscal_year = 2024"


@pytest.fixture
def two_builds(fresh_settings, sample_copy):
    """(warehouse dir, the first build's id with 59 hubs in 2024, the second's with 58)."""
    build(fresh_settings, sample_copy)
    first = layout.current_build_id(fresh_settings.warehouse_dir)
    drop_one_hub(sample_copy)
    build(fresh_settings, sample_copy)
    second = layout.current_build_id(fresh_settings.warehouse_dir)
    assert first != second
    return fresh_settings.warehouse_dir, first, second


def test_a_snapshot_reads_its_own_build_after_another_is_published(two_builds):
    folder, first, second = two_builds
    reader = Warehouse(folder)
    assert reader.query(HUBS_2024)["n"].item() == 58
    old = reader.snapshot(first)
    assert old.query(HUBS_2024)["n"].item() == 59  # not the build published since
    assert reader.snapshot().version == second
    assert reader.snapshot().query(HUBS_2024)["n"].item() == 58
    assert reader._handle.version == second  # the earlier build was read on a private connection
    with reader.cursor(first) as (version, cursor):
        assert version == first
        assert cursor.execute(HUBS_2024).fetchone()[0] == 59
    reader.close()


def test_a_snapshot_connection_is_closed_after_use(two_builds):
    folder, first, _ = two_builds
    reader = Warehouse(folder)
    reader.query("select 1")
    opened = []
    original = reader._open

    def recording(version):
        handle = original(version)
        opened.append(handle)
        return handle

    reader._open = recording
    reader.query(HUBS_2024, version=first)
    assert [h.version for h in opened] == [first] and opened[0].retired
    with pytest.raises(duckdb.ConnectionException):
        opened[0].connection.execute("select 1")
    reader.close()


def test_a_snapshot_of_a_deleted_build_says_so(two_builds):
    folder, first, _ = two_builds
    reader = Warehouse(folder)
    publish.prune_builds(folder, keep=1)
    with pytest.raises(BuildGone, match=first):
        reader.snapshot(first).query("select 1")
    reader.close()


def test_after_a_rollback_the_published_build_is_read_again(two_builds):
    folder, first, _ = two_builds
    reader = Warehouse(folder)
    assert reader.query(HUBS_2024)["n"].item() == 58
    publish.rollback(folder, first)
    assert reader.query(HUBS_2024)["n"].item() == 59
    assert reader._handle.version == first
    reader.close()


# --- the app's cache (dashboard.ui.cache) --------------------------------------------------------


def hubs_2024(load) -> int:
    return len(load("hubs_list", pref="07", year=2024, bureaus=()))


def test_a_result_cached_under_a_version_comes_from_that_build(two_builds, monkeypatch):
    folder, first, second = two_builds
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(folder))
    # A session read the version `first`, then `second` was published before its query ran.
    assert hubs_2024(cache.loader(first)) == 59  # stored under `first`: must be first's rows
    assert hubs_2024(cache.load) == 58
    publish.rollback(folder, first)  # a rollback brings the cached entry of `first` back
    assert cache.version() == first
    assert hubs_2024(cache.load) == 59
    cache.warehouse(str(folder)).close()


def test_a_read_whose_build_was_deleted_meanwhile_moves_on_to_the_published_one(
    two_builds, monkeypatch
):
    folder, first, second = two_builds
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(folder))
    publish.prune_builds(folder, keep=1)  # KYOTEN_KEEP_BUILDS=1 deletes `first` on publishing
    versions = iter([first, second])
    monkeypatch.setattr(cache, "version", lambda: next(versions))
    assert cache.latest(lambda at: (at, hubs_2024(cache.loader(at)))) == (second, 58)
    cache.warehouse(str(folder)).close()


def test_page_queries_run_on_one_thread_each(sample_settings):
    """Small per-prefecture queries are faster unsplit; sessions still run side by side."""
    db = Warehouse(sample_settings.warehouse_dir)
    assert db.query("select current_setting('threads') as t")["t"].iloc[0] == 1
    db.close()


def test_another_connection_to_the_same_build_still_opens(sample_settings):
    """The pages' connection must not stop an export or a check in the same process from
    opening the same build file (DuckDB refuses differing connect options for one file)."""
    db = Warehouse(sample_settings.warehouse_dir)
    db.query("select 1")
    path = layout.build_path(sample_settings.warehouse_dir, db.published_version())
    with duckdb.connect(str(path), read_only=True) as other:
        assert other.execute("select count(*) from hubs").fetchone()[0] > 0
    db.close()
