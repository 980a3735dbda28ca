"""Words and calendars every part of the product shares: the era of a fiscal year, the fiscal
year of a date, the daily-life services a hub may offer, and the credit line of N03 boundaries."""

from __future__ import annotations

import datetime as dt

SERVICES = ("移動", "買い物", "見守り", "医療・福祉", "雪かき", "配食", "サロン")
N03_CREDIT = "「国土数値情報（行政区域データ）」（国土交通省）を加工して作成"


def wareki(year: int) -> str:
    """2024 → '令和6', 2019 → '令和元', 2018 → '平成30' (the era of a fiscal year's label)."""
    if year >= 2019:
        n = year - 2018
        return "令和元" if n == 1 else f"令和{n}"
    if year >= 1989:
        n = year - 1988
        return "平成元" if n == 1 else f"平成{n}"
    return f"昭和{year - 1925}"


def fiscal_year_of(date: dt.date) -> int:
    """The Japanese fiscal year (April–March) a date falls in."""
    return date.year if date.month >= 4 else date.year - 1
