"""Atomic publishing: kills mid-build, readers during a build, builds at the same time."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time

import duckdb
import pytest

from core import layout
from core.settings import PROJECT_DIR
from dashboard.db import Warehouse
from etl import publish, stewardship
from etl.build import build
from etl.cli import build_command
from etl.errors import EtlError, PublishBusy


def hub_total(warehouse: Warehouse) -> int:
    return int(warehouse.query("select count(*) as n from hubs").iloc[0]["n"])


@pytest.mark.parametrize(
    "kill_after",
    [
        "検証 fukushima_grants_r03-r05.xlsx",
        "検証 tottori_survey_r03_2021.csv",
        "モデル staging.stg_survey__hubs",
        "モデル main.kpi_series",
        "データテスト",
    ],
)
def test_sigkill_mid_build_leaves_previous_warehouse_current(
    fresh_settings, sample_copy, kill_after
):
    first = build(fresh_settings, sample_copy)
    (sample_copy / "tottori_survey_r04_2022.xlsx").unlink()  # the next build would have fewer hubs
    process = subprocess.Popen(
        build_command(sample_copy, warehouse=fresh_settings.warehouse_dir),
        cwd=PROJECT_DIR, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    for line in process.stderr:
        if kill_after in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert layout.current_build_id(fresh_settings.warehouse_dir) == first.build_id
    reader = Warehouse(fresh_settings.warehouse_dir)
    assert hub_total(reader) == 277
    reader.close()
    # The next build cleans up what the killed one left and publishes normally.
    second = build(fresh_settings, sample_copy)
    assert layout.current_build_id(fresh_settings.warehouse_dir) == second.build_id
    assert list((fresh_settings.warehouse_dir / "tmp").iterdir()) == []


def test_reader_holding_the_warehouse_sees_the_new_build_on_its_next_query(
    fresh_settings, sample_copy
):
    build(fresh_settings, sample_copy)
    reader = Warehouse(fresh_settings.warehouse_dir)
    errors: list[BaseException] = []
    stop = threading.Event()

    def keep_reading() -> None:
        while not stop.is_set():
            try:
                hub_total(reader)
            except BaseException as exc:  # noqa: BLE001 - any error fails the test below
                errors.append(exc)

    with reader.cursor() as (version_before, cursor):  # an open cursor during the whole build
        assert cursor.execute("select count(*) from hubs").fetchone()[0] == 277
        threads = [threading.Thread(target=keep_reading) for _ in range(3)]
        for thread in threads:
            thread.start()
        (sample_copy / "tottori_survey_r04_2022.xlsx").unlink()
        result = subprocess.run(
            build_command(sample_copy, warehouse=fresh_settings.warehouse_dir),
            cwd=PROJECT_DIR,
            capture_output=True,
        )
        assert result.returncode == 0, result.stderr.decode()
        assert cursor.execute("select count(*) from hubs").fetchone()[0] == 277  # same snapshot
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert reader.version() != version_before
    assert hub_total(reader) == 277 - 46
    reader.close()


def test_two_builds_at_once_are_serialised(fresh_settings, sample_copy):
    build(fresh_settings, sample_copy)
    with publish.build_lock(fresh_settings.warehouse_dir):
        with pytest.raises(PublishBusy):
            build(fresh_settings, sample_copy)
        waiting = subprocess.Popen(
            build_command(sample_copy, warehouse=fresh_settings.warehouse_dir, wait=60),
            cwd=PROJECT_DIR, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(1.5)
        assert waiting.poll() is None  # it waits for the lock instead of failing
    out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, err.decode()
    builds = publish.list_builds(fresh_settings.warehouse_dir)
    assert len(builds) == 2


def test_rollback_makes_an_earlier_build_current(fresh_settings, sample_copy):
    first = build(fresh_settings, sample_copy)
    shutil.rmtree(sample_copy)
    sample_copy.mkdir()
    shutil.copy(PROJECT_DIR / "data" / "sample" / "tottori_survey_r04_2022.xlsx", sample_copy)
    second = build(fresh_settings, sample_copy)
    reader = Warehouse(fresh_settings.warehouse_dir)
    assert hub_total(reader) == 46
    publish.rollback(fresh_settings.warehouse_dir, first.build_id)
    assert hub_total(reader) == 277
    assert second.build_id in [
        b.build_id for b in publish.list_builds(fresh_settings.warehouse_dir)
    ]
    reader.close()


def test_a_build_of_an_older_format_is_not_rolled_back_to(fresh_settings, sample_copy):
    """A kept build that lacks a mart the dashboard reads (made before it existed) is refused
    by name; the published build stays."""
    first = build(fresh_settings, sample_copy)
    second = build(fresh_settings, sample_copy)
    con = duckdb.connect(str(layout.build_path(fresh_settings.warehouse_dir, first.build_id)))
    con.execute("drop table main.kpi_actual")
    con.close()
    with pytest.raises(EtlError, match=r"古い形式のため戻せません.*kpi_actual"):
        publish.rollback(fresh_settings.warehouse_dir, first.build_id)
    assert layout.current_build_id(fresh_settings.warehouse_dir) == second.build_id


def test_rollback_runs_in_a_child_process_like_a_publish(fresh_settings, sample_copy):
    first = build(fresh_settings, sample_copy)
    second = build(fresh_settings, sample_copy)
    stewardship.rollback_build(fresh_settings, first.build_id)
    assert layout.current_build_id(fresh_settings.warehouse_dir) == first.build_id
    with pytest.raises(EtlError, match=r"(?s)以前の版に戻せませんでした.*残っていません"):
        stewardship.rollback_build(fresh_settings, "20000101T000000000000Z-1")
    assert second.build_id != first.build_id
