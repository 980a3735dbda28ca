"""Coverage gaps: 過疎 municipalities without a hub, hubs without an RMO, and bureaus where a
daily-life service is offered by no hub. Pure functions with known answers on small frames."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.vocabulary import SERVICES


@dataclass
class CoverageGaps:
    kaso_without_hub: pd.DataFrame | None  # None: 過疎 status unknown for this prefecture
    hubs_without_rmo: pd.DataFrame | None  # None: the survey list does not record RMOs
    rmo_unknown: int
    service_matrix: pd.DataFrame | None  # None: the survey list does not record services
    service_gaps: pd.DataFrame | None
    without_hubs: tuple[str, ...] = ()  # bureaus with no hub at all: no service to offer, not a gap


def kaso_without_hub(municipalities: pd.DataFrame) -> pd.DataFrame | None:
    """過疎 municipalities (the warehouse's is_kaso) with 0 hubs; None when 過疎 status is unknown
    for all of them."""
    if municipalities["is_kaso"].isna().all():
        return None
    rows = municipalities[municipalities["is_kaso"].eq(True) & municipalities["hubs"].eq(0)]
    return rows[["municipality_code", "municipality_name", "bureau", "kaso"]].reset_index(drop=True)


def hubs_without_rmo(hubs: pd.DataFrame) -> tuple[pd.DataFrame | None, int]:
    """Hubs whose RMO status is 無 and how many are unknown; None when no hub's status is known."""
    if hubs.empty or hubs["has_rmo"].isna().all():
        return None, int(hubs["has_rmo"].isna().sum())
    rows = hubs[hubs["has_rmo"].eq(False)]
    return rows.reset_index(drop=True), int(hubs["has_rmo"].isna().sum())


def service_matrix(hubs: pd.DataFrame, bureaus: tuple[str, ...]) -> pd.DataFrame:
    """Bureau × service: the number of hubs offering each service (0 where none does)."""
    known = hubs[hubs["services"].notna()]
    exploded = known.explode("services")
    counts = exploded.groupby(["bureau", "services"]).size().unstack(fill_value=0)
    return counts.reindex(index=list(bureaus), columns=list(SERVICES), fill_value=0).astype(int)


def service_gaps(matrix: pd.DataFrame, hubs_per_bureau: pd.Series) -> pd.DataFrame:
    """(bureau, service) pairs offered by no hub, for bureaus that have hubs at all."""
    rows = [
        {"bureau": bureau, "service": service, "hubs": int(hubs_per_bureau.get(bureau, 0))}
        for bureau in matrix.index
        for service in matrix.columns
        if matrix.loc[bureau, service] == 0
    ]
    gaps = pd.DataFrame(rows, columns=["bureau", "service", "hubs"])
    return gaps[gaps["hubs"] > 0].reset_index(drop=True)


def coverage_gaps(
    municipalities: pd.DataFrame, hubs: pd.DataFrame, bureaus: tuple[str, ...]
) -> CoverageGaps:
    """All three gaps for one survey year. `municipalities` has kaso and hubs per municipality;
    `hubs` one row per hub with bureau, has_rmo and services (a list, or NULL when unrecorded)."""
    without_rmo, unknown = hubs_without_rmo(hubs)
    matrix = gaps = None
    per_bureau = hubs.groupby("bureau").size()
    if hubs["services"].notna().any():
        matrix = service_matrix(hubs, bureaus)
        gaps = service_gaps(matrix, per_bureau)
    empty = tuple(b for b in bureaus if int(per_bureau.get(b, 0)) == 0)
    return CoverageGaps(kaso_without_hub(municipalities), without_rmo, unknown, matrix, gaps, empty)
