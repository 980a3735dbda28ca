"""補助金マップ: grant spend by municipality or bureau, district markers, the tables behind."""

import streamlit as st

from core.settings import load_settings
from dashboard.formatting import md_escape
from dashboard.ui.cache import view as cached_view
from dashboard.ui.components import (
    chart,
    empty_state,
    metric_cards,
    page_excel,
    page_header,
    table_block,
)
from dashboard.ui.state import current
from dashboard.views.grant_map import LEVELS, parse_level

filters, option = current()
page_header("補助金マップ", filters, option)

# The level lives in the session (widget state is dropped on page switches) and in the URL.
if "grant_map_level" not in st.session_state:
    st.session_state["grant_map_level"] = parse_level(st.query_params.get("level"))
if "grant_map_level_radio" not in st.session_state:
    st.session_state["grant_map_level_radio"] = st.session_state["grant_map_level"]


def _remember_level() -> None:
    st.session_state["grant_map_level"] = st.session_state["grant_map_level_radio"]


labels = {"municipality": "市町村", "bureau": option.bureau_label}
if option.bureaus:
    level = st.radio(
        "表示単位",
        LEVELS,
        format_func=labels.get,
        horizontal=True,
        key="grant_map_level_radio",
        on_change=_remember_level,
    )
    if st.query_params.get("level") != level:
        st.query_params["level"] = level
else:  # a profile without bureaus has municipalities only (no empty level to choose)
    level = "municipality"

settings = load_settings()
boundary_file = settings.boundaries_dir / f"{option.pref_code}.geojson"
stamp = boundary_file.stat().st_mtime if boundary_file.exists() else 0.0
grant_map = cached_view(
    "grant_map", filters, option, level, settings.boundaries_dir, settings.map_style, stamp
)

metric_cards([grant_map.spend, grant_map.municipalities])  # the same cards as 概要, empty or not
if grant_map.is_empty:
    empty_state(grant_map.message)

chart(grant_map.figure, f"補助金マップ（{labels[level]}別の補助金額）", f"grant_map_{level}",
      grant_map.credit, grant_map.summary)  # fmt: skip
if grant_map.note:
    st.info(grant_map.note, icon=":material/map:")
st.caption(md_escape(grant_map.caption))

table_block(
    grant_map.table,
    f"grant_map_{level}",
    filters,
    key=f"grant_map_table_{level}",
    label=f"{labels[level]}別の表を見る",
)
if len(grant_map.districts_table):
    table_block(
        grant_map.districts_table,
        "grant_districts",
        filters,
        key="grant_map_districts",
        label="地区別の表を見る",
    )
elif not grant_map.is_empty:
    empty_state("選択した範囲に補助金のある地区はありません。")

page_excel(
    filters,
    option,
    headlines=[grant_map.spend, grant_map.municipalities],
)
