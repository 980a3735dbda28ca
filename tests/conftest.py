"""Shared fixtures: settings pointing at temporary folders and a sample warehouse built once."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from core.settings import PROJECT_DIR, Settings, load_settings
from etl.build import build

SAMPLE_DIR = PROJECT_DIR / "data" / "sample"


def settings_for(root: Path, **changes) -> Settings:
    """Project settings whose writable folders live under `root` (never the project's data/)."""
    base = load_settings(env={})
    folders = {"warehouse_dir": root / "warehouse", "boundaries_dir": root / "boundaries",
               "uploads_dir": root / "uploads", "log_dir": root / "logs"}  # fmt: skip
    return dataclasses.replace(base, **(folders | changes))


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory) -> Settings:
    """A warehouse built once from data/sample/, shared read-only by the whole session."""
    settings = settings_for(tmp_path_factory.mktemp("sample"))
    build(settings, SAMPLE_DIR)
    return settings


@pytest.fixture
def fresh_settings(tmp_path) -> Settings:
    return settings_for(tmp_path)


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """A private copy of the sample input folder that a test may change."""
    target = tmp_path / "input"
    shutil.copytree(SAMPLE_DIR, target)
    return target


@pytest.fixture(scope="session")
def sample_pack(sample_settings, tmp_path_factory):
    """The briefing pack of the whole sample for 福島県 (all bureaus, every year)."""
    from dashboard.db import Warehouse
    from dashboard.filters import Filters, build_profile_options
    from dashboard.views import direct_loader
    from dashboard.views.pack import build_pack

    load = direct_loader(Warehouse(sample_settings.warehouse_dir))
    option = build_profile_options(load)["fukushima"]
    filters = Filters("fukushima", option.first_fy, option.last_fy, ())
    return build_pack(load, filters, option, tmp_path_factory.mktemp("no-boundaries"), "white-bg")


@pytest.fixture(scope="module")
def browser(server):
    """Headless Chromium for a browser test module that defines its own `server` fixture."""
    from tests.browser import chromium

    with chromium() as browser:
        yield browser
