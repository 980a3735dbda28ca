"""The sidebar's global filters, kept in the session and mirrored into the URL.

Streamlit clears the URL's query string when the page changes, so the filters live in
`st.session_state` and the router writes them back to `st.query_params` on every run: switching
pages keeps them, and a copied link reproduces the view in a new session.
"""

from __future__ import annotations

import streamlit as st

from dashboard.db import WarehouseMissing
from dashboard.filters import Filters, ProfileOption, parse_filters
from dashboard.formatting import fy_short
from dashboard.ui.cache import load, version
from etl.settings import load_settings

URL_KEYS = ("profile", "from", "to", "bureau")


def profile_options() -> dict[str, ProfileOption]:
    profiles, bureaus, years = load("profiles"), load("bureaus"), load("year_range")
    options = {}
    for row in profiles.itertuples(index=False):
        span = years[years["pref_code"] == row.pref_code]
        options[row.profile_key] = ProfileOption(
            key=row.profile_key,
            pref_code=row.pref_code,
            pref_name=row.pref_name,
            bureau_label=row.bureau_label,
            bureaus=tuple(bureaus.loc[bureaus["pref_code"] == row.pref_code, "bureau"]),
            first_fy=int(span["first_fy"].iloc[0]) if len(span) else None,
            last_fy=int(span["last_fy"].iloc[0]) if len(span) else None,
        )
    return options


def _init_from_url(options: dict[str, ProfileOption]) -> None:
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    filters, warnings = parse_filters(params, options, load_settings().default_profile)
    _set_widgets(filters)
    st.session_state["link_warnings"] = warnings
    st.session_state["filters_version"] = version()


def _set_widgets(filters: Filters) -> None:
    st.session_state["f_profile"] = filters.profile
    st.session_state["f_years"] = (filters.from_fy, filters.to_fy)
    st.session_state["f_bureaus"] = list(filters.bureaus)


def _on_profile_change() -> None:
    options = profile_options()
    option = options[st.session_state["f_profile"]]
    years = option.years
    st.session_state["f_years"] = (years[0], years[-1]) if years else (None, None)
    st.session_state["f_bureaus"] = []


def _revalidate(options: dict[str, ProfileOption]) -> None:
    """After a publish the options may change: keep what still applies."""
    current = Filters(
        st.session_state.get("f_profile", ""),
        *st.session_state.get("f_years", (None, None)),
        tuple(st.session_state.get("f_bureaus", [])),
    )
    filters, warnings = parse_filters(
        {k: v if isinstance(v, list) else [v] for k, v in current.to_query_params().items()},
        options,
        load_settings().default_profile,
    )
    _set_widgets(filters)
    st.session_state["link_warnings"] = [w.replace("リンクの", "選択中の") for w in warnings]
    st.session_state["filters_version"] = version()


def sidebar_filters() -> tuple[Filters, ProfileOption]:
    """Render the global filters in the sidebar; return them and the chosen profile."""
    options = profile_options()
    if "f_profile" not in st.session_state:
        _init_from_url(options)
    elif st.session_state.get("filters_version") != version():
        _revalidate(options)
    with st.sidebar:
        st.selectbox(
            "都道府県（プロファイル）",
            list(options),
            format_func=lambda key: options[key].pref_name,
            key="f_profile",
            on_change=_on_profile_change,
        )
        option = options[st.session_state["f_profile"]]
        years = option.years
        if len(years) > 1:
            st.select_slider("年度の範囲", options=years, key="f_years", format_func=fy_short)
        elif years:
            st.caption(f"年度: {fy_short(years[0])}")
        st.multiselect(
            option.bureau_label, list(option.bureaus), key="f_bureaus", placeholder="すべて"
        )
        st.radio(
            "CSVの文字コード",
            ["UTF-8（BOM付き）", "Shift_JIS（CP932）"],
            key="csv_encoding",
            horizontal=False,
        )
    from_fy, to_fy = st.session_state.get("f_years", (None, None))
    selected = set(st.session_state.get("f_bureaus", []))
    filters = Filters(option.key, from_fy, to_fy, tuple(b for b in option.bureaus if b in selected))
    _write_url(filters)
    return filters, option


def _write_url(filters: Filters) -> None:
    desired = filters.to_query_params()
    for key in URL_KEYS:
        if key in desired:
            value = desired[key]
            if st.query_params.get_all(key) != (value if isinstance(value, list) else [value]):
                st.query_params[key] = value
        elif key in st.query_params:
            del st.query_params[key]


def link_warnings() -> list[str]:
    """Warnings about link values that no longer apply (shown once, on the first page run)."""
    return st.session_state.pop("link_warnings", [])


def csv_encoding() -> str:
    return (
        "cp932" if st.session_state.get("csv_encoding", "").startswith("Shift_JIS") else "utf-8-sig"
    )


def remember(filters: Filters, option: ProfileOption) -> None:
    st.session_state["_current_filters"] = (filters, option)


def resolve() -> tuple[Filters, ProfileOption]:
    """Render the sidebar filters and remember them; without a warehouse, say how to build one."""
    try:
        resolved = sidebar_filters()
    except WarehouseMissing as exc:
        st.error(str(exc))
        st.stop()
    remember(*resolved)
    return resolved


def current() -> tuple[Filters, ProfileOption]:
    """The filters the router resolved for this run.

    Until a server process first calls st.navigation, Streamlit treats `pages/` as a legacy
    pages folder, so the very first request of a fresh server may run a page without the router:
    the page then resolves the filters itself.
    """
    if "_current_filters" not in st.session_state:
        return resolve()
    return st.session_state["_current_filters"]
