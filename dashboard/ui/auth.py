"""Login at the page boundary: st.login (OIDC) when `[auth]` is configured in secrets.toml."""

from __future__ import annotations

import streamlit as st

from core.settings import load_settings
from dashboard.auth import ROLE_LABELS, Access, resolve
from dashboard.formatting import md_escape


def provider_configured() -> bool:
    """An identity provider is configured when secrets.toml has [auth] with a client."""
    try:
        section = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file at all is the usual case
        return False
    return bool(section and section.get("client_id") and section.get("server_metadata_url"))


def access() -> Access:
    provider = provider_configured()
    logged_in = bool(provider and st.user.is_logged_in)
    claims = st.user.to_dict() if logged_in else {}
    return resolve(provider, logged_in, claims, load_settings())


def sidebar_login(current: Access) -> None:
    """Who is logged in, with log-in / log-out buttons (only when a provider is configured)."""
    if current.mode != "oidc":
        return
    with st.sidebar:
        if current.role is None:
            st.button("ログイン", on_click=st.login, icon=":material/login:", key="login")
        else:
            st.caption(f"{md_escape(current.user or '')}（{ROLE_LABELS[current.role]}）")
            st.button("ログアウト", on_click=st.logout, icon=":material/logout:", key="logout")


def login_gate(current: Access) -> None:
    """With KYOTEN_REQUIRE_LOGIN=1 and a provider, every page waits for a login."""
    if current.mode == "oidc" and current.role is None and load_settings().require_login:
        st.title("小さな拠点モニター")
        st.info("このダッシュボードを見るにはログインしてください。", icon=":material/lock:")
        st.button("ログイン", on_click=st.login, type="primary", key="login_gate")
        st.stop()
