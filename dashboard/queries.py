"""Read queries. Each runs one SQL file of dashboard/sql/ with named, bound parameters.

Functions take the warehouse and plain values and return DataFrames; pages reach them through
`dashboard.ui.cache.load`, which caches on the warehouse version.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from dashboard.db import Reader

SQL_DIR = Path(__file__).parent / "sql"


@functools.cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def _run(db: Reader, name: str, **params: object) -> pd.DataFrame:
    return db.query(_sql(name), params)


def _range(from_fy: int, to_fy: int) -> dict[str, int]:
    return {"from_fy": int(from_fy), "to_fy": int(to_fy)}


def query_profiles(db: Reader) -> pd.DataFrame:
    return _run(db, "profiles")


def query_bureaus(db: Reader) -> pd.DataFrame:
    return _run(db, "bureaus")


def query_year_range(db: Reader) -> pd.DataFrame:
    return _run(db, "year_range")


def query_build_info(db: Reader) -> pd.DataFrame:
    return _run(db, "build_info")


def query_kpi_series(db: Reader, pref: str) -> pd.DataFrame:
    """Every actual and target point of the prefecture's and the nation's hub KPIs (both bases),
    for the trajectory chart; the figures themselves come from `query_kpi_actual`."""
    return _run(db, "kpi_series", pref=pref)


def query_kpi_actual(db: Reader, pref: str) -> pd.DataFrame:
    return _run(db, "kpi_actual", pref=pref)


def query_hubs_by_year(db: Reader, pref: str, bureaus: tuple[str, ...]) -> pd.DataFrame:
    return _run(db, "hubs_by_year", pref=pref, bureaus=list(bureaus))


def query_grant_spend(
    db: Reader, pref: str, from_fy: int, to_fy: int, bureaus: tuple[str, ...]
) -> pd.DataFrame:
    return _run(db, "grant_spend", pref=pref, bureaus=list(bureaus), **_range(from_fy, to_fy))


def query_survey_years(db: Reader, pref: str) -> pd.DataFrame:
    return _run(db, "survey_years", pref=pref)


def query_hubs_by_bureau(db: Reader, pref: str, year: int) -> pd.DataFrame:
    return _run(db, "hubs_by_bureau", pref=pref, year=int(year))


def query_hubs_by_municipality(
    db: Reader, pref: str, year: int, bureaus: tuple[str, ...]
) -> pd.DataFrame:
    return _run(db, "hubs_by_municipality", pref=pref, year=int(year), bureaus=list(bureaus))


def query_hubs_list(db: Reader, pref: str, year: int, bureaus: tuple[str, ...]) -> pd.DataFrame:
    return _run(db, "hubs_list", pref=pref, year=int(year), bureaus=list(bureaus))


def query_grant_by_municipality(db: Reader, pref: str, from_fy: int, to_fy: int) -> pd.DataFrame:
    return _run(db, "grant_by_municipality", pref=pref, **_range(from_fy, to_fy))


def query_grant_by_bureau(db: Reader, pref: str, from_fy: int, to_fy: int) -> pd.DataFrame:
    return _run(db, "grant_by_bureau", pref=pref, **_range(from_fy, to_fy))


def query_districts(
    db: Reader, pref: str, from_fy: int, to_fy: int, bureaus: tuple[str, ...]
) -> pd.DataFrame:
    return _run(db, "districts", pref=pref, bureaus=list(bureaus), **_range(from_fy, to_fy))


def query_sources(db: Reader, pref: str) -> pd.DataFrame:
    return _run(db, "sources", pref=pref)


def query_load_log(db: Reader) -> pd.DataFrame:
    return _run(db, "load_log")


def query_quality_report(db: Reader) -> pd.DataFrame:
    return _run(db, "quality_report")


def query_grant_sources(db: Reader, pref: str) -> pd.DataFrame:
    return _run(db, "grant_sources", pref=pref)


def query_grants_history(db: Reader, pref: str, bureaus: tuple[str, ...]) -> pd.DataFrame:
    return _run(db, "grants_history", pref=pref, bureaus=list(bureaus))


def query_district_hubs(db: Reader, pref: str) -> pd.DataFrame:
    return _run(db, "district_hubs", pref=pref)


def query_rule_findings(
    db: Reader, pref: str, from_fy: int, to_fy: int, bureaus: tuple[str, ...]
) -> pd.DataFrame:
    return _run(db, "rule_findings", pref=pref, bureaus=list(bureaus), **_range(from_fy, to_fy))


def query_rules(db: Reader, pref: str) -> pd.DataFrame:
    return _run(db, "rules", pref=pref)


def query_programs(db: Reader, pref: str) -> pd.DataFrame:
    return _run(db, "programs", pref=pref)


def query_cooperatives(db: Reader, pref: str) -> pd.DataFrame:
    return _run(db, "cooperatives", pref=pref)


def query_district_budget(
    db: Reader, pref: str, from_fy: int, to_fy: int, bureaus: tuple[str, ...]
) -> pd.DataFrame:
    return _run(db, "district_budget", pref=pref, bureaus=list(bureaus), **_range(from_fy, to_fy))


def query_national_comparison(db: Reader) -> pd.DataFrame:
    """Every loaded prefecture's latest hubs, RMO share, hubs per municipality and change."""
    return _run(db, "national_comparison")
