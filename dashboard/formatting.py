"""Display conventions: 和暦 with 西暦, money in 万円/千円, データなし for unknown, safe exports."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

NO_DATA = "データなし"
JST = dt.timezone(dt.timedelta(hours=9))
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def wareki(year: int) -> str:
    """2024 → '令和6', 2019 → '令和元', 2018 → '平成30'."""
    if year >= 2019:
        n = year - 2018
        return "令和元" if n == 1 else f"令和{n}"
    if year >= 1989:
        n = year - 1988
        return "平成元" if n == 1 else f"平成{n}"
    return f"昭和{year - 1925}"


def fy_label(year: int | None) -> str:
    """The fiscal year as the UI shows it: 令和6年度 (2024)."""
    if is_missing(year):
        return NO_DATA
    year = int(year)
    return f"{wareki(year)}年度 ({year})"


def fy_short(year: int) -> str:
    """A compact label for axes: R6 (2024)."""
    era = wareki(int(year))
    short = era.replace("令和", "R").replace("平成", "H").replace("元", "1")
    return f"{short} ({int(year)})"


def updated_text(info: pd.Series, *, with_time: bool = False) -> str:
    """A build_info row as 「データ更新 2026-11-23（版 …）」, in Japan time (built_at is UTC)."""
    built = pd.Timestamp(info["built_at"]).tz_localize("UTC").tz_convert(JST)
    stamp = built.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return f"データ更新 {stamp}（版 {info['build_id']}）"


def latest_list_text(survey_years: pd.DataFrame) -> str:
    """The newest hub list of the survey_years query: 「最新の拠点一覧 令和6年度 (2024)（2024-05-31時点）」."""
    if survey_years.empty:
        return f"拠点一覧 {NO_DATA}"
    latest = survey_years.iloc[-1]
    return f"最新の拠点一覧 {fy_label(int(latest['fiscal_year']))}（{latest['as_of']}時点）"


def is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def count_text(value: object, unit: str = "") -> str:
    return NO_DATA if is_missing(value) else f"{int(value):,}{unit}"


def man_yen(value_yen: object, digits: int = 0) -> str:
    """Yen shown in 万円 for headline cards, rounded half up (四捨五入): 12,345,678 → '1,235万円'."""
    if is_missing(value_yen):
        return NO_DATA
    amount = (Decimal(str(value_yen)) / 10_000).quantize(
        Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP
    )
    return f"{amount:,.{digits}f}万円"


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
