"""dashboard.db: the read-only holder follows the published build."""

from __future__ import annotations

import duckdb
import pytest

from dashboard.db import Warehouse, WarehouseMissing
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
    assert reader.version() == publish.current_build_id(fresh_settings.warehouse_dir)
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
