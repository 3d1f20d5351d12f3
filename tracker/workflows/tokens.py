"""Bearer tokens for scanning stations and integrations. Only a token's SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from tracker.errors import NotAuthenticated
from tracker.models import ApiToken, User
from tracker.timeutil import now_iso, to_iso, utc_now
from tracker.workflows import access


def create_token(user: User, name: str, days: int | None = 90) -> str:
    """A new token for ``user``, shown once; ``days`` None never expires."""
    access.require_active(user)
    token = "mt_" + secrets.token_urlsafe(32)
    ApiToken.create(
        token_sha256=_digest(token), user=user.login, name=name, created_at=now_iso(),
        expires_at=to_iso(utc_now() + timedelta(days=days)) if days else None,
    )
    return token


def authenticate(header: str) -> User:
    """The user behind an ``Authorization: Bearer ...`` header, or a bilingual refusal."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("APIトークンがありません（Authorization: Bearer ...）", "missing API token (Authorization: Bearer ...)")
    found = ApiToken.get_or_none(ApiToken.token_sha256 == _digest(token.strip()))
    if found is None or found.revoked:
        raise NotAuthenticated("APIトークンが無効です", "invalid or revoked API token")
    if found.expires_at and found.expires_at < now_iso():
        raise NotAuthenticated("APIトークンの有効期限が切れています", "the API token has expired")
    access.require_active(found.user)
    return found.user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
