import streamlit as st

from dashboard.formatting import fy_label
from dashboard.kpi import FORECAST_RULE
from dashboard.pipeline import FORECAST_METHOD
from dashboard.ui.cache import view as cached_view
from dashboard.ui.components import (
    chart_block,
    empty_state,
    metric_cards,
    page_excel,
    page_header,
    table_block,
)
from dashboard.ui.state import current

filters, option = current()
page_header("事業パイプライン", filters, option)
view = cached_view("pipeline", filters, option)

if view.has_grants and view.forecast is None:
    st.header("拠点数の見通し")
    st.write(view.trend_text)  # no target year to forecast for: says so
elif view.has_grants:
    st.header(f"{fy_label(view.forecast.target_year)}の拠点数の見通し")
    left, right = st.columns(2)
    with left.container(border=True):
        st.markdown("**パイプライン予測**")
        st.write(view.forecast.summary())
        st.caption(FORECAST_METHOD + "（県全体で計算）")
    with right.container(border=True):
        st.markdown("**トレンド予測**")
        st.write(view.trend_text)
        st.caption(FORECAST_RULE)
    if view.scope_note:
        st.caption(f"見通しは{view.scope_note}の拠点数によります。")

if view.message:
    empty_state(view.message)
else:
    st.header("地区ごとの歩み")
    chart_block(view.timeline, view.districts, view.caption, "地区の歩み", filters, "timeline")

    st.header("規則チェックの結果")
    metric_cards(view.rule_cards)
    table_block(
        view.findings, "規則チェック", filters, "findings", "規則チェックの一覧", expanded=True
    )

    st.header("地区ごとの上限と残り")
    st.caption(f"今年度は記録のある最新の年度（{fy_label(view.current_fy)}）。取下げは数えません。")
    if view.next_year.empty:
        st.success("来年度に上限に達する地区はありません。")
    else:
        table_block(view.next_year, "来年度に上限に達する地区", filters, "next_year",
                    f"来年度に上限に達する地区（{len(view.next_year)}地区）", expanded=True)  # fmt: skip
    table_block(view.budget, "地区ごとの上限と残り", filters, "budget", "すべての地区")

st.header(f"{option.pref_name}の補助金の規則")
st.dataframe(view.rules, hide_index=True, width="stretch")

page_excel(filters, option, headlines=view.rule_cards)
