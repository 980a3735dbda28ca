"""Caching at one layer: the connection holder per warehouse folder (resource) and query results
keyed on the published version (data), so a publish shows up on the next rerun."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.db import Warehouse
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
    return current().published_version()


def load(name: str, **arguments: object) -> pd.DataFrame:
    """A query result for the published version (a private copy the caller may change)."""
    frozen = tuple(
        sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in arguments.items())
    )
    return _cached(str(current().warehouse_dir), version(), name, frozen)


def _builders() -> dict:
    from dashboard.views.briefing import build_briefing
    from dashboard.views.data import build_data_view
    from dashboard.views.grant_map import build_grant_map
    from dashboard.views.hubs import build_hubs
    from dashboard.views.overview import build_overview
    from dashboard.views.pipeline import build_pipeline

    def grant_map(load, filters, option, level, boundaries_dir, map_style, _boundaries_stamp):
        # The stamp (the boundary file's mtime) is only part of the cache key: a newly downloaded
        # boundary file is drawn without waiting for a new warehouse version.
        return build_grant_map(load, filters, option, level, boundaries_dir, map_style)

    def briefing(load, filters, option, boundaries_dir, map_style):
        return build_briefing(
            load, filters, option, boundaries_dir, map_style, view=view
        )  # reuse cached views

    return {"overview": build_overview, "hubs": build_hubs, "grant_map": grant_map,
            "pipeline": build_pipeline, "briefing": briefing, "data": build_data_view}  # fmt: skip


@st.cache_resource(show_spinner=False, max_entries=256)
def _view(path: str, version: str, name: str, arguments: tuple) -> object:
    # Shared by every session: a view is built once per warehouse version and filters, and
    # pages only read it (never mutate a cached view).
    return _builders()[name](load, *arguments)


def view(name: str, *arguments: object) -> object:
    """A page's view model for the published version (built once, then shared)."""
    return _view(str(current().warehouse_dir), version(), name, arguments)
