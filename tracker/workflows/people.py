"""Users and contracts. The roster (Art. 8) is ``roster.py``; the pledges (Art. 11) ``pledges.py``."""

from __future__ import annotations

import re

from werkzeug.security import generate_password_hash

from labels import ids
from tracker import db, ledger
from tracker.errors import AlreadyExists, InvalidInput, WrongState
from tracker.models import ROLES, Contract, User, secret_fingerprint
from tracker.timeutil import now_iso
from tracker.workflows import access, inputs, logins, profiles
from tracker.workflows.pledges import sign as sign_pledge  # noqa: F401 - the name callers know

_LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 8


def create_user(
    actor: User | None,
    login: str,
    name: str,
    role: str,
    password: str,
    organisation: str = "",
    title: str = "",
) -> User:
    """``actor`` None is the installation itself (``mediatrail user add`` on the server)."""
    if actor is not None:
        access.require_admin(actor)
    login = login.strip().lower()
    if not _LOGIN_RE.match(login):
        raise InvalidInput(
            f"ログインID「{login}」は英小文字・数字・._- の2〜64文字にしてください",
            f"login {login!r} must be 2-64 lower-case letters, digits or ._-",
        )
    inputs.parse_choice(role, ROLES, "役割", "role")
    inputs.require_text(name, "氏名", "name")
    password_hash = _hash_password(password)
    with db.writing():
        if User.get_or_none(User.login == login):
            raise AlreadyExists(f"ユーザー {login} は既に登録されています", f"user {login} already exists")
        ledger.append(
            "user.created",
            actor.login if actor else None,
            data={"login": login},
            changes={"user": {login: {"name": name.strip(), "role": role, "organisation": organisation, "title": title,
                                      "active": True, "password_fingerprint": secret_fingerprint(password_hash)}}},
        )
        User.update(password_hash=password_hash).where(User.login == login).execute()
    return User.get(User.login == login)


def check_password(login: str, password: str, address: str | None = None, purpose: str = "login") -> User:
    """The active user with this login and password, throttled and recorded
    (:func:`tracker.workflows.logins.check_password`): every form that takes a password goes
    through here, with the client's address."""
    return logins.check_password(login, password, address, purpose)


def change_password(actor: User | None, login: str, new_password: str, current_password: str | None = None,
                    address: str | None = None) -> User:
    """A new password for ``login``: by the person themself (who must give the current one, so a
    session left open on a shared PC cannot take the account over), by an administrator, or by
    the installation (``actor`` None: ``mediatrail user password`` on the server).

    One ``user.password_changed`` event records who changed it and the new hash's fingerprint
    (never the hash); every session of the account then ends, because sessions carry the
    fingerprint they were opened with."""
    user = access.get_user(login)
    if actor is not None and actor.login == user.login:
        access.require_active(actor)
        logins.check_password(user.login, current_password or "", address, purpose="password_change")
        changed_by = "self"
    elif actor is not None:
        access.require_admin(actor)
        changed_by = "admin"
    else:
        changed_by = "installation"
    password_hash = _hash_password(new_password)
    with db.writing():
        ledger.append("user.password_changed", actor.login if actor else None, data={"login": user.login, "by": changed_by},
                      changes={"user": {user.login: {"password_fingerprint": secret_fingerprint(password_hash)}}})
        User.update(password_hash=password_hash).where(User.login == user.login).execute()
    return access.get_user(user.login)


def set_active(actor: User | None, login: str, active: bool) -> User:
    """Enable or disable an account (an administrator, or the installation: ``actor`` None). A
    disabled account cannot log in, its sessions and tokens stop at their next request."""
    if actor is not None:
        access.require_admin(actor)
    user = access.get_user(login)
    if user.active == active:
        raise WrongState(f"{user.login} は既に{'有効' if active else '無効'}です",
                         f"{user.login} is already {'enabled' if active else 'disabled'}")
    with db.writing():
        ledger.append("user.activated" if active else "user.deactivated", actor.login if actor else None,
                      data={"login": user.login}, changes={"user": {user.login: {"active": active}}})
    return access.get_user(user.login)


def create_contract(
    actor: User | None,
    code: str,
    title: str,
    client: str,
    contractor: str = "",
    client_section: str = "",
    contractor_address: str = "",
    contract_number: str = "",
    period_start: str = "",
    period_end: str = "",
    profile: str = "",
) -> Contract:
    """A new contract, running under ``profile`` (a shipped name such as ``koganei`` or
    ``generic``, or a registered key such as ``itabashi@2``; Koganei's by default)."""
    if actor is not None:
        access.require_admin(actor)
    try:
        code = ids.validate_prefix(code)
    except ids.InvalidId as error:
        raise InvalidInput(error.message_ja, error.message_en) from error
    if code == ids.LOCATION_PREFIX:
        raise InvalidInput("契約コード LOC は保管場所用に予約されています", "contract code LOC is reserved for locations")
    inputs.require_text(title, "件名", "title")
    inputs.require_text(client, "委託者", "client")
    for value in (period_start, period_end):
        if value:
            inputs.parse_date(value)
    with db.writing():
        if Contract.get_or_none(Contract.code == code):
            raise AlreadyExists(f"契約コード {code} は既に使われています", f"contract code {code} is already in use")
        provisions = profiles.resolve(actor, profile)
        ledger.append(
            "contract.created",
            actor.login if actor else None,
            contract=code,
            changes={"contract": {code: {
                "title": title.strip(), "client": client.strip(), "client_section": client_section,
                "contractor": contractor, "contractor_address": contractor_address,
                "contract_number": contract_number, "period_start": period_start,
                "period_end": period_end, "created_at": now_iso(), "profile": provisions.key,
            }}},
        )
    return Contract.get(Contract.code == code)


def _hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください",
            f"password must be at least {MIN_PASSWORD_LENGTH} characters",
        )
    return generate_password_hash(password)
