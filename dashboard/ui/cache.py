"""Caching at one layer: the connection holder per warehouse folder (resource) and query results
keyed on the published version (data), so a publish shows up on the next rerun.

Every entry is read from the build its key names (`Warehouse.snapshot`), never from whatever is
published when the query runs: a publish landing between reading the version and running the
query would otherwise store the new build's rows under the old id, and a rollback to that id
would bring them back.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pandas as pd
import streamlit as st

from core.settings import load_settings
from dashboard.db import BuildGone, Warehouse
from dashboard.views import Loader, direct_loader

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def warehouse(path: str) -> Warehouse:
    return Warehouse(Path(path))


def current() -> Warehouse:
    return warehouse(str(load_settings().warehouse_dir))


@st.cache_data(show_spinner=False, max_entries=2048)
def _cached(path: str, version: str, name: str, arguments: tuple) -> pd.DataFrame:
    # An exception is not cached; an empty frame is a real answer and is.
    return direct_loader(warehouse(path).snapshot(version))(name, **dict(arguments))


def version() -> str:
    return current().published_version()


def latest(read: Callable[[str], T]) -> T:
    """`read(version)` for the published version, again for the next one if that build was
    deleted while it was being read (only with KYOTEN_KEEP_BUILDS=1)."""
    try:
        return read(version())
    except BuildGone:
        return read(version())


def _loader(path: str, at: str) -> Loader:
    def load(name: str, **arguments: object) -> pd.DataFrame:
        frozen = tuple(
            sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in arguments.items())
        )
        return _cached(path, at, name, frozen)

    return load


def loader(at: str) -> Loader:
    """Cached query results, all from the build `at`."""
    return _loader(str(current().warehouse_dir), at)


def load(name: str, **arguments: object) -> pd.DataFrame:
    """A query result for the published version (a private copy the caller may change)."""
    return latest(lambda at: loader(at)(name, **arguments))


def _builders(at: str) -> dict:
    from dashboard.views.briefing import build_briefing
    from dashboard.views.data import build_data_view
    from dashboard.views.grant_map import build_grant_map
    from dashboard.views.hubs import build_hubs
    from dashboard.views.national import build_national
    from dashboard.views.overview import build_overview
    from dashboard.views.pipeline import build_pipeline

    def grant_map(load, filters, option, level, boundaries_dir, map_style, _boundaries_stamp):
        # The stamp (the boundary file's mtime) is only part of the cache key: a newly downloaded
        # boundary file is drawn without waiting for a new warehouse version.
        return build_grant_map(load, filters, option, level, boundaries_dir, map_style)

    def briefing(load, filters, option, boundaries_dir, map_style):
        return build_briefing(  # reuse the cached views of the same build
            load, filters, option, boundaries_dir, map_style, view=functools.partial(_view_at, at)
        )

    return {"overview": build_overview, "hubs": build_hubs, "grant_map": grant_map,
            "national": lambda load, boundaries_dir, map_style, _stamps: build_national(load, boundaries_dir, map_style),
            "pipeline": build_pipeline, "briefing": briefing, "data": build_data_view}  # fmt: skip


@st.cache_resource(show_spinner=False, max_entries=256)
def _view(path: str, version: str, name: str, arguments: tuple) -> object:
    # Shared by every session: a view is built once per warehouse version and filters, and
    # pages only read it (never mutate a cached view).
    return _builders(version)[name](_loader(path, version), *arguments)


def _view_at(at: str, name: str, *arguments: object) -> object:
    return _view(str(current().warehouse_dir), at, name, arguments)


def view(name: str, *arguments: object) -> object:
    """A page's view model for the published version (built once, then shared)."""
    return latest(lambda at: _view_at(at, name, *arguments))
