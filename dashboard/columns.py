"""The column catalogue: the header (with its unit) of every table column a view hands out.

Views build their tables with plain column ids (`hubs`, `grant_thousand_yen`, …) and label them
as the last step with `labelled`, so a column reads the same on every page, CSV, Excel, PPTX
and PDF, and code never finds a column by its Japanese header. `bureau` takes the profile's own
word (地方振興局, 地域, 県民局…).
"""

from __future__ import annotations

import pandas as pd

from dashboard.formatting import RMO_COLUMN, RMO_UNKNOWN_COLUMN

BUREAU = "bureau"

COLUMNS: dict[str, str] = {
    # places
    "municipality_code": "市町村コード",
    "municipality_name": "市町村名",
    "municipality": "市町村",
    "district_name": "地区名",
    "kaso": "過疎区分",
    "selected": "選択中",
    # hubs and RMOs
    "hubs": "拠点数（拠点）",
    "hubs_with_rmo": RMO_COLUMN,
    "rmo_unknown": RMO_UNKNOWN_COLUMN,
    "rmo_share_pct": "組織のある割合（%）",
    "hub_name": "小さな拠点の名称",
    "population": "人口（人）",
    "service": "提供のないサービス",
    # grants
    "grant_thousand_yen": "補助金額（千円）",
    "records": "記録数",
    "districts": "地区数",
    "municipalities": "市町村数",
    "with_grants": "補助のある市町村数",
    "cumulative_thousand_yen": "累計補助金額（千円）",
    "in_range_thousand_yen": "選択年度の補助金額（千円）",
    "cap_thousand_yen": "上限（千円）",
    "left_thousand_yen": "残り（千円）",
    "cap_used_pct": "上限使用率（%）",
    "first_fy": "最初の年度",
    "last_fy": "最後の年度",
    "finish_by": "終了期限",
    "status": "状況",
    "limits": "超過・来年度の制約",
    # districts on the path to a hub
    "stage": "段階",
    "plan_years": "計画策定事業",
    "project_years": "小さな拠点づくり事業",
    "withdrawn_years": "取下げ",
    "listed": "拠点一覧への掲載",
    "errors": "違反（件）",
    "advice": "助言（件）",
    # rules and findings
    "rule_id": "規則",
    "severity": "種別",
    "message": "内容",
    "title": "内容",
    "programs": "対象事業",
    "source_ref": "根拠",
}


def labelled(frame: pd.DataFrame, bureau_label: str) -> pd.DataFrame:
    """The table with its headers: catalogue ids renamed, `bureau` to the profile's word (and
    left out for a profile without bureaus). Columns whose header the view already made from
    data (one per rule, e.g. 「計画策定事業の年数（R3、使用/上限）」) are kept as they are."""
    if not bureau_label:
        frame = frame.drop(columns=[BUREAU, "selected"], errors="ignore")
    return frame.rename(columns={**COLUMNS, BUREAU: bureau_label})
