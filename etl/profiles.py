"""Prefecture profiles: prefecture-specific facts and subsidy rules, kept as TOML data."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core.vocabulary import INDICATORS, N03_URL
from etl.errors import EtlError

RULE_KINDS = {
    "indirect_allowed",
    "rate_max",
    "amount_max_per_year",
    "max_years",
    "cumulative_cap",
    "window_years",
    "requires_prior",
    "same_year_prior",
    "second_district",
    "repeated_content",
}
SEVERITIES = {"error", "advice"}


@dataclass(frozen=True)
class Program:
    id: str
    name: str
    aliases: tuple[str, ...]
    stage: str  # "plan" or "project": where the program sits on the path to a hub


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    programs: tuple[str, ...]
    severity: str
    title: str
    source: str
    params: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Kpi:
    """The indicator the profile grades, and its target when one is set (base and target are
    optional: without a base the path starts at the first actual value; without a target the
    dashboard shows progress and says no target is set)."""

    indicator: str = "hubs_total"
    base_year: int | None = None
    base_value: int | None = None
    target_year: int | None = None
    target_value: int | None = None
    source: str | None = None


@dataclass(frozen=True)
class Profile:
    key: str
    pref_code: str
    pref_name: str
    bureau_label: str  # the prefecture's word for its regional units; "" without bureaus
    bureaus: tuple[str, ...]
    n03_url: str
    kpi: Kpi
    programs: tuple[Program, ...]
    rules: tuple[Rule, ...]
    grants_first_year: int = 2015  # the first fiscal year of the profile's programmes
    grant_horizon_years: int = 1  # grant records may be planned this many years ahead
    # endings of office names that may follow a bureau's name in a file (「県北地方振興局」 is 県北)
    bureau_suffixes: tuple[str, ...] = ()

    @functools.cached_property  # the profile is frozen: worked out once (checked on every grant)
    def cap_rule(self) -> Rule | None:
        """The district cap: the profile's (first) cumulative_cap rule, its only declaration."""
        return next((r for r in self.rules if r.kind == "cumulative_cap"), None)

    @functools.cached_property
    def district_cap_yen(self) -> int | None:
        rule = self.cap_rule
        return None if rule is None else int(rule.params["cap_yen"])

    @functools.cached_property
    def district_cap_programs(self) -> tuple[str, ...]:
        rule = self.cap_rule
        return () if rule is None else rule.programs

    def program_by_label(self, label: str) -> Program | None:
        """The program a grant file's 事業区分 names (by id, name or alias)."""
        for program in self.programs:
            if label in (program.id, program.name, *program.aliases):
                return program
        return None


def _rule(raw: dict, program_ids: set[str], path: Path) -> Rule:
    known = {"id", "kind", "programs", "severity", "title", "source"}
    rule = Rule(
        id=raw["id"],
        kind=raw["kind"],
        programs=tuple(raw["programs"]),
        severity=raw["severity"],
        title=raw["title"],
        source=raw["source"],
        params={k: v for k, v in raw.items() if k not in known},
    )
    if rule.kind not in RULE_KINDS:
        raise EtlError(f"{path}: rule {rule.id} has unknown kind {rule.kind!r}")
    if rule.severity not in SEVERITIES:
        raise EtlError(f"{path}: rule {rule.id} has unknown severity {rule.severity!r}")
    unknown = set(rule.programs) - program_ids
    if unknown:
        raise EtlError(f"{path}: rule {rule.id} names unknown programs {sorted(unknown)}")
    return rule


def _kpi(raw: dict, path: Path) -> Kpi:
    known = {"indicator", "base_year", "base_value", "target_year", "target_value", "source"}
    unknown = set(raw) - known
    if unknown:
        raise EtlError(f"{path}: [kpi] に知らない項目があります: {sorted(unknown)}")
    kpi = Kpi(**raw)
    if kpi.indicator not in INDICATORS:
        raise EtlError(
            f"{path}: [kpi] indicator は {', '.join(INDICATORS)} のどれかです（{kpi.indicator!r}）"
        )
    for first, second in (("base_year", "base_value"), ("target_year", "target_value")):
        if (raw.get(first) is None) != (raw.get(second) is None):
            raise EtlError(f"{path}: [kpi] {first} と {second} は両方書くか、両方書かないかです")
    return kpi


def load_profile(path: Path) -> Profile:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    programs = tuple(
        Program(p["id"], p["name"], tuple(p.get("aliases", ())), p["stage"])
        for p in raw.get("programs", ())
    )
    bureaus = tuple(raw.get("bureaus", ()))
    if bureaus and not raw.get("bureau_label"):
        raise EtlError(
            f"{path}: bureaus があるときは bureau_label（振興局・県民局などの呼び名）も書いてください"
        )
    ids = {p.id for p in programs}
    if "district_cap" in raw:
        raise EtlError(
            f'{path}: [district_cap] は使えません。地区の累計上限は kind = "cumulative_cap" の規則'
            "（[[rules]]）で一度だけ宣言します（二か所に書くと食い違うため）。"
        )
    return Profile(
        key=raw["key"],
        pref_code=raw["pref_code"],
        pref_name=raw["pref_name"],
        bureau_label=raw.get("bureau_label", "") if bureaus else "",
        bureaus=bureaus,
        n03_url=raw.get("n03_url") or N03_URL.format(code=raw["pref_code"]),
        kpi=_kpi(raw.get("kpi", {}), path),
        programs=programs,
        rules=tuple(_rule(r, ids, path) for r in raw.get("rules", ())),
        grants_first_year=int(raw.get("limits", {}).get("grants_first_year", 2015)),
        grant_horizon_years=int(raw.get("limits", {}).get("grant_horizon_years", 1)),
        bureau_suffixes=tuple(raw.get("bureau_suffixes", ())),
    )


def load_profiles(profiles_dir: Path) -> dict[str, Profile]:
    """All profiles in the folder, keyed by profile key, in file-name order."""
    profiles = {}
    for path in sorted(profiles_dir.glob("*.toml")):
        profile = load_profile(path)
        profiles[profile.key] = profile
    if not profiles:
        raise EtlError(f"プロファイルがありません: {profiles_dir}")
    return profiles
