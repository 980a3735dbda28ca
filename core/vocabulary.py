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


# The 47 prefectures in 都道府県コード order (01 北海道 … 47 沖縄県), with the romaji name a new
# profile's key defaults to.
PREFECTURES = (
    ("北海道", "hokkaido"), ("青森県", "aomori"), ("岩手県", "iwate"), ("宮城県", "miyagi"),
    ("秋田県", "akita"), ("山形県", "yamagata"), ("福島県", "fukushima"), ("茨城県", "ibaraki"),
    ("栃木県", "tochigi"), ("群馬県", "gunma"), ("埼玉県", "saitama"), ("千葉県", "chiba"),
    ("東京都", "tokyo"), ("神奈川県", "kanagawa"), ("新潟県", "niigata"), ("富山県", "toyama"),
    ("石川県", "ishikawa"), ("福井県", "fukui"), ("山梨県", "yamanashi"), ("長野県", "nagano"),
    ("岐阜県", "gifu"), ("静岡県", "shizuoka"), ("愛知県", "aichi"), ("三重県", "mie"),
    ("滋賀県", "shiga"), ("京都府", "kyoto"), ("大阪府", "osaka"), ("兵庫県", "hyogo"),
    ("奈良県", "nara"), ("和歌山県", "wakayama"), ("鳥取県", "tottori"), ("島根県", "shimane"),
    ("岡山県", "okayama"), ("広島県", "hiroshima"), ("山口県", "yamaguchi"), ("徳島県", "tokushima"),
    ("香川県", "kagawa"), ("愛媛県", "ehime"), ("高知県", "kochi"), ("福岡県", "fukuoka"),
    ("佐賀県", "saga"), ("長崎県", "nagasaki"), ("熊本県", "kumamoto"), ("大分県", "oita"),
    ("宮崎県", "miyazaki"), ("鹿児島県", "kagoshima"), ("沖縄県", "okinawa"),
)  # fmt: skip
PREF_NAME_BY_CODE = {f"{i:02d}": name for i, (name, _) in enumerate(PREFECTURES, 1)}
PREF_KEY_BY_CODE = {f"{i:02d}": key for i, (_, key) in enumerate(PREFECTURES, 1)}
N03_URL = "https://nlftp.mlit.go.jp/ksj/gml/data/N03/N03-2024/N03-20240101_{code}_GML.zip"
N03_PAGE = "https://nlftp.mlit.go.jp/ksj/gml/datalist/KsjTmplt-N03-2024.html"

# KPI indicators a profile may grade: the name people read and the unit of a count.
INDICATORS = {
    "hubs_total": ("小さな拠点数", "拠点"),
    "rmo_in_hubs": ("地域運営組織が形成されている拠点数", "組織"),
}
