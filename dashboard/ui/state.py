"""The sidebar's global filters, kept in the session and mirrored into the URL.

The durable value is one `Filters` object in `st.session_state["filters"]`. Each page draws the
sidebar widgets through `current()`; widget state itself does not survive a page switch in
Streamlit, so the widgets are set from the durable value before they are drawn and their
callbacks write changes back. Streamlit also clears the URL's query string when the page
changes, so every run writes the filters back to `st.query_params`: a copied link reproduces the
view in a new session.
"""

from __future__ import annotations

import streamlit as st

from core.settings import load_settings
from dashboard.db import WarehouseMissing
from dashboard.filters import Filters, ProfileOption, build_profile_options, parse_filters
from dashboard.formatting import fy_short
from dashboard.ui.cache import latest, loader, version

URL_KEYS = ("profile", "from", "to", "bureau")
CSV_ENCODINGS = ("UTF-8（BOM付き）", "Shift_JIS（CP932）")


@st.cache_resource(show_spinner=False, max_entries=16)
def _profile_options(version_key: str) -> dict[str, ProfileOption]:
    return build_profile_options(loader(version_key))  # frozen dataclasses: safe to share


def profile_options() -> dict[str, ProfileOption]:
    return latest(_profile_options)


def _as_params(filters: Filters) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in filters.to_query_params().items()}


def _load_filters(options: dict[str, ProfileOption]) -> Filters:
    """The durable filters: from the link on a session's first run, re-checked after a publish."""
    default = load_settings().default_profile
    if "filters" not in st.session_state:
        params = {key: st.query_params.get_all(key) for key in st.query_params}
        filters, warnings = parse_filters(params, options, default)
        st.session_state["link_warnings"] = warnings
    elif st.session_state.get("filters_version") != version():
        filters, warnings = parse_filters(_as_params(st.session_state["filters"]), options, default)
        st.session_state["link_warnings"] = [w.replace("リンクの", "選択中の") for w in warnings]
    else:
        return st.session_state["filters"]
    st.session_state["filters"] = filters
    st.session_state["filters_version"] = version()
    return filters


def _on_profile_change() -> None:
    option = profile_options()[st.session_state["f_profile"]]
    years = option.years or [None]
    st.session_state["filters"] = Filters(option.key, years[0], years[-1], ())


def _on_year_change(changed: str) -> None:
    """Keep from ≤ to: moving one end past the other moves the other along."""
    low, high = st.session_state["f_from"], st.session_state["f_to"]
    if low > high:
        low, high = (low, low) if changed == "f_from" else (high, high)
    filters = st.session_state["filters"]
    st.session_state["filters"] = Filters(filters.profile, low, high, filters.bureaus)


def _on_bureaus_change() -> None:
    filters = st.session_state["filters"]
    option = profile_options()[filters.profile]
    chosen = set(st.session_state["f_bureaus"])
    bureaus = tuple(b for b in option.bureaus if b in chosen)
    st.session_state["filters"] = Filters(filters.profile, filters.from_fy, filters.to_fy, bureaus)


CSV_CHOICE = "csv_encoding_choice"


def _on_encoding_change() -> None:
    st.session_state[CSV_CHOICE] = st.session_state["csv_encoding"]


def _draw_widgets(filters: Filters, options: dict[str, ProfileOption]) -> None:
    option = options[filters.profile]
    st.session_state["f_profile"] = filters.profile
    st.session_state["f_bureaus"] = list(filters.bureaus)
    # A widget's state is dropped when another page draws it anew: the choice lives under a
    # plain key and is given back to the radio on every page (like the filters above).
    st.session_state["csv_encoding"] = st.session_state.get(CSV_CHOICE, CSV_ENCODINGS[0])
    with st.sidebar:
        st.selectbox("都道府県（プロファイル）", list(options), format_func=lambda k: options[k].pref_name,
                     key="f_profile", on_change=_on_profile_change)  # fmt: skip
        if option.years:
            st.session_state["f_from"], st.session_state["f_to"] = filters.from_fy, filters.to_fy
            left, right = st.columns(2)
            left.selectbox("開始年度", option.years, key="f_from", format_func=fy_short,
                           on_change=_on_year_change, args=("f_from",))  # fmt: skip
            right.selectbox("終了年度", option.years, key="f_to", format_func=fy_short,
                            on_change=_on_year_change, args=("f_to",))  # fmt: skip
        if option.bureaus:  # a profile without bureaus has no bureau filter (hidden, not empty)
            st.multiselect(option.bureau_label, list(option.bureaus), key="f_bureaus", placeholder="すべて",
                           on_change=_on_bureaus_change)  # fmt: skip
        st.radio(
            "CSVの文字コード", CSV_ENCODINGS, key="csv_encoding", on_change=_on_encoding_change
        )


def _write_url(filters: Filters) -> None:
    desired = filters.to_query_params()
    for key in URL_KEYS:
        if key in desired:
            value = desired[key]
            if st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
                st.query_params[key] = value
        elif key in st.query_params:
            del st.query_params[key]


def sidebar_filters() -> tuple[Filters, ProfileOption]:
    """Draw the global filters in the sidebar; return them and the chosen profile."""
    options = profile_options()
    filters = _load_filters(options)
    _draw_widgets(filters, options)
    _write_url(filters)
    return filters, options[filters.profile]


def _leave_legacy_pages_mode() -> None:
    """Until a server process first calls st.navigation, Streamlit treats `pages/` as a legacy
    pages folder: a fresh server's first request for a deep link (/hubs) runs the page without
    the router, and the process stays in that mode until someone opens the main page. Leave it
    and rerun through the router (app.py), which resolves the same page by its URL path."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the legacy mode
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def current() -> tuple[Filters, ProfileOption]:
    """Draw the shared sidebar filters for this run and return them (every page calls this once).

    The sidebar is drawn by the page rather than by the router so that a page run without the
    router (see `_leave_legacy_pages_mode`) still has it.
    """
    _leave_legacy_pages_mode()
    from dashboard.ui.auth import access, login_gate, sidebar_login

    current_access = access()
    login_gate(current_access)
    sidebar_login(current_access)
    try:
        return sidebar_filters()
    except WarehouseMissing as exc:
        st.error(str(exc))
        st.stop()


def link_warnings() -> list[str]:
    """Warnings about link values that no longer apply (shown once, on the first page run)."""
    return st.session_state.pop("link_warnings", [])


def csv_encoding() -> str:
    """The CSV encoding the user chose (kept across pages): cp932 or UTF-8 with a BOM."""
    chosen = st.session_state.get(CSV_CHOICE, CSV_ENCODINGS[0])
    return "cp932" if chosen.startswith("Shift_JIS") else "utf-8-sig"
