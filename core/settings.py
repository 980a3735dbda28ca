"""The one settings object of the project, shared by the ETL and the dashboard.

Every setting has a default, an environment variable that overrides it and help text; the README
lists them all (a test checks that). Secrets never live here: they go in
`.streamlit/secrets.toml` or the environment.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, fields
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    env: str
    default: str
    help: str


SETTINGS: dict[str, Setting] = {
    "data_dir": Setting("KYOTEN_DATA_DIR", "data", "Root of the project's data folders."),
    "warehouse_dir": Setting(
        "KYOTEN_WAREHOUSE_DIR", "data/warehouse", "Published DuckDB builds and the CURRENT pointer."
    ),
    "sample_dir": Setting("KYOTEN_SAMPLE_DIR", "data/sample", "The generated sample dataset."),
    "reference_dir": Setting(
        "KYOTEN_REFERENCE_DIR", "data/reference", "Municipalities and published counts (facts)."
    ),
    "profiles_dir": Setting("KYOTEN_PROFILES_DIR", "data/profiles", "Prefecture profiles (TOML)."),
    "boundaries_dir": Setting(
        "KYOTEN_BOUNDARIES_DIR", "data/boundaries", "Simplified N03 boundaries (never committed)."
    ),
    "default_profile": Setting("KYOTEN_DEFAULT_PROFILE", "fukushima", "Profile shown first."),
    "keep_builds": Setting("KYOTEN_KEEP_BUILDS", "5", "How many published builds are kept."),
    "map_style": Setting(
        "KYOTEN_MAP_STYLE",
        "white-bg",
        "Base map style for choropleth_map; white-bg needs no network, a tile style does.",
    ),
    "uploads_dir": Setting(
        "KYOTEN_UPLOADS_DIR", "data/uploads", "Private folder for stewards' uploads (mode 0700)."
    ),
    "upload_max_mb": Setting("KYOTEN_UPLOAD_MAX_MB", "20", "Largest accepted upload, in MB."),
    "input_max_mb": Setting(
        "KYOTEN_INPUT_MAX_MB", "200", "Largest input file that etl build/validate reads, in MB."
    ),
    "validate_timeout_s": Setting(
        "KYOTEN_VALIDATE_TIMEOUT_S", "120", "Time limit of an upload's validation (child process)."
    ),
    "validate_max_mem_mb": Setting(
        "KYOTEN_VALIDATE_MAX_MEM_MB",
        "1536",
        "Address-space limit of an upload's validation (child process), in MB.",
    ),
    "log_dir": Setting(
        "KYOTEN_LOG_DIR", "data/logs", "Where unexpected errors of the ETL are logged in full."
    ),
    "stewards": Setting(
        "KYOTEN_STEWARDS", "", "Comma-separated e-mails (or subjects) with the steward role."
    ),
    "admins": Setting(
        "KYOTEN_ADMINS", "", "Comma-separated e-mails (or subjects) with the admin role."
    ),
    "role_claim": Setting(
        "KYOTEN_ROLE_CLAIM",
        "roles",
        "ID-token claim that lists a user's roles (viewer, steward, admin).",
    ),
    "local_steward": Setting(
        "KYOTEN_LOCAL_STEWARD",
        "0",
        "1: without an identity provider, everyone may load data (local development only).",
    ),
    "require_login": Setting("KYOTEN_REQUIRE_LOGIN", "0", "1: every page needs a login (OIDC)."),
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    warehouse_dir: Path
    sample_dir: Path
    reference_dir: Path
    profiles_dir: Path
    boundaries_dir: Path
    default_profile: str
    keep_builds: int
    map_style: str
    uploads_dir: Path
    upload_max_mb: int
    input_max_mb: int
    validate_timeout_s: int
    validate_max_mem_mb: int
    log_dir: Path
    stewards: str
    admins: str
    role_claim: str
    local_steward: bool
    require_login: bool


def _resolve(value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else PROJECT_DIR / path


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings from the environment (or `env`), falling back to the documented defaults."""
    env = os.environ if env is None else env
    return _settings(tuple(env.get(s.env, s.default) for s in SETTINGS.values()))


@functools.lru_cache(maxsize=64)
def _settings(texts: tuple[str, ...]) -> Settings:
    """The Settings of these texts (in SETTINGS's order), made once: a page asks for them a dozen
    times a rerun, and they are frozen. A text that is not a valid value raises every time."""
    raw = dict(zip(SETTINGS, texts, strict=True))
    values: dict[str, object] = {}
    for f in fields(Settings):
        value = raw[f.name]
        if f.type == "Path":
            values[f.name] = _resolve(value)
        elif f.type == "int":
            values[f.name] = int(value)
        elif f.type == "bool":
            values[f.name] = value.strip().lower() in ("1", "true", "yes", "on")
        else:
            values[f.name] = value
    return Settings(**values)  # type: ignore[arg-type]
