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
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

from etl.profiles import Profile
from etl.reference import Reference

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


# The Arrow types of the records the ETL writes (int, bool, str, None, a list of str, a date, a
# time): a column read as anything else (a float, a mix of types) goes through pandas as before.
ARROW_TYPES = ("int64", "bool", "string", "null", "list<item: string>", "list<item: null>",
               "date32[day]", "timestamp[us]")  # fmt: skip


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict], columns: Sequence[str],
    schema: str = "staging",
) -> None:  # fmt: skip
    """Insert records into an existing table by column name (the table's types win), through
    Arrow columns: what `insert_frame` of a frame from the same records inserts, without building
    a pandas frame (the cost of a national build's load) or importing pandas."""
    if not rows:
        return
    import pyarrow as pa

    arrays = []
    for column in columns:
        try:
            array = pa.array([row.get(column) for row in rows])
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            array = None
        if array is None or str(array.type) not in ARROW_TYPES:
            return insert_frame(
                con, table, pd.DataFrame.from_records(rows, columns=columns), schema
            )
        arrays.append(array)
    insert_frame(con, table, pa.Table.from_arrays(arrays, names=list(columns)), schema)


def insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame | pa.Table,
    schema: str = "staging",
) -> None:  # fmt: skip
    """Insert a frame (pandas or Arrow) into an existing table by column name (the table's types
    win)."""
    if not (IDENTIFIER.match(table) and schema in ("staging", "main")):
        raise ValueError(f"not a table name: {schema}.{table}")
    if len(frame) == 0:
        return
    con.register("landing_frame", frame)
    try:
        con.execute(f"insert into {schema}.{table} by name select * from landing_frame")  # noqa: S608
    finally:
        con.unregister("landing_frame")


def load_reference(
    con: duckdb.DuckDBPyConnection, reference: Reference, profiles: dict[str, Profile]
) -> None:
    insert_frame(con, "ref_municipalities", reference.municipalities)
    published = reference.published.rename(columns={"scope": "pref_code"}).assign(
        source_file="reference/published_counts.csv", source_row=None, priority=1
    )
    published["source_row"] = range(2, len(published) + 2)
    insert_frame(con, "raw_published", published)
    for table, records in reference_rows(profiles).items():
        insert_rows(con, table, records, list(records[0]) if records else [])


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


def _run_queries(con: duckdb.DuckDBPyConnection, folder: str) -> dict[str, pd.DataFrame]:
    results = {}
    for path in sorted((SQL_DIR / folder).glob("*.sql")):
        results[path.stem] = con.execute(path.read_text(encoding="utf-8")).df()
    return results


def run_data_tests(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    """Each data test's offending rows (at most 20 each); empty when every test passes."""
    failures = {}
    for name, frame in _run_queries(con, "tests").items():
        if len(frame):
            failures[name] = json.loads(frame.head(20).to_json(orient="records", force_ascii=False))
    return failures


def build_quality_report(con: duckdb.DuckDBPyConnection) -> None:
    """The public quality_report: parse warnings of the inputs plus the SQL quality checks."""
    con.execute(
        """create table main.quality_report as
           select 'warning' as severity, 'parse' as check_name, file, "row", "column", value, message
           from staging.parse_warnings"""
    )
    for name, frame in _run_queries(con, "quality").items():
        insert_frame(con, "quality_report", frame.assign(check_name=name), schema="main")
