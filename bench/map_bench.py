"""`python -m bench map --boundaries FILE`: the size of the map figures when every prefecture is
loaded.

FILE is a national boundary file (国土数値情報 N03 全国, or a TopoJSON / GeoJSON of all
municipalities keyed by the 5-digit code). A profile, a municipality list and simplified
boundaries are made from it for each of the 47 prefectures in a temporary folder (as
`python -m etl profile new` does); the sample data is built there, and the figures the pages
send are serialised as Streamlit sends them:

- 全国比較: the map of every prefecture (one dissolved outline each), the national view;
- 補助金マップ: the municipality and bureau maps of each prefecture (largest, median, total).

Time is printed too (making the national figure from cold caches), but the figure of interest is
the JSON size: a figure is sent to each browser on every rerun that changes it."""

from __future__ import annotations

import dataclasses
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from core.settings import PROJECT_DIR, load_settings
from core.vocabulary import PREF_NAME_BY_CODE

NATIONAL_FILE = PROJECT_DIR.parent / "shared" / "data" / "national" / "ja_municipality_area.json"
TARGET_BYTES = 1_000_000


def prepare(root: Path, source: Path):
    """Settings of a folder with all 47 prefectures' profiles and boundaries made from `source`."""
    from etl.boundaries import boundaries_from_file
    from etl.build import build
    from etl.profile_new import new_profile
    from etl.profiles import load_profiles

    base = load_settings()
    shutil.copytree(base.profiles_dir, root / "profiles")
    shutil.copytree(base.reference_dir, root / "reference")
    settings = dataclasses.replace(
        base, reference_dir=root / "reference", profiles_dir=root / "profiles",
        boundaries_dir=root / "boundaries", warehouse_dir=root / "warehouse",
    )  # fmt: skip
    boundaries_from_file(settings, str(source))  # the profiles shipped (福島県, 鳥取県)
    have = {p.pref_code for p in load_profiles(settings.profiles_dir).values()}
    for code in sorted(PREF_NAME_BY_CODE):
        if code not in have and code != "00":
            new_profile(settings, code, boundaries=str(source))
    build(settings)
    return settings


def _size(figure) -> int:
    return len(figure.to_json().encode("utf-8"))


def national_figure(settings) -> tuple[int, float, int]:
    """(JSON bytes, seconds, prefectures drawn) of the 全国比較 map."""
    from dashboard.db import Warehouse
    from dashboard.maps import _read_boundaries
    from dashboard.views import direct_loader
    from dashboard.views.national import build_national

    _read_boundaries.cache_clear()
    load = direct_loader(Warehouse(settings.warehouse_dir))
    started = time.perf_counter()
    view = build_national(load, settings.boundaries_dir, "white-bg")
    seconds = time.perf_counter() - started
    drawn = sum(len(trace.locations) for trace in view.figure.data if trace.locations is not None)
    return _size(view.figure), seconds, drawn


def prefecture_figures(settings) -> dict[str, list[int]]:
    """The 補助金マップ figure's JSON bytes of every prefecture, per level (the bureau level
    only where the profile has bureaus, as on the page)."""
    from dashboard.db import Warehouse
    from dashboard.filters import Filters, build_profile_options
    from dashboard.views import direct_loader
    from dashboard.views.grant_map import build_grant_map

    load = direct_loader(Warehouse(settings.warehouse_dir))
    sizes: dict[str, list[int]] = {"municipality": [], "bureau": []}
    for key, option in build_profile_options(load).items():
        filters = Filters(key, option.first_fy, option.last_fy, ())
        for level in sizes if option.bureaus else ("municipality",):  # as the page offers
            view = build_grant_map(
                load, filters, option, level, settings.boundaries_dir, "white-bg"
            )
            sizes[level].append(_size(view.figure))
    return sizes


def run(args) -> None:
    source = Path(args.boundaries) if args.boundaries else NATIONAL_FILE
    if not source.exists():
        raise SystemExit(
            f"no national boundary file: {source}. Give one with --boundaries "
            "(国土数値情報 N03 全国, or a TopoJSON/GeoJSON of all municipalities keyed by code)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        settings = prepare(Path(tmp), source)
        print(f"47 prefectures' profiles and boundaries from {source.name}: "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        size, seconds, drawn = national_figure(settings)
        verdict = "met" if size < TARGET_BYTES else "NOT met"
        print(f"全国比較 map: {drawn} prefectures, figure JSON {size / 1e6:.2f} MB "
              f"({size / 1024:.0f} KiB), made in {seconds:.2f} s from cold caches; "
              f"target < 1 MB: {verdict}")  # fmt: skip
        for level, values in prefecture_figures(settings).items():
            print(f"補助金マップ ({level}), 47 prefectures: largest {max(values) / 1024:.0f} KiB, "
                  f"median {statistics.median(values) / 1024:.0f} KiB, "
                  f"sum {sum(values) / 1e6:.1f} MB")  # fmt: skip
