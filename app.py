"""小さな拠点モニター — router: page config and navigation. Each page draws the shared sidebar
filters through `dashboard.ui.state.current()`."""

from pathlib import Path

import streamlit as st

# A local icon: a Material icon name would be fetched from fonts.gstatic.com, which offline fails.
ICON = str(Path(__file__).parent / "dashboard" / "ui" / "icon.png")
st.set_page_config(page_title="小さな拠点モニター", page_icon=ICON, layout="wide")

PAGES = [
    st.Page(
        "pages/overview.py",
        title="概要",
        icon=":material/dashboard:",
        url_path="overview",
        default=True,
    ),
    st.Page("pages/hubs.py", title="拠点・地域運営組織", icon=":material/groups:", url_path="hubs"),
    st.Page(
        "pages/grant_map.py", title="補助金マップ", icon=":material/map:", url_path="grant_map"
    ),
    st.Page("pages/data.py", title="データ", icon=":material/database:", url_path="data"),
]

st.navigation(PAGES).run()
