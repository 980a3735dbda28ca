"""Caching at one layer: the connection holder per warehouse folder (resource) and query results
keyed on the published version (data), so a publish shows up on the next rerun."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.db import Warehouse, WarehouseMissing
from etl.settings import load_settings


@st.cache_resource(show_spinner=False)
def warehouse(path: str) -> Warehouse:
    return Warehouse(Path(path))


def current() -> Warehouse:
    return warehouse(str(load_settings().warehouse_dir))


@st.cache_data(show_spinner=False, max_entries=2048)
def _cached(path: str, version: str, name: str, arguments: tuple) -> pd.DataFrame:
    # An exception is not cached; an empty frame is a real answer and is.
    return getattr(queries, f"query_{name}")(warehouse(path), **dict(arguments))


def version() -> str:
    found = current().version()
    if found is None:
        raise WarehouseMissing(
            f"データ倉庫がまだありません（{current().warehouse_dir}）。`python -m etl build` で作成してください。"
        )
    return found


def load(name: str, **arguments: object) -> pd.DataFrame:
    """A query result for the published version (a private copy the caller may change)."""
    frozen = tuple(
        sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in arguments.items())
    )
    return _cached(str(current().warehouse_dir), version(), name, frozen)
