"""Global filters (profile, fiscal-year range, bureaus) and their URL form.

A copied link reproduces the view: `?profile=fukushima&from=2021&to=2026&bureau=会津&bureau=南会津`.
A link whose values no longer apply falls back to what exists and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dashboard.formatting import fy_label


@dataclass(frozen=True)
class ProfileOption:
    key: str
    pref_code: str
    pref_name: str
    bureau_label: str
    bureaus: tuple[str, ...]
    first_fy: int | None
    last_fy: int | None
    kpi_indicator: str = "hubs_total"  # the indicator the profile grades

    @property
    def has_bureaus(self) -> bool:
        return bool(self.bureaus)

    @property
    def years(self) -> list[int]:
        if self.first_fy is None or self.last_fy is None:
            return []
        return list(range(self.first_fy, self.last_fy + 1))


@dataclass(frozen=True)
class Filters:
    profile: str
    from_fy: int | None
    to_fy: int | None
    bureaus: tuple[str, ...] = ()  # empty: every bureau

    def to_query_params(self) -> dict[str, str | list[str]]:
        params: dict[str, str | list[str]] = {"profile": self.profile}
        if self.from_fy is not None and self.to_fy is not None:
            params |= {"from": str(self.from_fy), "to": str(self.to_fy)}
        if self.bureaus:
            params["bureau"] = list(self.bureaus)
        return params


def build_profile_options(load) -> dict[str, ProfileOption]:
    """Every profile of the warehouse with its bureaus (display order) and years with data.

    `load` is a view loader (see dashboard.views.Loader)."""
    profiles, bureaus, years = load("profiles"), load("bureaus"), load("year_range")
    options = {}
    for row in profiles.itertuples(index=False):
        span = years[years["pref_code"] == row.pref_code]
        options[row.profile_key] = ProfileOption(
            key=row.profile_key,
            pref_code=row.pref_code,
            pref_name=row.pref_name,
            bureau_label=row.bureau_label,
            bureaus=tuple(bureaus.loc[bureaus["pref_code"] == row.pref_code, "bureau"]),
            first_fy=int(span["first_fy"].iloc[0]) if len(span) else None,
            last_fy=int(span["last_fy"].iloc[0]) if len(span) else None,
            kpi_indicator=row.kpi_indicator,
        )
    return options


def _year(text: str | None) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def parse_filters(params: Mapping[str, Sequence[str]], options: Mapping[str, ProfileOption],
                  default_profile: str) -> tuple[Filters, list[str]]:  # fmt: skip
    """Filters from query parameters (each a list of values), with warnings for what was dropped."""
    warnings: list[str] = []
    first = {key: (values[0] if values else None) for key, values in params.items()}
    key = first.get("profile") or default_profile
    if key not in options:
        fallback = default_profile if default_profile in options else next(iter(options))
        warnings.append(
            f"リンクのプロファイル「{key}」はありません。{options[fallback].pref_name}を表示します。"
        )
        key = fallback
    option = options[key]
    years = option.years
    from_fy, to_fy = (years[0], years[-1]) if years else (None, None)
    asked_from, asked_to = first.get("from"), first.get("to")
    if years and (asked_from is not None or asked_to is not None):
        low = _year(asked_from) if asked_from is not None else None
        high = _year(asked_to) if asked_to is not None else None
        if (asked_from is not None and low is None) or (asked_to is not None and high is None):
            warnings.append("リンクの年度が読めません。データのあるすべての年度を表示します。")
        else:
            # An open end reaches the data's far end in its own direction: from=2030 means 2030 on.
            low = min(years[0], high) if low is None else low
            high = max(years[-1], low) if high is None else high
            low, high = sorted((low, high))
            asked_text = f"{asked_from or ''}～{asked_to or ''}"
            clipped = (max(low, years[0]), min(high, years[-1]))
            if clipped[0] > clipped[1]:
                warnings.append(
                    f"リンクの年度（{asked_text}）はデータの範囲（{fy_label(years[0])}～{fy_label(years[-1])}）"
                    "の外です。すべての年度を表示します。"
                )
            else:
                if clipped != (low, high):
                    warnings.append(
                        f"リンクの年度（{asked_text}）をデータの範囲（{fy_label(years[0])}～{fy_label(years[-1])}）"
                        "に合わせました。"
                    )
                from_fy, to_fy = clipped
    asked = [b for b in params.get("bureau", []) if b]
    unknown = [b for b in asked if b not in option.bureaus]
    if unknown:
        warnings.append(
            f"リンクの{option.bureau_label}「{'」「'.join(unknown)}」は{option.pref_name}にありません（除外しました）。"
        )
    bureaus = tuple(b for b in option.bureaus if b in asked)  # display order, no duplicates
    return Filters(key, from_fy, to_fy, bureaus), warnings


def scope_text(filters: Filters, option: ProfileOption) -> str:
    """The view's scope in words: 福島県 ／ 地方振興局: 会津・南会津 ／ 令和4年度 (2022)～令和8年度 (2026)."""
    bureaus = "・".join(filters.bureaus) if filters.bureaus else "すべて"
    parts = [option.pref_name] + ([f"{option.bureau_label}: {bureaus}"] if option.bureaus else [])
    if filters.from_fy is None:
        return " ／ ".join([*parts, "年度データなし"])
    return " ／ ".join([*parts, f"{fy_label(filters.from_fy)}～{fy_label(filters.to_fy)}"])
