"""Display conventions: 和暦 with 西暦, money in 千円, データなし for unknown, safe exports."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from core.vocabulary import wareki  # the one definition of the era

NO_DATA = "データなし"
JST = dt.timezone(dt.timedelta(hours=9))
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def fy_label(year: int | None) -> str:
    """The fiscal year as the UI shows it: 令和6年度 (2024)."""
    if is_missing(year):
        return NO_DATA
    year = int(year)
    return f"{wareki(year)}年度 ({year})"


def era_short(year: int) -> str:
    """The era year alone, for the tightest places (a tick on a phone-sized chart): R6."""
    return wareki(int(year)).replace("令和", "R").replace("平成", "H").replace("元", "1")


def fy_short(year: int) -> str:
    """A compact label for axes and changes: R6 (2024)."""
    return f"{era_short(year)} ({int(year)})"


def updated_text(info: pd.Series, *, with_time: bool = False, with_build: bool = True) -> str:
    """A build_info row as 「データ更新 2026-11-23（版 …）」, in Japan time (built_at is UTC).
    Slides and printed pages leave the build id out (`with_build=False`)."""
    built = pd.Timestamp(info["built_at"]).tz_localize("UTC").tz_convert(JST)
    stamp = built.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return f"データ更新 {stamp}" + (f"（版 {info['build_id']}）" if with_build else "")


def jst_text(when: object) -> str:
    """A moment as people here read it: 2026-11-30T19:01:05+09:00 (naive values are UTC)."""
    if is_missing(when) or when == "":
        return NO_DATA
    stamp = pd.Timestamp(when)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(JST).isoformat(timespec="seconds")


def latest_list_text(survey_years: pd.DataFrame, to_fy: int | None = None) -> str:
    """The hub list the view's stock figures come from: the newest at or before the end of the
    selected period. 「拠点一覧 令和6年度 (2024)（2024-05-31時点）」."""
    if to_fy is not None:
        survey_years = survey_years[survey_years["fiscal_year"] <= to_fy]
    if survey_years.empty:
        return f"拠点一覧 {NO_DATA}"
    latest = survey_years.iloc[-1]
    return f"拠点一覧 {fy_label(int(latest['fiscal_year']))}（{latest['as_of']}時点）"


def fy_range_label(from_fy: int, to_fy: int) -> str:
    """A period of fiscal years: 令和8年度 (2026) alone, else 令和2年度～令和8年度 (2020～2026)."""
    if from_fy == to_fy:
        return fy_label(from_fy)
    return f"{wareki(from_fy)}年度～{wareki(to_fy)}年度 ({from_fy}～{to_fy})"


def is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def count_text(value: object, unit: str = "") -> str:
    return NO_DATA if is_missing(value) else f"{int(value):,}{unit}"


def count_with_unknown(value: object, unknown: object = 0, unit: str = "") -> str:
    """A count that leaves out rows of unknown status: 「45（ほか不明4）」 (45 known, 4 rows
    unknown), just the count when none is unknown, データなし when nothing is known (NULL).
    Unknown is never shown as 0, and a few unknown rows never hide the known count."""
    if is_missing(value):
        return NO_DATA
    return f"{int(value):,}{unit}{unknown_note(unknown)}"


def unknown_note(unknown: object) -> str:
    """What follows a count that leaves out unknown rows: 「（ほか不明4）」, else nothing."""
    rows = 0 if is_missing(unknown) else int(unknown)
    return f"（ほか不明{rows:,}）" if rows > 0 else ""


def share_note(unknown: object) -> str:
    """What follows a share taken over known rows only: 「（不明4拠点を除く）」, else nothing."""
    rows = 0 if is_missing(unknown) else int(unknown)
    return f"（不明{rows:,}拠点を除く）" if rows > 0 else ""


def share_text(value: object, unknown: object = 0, digits: int = 1) -> str:
    """A percentage taken over the rows of known status, saying how many it leaves out:
    「80.4%（不明4拠点を除く）」; just the percentage when none is unknown."""
    text = pct_text(value, digits)
    return text if is_missing(value) else text + share_note(unknown)


# Count columns of the tables whose rows of unknown status sit in a companion column:
# CSV and Excel keep both as numbers; the screens, PPTX and PDF show one text 「45（ほか不明4）」.
RMO_COLUMN = "うち地域運営組織あり（拠点）"
RMO_UNKNOWN_COLUMN = "うち地域運営組織の有無不明（拠点）"
UNKNOWN_COLUMNS = {RMO_COLUMN: RMO_UNKNOWN_COLUMN}


def unknowns_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: each count with a companion unknown-rows column becomes the text of
    `count_with_unknown`, and the companion column is dropped."""
    out = frame.copy()
    for column, unknown in UNKNOWN_COLUMNS.items():
        if column in out.columns and unknown in out.columns:
            out[column] = [
                count_with_unknown(v, u) for v, u in zip(out[column], out[unknown], strict=True)
            ]
            out = out.drop(columns=unknown)
    return out


def money_text(value_yen: object, digits: int = 0) -> str:
    """Yen as people read money here, in 千円 with separators, rounded half up (四捨五入):
    54,004,000 → '54,004千円'. The one unit of every card, hover, table header and message."""
    if is_missing(value_yen):
        return NO_DATA
    amount = (Decimal(str(value_yen)) / 1000).quantize(
        Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP
    )
    return f"{amount:,.{digits}f}千円"


def sen_yen(value_yen: object) -> float | None:
    """Yen as 千円 (a number, for tables whose header says 千円)."""
    return None if is_missing(value_yen) else round(float(value_yen) / 1000, 1)


def pct_text(value: object, digits: int = 1) -> str:
    return NO_DATA if is_missing(value) else f"{float(value):.{digits}f}%"


def md_escape(text: object) -> str:
    """Data text placed in markdown (captions, headings) shows as text, never as markup."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def escape_formula(value: object) -> object:
    """A cell that a spreadsheet would run as a formula (= + - @) is prefixed with '."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_for_export(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with formula-like text escaped and unknowns written as データなし."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(escape_formula)
    return out


def to_csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8-sig") -> bytes:
    """CSV for Excel users: UTF-8 with BOM by default, or CP932; NULLs as データなし."""
    text = io.StringIO()
    safe_for_export(frame).to_csv(text, index=False, na_rep=NO_DATA, lineterminator="\r\n")
    if encoding == "cp932":
        return text.getvalue().encode("cp932", errors="replace")
    return text.getvalue().encode("utf-8-sig")


def with_fy_columns(
    frame: pd.DataFrame, column: str = "fiscal_year", label: str = "年度"
) -> pd.DataFrame:
    """Replace a fiscal-year column with 和暦 and 西暦 columns (for tables and exports)."""
    out = frame.copy()
    position = out.columns.get_loc(column)
    years = out.pop(column)
    out.insert(position, f"{label}（西暦）", years)
    out.insert(
        position,
        f"{label}（和暦）",
        years.map(lambda y: f"{wareki(int(y))}年度" if not is_missing(y) else NO_DATA),
    )
    return out
