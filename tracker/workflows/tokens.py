"""Bearer tokens for scanning stations and integrations. Only a token's SHA-256 is stored, and
issuing and revoking are ledger events, so ``verify`` notices a token inserted or un-revoked in
the database."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from tracker import db, ledger
from tracker.errors import InvalidInput, NotAllowed, NotAuthenticated, NotFound, WrongState
from tracker.models import TOKEN_ID_LENGTH, ApiToken, User
from tracker.timeutil import now_iso, to_iso, utc_now
from tracker.workflows import access, inputs


def create_token(user: User, name: str, days: int | None = 90, actor: User | None = None) -> str:
    """A new token for ``user``, shown once; ``days`` None never expires. ``actor`` is who
    issues it (None: the installation, ``mediatrail user token`` on the server)."""
    access.require_active(user)
    if actor is not None and actor.login != user.login:
        access.require_admin(actor)
    inputs.require_text(name, "トークンの名前", "token name")
    if days is not None and days < 1:
        raise InvalidInput("有効日数は1日以上にしてください", "a token must be valid for at least one day")
    token = "mt_" + secrets.token_urlsafe(32)
    digest = _digest(token)
    with db.writing():
        ledger.append("token.issued", actor.login if actor else None, data={"login": user.login, "token": digest[:TOKEN_ID_LENGTH]},
                      changes={"api_token": {digest: {
                          "user": user.login, "name": name.strip(), "created_at": now_iso(),
                          "expires_at": to_iso(utc_now() + timedelta(days=days)) if days else None, "revoked": False,
                      }}})
    return token


def tokens(user: User | None = None) -> list[ApiToken]:
    """Every token (or ``user``'s), newest first."""
    query = ApiToken.select().order_by(ApiToken.created_at.desc())
    return list(query.where(ApiToken.user == user.login) if user else query)


def revoke(actor: User | None, token_id: str, reason: str = "") -> ApiToken:
    """Revoke the token whose SHA-256 starts with ``token_id`` (as ``token list`` shows it): its
    owner, an administrator, or the installation (``actor`` None)."""
    found = find(token_id)
    if actor is not None and actor.login != found.user_id:
        if not actor.is_admin:
            raise NotAllowed("他の人のAPIトークンは取り消せません", "you may not revoke another person's API token")
        access.require_active(actor)
    if found.revoked:
        raise WrongState(f"APIトークン {found.short_id} は既に取り消されています", f"API token {found.short_id} is already revoked")
    with db.writing():
        ledger.append("token.revoked", actor.login if actor else None,
                      data={"login": found.user_id, "token": found.short_id, "reason": reason},
                      changes={"api_token": {found.token_sha256: {"revoked": True}}})
    return ApiToken.get_by_id(found.token_sha256)


def find(token_id: str) -> ApiToken:
    prefix = (token_id or "").strip().lower()
    if len(prefix) < 8 or any(character not in "0123456789abcdef" for character in prefix):
        raise InvalidInput("APIトークンのIDは一覧に表示される16進数（8桁以上）で指定してください",
                           "give the token's ID as listed (8 or more hex digits)")
    found = list(ApiToken.select().where(ApiToken.token_sha256.startswith(prefix)).limit(2))
    if not found:
        raise NotFound(f"APIトークン {prefix} はありません", f"no API token {prefix}")
    if len(found) > 1:
        raise InvalidInput(f"APIトークン {prefix} に当てはまるものが複数あります。もっと長く指定してください",
                           f"more than one API token starts with {prefix}; give more digits")
    return found[0]


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
