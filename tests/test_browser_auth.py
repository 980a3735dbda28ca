"""Access control against a real OIDC provider on loopback (oidc-provider-mock): a viewer sees
no upload or publish, a steward does; without a provider the app is read-only."""

from __future__ import annotations

import pytest

from tests.browser import (
    chromium,
    free_port,
    require_browser,
    screenshot,
    streamlit_server,
    wait_for_app,
)

pytestmark = pytest.mark.browser
USERS = {
    "viewer-1": {"email": "viewer@pref.example.jp", "name": "閲覧 花子", "roles": ["viewer"]},
    "steward-1": {"email": "steward@pref.example.jp", "name": "管理 太郎", "roles": ["steward"]},
    "listed-1": {
        "email": "listed@pref.example.jp",
        "name": "名簿 次郎",
    },  # steward by the allow-list
}


@pytest.fixture(scope="module")
def provider():
    from oidc_provider_mock import User, run_server_in_thread

    users = [User(sub=sub, claims=claims) for sub, claims in USERS.items()]
    with run_server_in_thread(port=0, user_claims=users) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def secrets_file(folder, port: int, provider: str):
    path = folder / "secrets.toml"
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        'cookie_secret = "a-test-cookie-secret-that-is-long-enough-0123456789"\n'
        'client_id = "kyoten-monitor"\n'
        'client_secret = "kyoten-monitor-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def oidc_server(sample_settings, provider, tmp_path_factory):
    require_browser()
    folder = tmp_path_factory.mktemp("oidc")
    port = free_port()
    env = {"KYOTEN_WAREHOUSE_DIR": str(sample_settings.warehouse_dir), "KYOTEN_UPLOADS_DIR": str(folder / "uploads"),
           "KYOTEN_STEWARDS": "listed@pref.example.jp"}  # fmt: skip
    args = ("--secrets.files", str(secrets_file(folder, port, provider)))
    with streamlit_server(env, port=port, args=args) as base:
        yield base


@pytest.fixture(scope="module")
def browser(oidc_server):
    with chromium() as browser:
        yield browser


def log_in(browser, base: str, sub: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{base}/data")
    wait_for_app(page, "データの取り込み")
    page.get_by_role("button", name="ログイン").first.click()
    page.wait_for_selector(
        f"button[value='{sub}']", timeout=30_000
    )  # the provider's authorize page
    page.locator(f"button[value='{sub}']").click()
    page.wait_for_url(f"{base}/**", timeout=30_000)
    page.goto(f"{base}/data")
    wait_for_app(page, "データの取り込み")
    return page


def test_before_login_nobody_can_load_data(oidc_server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{oidc_server}/data")
    wait_for_app(page, "データの取り込み")
    text = page.locator("[data-testid=stMain]").inner_text()
    assert "ログインしてください" in text and "データ管理者のみ" in text.replace(
        "ログインした利用者", ""
    )
    assert page.locator("[data-testid=stFileUploader]").count() == 0
    page.close()


def test_viewer_cannot_upload_or_publish(oidc_server, browser):
    page = log_in(browser, oidc_server, "viewer-1")
    page.wait_for_selector("text=閲覧のみ", timeout=20_000)
    sidebar = page.locator("[data-testid=stSidebar]").inner_text()
    assert "viewer@pref.example.jp（閲覧者）" in sidebar
    assert page.locator("[data-testid=stFileUploader]").count() == 0
    assert page.get_by_role("button", name="公開する").count() == 0
    assert page.get_by_role("button", name="この版に戻す").count() == 0
    assert "閲覧のみ" in page.locator("[data-testid=stMain]").inner_text()
    screenshot(page, "oidc-viewer-data")
    page.context.close()


@pytest.mark.parametrize("sub", ["steward-1", "listed-1"])
def test_steward_sees_the_upload(oidc_server, browser, sub):
    page = log_in(browser, oidc_server, sub)
    sidebar = page.locator("[data-testid=stSidebar]").inner_text()
    assert "（データ管理者）" in sidebar
    page.wait_for_selector("[data-testid=stFileUploader]", timeout=20_000)
    screenshot(page, f"oidc-{sub}-data")
    page.get_by_role("button", name="ログアウト").click()
    # The app drops its login cookie, then hands over to the provider's end-session page.
    page.wait_for_url("**/oauth2/end_session**", timeout=30_000)
    page.goto(f"{oidc_server}/data")
    wait_for_app(page, "データの取り込み")
    assert "ログインしてください" in page.locator("[data-testid=stMain]").inner_text()
    assert page.locator("[data-testid=stFileUploader]").count() == 0
    page.context.close()
