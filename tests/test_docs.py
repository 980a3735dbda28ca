"""The README documents every setting and every public column, and no column that is not there."""

from __future__ import annotations

import re

import duckdb

from core import layout
from core.settings import PROJECT_DIR, SETTINGS

README = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")


def public_columns(settings) -> dict[str, list[str]]:
    with duckdb.connect(str(layout.current_path(settings.warehouse_dir)), read_only=True) as con:
        rows = con.execute(
            """select table_name, column_name from information_schema.columns
               where table_schema = 'main' order by table_name, ordinal_position"""
        ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return tables


def test_every_setting_is_documented():
    for name, setting in SETTINGS.items():
        assert re.search(rf"\| {setting.env} \| {re.escape(setting.default)} \|", README), name


def test_every_public_column_is_documented(sample_settings):
    section = README.split("## 倉庫の公開テーブル", 1)[1].split("\n## ", 1)[0]
    words = set(re.findall(r"[a-z][a-z0-9_]*", section))
    for table, columns in public_columns(sample_settings).items():
        assert table in words, table
        missing = [c for c in columns if c not in words]
        assert not missing, f"{table}: {missing}"


def test_no_documented_table_is_missing(sample_settings):
    section = README.split("## 倉庫の公開テーブル", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^### ([a-z_, ]+?) —", section, flags=re.M))
    names = {n.strip() for group in documented for n in group.split(",")}
    assert names <= set(public_columns(sample_settings))


def test_every_catalogue_metric_is_in_the_readme():
    from dashboard.metrics import CATALOGUE, KIND_LABELS

    for metric in CATALOGUE.values():
        row = (f"| `{metric.id}` | {metric.label} | {metric.unit} | {KIND_LABELS[metric.kind]} | "
               f"{metric.period_rule} | {metric.bureau_rule} | {metric.source} |")  # fmt: skip
        assert row in README, metric.id
    documented = re.findall(r"^\| `([a-z_]+)` \|", README.split("### 指標の定義", 1)[1], flags=re.M)
    assert documented[: len(CATALOGUE)] == list(CATALOGUE)
