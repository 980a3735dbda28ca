"""The warehouse build: published figures, determinism, validation and data-test gates."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core import layout
from etl import publish, warehouse
from etl.build import build
from etl.errors import DataTestFailed, ValidationFailed

PUBLIC_MARTS = (
    "kpi_series", "hubs", "grants", "district_budget", "cooperatives", "municipalities",
    "profiles", "profile_bureaus", "profile_programs", "profile_rules", "quality_report",
)  # fmt: skip


def connect(settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(layout.current_path(settings.warehouse_dir)), read_only=True)


def survey_counts(con) -> dict[tuple[str, str, int], int | None]:
    rows = con.execute(
        "select pref_code, indicator, fiscal_year, value from kpi_series where basis = 'survey_list'"
    ).fetchall()
    return {(p, i, y): v for p, i, y, v in rows}


def test_sample_reproduces_every_published_figure(sample_settings):
    with connect(sample_settings) as con:
        counts = survey_counts(con)
        published = con.execute(
            """select pref_code, indicator, fiscal_year, value from kpi_series
               where basis = 'published' and kind = 'actual' and pref_code in ('07', '31')"""
        ).fetchall()
        municipalities_2023 = con.execute(
            "select count(distinct municipality_code) from hubs where pref_code = '07' and fiscal_year = 2023"
        ).fetchone()[0]
        mismatches = con.execute(
            "select count(*) from quality_report where check_name = 'published_vs_survey_list'"
        ).fetchone()[0]
    assert counts == {
        ("07", "hubs_total", 2020): 48,
        ("07", "hubs_total", 2023): 55,
        ("07", "hubs_total", 2024): 59,
        ("07", "rmo_in_hubs", 2020): None,  # the 2020 list has no RMO column: unknown, not 0
        ("07", "rmo_in_hubs", 2023): 43,
        ("07", "rmo_in_hubs", 2024): 47,
        ("31", "hubs_total", 2019): 30,
        ("31", "hubs_total", 2021): 39,
        ("31", "hubs_total", 2022): 46,
        ("31", "rmo_in_hubs", 2019): None,
        ("31", "rmo_in_hubs", 2021): None,
        ("31", "rmo_in_hubs", 2022): None,
    }
    for pref, indicator, year, value in published:
        assert counts[(pref, indicator, year)] == value
    assert municipalities_2023 == 20
    assert mismatches == 0


def test_sample_unknown_rows(sample_settings):
    with connect(sample_settings) as con:
        rows = con.execute(
            """select basis, pref_code, indicator, fiscal_year, unknown_rows from kpi_series
               where basis = 'survey_list' or unknown_rows is not null order by all"""
        ).fetchall()
    # Published rows have none (NULL); a list's hub count is complete; a list without an RMO
    # column leaves every hub unknown (and its value is NULL, see above).
    assert [r for r in rows if r[0] == "published"] == []
    assert {(p, i, y): u for _, p, i, y, u in rows} == {
        ("07", "hubs_total", 2020): 0,
        ("07", "hubs_total", 2023): 0,
        ("07", "hubs_total", 2024): 0,
        ("07", "rmo_in_hubs", 2020): 48,
        ("07", "rmo_in_hubs", 2023): 0,
        ("07", "rmo_in_hubs", 2024): 0,
        ("31", "hubs_total", 2019): 0,
        ("31", "hubs_total", 2021): 0,
        ("31", "hubs_total", 2022): 0,
        ("31", "rmo_in_hubs", 2019): 30,
        ("31", "rmo_in_hubs", 2021): 39,
        ("31", "rmo_in_hubs", 2022): 46,
    }


def test_a_few_unknown_rmo_cells_keep_the_known_count(tmp_path):
    from tests.partial_rmo import KNOWN, UNKNOWN, build_partial_rmo

    settings = build_partial_rmo(tmp_path)
    with connect(settings) as con:
        counts = survey_counts(con)
        unknown = dict(
            ((i, y), u)
            for i, y, u in con.execute(
                """select indicator, fiscal_year, unknown_rows from kpi_series
                   where basis = 'survey_list' and pref_code = '07'"""
            ).fetchall()
        )
    # 4 blank cells of 59: the known count stays (45), with the 4 unknown rows beside it.
    assert (counts[("07", "rmo_in_hubs", 2024)], unknown[("rmo_in_hubs", 2024)]) == (KNOWN, UNKNOWN)
    assert (counts[("07", "hubs_total", 2024)], unknown[("hubs_total", 2024)]) == (59, 0)
    # A list with no RMO column at all is still unknown as a whole, never 0.
    assert (counts[("07", "rmo_in_hubs", 2020)], unknown[("rmo_in_hubs", 2020)]) == (None, 48)
    assert (counts[("07", "rmo_in_hubs", 2023)], unknown[("rmo_in_hubs", 2023)]) == (43, 0)


def test_unknown_rows_data_test_catches_a_wiped_out_or_impossible_count():
    from core.settings import PROJECT_DIR

    sql = (PROJECT_DIR / "etl/sql/tests/kpi_series__unknown_rows.sql").read_text(encoding="utf-8")
    con = duckdb.connect()
    con.execute(
        """create table kpi_series as select * from (values
           ('07', 'hubs_total', 2024, 59, 0, 'actual', 'survey_list'),
           ('07', 'rmo_in_hubs', 2024, 45, 4, 'actual', 'survey_list'),     -- fine
           ('07', 'rmo_in_hubs', 2024, 47, null, 'actual', 'published'),    -- fine
           ('07', 'hubs_total', 2023, 55, 0, 'actual', 'survey_list'),
           ('07', 'rmo_in_hubs', 2023, null, 3, 'actual', 'survey_list'),   -- wiped out by 3 of 55
           ('07', 'hubs_total', 2022, 50, 0, 'actual', 'survey_list'),
           ('07', 'rmo_in_hubs', 2022, 48, 3, 'actual', 'survey_list'),     -- 48 + 3 > 50
           ('07', 'hubs_total', 2021, 40, null, 'actual', 'survey_list'),   -- a list row without it
           ('07', 'hubs_total', 2020, 48, 0, 'actual', 'published'),        -- a published row with it
           ('07', 'hubs_total', 2019, 30, 0, 'actual', 'survey_list'),
           ('07', 'rmo_in_hubs', 2019, null, 30, 'actual', 'survey_list'))  -- fine: nothing known
           as t(pref_code, indicator, fiscal_year, value, unknown_rows, kind, basis)"""
    )
    failing = con.execute(
        f"select indicator, fiscal_year, basis from ({sql}) order by all"
    ).fetchall()
    assert failing == [
        ("hubs_total", 2020, "published"),
        ("hubs_total", 2021, "survey_list"),
        ("rmo_in_hubs", 2022, "survey_list"),
        ("rmo_in_hubs", 2023, "survey_list"),
    ]


def test_sample_is_labelled_as_sample(sample_settings):
    with connect(sample_settings) as con:
        assert con.execute("select is_sample from build_info").fetchone()[0] is True
        assert con.execute("select bool_and(is_sample) from hubs").fetchone()[0] is True
        published = con.execute(
            "select bool_or(is_sample) from kpi_series where basis = 'published'"
        )
        assert published.fetchone()[0] is False  # published figures are real, with their source


def test_national_series_and_targets(sample_settings):
    with connect(sample_settings) as con:
        rows = con.execute(
            """select pref_code, indicator, fiscal_year, value, kind from kpi_series
               where (pref_code = '00' and indicator in ('hubs_total', 'rmo_in_hubs'))
                  or kind = 'target' and indicator = 'hubs_total' and pref_code <> '00'
               order by all"""
        ).fetchall()
    assert rows == [
        ("00", "hubs_total", 2022, 2204, "actual"),
        ("00", "hubs_total", 2024, 2306, "actual"),
        ("00", "rmo_in_hubs", 2023, 1755, "derived"),
        ("00", "rmo_in_hubs", 2024, 1818, "actual"),
        ("07", "hubs_total", 2030, 60, "target"),
        ("31", "hubs_total", 2024, 45, "target"),
    ]


def test_district_budget_counts_against_the_cap(sample_settings):
    with connect(sample_settings) as con:
        frame = con.execute(
            """select g.municipality_name, g.years, g.first_fy, g.last_fy, g.cumulative_grant_yen,
                      g.cap_yen, g.cap_used_pct
               from district_budget g where g.pref_code = '07'"""
        ).df()
        withdrawn = con.execute("select count(*) from grants where is_withdrawn").fetchone()[0]
    assert (frame["cap_yen"] == 5_000_000).all()
    over = frame[frame["cumulative_grant_yen"] > 5_000_000]
    assert over[["municipality_name", "cumulative_grant_yen", "cap_used_pct"]].values.tolist() == [
        ["只見町", 5_220_000, 104.4]
    ]
    assert withdrawn == 1
    assert len(frame) == 23


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


BAD_GRANTS = (
    "年度,地方振興局,市町村,地区名,事業区分,事業名,補助対象経費（円）,補助金額（円）,状態\n"
    "令和6年度,会津,西会津町,テスト地区,計画策定事業,勉強会,400000,360000,完了\n"
    "令和十年度,会津,西会津町,テスト地区,小さな拠点づくり事業,試行,1000000,900000,完了\n"
    "令和6年度,会津,架空町,テスト二地区,計画策定事業,勉強会,400000,360000,完了\n"
    "令和6年度,会津,西会津町,テスト三地区,計画策定事業,勉強会,400000,abc,完了\n"
    "令和6年度,会津,西会津町,テスト四地区,計画策定事業,勉強会,400000,360000,保留\n"
)


def test_bad_cells_are_reported_cell_by_cell_and_nothing_changes(fresh_settings, sample_copy):
    build(fresh_settings, sample_copy)
    before = snapshot(fresh_settings.warehouse_dir)
    (sample_copy / "grants_bad.csv").write_text(BAD_GRANTS, encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        build(fresh_settings, sample_copy)
    found = {(p.file, p.row, p.column, p.value) for p in caught.value.problems}
    assert found == {
        ("grants_bad.csv", 3, "年度", "令和十年度"),
        ("grants_bad.csv", 4, "市町村", "架空町"),
        ("grants_bad.csv", 5, "補助金額（円）", "abc"),
        ("grants_bad.csv", 6, "状態", "保留"),
    }
    assert all(p.reason for p in caught.value.problems)
    assert snapshot(fresh_settings.warehouse_dir) == before


def test_a_placeholder_zero_is_refused_cell_by_cell_before_the_build(fresh_settings, sample_copy):
    first = build(fresh_settings, sample_copy)
    survey = sample_copy / "fukushima_survey_r06_2024.csv"
    rows = list(csv.reader(io.StringIO(survey.read_text(encoding="utf-8-sig"))))
    assert rows[0][7] == "人口"
    rows[1][7] = "0"  # 人口 0: a placeholder for "unknown"
    with survey.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    before = snapshot(fresh_settings.warehouse_dir)
    with pytest.raises(ValidationFailed) as caught:
        build(fresh_settings, sample_copy)
    assert [(p.file, p.row, p.column) for p in caught.value.problems] == [
        ("fukushima_survey_r06_2024.csv", 2, "人口")
    ]
    assert snapshot(fresh_settings.warehouse_dir) == before
    assert layout.current_build_id(fresh_settings.warehouse_dir) == first.build_id


def test_a_failing_data_test_blocks_the_publish(fresh_settings, sample_copy, tmp_path):
    import dataclasses
    import shutil

    first = build(fresh_settings, sample_copy)
    reference = tmp_path / "reference"  # reference data is not validated like inputs: the tests
    shutil.copytree(fresh_settings.reference_dir, reference)  # on the build are its gate
    munis = pd.read_csv(reference / "municipalities.csv", dtype=str, keep_default_na=False)
    munis.loc[munis["code"] == "07213", "bureau"] = "存在しない振興局"
    munis.to_csv(reference / "municipalities.csv", index=False)
    settings = dataclasses.replace(fresh_settings, reference_dir=reference)
    before = snapshot(fresh_settings.warehouse_dir)
    with pytest.raises(DataTestFailed) as caught:
        build(settings, sample_copy)
    assert "municipalities__bureau_in_profile" in caught.value.failures
    assert snapshot(fresh_settings.warehouse_dir) == before
    assert layout.current_build_id(fresh_settings.warehouse_dir) == first.build_id


def test_rebuild_gives_identical_marts(sample_settings, tmp_path):
    from tests.conftest import SAMPLE_DIR, settings_for

    other = settings_for(tmp_path)
    build(other, SAMPLE_DIR)
    with connect(sample_settings) as first, connect(other) as second:
        assert (
            first.execute("select build_id from build_info").fetchone()
            != second.execute("select build_id from build_info").fetchone()
        )
        for table in PUBLIC_MARTS:
            query = f"select * from {table} order by all"
            pd.testing.assert_frame_equal(first.execute(query).df(), second.execute(query).df())


def test_load_log_records_every_input(sample_settings):
    with connect(sample_settings) as con:
        log = con.execute(
            "select file, kind, rows, sha256, build_id, built_at, status, note from load_log"
        ).df()
    skipped = log[log["status"] == "skipped"]
    assert dict(zip(skipped["file"], skipped["note"], strict=True)) == {
        "README.md": "説明書きのファイルです",
        "manifest.json": "データではない管理用のファイルです",
    }
    log = log[log["status"] == "loaded"]
    assert len(log) == 9
    assert set(log["kind"]) == {"survey", "grants", "cooperatives"}
    assert log["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert log["build_id"].nunique() == 1 and log["built_at"].notna().all()
    assert dict(zip(log["file"], log["rows"], strict=True))["fukushima_survey_r06_2024.csv"] == 59


def test_prune_keeps_the_newest_builds(fresh_settings, sample_copy):
    import dataclasses

    settings = dataclasses.replace(fresh_settings, keep_builds=2)
    ids = [build(settings, sample_copy).build_id for _ in range(3)]
    kept = [r.build_id for r in publish.list_builds(settings.warehouse_dir)]
    assert kept == [ids[2], ids[1]]
    assert layout.current_build_id(settings.warehouse_dir) == ids[2]


def test_a_model_built_in_parts_equals_the_query_run_whole(sample_settings):
    """rule_findings is built one kind of finding per statement; the query run alone (no part
    chosen) gives the same rows, and every part is a CTE of the model."""
    model = next(m for m in warehouse.discover_models() if m.name == "rule_findings")
    assert len(model.parts) >= 5
    assert all(f"{part} as (" in model.sql for part in model.parts)
    with connect(sample_settings) as con:
        built = con.execute("select * from main.rule_findings").df()
        whole = con.execute(model.sql).df()
    assert len(built) > 0
    key = list(built.columns)
    pd.testing.assert_frame_equal(
        built.sort_values(key).reset_index(drop=True), whole.sort_values(key).reset_index(drop=True)
    )


def test_records_loaded_in_small_chunks_give_the_same_marts(sample_settings, tmp_path, monkeypatch):
    """Inputs go into DuckDB a chunk of records at a time (a large file is never held twice);
    with chunks of 7 rows (every file cut, the cut falling anywhere) every mart is the same."""
    from etl import build as build_module
    from tests.conftest import SAMPLE_DIR, settings_for

    monkeypatch.setattr(build_module, "LOAD_CHUNK_ROWS", 7)
    other = settings_for(tmp_path)
    result = build(other, SAMPLE_DIR)
    with connect(sample_settings) as first, connect(other) as second:
        for table in (*PUBLIC_MARTS, "rule_findings", "load_log"):
            columns = "* exclude (build_id, built_at)" if table == "load_log" else "*"
            query = f"select {columns} from {table} order by all"  # noqa: S608
            pd.testing.assert_frame_equal(first.execute(query).df(), second.execute(query).df())
    assert result.rows["grants"] > 7


ROW_TYPES = """create table staging.t (
    s varchar, i bigint, n integer, b boolean, d date, ts timestamp, l varchar[], x double, m varchar
)"""
ROWS = [
    {"s": "福島", "i": 2**53 + 1, "n": None, "b": True, "d": dt.date(2024, 5, 31),
     "ts": dt.datetime(2026, 12, 1, 5, 6, 7, 89), "l": ["a", "b"], "x": None, "m": None},
    {"s": None, "i": None, "n": 7, "b": None, "d": None, "ts": None, "l": [], "x": float("nan"),
     "m": None},
    {"s": "", "i": -3, "n": 0, "b": False, "d": dt.date(2016, 10, 1), "ts": None, "l": None,
     "x": 2.5, "m": None},
]  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {},  # every column holds one kind of value
        {"x": 1.5},  # a float beside a NaN (NULL either way)
        {"m": 12},  # an int among texts (below)
        {"n": True},  # a bool among ints
        {"s": 2**70},  # beyond int64 in a text column
    ],
)
def test_records_go_in_as_the_frame_of_the_same_records_would(change):
    """`insert_rows` stores what `insert_frame` of the frame made from the same records stores
    (or fails the same way), except that ints beyond 2**53 beside a NULL, which a pandas frame
    holds as floats, come out exact."""
    rows = [ROWS[0] | change, ROWS[1] | ({"m": "text"} if "m" in change else {}), ROWS[2]]
    columns = list(ROWS[0])
    direct, frame = duckdb.connect(), duckdb.connect()
    for con in (direct, frame):
        con.execute("create schema staging")
        con.execute(ROW_TYPES)
    query = "select * from staging.t order by n nulls first"

    def outcome(con, insert):  # the stored rows, or the kind of error
        try:
            insert()
        except duckdb.Error as exc:
            return type(exc).__name__
        return con.execute(query).fetchall()

    got = outcome(direct, lambda: warehouse.insert_rows(direct, "t", rows, columns))
    frame_of_rows = pd.DataFrame.from_records(rows, columns=columns)
    expected = outcome(frame, lambda: warehouse.insert_frame(frame, "t", frame_of_rows))
    if not isinstance(expected, str):
        assert got[0][1] == 2**53 + 1 and expected[0][1] != 2**53 + 1  # exact, not via a float
        got = [(r[0], None, *r[2:]) for r in got]
        expected = [(r[0], None, *r[2:]) for r in expected]
    assert got == expected
    if not isinstance(got, str):
        assert len(got) == 3 and {r[7] for r in got} >= {None}  # the NaN is NULL


def test_insert_rows_checks_the_table_name_even_without_rows():
    with pytest.raises(ValueError, match="not a table name"):
        warehouse.insert_rows(duckdb.connect(), "t; drop table x", [], ["a"])


def test_a_build_imports_neither_pandas_nor_pyarrow(fresh_settings, sample_copy):
    """A build (from the command line, as `make warehouse` runs it) needs neither pandas nor
    pyarrow: importing them is 0.4–0.6 s, a fifth of the sample's build."""
    import subprocess
    import sys

    from core.settings import PROJECT_DIR

    script = (
        "import sys\n"
        "from etl.cli import main\n"
        "code = main(['build', '--input', sys.argv[1], '--warehouse', sys.argv[2], '--quiet'])\n"
        "print(code, sorted(m for m in ('pandas', 'pyarrow') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(sample_copy), str(fresh_settings.warehouse_dir)],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "0 []", done.stdout + done.stderr
