"""Roles and access modes (dashboard.auth) and what the データ page offers in each mode."""

from __future__ import annotations

import dataclasses

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import PROJECT_DIR, load_settings
from dashboard.auth import MODE_TEXT, Access, resolve, role_for
from etl.build import build
from etl.readers import SUPPORTED_SUFFIXES
from tests.conftest import SAMPLE_DIR, settings_for

BASE = load_settings(env={})
LISTS = dataclasses.replace(
    BASE,
    admins="boss@example.jp, Root-Sub ",
    stewards="Alice@Example.JP,steward-sub,boss@example.jp",
)

GROUPS = dataclasses.replace(BASE, role_claim="groups")

ROLE_CASES = {
    # allow-lists, by e-mail or subject, case-insensitive
    "admin-by-email": (LISTS, {"email": "boss@example.jp"}, "admin"),
    "admin-by-email-case": (LISTS, {"email": "BOSS@Example.JP "}, "admin"),
    "admin-by-sub": (LISTS, {"sub": "root-sub", "email": "other@example.jp"}, "admin"),
    "steward-by-email-case": (LISTS, {"email": "alice@example.jp"}, "steward"),
    "steward-by-sub-case": (LISTS, {"sub": "STEWARD-SUB"}, "steward"),
    # admin beats steward beats the claim
    "admin-list-beats-steward-list": (
        LISTS,
        {"email": "boss@example.jp", "roles": ["viewer"]},
        "admin",
    ),
    "steward-list-beats-viewer-claim": (
        LISTS,
        {"email": "alice@example.jp", "roles": "viewer"},
        "steward",
    ),
    "admin-claim-beats-steward-list": (  # the strongest role granted by either source
        LISTS,
        {"email": "alice@example.jp", "roles": ["admin"]},
        "admin",
    ),
    "unlisted-falls-to-claim": (
        LISTS,
        {"email": "carol@example.jp", "roles": ["steward"]},
        "steward",
    ),
    "no-partial-match": (LISTS, {"email": "alice@example.jp.evil"}, "viewer"),
    "empty-id-is-not-listed": (dataclasses.replace(BASE, stewards=" , ,"), {"email": ""}, "viewer"),
    # the roles claim
    "claim-list": (BASE, {"roles": ["viewer", "steward"]}, "steward"),
    "claim-list-admin-first": (BASE, {"roles": ["admin", "viewer"]}, "admin"),
    "claim-space-string": (BASE, {"roles": "viewer admin"}, "admin"),
    "claim-comma-string": (BASE, {"roles": "viewer,steward"}, "steward"),
    "claim-comma-space-string": (BASE, {"roles": " steward , viewer "}, "steward"),
    "claim-case-and-space": (BASE, {"roles": [" Steward ", "VIEWER"]}, "steward"),
    "claim-unknown-ignored": (BASE, {"roles": ["superuser", "root", "steward"]}, "steward"),
    "claim-only-unknown": (BASE, {"roles": ["superuser", "owner"]}, "viewer"),
    "claim-tuple": (BASE, {"roles": ("steward",)}, "steward"),
    "claim-empty-list": (BASE, {"roles": []}, "viewer"),
    "claim-empty-string": (BASE, {"roles": ""}, "viewer"),
    "claim-none": (BASE, {"roles": None}, "viewer"),
    "claim-missing": (BASE, {"email": "someone@example.jp"}, "viewer"),
    "no-claims": (BASE, {}, "viewer"),
    "claim-a-number": (BASE, {"roles": 1}, "viewer"),  # an odd IdP value must not crash a page
    # a custom claim name
    "custom-claim": (GROUPS, {"groups": ["admin"]}, "admin"),
    "custom-claim-string": (GROUPS, {"groups": "steward"}, "steward"),
    "custom-claim-ignores-roles": (GROUPS, {"roles": ["admin"], "groups": []}, "viewer"),
}


@pytest.mark.parametrize("case", ROLE_CASES)
def test_role_for(case):
    settings, claims, role = ROLE_CASES[case]
    assert role_for(claims, settings) == role


def test_settings_read_the_role_claim_and_lists_from_the_environment():
    settings = load_settings(
        env={
            "KYOTEN_ROLE_CLAIM": "groups",
            "KYOTEN_STEWARDS": "a@b.jp",
            "KYOTEN_ADMINS": "c@d.jp",
            "KYOTEN_LOCAL_STEWARD": "yes",
        }
    )
    assert (settings.role_claim, settings.stewards, settings.admins, settings.local_steward) == (
        "groups",
        "a@b.jp",
        "c@d.jp",
        True,
    )
    assert role_for({"groups": "admin"}, settings) == "admin"
    assert role_for({"email": "A@B.JP"}, settings) == "steward"
    assert BASE.role_claim == "roles" and BASE.local_steward is False


LOCAL = dataclasses.replace(BASE, local_steward=True)
RESOLVE_CASES = {
    "oidc-logged-out": (True, False, {}, BASE, Access("oidc", None, None), False),
    "oidc-logged-out-ignores-local": (True, False, {}, LOCAL, Access("oidc", None, None), False),
    "oidc-logged-out-ignores-claims": (
        True,
        False,
        {"email": "boss@example.jp", "roles": ["admin"]},
        LISTS,
        Access("oidc", None, None),
        False,
    ),
    "oidc-viewer": (
        True,
        True,
        {"email": "v@example.jp"},
        BASE,
        Access("oidc", "viewer", "v@example.jp"),
        False,
    ),
    "oidc-viewer-with-local": (
        True,
        True,
        {"email": "v@example.jp"},
        LOCAL,
        Access("oidc", "viewer", "v@example.jp"),
        False,
    ),
    "oidc-steward-claim": (
        True,
        True,
        {"email": "s@example.jp", "roles": ["steward"]},
        BASE,
        Access("oidc", "steward", "s@example.jp"),
        True,
    ),
    "oidc-admin-list": (
        True,
        True,
        {"email": "boss@example.jp"},
        LISTS,
        Access("oidc", "admin", "boss@example.jp"),
        True,
    ),
    "oidc-name-when-no-email": (
        True,
        True,
        {"name": "山田", "sub": "x1"},
        BASE,
        Access("oidc", "viewer", "山田"),
        False,
    ),
    "oidc-sub-when-no-name": (
        True,
        True,
        {"sub": "steward-sub"},
        LISTS,
        Access("oidc", "steward", "steward-sub"),
        True,
    ),
    "local": (False, False, {}, LOCAL, Access("local", "steward", "ローカル"), True),
    "read-only": (False, False, {}, BASE, Access("read_only", "viewer", None), False),
    "read-only-ignores-claims": (
        False,
        True,
        {"email": "boss@example.jp", "roles": ["admin"]},
        LISTS,
        Access("read_only", "viewer", None),
        False,
    ),
}


@pytest.mark.parametrize("case", RESOLVE_CASES)
def test_resolve(case):
    provider, logged_in, claims, settings, expected, can_steward = RESOLVE_CASES[case]
    access = resolve(provider, logged_in, claims, settings)
    assert access == expected
    assert access.can_steward is can_steward
    assert access.explanation == MODE_TEXT[expected.mode]


@pytest.mark.parametrize(
    ("role", "can"), [(None, False), ("viewer", False), ("steward", True), ("admin", True)]
)
def test_can_steward(role, can):
    assert Access("oidc", role).can_steward is can


# --- the データ page in each mode (AppTest) ------------------------------------------------------

AUTH = {
    "client_id": "kyoten-test",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://idp.invalid/.well-known/openid-configuration",
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-secret-either",
}


@pytest.fixture
def data_page(sample_settings, monkeypatch, tmp_path):
    assert not (PROJECT_DIR / ".streamlit" / "secrets.toml").exists()
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(sample_settings.warehouse_dir))
    monkeypatch.setenv("KYOTEN_BOUNDARIES_DIR", str(tmp_path / "no-boundaries"))
    monkeypatch.setenv("KYOTEN_UPLOADS_DIR", str(tmp_path / "uploads"))
    for name in (
        "KYOTEN_LOCAL_STEWARD",
        "KYOTEN_REQUIRE_LOGIN",
        "KYOTEN_STEWARDS",
        "KYOTEN_ADMINS",
        "KYOTEN_ROLE_CLAIM",
    ):
        monkeypatch.delenv(name, raising=False)

    def make(secrets: dict | None = None, user: dict | None = None, page: str = "pages/data.py"):
        at = AppTest.from_file(str(PROJECT_DIR / "app.py"), default_timeout=30)
        if secrets:
            at.secrets.update(secrets)
        if user is not None:
            at.user = user
        at.run()
        at.switch_page(page).run()
        assert not at.exception, at.exception
        return at

    return make


def texts(at: AppTest) -> str:
    kinds = ("title", "subheader", "markdown", "caption", "info", "warning", "error", "success")
    return "\n".join(str(e.value) for kind in kinds for e in getattr(at, kind))


def sidebar_buttons(at: AppTest) -> list[str]:
    return [b.label for b in at.sidebar.button]


PAGE_CASES = {
    # env, secrets, user → mode text, uploader?, "閲覧のみ" info (None: none), sidebar buttons
    "read-only": (
        {},
        None,
        None,
        MODE_TEXT["read_only"],
        False,
        "閲覧のみ: データ管理者のみが取り込めます。",
        [],
    ),
    "read-only-ignores-a-half-configured-provider": (
        {},
        {"auth": {"client_id": "x"}},
        None,
        MODE_TEXT["read_only"],
        False,
        "閲覧のみ: データ管理者のみが取り込めます。",
        [],
    ),
    "local": ({"KYOTEN_LOCAL_STEWARD": "1"}, None, None, MODE_TEXT["local"], True, None, []),
    "oidc-logged-out": (
        {},
        {"auth": AUTH},
        {"is_logged_in": False},
        MODE_TEXT["oidc"],
        False,
        "閲覧のみ: ログインしてください。",
        ["ログイン"],
    ),
    "oidc-logged-out-with-local": (
        {"KYOTEN_LOCAL_STEWARD": "1"},
        {"auth": AUTH},
        {"is_logged_in": False},
        MODE_TEXT["oidc"],
        False,
        "閲覧のみ: ログインしてください。",
        ["ログイン"],
    ),
    "oidc-viewer": (
        {},
        {"auth": AUTH},
        {"is_logged_in": True, "email": "v@example.jp"},
        MODE_TEXT["oidc"],
        False,
        "閲覧のみ: データ管理者のみが取り込めます。",
        ["ログアウト"],
    ),
    "oidc-steward-by-claim": (
        {},
        {"auth": AUTH},
        {"is_logged_in": True, "email": "s@example.jp", "roles": ["steward"]},
        MODE_TEXT["oidc"],
        True,
        None,
        ["ログアウト"],
    ),
    "oidc-steward-by-list": (
        {"KYOTEN_STEWARDS": "S@Example.jp"},
        {"auth": AUTH},
        {"is_logged_in": True, "email": "s@example.jp"},
        MODE_TEXT["oidc"],
        True,
        None,
        ["ログアウト"],
    ),
}


@pytest.mark.parametrize("case", PAGE_CASES)
def test_data_page_offers_uploads_only_to_stewards(data_page, monkeypatch, case):
    env, secrets, user, mode_text, uploader, info, buttons = PAGE_CASES[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = data_page(secrets, user)
    assert at.title[0].value == "データ"
    assert not at.error, [e.value for e in at.error]
    assert mode_text in [c.value for c in at.caption]
    assert len(at.get("file_uploader")) == (1 if uploader else 0)
    assert "公開する" not in [b.label for b in at.button]
    assert [i.value for i in at.info if i.value.startswith("閲覧のみ")] == ([info] if info else [])
    assert sidebar_buttons(at) == buttons


def test_read_only_mode_says_so_and_shows_no_upload(data_page):
    at = data_page()
    assert "閲覧専用モード" in texts(at)
    assert "ローカル開発モード" not in texts(at)
    assert at.get("file_uploader") == []


@pytest.fixture
def two_builds(tmp_path, monkeypatch):
    """A private warehouse with two published builds, so an earlier one could be rolled back to."""
    settings = settings_for(tmp_path / "two")
    first = build(settings, SAMPLE_DIR).build_id
    second = build(settings, SAMPLE_DIR).build_id
    monkeypatch.setenv("KYOTEN_WAREHOUSE_DIR", str(settings.warehouse_dir))
    return first, second


@pytest.mark.parametrize(
    ("env", "rollback_buttons"), [({}, []), ({"KYOTEN_LOCAL_STEWARD": "1"}, ["この版に戻す"])]
)
def test_only_stewards_get_rollback_buttons(
    data_page, two_builds, monkeypatch, env, rollback_buttons
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    first, second = two_builds
    at = data_page()
    history = [t.value for t in at.text if " 版 " in t.value]
    assert [(second in line, first in line, "（公開中）" in line) for line in history] == [
        (True, False, True),
        (False, True, False),
    ]
    assert [b.label for b in at.button if b.label == "この版に戻す"] == rollback_buttons
    assert [b.key for b in at.button if b.label == "この版に戻す"] == [
        f"rollback_{first}" for _ in rollback_buttons
    ]


def test_local_mode_says_so_and_shows_the_uploader(data_page, monkeypatch):
    monkeypatch.setenv("KYOTEN_LOCAL_STEWARD", "1")
    at = data_page()
    assert "ローカル開発モード" in texts(at)
    assert "閲覧専用モード" not in texts(at)
    [uploader] = at.get("file_uploader")
    assert (
        uploader.label
        == "拠点一覧・補助金・協同組合・公表値のファイル（.xlsx / .xlsm / .csv / .tsv / .txt、20MBまで）"
    )
    assert (uploader.allowed_type, uploader.accept_multiple_files) == (
        list(SUPPORTED_SUFFIXES),
        True,
    )


def test_the_oidc_user_is_named_with_the_role_in_the_sidebar(data_page):
    at = data_page(
        {"auth": AUTH}, {"is_logged_in": True, "email": "s@example.jp", "roles": "admin"}
    )
    # Streamlit's element keeps the markdown escape of the e-mail's dot ("s@example\\.jp").
    assert [c.value.replace("\\", "") for c in at.sidebar.caption] == ["s@example.jp（管理者）"]


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/data.py"])
def test_require_login_shows_only_the_login_gate(data_page, monkeypatch, page):
    monkeypatch.setenv("KYOTEN_REQUIRE_LOGIN", "1")
    at = data_page({"auth": AUTH}, {"is_logged_in": False}, page=page)
    assert [t.value for t in at.title] == ["小さな拠点モニター"]
    assert [i.value for i in at.info] == ["このダッシュボードを見るにはログインしてください。"]
    assert at.get("file_uploader") == [] and at.dataframe.len == 0


def test_require_login_lets_a_logged_in_viewer_in(data_page, monkeypatch):
    monkeypatch.setenv("KYOTEN_REQUIRE_LOGIN", "1")
    at = data_page({"auth": AUTH}, {"is_logged_in": True, "email": "v@example.jp"})
    assert at.title[0].value == "データ"
    assert at.get("file_uploader") == []
