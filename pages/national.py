"""全国比較: every loaded prefecture side by side, with the national published totals."""

import streamlit as st

from core.settings import load_settings
from dashboard.formatting import md_escape
from dashboard.ui.cache import view as cached_view
from dashboard.ui.components import chart_block, empty_state, metric_cards, page_excel, page_header
from dashboard.ui.state import current, profile_options
from dashboard.views.national import boundary_stamps

filters, option = current()
page_header("全国比較", filters, option)
settings = load_settings()
codes = [o.pref_code for o in profile_options().values()]
stamps = boundary_stamps(settings.boundaries_dir, codes)  # a new boundary file shows at once
view = cached_view("national", settings.boundaries_dir, settings.map_style, stamps)
st.caption(view.scope_note)

st.header("全国の値")
metric_cards(view.national_cards)
st.caption(md_escape(view.national_caption))

st.header("都道府県別の拠点数")
st.info(view.others_note, icon=":material/public:")
if view.is_empty:
    empty_state(view.message)
if view.map_note:
    st.info(view.map_note, icon=":material/map:")
chart_block(view.figure, view.table, view.figure_caption, "全国比較_拠点数", filters, "hubs_map")

st.header("指標の比較")
chart_block(view.comparison_figure, view.comparison_table, view.comparison_caption,
            "全国比較_指標", filters, "comparison")  # fmt: skip

page_excel(filters, option, headlines=view.national_cards)
