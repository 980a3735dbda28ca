"""The benchmark's own arithmetic: what `bench pages --breakdown` counts as whose time, and the
`bench etl` reference that copies a build's tables (what it copies and what it leaves)."""

from __future__ import annotations

import subprocess
import sys

import duckdb

from bench.etl_bench import WRITE_TABLES
from bench.pages_bench import SHARES, _classify

RUN = "ScriptRunner._run_script (streamlit/runtime/scriptrunner/script_runner.py:600)"
PAGE = "<module> (pages/overview.py:20)"
OWN = "chart (dashboard/ui/components.py:170)"


def test_classify_sorts_a_stack_by_the_deepest_project_frame():
    plot = "plotly_chart (/venv/site-packages/streamlit/elements/plotly_chart.py:890)"
    to_json = "to_json (/venv/site-packages/plotly/io/_json.py:200)"
    assert _classify([RUN, PAGE, OWN, plot, to_json]) == "st.plotly_chart"
    frame = "dataframe (/venv/site-packages/streamlit/elements/arrow.py:500)"
    assert _classify([RUN, PAGE, OWN, frame]) == "other Streamlit elements"
    cache = "__call__ (/venv/site-packages/streamlit/runtime/caching/cache_utils.py:200)"
    assert _classify([RUN, PAGE, "load (dashboard/ui/cache.py:60)", cache]) == "st.cache_* lookups"
    pandas = "merge (/venv/site-packages/pandas/core/reshape/merge.py:100)"
    assert _classify([RUN, PAGE, OWN, pandas]) == "the pages' own code"
    # a Streamlit call inside a cache miss or an import is the cold run: not counted
    miss = "_handle_cache_miss (/venv/site-packages/streamlit/runtime/caching/cache_utils.py:300)"
    assert _classify([RUN, PAGE, OWN, miss]) is None
    assert _classify([PAGE, OWN]) is None  # not the script thread
    compile_ = (
        "get_bytecode (/venv/site-packages/streamlit/runtime/scriptrunner/script_cache.py:50)"
    )
    assert _classify([RUN, compile_]) == "AppTest compiles the scripts"
    assert _classify([RUN, "_enqueue (/venv/site-packages/streamlit/delta_generator.py:9)"]) == (
        "Streamlit's run"
    )
    assert set(SHARES) >= {"st.plotly_chart", "the pages' own code"}


def test_write_tables_copies_every_table_but_the_landing_ones(tmp_path):
    inputs = tmp_path / "input"
    inputs.mkdir()
    (inputs / "grants.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (inputs / "survey_2024.csv").write_text("c\n3\n", encoding="utf-8")
    build = tmp_path / "build.duckdb"
    with duckdb.connect(str(build)) as con:
        con.execute("create schema staging")
        con.execute("create table staging.raw_grants as select 1 as x")
        con.execute("create table staging.stg_grants as select 2 as x")
        con.execute("create table main.grants as select 3 as x")
    out = tmp_path / "out.duckdb"
    subprocess.run([sys.executable, "-c", WRITE_TABLES, str(inputs), str(out), str(build)],
                   check=True)  # fmt: skip
    with duckdb.connect(str(out), read_only=True) as con:
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() order by all"
        ).fetchall()
        assert [t for (t,) in tables] == [
            "built_main.grants", "built_staging.stg_grants", "main.grants", "main.survey",
        ]  # fmt: skip
        assert con.execute("select x from built_main.grants").fetchone() == (3,)
