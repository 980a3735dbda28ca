import streamlit as st

from core.settings import load_settings
from dashboard.ui.auth import access
from dashboard.ui.cache import view as cached_view
from dashboard.ui.components import page_excel, page_header, table_block
from dashboard.ui.state import current
from dashboard.ui.steward import steward_panel

filters, option = current()
page_header("データ", filters, option)
view = cached_view("data", option)

st.header("出典と時点")
st.caption("KPI の公表値と、その出典・時点です。出典にリンクがあれば「リンク」列から開けます。")
st.dataframe(
    view.sources,
    hide_index=True,
    width="stretch",
    placeholder="データなし",
    column_config={"リンク": st.column_config.LinkColumn("リンク", display_text="開く")},
)

st.header("取り込みの履歴")
table_block(
    view.load_log,
    "取り込みファイル",
    filters,
    "load_log",
    "公開中の版の入力ファイル",
    expanded=True,
)

st.header("品質レポート")
st.caption(
    f"警告 {view.warnings}件。取り込み時に除いた合計行、公表値と一覧の食い違いなどを記録しています。"
)
table_block(view.quality, "品質レポート", filters, "quality", "品質レポート", expanded=True)

page_excel(filters, option)

steward_panel(load_settings(), access())
