"""The データ page's stewardship panel: upload → validate → preview → publish, and rollback.

Page-boundary code: widgets and messages here, every step itself in etl.stewardship."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core.settings import Settings
from dashboard.auth import Access
from dashboard.formatting import NO_DATA, count_with_unknown, jst_text
from dashboard.views.data import INDICATOR_LABELS
from etl import stewardship
from etl.errors import EtlError, ValidationFailed
from etl.readers import SUPPORTED_SUFFIXES

MART_LABELS = {"kpi_series": "KPI 時系列", "hubs": "拠点", "grants": "補助金", "district_budget": "地区別の補助",
               "cooperatives": "協同組合", "rule_findings": "規則チェック"}  # fmt: skip


def _folder(settings: Settings):
    if "upload_session" not in st.session_state:
        stewardship.prune_sessions(settings)
        st.session_state["upload_session"] = stewardship.session_folder(settings).name
    return stewardship.session_folder(settings, st.session_state["upload_session"])


def _save(settings: Settings, files) -> list:
    if not files:
        return []  # no folder for a steward who only looks
    batch = [(file.name, file.getvalue()) for file in files]  # the whole list, on every run
    result = stewardship.save_uploads(settings, _folder(settings), batch)
    for message in result.refused:
        st.error(message, icon=":material/block:")
    for message in result.notes:
        st.warning(message, icon=":material/content_copy:")
    return result.paths


def _validate(settings: Settings, saved: list) -> list:
    """The problems of the uploads, found once per content (each page run sends them again)."""
    key = tuple((path.name, hashlib.sha256(path.read_bytes()).hexdigest()) for path in saved)
    cached = st.session_state.get("validated")
    if cached and cached[0] == key:
        return cached[1]
    with st.spinner("アップロードしたファイルを検証しています…"):
        problems = stewardship.validate_uploads(settings, saved)
    st.session_state["validated"] = (key, problems)
    return problems


def _problems_table(problems) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"ファイル": p.file, "行": p.row, "列": p.column, "値": p.value, "内容": p.reason}
            for p in problems
        ]
    )


def _preview(settings: Settings, saved: list) -> None:
    folder = _folder(settings)
    candidate = stewardship.candidate_inputs(settings, folder, saved)
    names = "、".join(p.name for p in saved)
    if st.button("公開した場合の変更を確認する", key="preview", icon=":material/preview:"):
        with st.spinner("候補のデータで倉庫を作り、公開中のものと比べています…"):
            try:
                st.session_state["preview_result"] = (
                    names,
                    stewardship.preview(settings, folder, candidate),
                )
            except ValidationFailed as exc:
                st.error(str(exc))
                st.dataframe(_problems_table(exc.problems), hide_index=True, placeholder=NO_DATA)
            except EtlError as exc:
                st.error(str(exc))
    shown = st.session_state.get("preview_result")
    if not shown or shown[0] != names:
        return
    result = shown[1]
    changes = result.changes.assign(mart=result.changes["mart"].map(MART_LABELS))
    st.dataframe(changes.rename(columns={"mart": "公開テーブル", "added": "追加（行）", "changed": "変更（行）",
                                         "removed": "削除（行）"}), hide_index=True)  # fmt: skip
    if result.kpi.empty:
        st.caption("KPI の値は変わりません。")
    else:
        st.markdown("**KPI の値（公開前 → 公開後）**")
        frame = result.kpi
        kpi = frame.assign(indicator=frame["indicator"].map(lambda i: INDICATOR_LABELS.get(i, i)),
                           basis=frame["basis"].map({"survey_list": "拠点一覧", "published": "公表値"}),
                           before=[count_with_unknown(v, u) for v, u in zip(frame["before"], frame["unknown_before"], strict=True)],
                           after=[count_with_unknown(v, u) for v, u in zip(frame["after"], frame["unknown_after"], strict=True)],
                           ).drop(columns=["unknown_before", "unknown_after"])  # fmt: skip
        st.dataframe(kpi.rename(columns={"pref_code": "都道府県", "indicator": "指標", "fiscal_year": "年度",
                                                "basis": "根拠", "before": "公開前", "after": "公開後"}),
                     hide_index=True, placeholder=NO_DATA)  # fmt: skip
    if st.button("公開する", type="primary", key="publish", icon=":material/publish:"):
        with st.status("公開しています…", expanded=True) as status:
            try:
                build_id = stewardship.publish_candidate(settings, candidate, progress=status.write)
            except EtlError as exc:
                status.update(label="公開できませんでした", state="error")
                st.error(str(exc))
                return
            status.update(label=f"公開しました（版 {build_id}）", state="complete")
        st.session_state.pop("preview_result", None)
        st.success("公開しました。開いているすべての画面は、次の操作で新しいデータを表示します。")


def _history(settings: Settings, current: Access) -> None:
    st.markdown("**公開の履歴**（新しい順。保存するのは直近の版のみ）")
    history = stewardship.build_history(settings)
    if history.empty:
        st.caption("履歴はありません。")
        return
    for row in history.itertuples():
        left, right = st.columns([5, 1], vertical_alignment="center")
        mark = "（公開中）" if row.is_current else ""
        left.text(
            f"{jst_text(row.built_at)} 版 {row.build_id}{mark}  ファイル{row.files}件・拠点{row.hubs}行・補助金{row.grants}行"
        )
        if current.can_steward and not row.is_current:
            if right.button("この版に戻す", key=f"rollback_{row.build_id}", icon=":material/undo:"):
                try:
                    stewardship.rollback_build(settings, row.build_id)
                except EtlError as exc:
                    st.error(str(exc))
                else:
                    st.session_state["steward_notice"] = f"版 {row.build_id} に戻しました。"
                    st.rerun()


def steward_panel(settings: Settings, current: Access) -> None:
    st.header("データの取り込み")
    st.caption(current.explanation)
    notice = st.session_state.pop("steward_notice", None)
    if notice:
        st.success(notice)
    if not current.can_steward:
        reason = (
            "ログインしてください。"
            if current.mode == "oidc" and current.role is None
            else "データ管理者のみが取り込めます。"
        )
        st.info(f"閲覧のみ: {reason}", icon=":material/visibility:")
        _history(settings, current)
        return
    kinds = " / ".join(SUPPORTED_SUFFIXES)
    files = st.file_uploader(f"拠点一覧・補助金・協同組合・公表値のファイル（{kinds}、{settings.upload_max_mb}MBまで）",
                             type=[s.lstrip(".") for s in SUPPORTED_SUFFIXES], accept_multiple_files=True,
                             key="uploads")  # fmt: skip
    try:
        saved = _save(settings, files or [])
    except EtlError as exc:  # e.g. the uploads folder is full or read-only
        st.error(str(exc))
        saved = []
    problems = None
    if saved:
        try:
            problems = _validate(settings, saved)
        except EtlError as exc:  # e.g. the time or memory limit of the validation
            st.error(str(exc), icon=":material/block:")
    if problems is not None:
        if problems:
            st.error(
                f"{len(problems)}件の問題があります。直してからもう一度アップロードしてください（何も取り込んでいません）。"
            )
            st.dataframe(_problems_table(problems), hide_index=True, placeholder=NO_DATA)
        else:
            st.success(f"{len(saved)}ファイルを検証しました。問題はありません。")
            _preview(settings, saved)
    _history(settings, current)
