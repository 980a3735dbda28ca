"""データ: sources with as-of dates, the load history and the quality report."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from dashboard.filters import ProfileOption
from dashboard.formatting import jst_text, with_fy_columns
from dashboard.views import Loader

INDICATOR_LABELS = {
    "hubs_total": "小さな拠点数",
    "rmo_in_hubs": "拠点内の地域運営組織数",
    "hubs_in_strategy": "総合戦略に位置付けのある拠点数",
    "rmo_total_somu": "地域運営組織数（総務省調査）",
}
KIND_LABELS = {"actual": "実績", "target": "目標", "derived": "算出値"}
INPUT_KIND_LABELS = {"survey": "拠点一覧", "grants": "補助金交付実績", "cooperatives": "協同組合",
                     "published_counts": "公表値"}  # fmt: skip
LOG_COLUMNS = {
    "file": "ファイル", "sheet": "シート", "status": "状態", "kind": "種類", "rows": "行数",
    "dropped_rows": "除いた合計行", "note": "読み方・読み飛ばした理由", "encoding": "文字コード",
    "sha256": "sha256", "is_sample": "サンプル", "build_id": "版", "built_at": "取込日時（日本時間）",
}  # fmt: skip
URL = re.compile(
    r"((?:https?://)?(?:[a-z0-9-]+\.)+(?:go\.jp|lg\.jp|net|jp)(?:/[A-Za-z0-9_./%?=&#~-]*)?)"
)


@dataclass
class DataView:
    sources: pd.DataFrame
    load_log: pd.DataFrame
    quality: pd.DataFrame
    warnings: int


def _link(source: str) -> str | None:
    match = URL.search(source or "")
    if not match:
        return None
    found = match.group(1)
    return found if found.startswith("http") else f"https://{found}"


def _sources(frame: pd.DataFrame, option: ProfileOption) -> pd.DataFrame:
    out = frame.assign(
        scope=frame["pref_code"].map(lambda c: "全国" if c == "00" else option.pref_name),
        indicator=frame["indicator"].map(lambda i: INDICATOR_LABELS.get(i, i)),
        kind=frame["kind"].map(lambda k: KIND_LABELS.get(k, k)),
        link=frame["source"].map(_link),
    )[["scope", "indicator", "fiscal_year", "value", "kind", "as_of", "source", "link"]]
    out = with_fy_columns(out)
    return out.rename(columns={"scope": "範囲", "indicator": "指標", "value": "値", "kind": "種別", "as_of": "時点",
                               "source": "出典", "link": "リンク"})  # fmt: skip


def _load_log(log: pd.DataFrame) -> pd.DataFrame:
    """Files read and entries skipped. A skipped entry has no kind, rows or encoding: blank
    (not applicable), never 「データなし」 (unknown)."""
    log = log.reindex(columns=list(LOG_COLUMNS))
    log["built_at"] = log["built_at"].map(jst_text)
    skipped = log["status"].eq("skipped")
    log["status"] = skipped.map({True: "読み飛ばし", False: "読み込み"})
    log["kind"] = log["kind"].map(lambda k: INPUT_KIND_LABELS.get(k, k))
    log["encoding"] = log["encoding"].where(log["encoding"].notna() | skipped, "（Excel）")
    log["sheet"] = log["sheet"].fillna("")
    log["note"] = log["note"].fillna("")
    for column in ("kind", "encoding", "sha256", "rows", "dropped_rows"):
        log[column] = log[column].astype(object).where(~skipped, "")
    return log.rename(columns=LOG_COLUMNS)


SEVERITY_LABELS = {"error": "エラー", "warning": "警告", "info": "情報"}
CHECK_LABELS = {  # etl/sql/quality/*.sql, and the warnings of reading the files
    "parse": "取り込み",
    "hubs_without_district": "地区名のない拠点",
    "profile_target_vs_published": "目標と公表値",
    "published_vs_survey_list": "公表値と拠点一覧",
}


def build_data_view(load: Loader, option: ProfileOption) -> DataView:
    log = _load_log(load("load_log"))
    quality = load("quality_report")
    # A file-level message has no row, column or value: blank (not applicable), not unknown.
    quality[["row", "column", "value"]] = (
        quality[["row", "column", "value"]]
        .astype(object)
        .where(quality[["row", "column", "value"]].notna(), "")
    )
    warnings = int((quality["severity"] == "warning").sum())
    # The warehouse keeps the codes (analysts filter on them); the screen and its files say them
    # in Japanese. A code without a label (a check added later) is shown as it is.
    quality["severity"] = quality["severity"].map(SEVERITY_LABELS).fillna(quality["severity"])
    quality["check_name"] = quality["check_name"].map(CHECK_LABELS).fillna(quality["check_name"])
    quality = quality.rename(columns={
        "severity": "重要度", "check_name": "検査", "file": "ファイル", "row": "行", "column": "列", "value": "値",
        "message": "内容"})  # fmt: skip
    return DataView(
        _sources(load("sources", pref=option.pref_code), option), log, quality, warnings
    )
