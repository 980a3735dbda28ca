"""Parsers for the values prefectures really write: full-width digits, 和暦, codes, 有/無.

Each parser returns a clean Python value, `None` for a blank or an explicit "unknown", and raises
`ValueError` with a Japanese reason for anything it cannot interpret. Unknown is never zero.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from core.vocabulary import fiscal_year_of

# Cell texts that mean "not known" rather than a value.
UNKNOWN_MARKERS = {"", "-", "－", "―", "‐", "—", "不明", "未確認", "...", "…", "na", "n/a", "NA"}

ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988, "S": 1925}
ERA_LAST_YEAR = {"平成": 31, "昭和": 64, "H": 31, "S": 64}

TRUE_WORDS = {"有", "あり", "有り", "○", "〇", "◯", "●", "はい", "yes", "y", "true", "1", "済"}
CHECK_MARKS = {"○", "〇", "◯", "●", "✓", "✔", "☑", "レ"}  # a box ticked; a blank box means 無
TRUE_WORDS |= CHECK_MARKS
FALSE_WORDS = {"無", "なし", "無し", "×", "✕", "x", "いいえ", "no", "n", "false", "0", "☐", "□"}

UNIT_PATTERN = re.compile(
    r"^(?P<label>.*?)[(\[【<〈《](?:単位[:：]?)?(?P<unit>[^()\[\]【】<>〈〉《》]*)[)\]】>〉》]$"
)
# Footnote marks after a header: ※1, *, †, (注1), （注）, 1) — never part of the label.
HEADER_MARKS = re.compile(
    r"(?:[※*＊†‡]\d*|\((?:注|※)?\d*\)|(?<![(\d])\d{1,2}\)|\([A-Za-z]\)|[①-⑳]|\([①-⑳]\))$"
)
LEADING_MARKS = re.compile(r"^[※*＊†‡]+")
NOTE_WORDS = {
    "税込",
    "税抜",
    "税込み",
    "税抜き",
    "注",
    "予定",
    "見込",
}  # bracketed notes, not units
MAX_HEADER_CHARS = 200  # a longer cell is text, not a column header
UNIT_IN_TEXT = re.compile(
    r"単位\s*(?:は|[:：])?\s*(?P<unit>千円|円)|(?P<before>千円|円)\s*単位"
    r"|[(（【\[]\s*(?P<bare>千円|円)\s*[)）】\]]"
)
ERA_PATTERN = re.compile(
    r"^(?P<era>令和|平成|昭和|R|H|S)\.?\s*(?P<num>元|\d{1,2})\s*(?:年度|年)?"
    r"(?:\s*\(\s*(?P<west>\d{4})\s*(?:年度|年)?\s*\))?$",
    re.IGNORECASE,
)
WEST_PATTERN = re.compile(
    r"^(?P<west>\d{4})\s*(?:年度|年)?(?:\s*\(\s*(?:令和|平成|R|H)\s*(?:元|\d{1,2})\s*(?:年度|年)?\s*\))?$"
)
NUMBER_PATTERN = re.compile(r"^[+-]?\d+(\.\d+)?$")
NUMBER_SUFFIXES = ("千円", "円", "人", "集落", "件", "名", "者", "か所", "箇所", "拠点", "団体")


CACHED_TEXTS = 1 << 16  # distinct cell texts remembered: names, codes and labels repeat a lot
SPACES = re.compile(r"\s+")
LINE_BREAK = re.compile(r"\s*\n\s*")  # a line break in a cell, with the spaces around it


@functools.lru_cache(maxsize=CACHED_TEXTS)
def _nfkc_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def nfkc(value: object) -> str:
    """NFKC-normalised text with whitespace trimmed (full-width digits and spaces become ASCII)."""
    return _nfkc_text(value if isinstance(value, str) else str(value))


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def clean_text(value: object) -> str | None:
    """Free text as written (trimmed, full-width spaces folded); None when blank or unknown."""
    if is_blank(value):
        return None
    text = str(value).replace("\u3000", " ").replace("\u00a0", " ").strip()
    if "\n" in text:
        text = LINE_BREAK.sub(" ", text)
    if nfkc(text) in UNKNOWN_MARKERS:
        return None
    return text


@functools.lru_cache(maxsize=CACHED_TEXTS)
def _match_key_text(text: str) -> str:
    return SPACES.sub("", _nfkc_text(text))


def match_key(value: object) -> str:
    """A key for comparing names: NFKC, no spaces, no line breaks."""
    return _match_key_text(value if isinstance(value, str) else str(value))


def district_key(value: object) -> str:
    """The key that matches a district across files and years: its name without spaces, width
    or a trailing 地区 (東野沢地区 and 東野沢 are one district)."""
    key = match_key(value)
    return key.removesuffix("地区") or key


def _number_text(value: object) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("数値ではありません")
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = re.sub(r"[\s,，、]", "", nfkc(value))
    if text in UNKNOWN_MARKERS:
        return None
    text = re.sub(r"^([+-]?)[¥\\￥]", r"\1", text)  # ￥1,080,000; \1,080,000 is ¥ in CP932
    for suffix in NUMBER_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    if text[:1] in ("△", "▲"):
        text = "-" + text[1:]
    if not NUMBER_PATTERN.match(text):
        raise ValueError("数値として読めません")
    return text


def parse_decimal(value: object) -> Decimal | None:
    text = _number_text(value)
    if text is None:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - guarded by NUMBER_PATTERN
        raise ValueError("数値として読めません") from exc
    if not number.is_finite():
        raise ValueError("数値として読めません")
    return number


FLOAT_NOISE = Decimal("0.000001")


def _whole(number: Decimal, value: object) -> Decimal:
    """A spreadsheet's binary float noise (432000.0000000001) removed; a real fraction kept."""
    if isinstance(value, float):
        nearest = number.to_integral_value()
        if abs(number - nearest) <= FLOAT_NOISE:
            return nearest
    return number


PLAIN_NUMBER = re.compile(r"[0-9]{1,18}|[0-9]{1,3}(?:,[0-9]{3}){1,5}")  # 1234000 or 1,234,000


def _plain_number(value: object) -> int | None:
    """The common number cell, 1234000 or 1,234,000 (ASCII digits, commas between thousands), as
    an int; None for anything else, which the general reading takes."""
    if isinstance(value, str) and PLAIN_NUMBER.fullmatch(value):
        return int(value.replace(",", ""))
    return None


def parse_int(value: object, *, minimum: int | None = 0) -> int | None:
    """A whole number from 1,234 / １２３４ / 12人; None when blank or unknown."""
    result = _plain_number(value)  # 1234, the common cell: no need of the general reading
    if result is None:
        number = parse_decimal(value)
        if number is None:
            return None
        number = _whole(number, value)
        if number != number.to_integral_value():
            raise ValueError("整数ではありません")
        result = int(number)
    if minimum is not None and result < minimum:
        raise ValueError(f"{minimum}未満の値は入力できません")
    return result


@functools.lru_cache(maxsize=CACHED_TEXTS)
def stated_yen_unit(text: str) -> str | None:
    """The unit an amount cell names itself (1,200千円 → 千円, ５００ 円 → 円), if any."""
    key = SPACES.sub("", _nfkc_text(text))
    return "千円" if key.endswith("千円") else "円" if key.endswith("円") else None


YEN_FACTORS = {"円": 1, "千円": 1000}


def parse_amount_yen(value: object, unit: str) -> int | None:
    """An amount in yen from a cell in 円 or 千円: the header's unit, unless the cell names its own."""
    plain = _plain_number(value) if unit in YEN_FACTORS else None
    if plain is not None:
        return plain * YEN_FACTORS[unit]  # 1,404,000, the common cell: a number alone
    if isinstance(value, str):
        unit = stated_yen_unit(value) or unit
    number = parse_decimal(value)
    if number is None:
        return None
    if unit not in YEN_FACTORS:
        raise ValueError(f"金額の単位「{unit}」は円・千円のどちらでもありません")
    if YEN_FACTORS[unit] != 1:  # a Decimal product rounds to 28 digits: 円 is taken as written
        number = number * YEN_FACTORS[unit]
    number = _whole(number, value)
    if number != number.to_integral_value():
        raise ValueError("1円未満の端数があります")
    if number < 0:
        raise ValueError("金額が負の値です")
    return int(number)


def _check_year(year: int) -> int:
    if not 1950 <= year <= 2100:
        raise ValueError("年度が範囲外です")
    return year


def _era_year(era: str, num: str) -> int:
    key = era if era in ERAS else era.upper()
    n = 1 if num == "元" else int(num)
    if n < 1 or n > ERA_LAST_YEAR.get(key, 99):
        raise ValueError(f"{era}{num}年は存在しません")
    return ERAS[key] + n


def parse_fiscal_year(value: object) -> int | None:
    """A fiscal year (西暦) from 2024, 2024年度, 令和6年度, R6, 令和元年度, 平成31年度 (→2019)."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError("年度として読めません")
    if isinstance(value, dt.date):  # a date cell: the fiscal year it falls in
        return _check_year(fiscal_year_of(value))
    if isinstance(value, int | float):
        if float(value) != int(value):
            raise ValueError("年度として読めません")
        return _check_year(int(value))
    text = SPACES.sub("", nfkc(value))
    if text in UNKNOWN_MARKERS:
        return None
    match = ERA_PATTERN.match(text)
    if match:
        year = _era_year(match["era"], match["num"])
        if match["west"] and int(match["west"]) != year:
            raise ValueError(f"和暦と西暦が一致しません（{year}年度）")
        return _check_year(year)
    match = WEST_PATTERN.match(text)
    if match:
        year = int(match["west"])
        inner = re.search(r"\((.*)\)", text)
        if inner and parse_fiscal_year(inner.group(1)) != year:
            raise ValueError("西暦と和暦が一致しません")
        return _check_year(year)
    if any(p.match(text) for p in DATE_PATTERNS):  # a date written as text: its fiscal year
        return _check_year(fiscal_year_of(parse_date(text)))
    raise ValueError("年度として読めません（例: 令和6年度, R6, 2024）")


TITLE_YEAR_PATTERN = re.compile(
    r"(令和|平成)\s*(元|\d{1,2})\s*年度|(?<![A-Za-z])([RH])\s*(元|\d{1,2})(?:\s*年度|(?![\d./\-年]))"
    r"|((?:19|20)\d\d)\s*年度"
)


YEAR_RANGE = re.compile(
    r"(?:令和|平成|[RH])?\s*(?:元|\d{1,4})\s*年度?\s*[~～〜\-－―]\s*(?:令和|平成|[RH])?\s*(?:元|\d{1,4})\s*年度"
)


def find_fiscal_years(text: str) -> list[int]:
    """Every fiscal year written inside a longer text such as a title row, in order, leaving out
    the years of a period (第2期（令和2年度～令和6年度）)."""
    text = YEAR_RANGE.sub(" ", nfkc(text))
    years = []
    for match in TITLE_YEAR_PATTERN.finditer(text):
        if match.group(1):
            year = _era_year(match.group(1), match.group(2))
        elif match.group(3):
            year = _era_year(match.group(3), match.group(4))
        else:
            year = int(match.group(5))
        if year not in years:
            years.append(year)
    return years


def find_fiscal_year(text: str) -> int | None:
    """The one fiscal year written inside a longer text such as a title row (None when there is
    none, or more than one).

    令和/平成 need 年度 (令和4年3月31日 is a date); R6 alone counts, R4.3.1 or R4/3/1 does not."""
    years = find_fiscal_years(text)
    return years[0] if len(years) == 1 else None


DATE_PATTERNS = [
    re.compile(r"^(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"),
    re.compile(
        r"^(?P<era>令和|平成|R|H)\.?(?P<n>元|\d{1,2})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?$"
    ),
]


def parse_date(value: object) -> dt.date | None:
    """A date from a date cell, 2022/3/1, 2022-03-01, 2022年3月1日 or 令和4年3月1日 / R4.3.1."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = SPACES.sub("", nfkc(value))
    if text in UNKNOWN_MARKERS:
        return None
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        groups = match.groupdict()
        year = _era_year(groups["era"], groups["n"]) if "era" in groups else int(groups["y"])
        try:
            return dt.date(year, int(groups["m"]), int(groups["d"]))
        except ValueError as exc:
            raise ValueError("存在しない日付です") from exc
    raise ValueError("日付として読めません（例: 2022/3/1, 令和4年3月1日）")


def parse_as_of(value: object) -> str | None:
    """An as-of date as ISO text; month precision ('2016-10', '2016年10月') is kept as it is."""
    if is_blank(value):
        return None
    text = SPACES.sub("", nfkc(value))
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?(?:末|時点)?", text)
    if match and 1 <= int(match.group(2)) <= 12:
        return f"{match.group(1)}-{int(match.group(2)):02d}"
    date = parse_date(value)
    return None if date is None else date.isoformat()


def parse_bool(value: object) -> bool | None:
    """有/無, あり/なし, ○/×, はい/いいえ; None when blank or unknown."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = nfkc(value).lower()
    if text in UNKNOWN_MARKERS:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError("有無として読めません（有/無, あり/なし, ○/× のいずれか）")


def check_digit(code5: str) -> int:
    """The check digit of a 地方公共団体コード (JIS X 0402): weights 6-2, modulus 11."""
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def parse_municipality_code(value: object) -> str | None:
    """The 5-digit code as a string; 6-digit codes are accepted when the check digit is right.

    Spreadsheets drop leading zeros (07201 → 7201, 072010 → 72010); both are restored.
    """
    if is_blank(value):
        return None
    if isinstance(value, float):
        if value != int(value):
            raise ValueError("市町村コードとして読めません")
        value = int(value)
    text = re.sub(r"[\s-]", "", nfkc(value))
    if text in UNKNOWN_MARKERS:
        return None
    if not text.isdigit():
        raise ValueError("市町村コードは数字5桁または6桁です")
    if len(text) == 4:
        text = "0" + text
    elif len(text) == 5 and not 1 <= int(text[:2]) <= 47:
        padded = "0" + text  # a 6-digit code whose leading zero a spreadsheet dropped?
        expected = check_digit(padded[:5])
        if expected != int(padded[5]):
            raise ValueError(
                f"先頭2桁（{text[:2]}）は都道府県コードではありません。先頭の0が落ちた6桁コードとしても"
                f"検査数字が合いません（その場合の正しいコードは{padded[:5]}{expected}）"
            )
        text = padded
    if len(text) == 6:
        if check_digit(text[:5]) != int(text[5]):
            raise ValueError(
                f"検査数字が正しくありません（正しくは{text[:5]}{check_digit(text[:5])}）"
            )
        text = text[:5]
    if len(text) != 5:
        raise ValueError("市町村コードは数字5桁または6桁です")
    if not 1 <= int(text[:2]) <= 47:
        raise ValueError("都道府県コード（先頭2桁）が01～47ではありません")
    return text


def split_header(value: object) -> tuple[str, str | None]:
    """A header cell as (label, unit): '補助金額\\n（千円）' → ('補助金額', '千円').

    Footnote marks are not part of the label: 補助金額（千円）※1, 状態※2, 補助金額【千円】,
    実績額（注1）; nor is a bracketed note such as （税込）."""
    text = SPACES.sub("", nfkc(value))
    if len(text) > MAX_HEADER_CHARS:
        return text, None
    text = LEADING_MARKS.sub("", text)
    for _ in range(4):  # a few marks in a row: 補助金額（千円）※1※2
        stripped = HEADER_MARKS.sub("", text)
        if stripped == text:
            break
        text = stripped
    match = UNIT_PATTERN.match(text)
    if match and match["label"]:
        if match["unit"] in NOTE_WORDS:
            return split_header(match["label"])
        return match["label"], match["unit"] or None
    return text, None


def find_unit(text: object) -> str | None:
    """The money unit stated in a title or unit row: （単位：千円）, 単位：円, （千円）."""
    if is_blank(text):
        return None
    match = UNIT_IN_TEXT.search(nfkc(text))
    return None if match is None else match["unit"] or match["before"] or match["bare"]


ROUNDING_WORDS = re.compile(r"端数|切捨|切り捨|切上|切り上|四捨五入|未満|丸め")


def states_unit(text: object) -> bool:
    """True for a text that states a unit in words (単位：千円, 千円単位), not just a label's
    bracket (事業費（千円）): such a statement speaks of the whole table. 「千円単位で端数切捨て」
    speaks of rounding, not of the unit the numbers are in."""
    match = None if is_blank(text) else UNIT_IN_TEXT.search(nfkc(text))
    if not match or match["bare"]:
        return False
    return not (match["before"] and ROUNDING_WORDS.search(nfkc(text)))


FOOTNOTE_PATTERN = re.compile(r"^[(（]?(注|※|\*|出典|資料|備考|参考)")


def is_footnote(value: object) -> bool:
    """True for the notes offices write under a table: 注）…, ※…, 出典：…, 資料：…"""
    return isinstance(value, str) and bool(FOOTNOTE_PATTERN.match(nfkc(value)))


def is_total_label(value: object) -> bool:
    """True for the labels of total rows: 合計, 小計, 総計, 計, 県計, 南会津地方振興局計, 喜多方市 計 …"""
    if not isinstance(value, str) or "計" not in value:
        return False
    return _is_total_text(value)


@functools.lru_cache(maxsize=CACHED_TEXTS)  # 計画策定事業 and its like recur on every grant row
def _is_total_text(value: str) -> bool:
    if re.fullmatch(r".+[\s\u3000]計", value.strip()):
        return True  # 「喜多方市 計」: a name, a space, 計
    text = SPACES.sub("", nfkc(value))
    if text in {"計", "合計", "小計", "総計", "累計", "総合計", "中計"}:
        return True
    # 合計(県北), 小計 …, 県北小計 — but not 合計特殊出生率… or 小計画… (words that start alike)
    if re.match(r"^(合計|小計|総計|累計)(?:$|[(\[【・:：-]|計)", text):
        return True
    if re.search(r"(合計|小計|総計)(\(.*\))?$", text):
        return True
    return bool(
        re.fullmatch(
            r"(全体|全県|県|全国|管内|市町村|.{1,8}(振興局|地域|管内|局|事務所|地方|市|町|村|郡))計",
            text,
        )
    )
