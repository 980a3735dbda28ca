"""小さな拠点モニター — router: page config and navigation. Each page draws the shared sidebar
filters through `dashboard.ui.state.current()`."""

from pathlib import Path

import streamlit as st

# A local icon: a Material icon name would be fetched from fonts.gstatic.com, which offline fails.
ICON = str(Path(__file__).parent / "dashboard" / "ui" / "icon.png")
st.set_page_config(page_title="小さな拠点モニター", page_icon=ICON, layout="wide")

# url_path equals each file's stem, so a fresh server's first request for a deep link finds
# the same page in Streamlit's legacy pages-folder mode (see dashboard.ui.state).
PAGES = [
    st.Page("pages/overview.py", title="概要", icon=":material/dashboard:", default=True),
    st.Page("pages/hubs.py", title="拠点・地域運営組織", icon=":material/groups:"),
    st.Page("pages/grant_map.py", title="補助金マップ", icon=":material/map:"),
    st.Page("pages/pipeline.py", title="事業パイプライン", icon=":material/timeline:"),
    st.Page("pages/briefing.py", title="ブリーフィング", icon=":material/slideshow:"),
    st.Page("pages/data.py", title="データ", icon=":material/database:"),
]

st.navigation(PAGES).run()
