"""One cell through its column's parser: 1,234 / 令和6年度 / 千円 / 有無 / services."""

from __future__ import annotations

import functools
import re

from core.vocabulary import SERVICES
from etl import normalize as nz
from etl.schemas import Column

NO_UNIT = "（単位なし）"  # an amount column whose unit was found nowhere

SERVICE_SYNONYMS = {
    "移動": (
        "移動",
        "外出支援",
        "送迎",
        "デマンド",
        "コミュニティバス",
        "乗合",
        "移動支援",
        "交通",
    ),
    "買い物": ("買い物", "買物", "移動販売", "日用品", "商店", "売店"),
    "見守り": ("見守り", "声かけ", "安否確認"),
    "医療・福祉": ("医療・福祉", "医療", "福祉", "診療", "健康", "介護"),
    "雪かき": ("雪かき", "除雪", "雪下ろし"),
    "配食": ("配食", "弁当"),
    "サロン": ("サロン", "カフェ", "居場所", "交流"),
}


def parse_services(value: object) -> str | None:
    """Services as one '、'-joined text of canonical names (unknown items kept as written)."""
    text = nz.clean_text(value)
    if text is None:
        return None
    items = [i.strip() for i in re.split(r"[、,，/／;；\n]", text) if i.strip()]
    out: list[str] = []
    for item in items:
        canonical = next(
            (s for s, words in SERVICE_SYNONYMS.items() if any(w in item for w in words)), item
        )
        if canonical not in out:
            out.append(canonical)
    order = {s: i for i, s in enumerate(SERVICES)}
    return "、".join(sorted(out, key=lambda s: (order.get(s, len(order)), s)))


def _amount(value: object, unit: str | None) -> int | None:
    if unit == NO_UNIT:
        text = nz.SPACES.sub("", nz.nfkc(value)) if isinstance(value, str) else ""
        if not nz.is_blank(value) and not text.endswith("円") and nz.clean_text(value) is not None:
            raise UnitUnknown
        unit = "円"  # blank, unknown, or a cell that states its own unit
    return nz.parse_amount_yen(value, unit or "円")


class UnitUnknown(ValueError):
    """An amount without a unit in its cell, its column or its title rows."""


@functools.lru_cache(maxsize=8192)
def _cached(parser: str, value_type: type, value: object, unit: str | None) -> object:
    # value_type keeps True, 1 and 1.0 apart in the cache.
    return _PARSERS[parser](value, unit)


_PARSERS = {
    "text": lambda v, u: nz.clean_text(v),
    "int": lambda v, u: nz.parse_int(v),
    "amount": _amount,
    "fy": lambda v, u: nz.parse_fiscal_year(v),
    "date": lambda v, u: nz.parse_date(v),
    "as_of": lambda v, u: nz.parse_as_of(v),
    "bool": lambda v, u: nz.parse_bool(v),
    "code": lambda v, u: nz.parse_municipality_code(v),
    "services": lambda v, u: parse_services(v),
}


def parse_cell(column: Column, value: object, unit: str | None) -> object:
    """One cell through its column's parser; raises ValueError with the reason."""
    try:
        return _cached(column.parser, type(value), value, unit)
    except TypeError:  # unhashable cell value
        return _PARSERS[column.parser](value, unit)
