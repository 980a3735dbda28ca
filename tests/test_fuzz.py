"""Query strings never reach SQL except as bound parameters.

(a) A static scan: no SQL text is built with f-strings, % or .format (or concatenation) where it
is passed to execute / query / sql, except the few allow-listed identifier cases marked
`# noqa: S608`. (b) A seeded fuzz of the URL's query parameters on every page: no exception, no
error message, the requested page, only the SQL files of dashboard/sql/ executed, and the
warehouse unchanged.
"""

from __future__ import annotations

import ast
import random

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import PROJECT_DIR
from dashboard.db import Warehouse
from dashboard.ui.cache import _cached
from dashboard.ui.navigation import TITLES

# --- (a) static scan -----------------------------------------------------------------------------

SQL_CALLS = {"execute", "executemany", "query", "sql", "read_sql", "read_sql_query", "from_query"}
# Identifier interpolations that are checked against an allow-list before use, each marked with
# a noqa comment for S608 on its line: (file, the SQL argument's source text).
ALLOWED = {
    ("etl/warehouse.py", 'f"insert into {schema}.{table} by name select * from landing_frame"'),
    ("etl/build.py", 'f"select count(*) from main.{table}"'),
    ("etl/stewardship.py", 'f"select * from {schema}.{table}"'),
    ("etl/stewardship.py", "f\"select * from {schema}.kpi_series where kind = 'actual'\""),
    ("etl/warehouse.py", 'f"create table {model.schema}.{model.name} as {model.sql}"'),
    ("etl/warehouse.py", 'f"insert into {model.schema}.{model.name} {model.sql}"'),
}
SCANNED = sorted(
    p.relative_to(PROJECT_DIR).as_posix()
    for folder in ("dashboard", "etl", "pages")
    for p in (PROJECT_DIR / folder).rglob("*.py")
)


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _built(node: ast.AST, built_names: set[str]) -> bool:
    """Whether an expression builds text at run time (rather than being a literal or a file)."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return _is_text(node.left) or _built(node.left, built_names)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        sides = (node.left, node.right)
        textual = any(_is_text(s) or isinstance(s, ast.JoinedStr) for s in sides)
        return (textual and not all(_is_text(s) for s in sides)) or any(
            _built(s, built_names) for s in sides
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("format", "format_map")
    if isinstance(node, ast.Name):
        return node.id in built_names
    return False


def sql_building_calls(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, SQL argument source) of each call that passes built SQL text."""
    tree = ast.parse(source)
    built_names: set[str] = set()
    for node in ast.walk(tree):  # names assigned built text anywhere in the module
        if isinstance(node, ast.Assign) and _built(node.value, set()):
            built_names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        if name not in SQL_CALLS:
            continue
        args = node.args[:1] + [k.value for k in node.keywords if k.arg in ("query", "sql")]
        for arg in args:
            if _built(arg, built_names):
                found.append((node.lineno, node.end_lineno, ast.get_source_segment(source, arg)))
    return found


SCANNER_CASES = {
    "f-string": ('con.execute(f"select * from {t}")', True),
    "f-string-without-fields": ('con.execute(f"select 1")', False),
    "percent": ('db.query("select * from hubs where a = %s" % x)', True),
    "format": ('cur.execute("select * from {}".format(t))', True),
    "format-on-a-name": ('q = "select {}"\ncur.execute(q.format(t))', True),
    "concatenation": ('con.sql("select * from " + t)', True),
    "literal-concatenation": ('con.sql("select 1 " + "from x")', False),
    "built-variable": ('text = f"delete from {t}"\ncon.execute(text)', True),
    "keyword-argument": ('con.execute(query=f"select {c}")', True),
    "bound-parameters": ('con.execute("select * from hubs where pref = ?", [pref])', False),
    "named-parameters": ('db.query("select * from hubs where pref = $pref", {"pref": p})', False),
    "sql-from-a-file": ('con.execute(path.read_text(encoding="utf-8"))', False),
    "not-an-sql-call": ('print(f"select {x}")', False),
}


@pytest.mark.parametrize("case", SCANNER_CASES)
def test_the_scanner_finds_built_sql(case):
    source, flagged = SCANNER_CASES[case]
    assert bool(sql_building_calls(source)) is flagged


@pytest.mark.parametrize("path", SCANNED)
def test_no_sql_is_built_from_text_outside_the_allow_list(path):
    source = (PROJECT_DIR / path).read_text(encoding="utf-8")
    lines = source.splitlines()
    offending = []
    for first, last, argument in sql_building_calls(source):
        marked = any("# noqa: S608" in line for line in lines[first - 1 : last])
        if not (marked and (path, argument) in ALLOWED):
            offending.append(f"{path}:{first}: {argument}")
    assert offending == []


def test_the_scan_covers_the_query_layer():
    assert {
        "dashboard/db.py",
        "dashboard/queries.py",
        "etl/build.py",
        "etl/stewardship.py",
        "etl/warehouse.py",
        "pages/data.py",
    } <= set(SCANNED)


# --- (b) fuzzing the query string ----------------------------------------------------------------

PAGES = TITLES  # page file -> its title
POOLS = {
    "sql": [
        "' or 1=1 --",
        "'; drop table hubs; --",
        '\\" union select * from hubs --',
        "1; delete from hubs",
        "fukushima' --",
        "$pref",
        "?",
        "%s",
        "{pref}",
        "');checkpoint;--",
    ],
    "unicode": [
        "\u202e会津\u202c",
        "会津\u200b",
        "ｆｕｋｕｓｈｉｍａ",
        "𠮷野",
        "\ufeff",
        "Ⅻ",
        "\t\n",
        "南会津\x00",
        "🏔️",
        "ｂｕｒｅａｕ",
    ],
    "long": ["x" * 5000, "会津" * 2000, "9" * 5000, "-" + "1" * 400],
    "number": [
        "-1",
        "0",
        "99999999999999999999",
        "1e9",
        "2023.5",
        "２０２３",
        "-2023",
        "NaN",
        "inf",
        "0x7e7",
        "2_023",
        " 2024 ",
        "1900",
        "3000",
    ],
    "empty": ["", " ", "\u3000"],
    "markup": [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "**太字** [x](javascript:alert(1))",
        "</div><h1>x</h1>",
        "${7*7}",
        "{{7*7}}",
    ],
    "formula": [
        '=HYPERLINK("http://evil.invalid","x")',
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "-2+3",
        "=1+1",
    ],
    "valid": [
        "fukushima",
        "tottori",
        "2021",
        "2024",
        "会津",
        "南会津",
        "日野",
        "municipality",
        "bureau",
    ],
}
KEYS = ("profile", "from", "to", "bureau", "level")
CASES = 60


def _value(rng: random.Random) -> str:
    return rng.choice(POOLS[rng.choice(sorted(POOLS))])


def fuzz_case(number: int) -> tuple[str, dict[str, str | list[str]]]:
    """The page and query parameters of case `number` (the same for every run)."""
    rng = random.Random(1234 + number)
    params: dict[str, str | list[str]] = {}
    for key in KEYS:
        if rng.random() < 0.75:
            repeats = rng.choice([1, 1, 2, 3]) if key != "bureau" else rng.randint(1, 4)
            values = [_value(rng) for _ in range(repeats)]
            params[key] = values[0] if repeats == 1 else values
    return list(PAGES)[number % len(PAGES)], params


def _table_counts(warehouse: Warehouse) -> dict[str, int]:
    tables = warehouse.query(
        "select table_schema || '.' || table_name as name from information_schema.tables order by 1"
    )["name"].tolist()
    return {t: int(warehouse.query(f"select count(*) as n from {t}").iloc[0]["n"]) for t in tables}


@pytest.fixture(scope="module")
def baseline(sample_settings) -> dict[str, int]:
    warehouse = Warehouse(sample_settings.warehouse_dir)
    counts = _table_counts(warehouse)
    warehouse.close()
    assert counts["main.hubs"] == 277
    return counts


SQL_FILES = {
    p.read_text(encoding="utf-8") for p in (PROJECT_DIR / "dashboard" / "sql").glob("*.sql")
}


@pytest.mark.parametrize("number", range(CASES))
def test_query_string_fuzz(sample_settings, baseline, monkeypatch, tmp_path, number):
    page, params = fuzz_case(number)
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(sample_settings.warehouse_dir))
    monkeypatch.setenv("KYOTEN_BOUNDARIES_DIR", str(tmp_path / "no-boundaries"))
    monkeypatch.setenv("KYOTEN_UPLOADS_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("KYOTEN_LOCAL_STEWARD", raising=False)
    executed: list[tuple[str, object]] = []
    original = Warehouse.query

    def recording(self, sql, params=(), **keywords):
        executed.append((sql, params))
        return original(self, sql, params, **keywords)

    monkeypatch.setattr(Warehouse, "query", recording)
    _cached.clear()  # every query of this run reaches the warehouse (and the recording)
    at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=30)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, (params, at.exception)
    for key, value in params.items():  # the page itself also gets the raw parameters
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, (params, at.exception)
    assert not at.error, (params, [e.value for e in at.error])
    assert at.title and at.title[0].value == PAGES[page], params
    unexpected = [sql for sql, _ in executed if sql not in SQL_FILES]
    assert executed and unexpected == [], params
    assert all(isinstance(bound, dict) for _, bound in executed)  # named, bound parameters
    monkeypatch.undo()
    warehouse = Warehouse(sample_settings.warehouse_dir)
    assert _table_counts(warehouse) == baseline
    warehouse.close()


def test_the_fuzz_covers_every_key_and_pool():
    cases = [fuzz_case(n) for n in range(CASES)]
    assert {page for page, _ in cases} == set(PAGES)
    used = {key for _, params in cases for key in params}
    assert used == set(KEYS)
    values = {
        v
        for _, p in cases
        for value in p.values()
        for v in ([value] if isinstance(value, str) else value)
    }
    assert {pool for pool, items in POOLS.items() if values & set(items)} == set(POOLS)
    assert any(isinstance(p.get("bureau"), list) for _, p in cases)  # repeated keys
