"""The shape the README promises, checked on the source: one direction of imports, labels made
in one place, no era arithmetic outside `dashboard.formatting`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.settings import PROJECT_DIR

DASHBOARD = PROJECT_DIR / "dashboard"


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


@pytest.mark.parametrize("path", sources(DASHBOARD / "views"), ids=lambda p: p.name)
def test_views_never_import_the_exporters(path):
    assert not {m for m in imports(path) if m.startswith("dashboard.export")}


@pytest.mark.parametrize("path", [*sources(DASHBOARD), *sources(PROJECT_DIR / "pages")], ids=str)
def test_the_read_side_reaches_etl_only_to_hand_work_to_it(path):
    """The dashboard reads the warehouse through core/ and its own queries; only the データ
    page's stewardship panel calls the ETL (which writes in a child process)."""
    reaching = {m for m in imports(path) if m == "etl" or m.startswith("etl.")}
    allowed = path == DASHBOARD / "ui" / "steward.py"
    assert not reaching or allowed, reaching


@pytest.mark.parametrize("path", sources(PROJECT_DIR / "core"), ids=lambda p: p.name)
def test_the_core_imports_neither_side(path):
    assert not {m for m in imports(path) if m.split(".")[0] in ("etl", "dashboard")}


@pytest.mark.parametrize("path", [*sources(DASHBOARD), *sources(PROJECT_DIR / "pages")], ids=str)
def test_no_era_arithmetic_outside_formatting(path):
    if path.name == "formatting.py":
        return
    assert not re.search(r"[-+]\s*2018\b|\b1988\b", path.read_text(encoding="utf-8"))
