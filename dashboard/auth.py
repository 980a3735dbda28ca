"""Who may do what: roles from the identity provider's claims or from the settings' allow-lists.

Three modes: `oidc` (an identity provider is configured: users log in, stewards load data),
`local` (no provider, but KYOTEN_LOCAL_STEWARD=1: everyone may load data — local development
only) and `read_only` (no provider: nobody can change data through the app)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from core.settings import Settings

ROLES = ("viewer", "steward", "admin")  # in increasing power
ROLE_LABELS = {"viewer": "閲覧者", "steward": "データ管理者", "admin": "管理者"}
MODE_TEXT = {
    "oidc": "ログインした利用者の役割で権限を決めています（データの取り込み・公開・切り戻しはデータ管理者のみ）。",
    "local": "ローカル開発モード: 認証基盤がないため、誰でもデータを取り込めます（KYOTEN_LOCAL_STEWARD=1）。本番では使わないでください。",
    "read_only": "閲覧専用モード: 認証基盤（OIDC）が設定されていないため、画面からデータを変更することはできません。",
}


@dataclass(frozen=True)
class Access:
    mode: str  # oidc, local, read_only
    role: str | None  # None: not logged in
    user: str | None = None

    @property
    def can_steward(self) -> bool:
        return self.role in ("steward", "admin")

    @property
    def explanation(self) -> str:
        return MODE_TEXT[self.mode]


def _listed(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",") if item.strip()}


def role_for(claims: Mapping[str, object], settings: Settings) -> str:
    """The strongest role a logged-in user has: from the allow-lists, then from the role claim."""
    ids = {str(claims.get(key, "")).strip().lower() for key in ("email", "sub")} - {""}
    granted = ["viewer"]
    if ids & _listed(settings.admins):
        granted.append("admin")
    if ids & _listed(settings.stewards):
        granted.append("steward")
    claimed = claims.get(settings.role_claim) or []
    if not isinstance(claimed, list | tuple | set):  # a string, or anything an IdP may send
        claimed = str(claimed).replace(",", " ").split()
    granted += [r for r in (str(c).strip().lower() for c in claimed) if r in ROLES]
    return max(granted, key=ROLES.index)


def resolve(
    provider: bool, logged_in: bool, claims: Mapping[str, object], settings: Settings
) -> Access:
    if provider:
        if not logged_in:
            return Access("oidc", None)
        name = str(claims.get("email") or claims.get("name") or claims.get("sub") or "")
        return Access("oidc", role_for(claims, settings), name)
    if settings.local_steward:
        return Access("local", "steward", "ローカル")
    return Access("read_only", "viewer")
