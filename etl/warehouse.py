"""Write a new DuckDB build: landing tables, SQL models in dependency order, data tests.

Models are the `.sql` files under `etl/sql/staging` (schema `staging`) and `etl/sql/marts`
(schema `main`, the public surface). A model's name is its file name; its dependencies are the
other model names its SQL mentions. Data tests under `etl/sql/tests` return offending rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

from etl.profiles import Profile
from etl.reference import PUBLISHED_COLUMNS, MunicipalityRow, Reference

SQL_DIR = Path(__file__).parent / "sql"
LAYERS = (("staging", "staging"), ("marts", "main"))
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Model:
    name: str
    schema: str
    sql: str

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts a model is evaluated in, from its `-- parts: a, b` line (none: one query)."""
        found = PARTS_LINE.search(self.sql)
        return tuple(p.strip() for p in found.group(1).split(",")) if found else ()


PARTS_LINE = re.compile(r"^-- parts: (.+)$", re.MULTILINE)


def discover_models() -> list[Model]:
    models = []
    for folder, schema in LAYERS:
        for path in sorted((SQL_DIR / folder).glob("*.sql")):
            if not IDENTIFIER.match(path.stem):  # names become identifiers: allow-list them
                raise ValueError(f"model file name is not an identifier: {path.name}")
            models.append(Model(path.stem, schema, path.read_text(encoding="utf-8")))
    return models


def _strip_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def order_models(models: list[Model]) -> list[Model]:
    """Topological order: a model runs after every model whose name its SQL mentions."""
    by_name = {m.name: m for m in models}
    deps = {
        m.name: {
            other
            for other in by_name
            if other != m.name and re.search(rf"\b{other}\b", _strip_comments(m.sql))
        }
        for m in models
    }
    ordered: list[Model] = []
    done: set[str] = set()
    while len(ordered) < len(models):
        ready = [n for n in by_name if n not in done and deps[n] <= done]
        if not ready:
            cycle = sorted(set(by_name) - done)
            raise ValueError(f"model dependency cycle among {cycle}")
        for name in sorted(ready):
            ordered.append(by_name[name])
            done.add(name)
    return ordered


BUILD_MEMORY_LIMIT = "384MB"  # DuckDB spills to disk beyond this instead of growing


def connect_for_build(target: Path) -> duckdb.DuckDBPyConnection:
    """A write connection for a new build whose working memory is bounded: large rule checks
    spill to a folder beside the build instead of taking gigabytes."""
    spill = target.parent / f"{target.stem}.spill"
    config = {"memory_limit": BUILD_MEMORY_LIMIT, "temp_directory": str(spill)}
    return duckdb.connect(str(target), config=config)


def create_landing(con: duckdb.DuckDBPyConnection) -> None:
    con.execute((SQL_DIR / "raw.sql").read_text(encoding="utf-8"))
    con.execute("set search_path = 'main,staging'")


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict],
    columns: Sequence[str] | None = None, schema: str = "staging",
) -> None:  # fmt: skip
    """Insert records into an existing table by column name (the table's types win); `columns`
    defaults to the first record's keys. Each column goes to DuckDB as an array of the Python
    values, which DuckDB reads the way it reads a pandas frame's column of objects: an int stays
    exact (a frame holds ints beside a NULL as floats), None and NaN are NULL. No frame is built,
    and a build never imports pandas (0.4 s)."""
    if not rows:
        return _insert(con, table, None, schema)
    import numpy as np

    columns = list(rows[0]) if columns is None else columns
    arrays = {
        column: np.fromiter((row.get(column) for row in rows), dtype=object, count=len(rows))
        for column in columns
    }
    _insert(con, table, arrays, schema)


def insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, schema: str = "staging"
) -> None:
    """Insert a frame into an existing table by column name (the table's types win)."""
    _insert(con, table, None if frame.empty else frame, schema)


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, data: pd.DataFrame | dict[str, np.ndarray] | None,
    schema: str,
) -> None:  # fmt: skip
    if not (IDENTIFIER.match(table) and schema in ("staging", "main")):
        raise ValueError(f"not a table name: {schema}.{table}")
    if data is None:
        return
    con.register("landing_frame", data)
    try:
        con.execute(f"insert into {schema}.{table} by name select * from landing_frame")  # noqa: S608
    finally:
        con.unregister("landing_frame")


def load_reference(
    con: duckdb.DuckDBPyConnection, reference: Reference, profiles: dict[str, Profile]
) -> None:
    rows = [row._asdict() for row in reference.municipality_rows]
    insert_rows(con, "ref_municipalities", rows, MunicipalityRow._fields)
    published = [
        row | {"pref_code": row["scope"], "source_file": "reference/published_counts.csv", "priority": 1}
        for row in reference.published_rows
    ]  # fmt: skip
    columns = ["pref_code", *PUBLISHED_COLUMNS[1:], "source_file", "source_row", "priority"]
    insert_rows(con, "raw_published", published, columns)
    for table, records in reference_rows(profiles).items():
        insert_rows(con, table, records)


def reference_rows(profiles: dict[str, Profile]) -> dict[str, list[dict]]:
    """The profiles as rows of the staging reference tables (ref_profiles, ref_bureaus,
    ref_programs, ref_rules)."""
    rows = {"ref_profiles": [], "ref_bureaus": [], "ref_programs": [], "ref_rules": []}
    for profile in profiles.values():
        kpi = profile.kpi
        rows["ref_profiles"].append({
            "profile_key": profile.key, "pref_code": profile.pref_code,
            "pref_name": profile.pref_name, "bureau_label": profile.bureau_label,
            "n03_url": profile.n03_url, "kpi_indicator": kpi.indicator,
            "base_year": kpi.base_year, "base_value": kpi.base_value,
            "target_year": kpi.target_year, "target_value": kpi.target_value,
            "kpi_source": kpi.source, "district_cap_yen": profile.district_cap_yen,
            "district_cap_source": None if profile.cap_rule is None else profile.cap_rule.source,
        })  # fmt: skip
        for order, bureau in enumerate(profile.bureaus, 1):
            rows["ref_bureaus"].append(
                {"pref_code": profile.pref_code, "bureau": bureau, "bureau_order": order}
            )
        for order, program in enumerate(profile.programs, 1):
            rows["ref_programs"].append({
                "pref_code": profile.pref_code, "program": program.id, "program_name": program.name,
                "stage": program.stage, "program_order": order,
                "counts_toward_cap": program.id in profile.district_cap_programs,
            })  # fmt: skip
        for order, rule in enumerate(profile.rules, 1):
            rows["ref_rules"].append({
                "pref_code": profile.pref_code, "rule_order": order, "rule_id": rule.id,
                "kind": rule.kind, "programs": list(rule.programs), "severity": rule.severity,
                "title": rule.title, "source": rule.source,
                "params": json.dumps(rule.params, ensure_ascii=False, sort_keys=True),
            })  # fmt: skip
    return rows


def run_models(
    con: duckdb.DuckDBPyConnection, progress: Callable[[str], None] = lambda _: None
) -> None:
    for model in order_models(discover_models()):
        progress(f"モデル {model.schema}.{model.name}")
        parts = model.parts
        if parts:  # one part per statement: the table from the first, the others appended
            con.execute("set variable model_part = ?", [parts[0]])
        # schema and name are allow-listed identifiers (LAYERS, IDENTIFIER); the SQL is our file
        con.execute(f"create table {model.schema}.{model.name} as {model.sql}")  # noqa: S608
        for part in parts[1:]:  # same columns, same order
            con.execute("set variable model_part = ?", [part])
            con.execute(f"insert into {model.schema}.{model.name} {model.sql}")  # noqa: S608
        if parts:
            con.execute("reset variable model_part")


def _queries(folder: str) -> dict[str, str]:
    return {
        path.stem: path.read_text(encoding="utf-8")
        for path in sorted((SQL_DIR / folder).glob("*.sql"))
    }


def run_data_tests(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Each data test's offending rows (at most 20 each); empty when every test passes."""
    failures = {}
    for name, sql in _queries("tests").items():
        if con.execute(sql).fetchone() is None:
            continue  # passes (the rows of a failing test are read again, as a frame, below)
        frame = con.execute(sql).df()
        failures[name] = json.loads(frame.head(20).to_json(orient="records", force_ascii=False))
    return failures


def build_quality_report(con: duckdb.DuckDBPyConnection) -> None:
    """The public quality_report: parse warnings of the inputs plus the SQL quality checks."""
    con.execute(
        """create table main.quality_report as
           select 'warning' as severity, 'parse' as check_name, file, "row", "column", value, message
           from staging.parse_warnings"""
    )
    for name, sql in _queries("quality").items():
        result = con.execute(sql)
        columns = [column[0] for column in result.description]
        found = [
            {**dict(zip(columns, row, strict=True)), "check_name": name}
            for row in result.fetchall()
        ]
        insert_rows(con, "quality_report", found, [*columns, "check_name"], schema="main")
