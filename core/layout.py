"""The warehouse's file layout, read by the dashboard and written by the ETL.

<warehouse>/CURRENT              the published build's file name (replaced atomically)
<warehouse>/builds/<id>.duckdb   kept builds (and <id>.json manifests)
"""

from __future__ import annotations

from pathlib import Path

POINTER = "CURRENT"


def current_build_id(warehouse_dir: Path) -> str | None:
    """The published build's id, or None when nothing is published."""
    try:
        text = (warehouse_dir / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return text.removesuffix(".duckdb") or None


def build_path(warehouse_dir: Path, build_id: str) -> Path:
    return warehouse_dir / "builds" / f"{build_id}.duckdb"


def current_path(warehouse_dir: Path) -> Path | None:
    build_id = current_build_id(warehouse_dir)
    return None if build_id is None else build_path(warehouse_dir, build_id)
