"""小さな拠点モニター — router: page config and navigation. Each page draws the shared sidebar
filters through `dashboard.ui.state.current()`."""

from pathlib import Path

import streamlit as st

from dashboard.ui.navigation import PAGES as NAVIGATION

# A local icon: a Material icon name would be fetched from fonts.gstatic.com, which offline fails.
ICON = str(Path(__file__).parent / "dashboard" / "ui" / "icon.png")
st.set_page_config(page_title="小さな拠点モニター", page_icon=ICON, layout="wide")

PAGES = [
    st.Page(page.path, title=page.title, icon=page.icon, default=index == 0)
    for index, page in enumerate(NAVIGATION)
]
st.navigation(PAGES).run()
