"""Users, contracts, the roster of handlers (Art. 8) and their pledges (Art. 11)."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

from werkzeug.security import generate_password_hash

from labels import ids
from tracker import db, ledger
from tracker.errors import AlreadyExists, InvalidInput, NotAllowed, WrongState
from tracker.models import CONTRACT_ROLES, ROLES, Contract, Pledge, RosterEntry, User
from tracker.timeutil import JST, now_iso, utc_now
from tracker.workflows import access, inputs, logins, profiles

PLEDGE_VERSION = "worker-v1"
_LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 8


def pledge_text(version: str = PLEDGE_VERSION) -> str:
    return resources.files("tracker.pledges").joinpath(f"{version}.txt").read_text(encoding="utf-8")


def pledge_sha256(version: str = PLEDGE_VERSION) -> str:
    return hashlib.sha256(pledge_text(version).encode("utf-8")).hexdigest()


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
            changes={"user": {login: {"name": name.strip(), "role": role, "organisation": organisation, "title": title, "active": True}}},
        )
        User.update(password_hash=password_hash).where(User.login == login).execute()
    return User.get(User.login == login)


def check_password(login: str, password: str, address: str | None = None, purpose: str = "login") -> User:
    """The active user with this login and password, throttled and recorded
    (:func:`tracker.workflows.logins.check_password`): every form that takes a password goes
    through here, with the client's address."""
    return logins.check_password(login, password, address, purpose)


def set_password(login: str, password: str) -> None:
    user = access.get_user(login)
    User.update(password_hash=_hash_password(password)).where(User.login == user.login).execute()


def set_active(actor: User, login: str, active: bool) -> User:
    access.require_admin(actor)
    user = access.get_user(login)
    with db.writing():
        ledger.append("user.activated" if active else "user.deactivated", actor.login, data={"login": login},
                      changes={"user": {login: {"active": active}}})
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


def sign_pledge(actor: User, contract_code: str, signer_login: str | None = None, signed_on: str | None = None) -> Pledge:
    """A person signs in the app for themself, or the responsible person records a paper pledge."""
    contract = access.get_contract(contract_code)
    signer = access.get_user(signer_login or actor.login)
    entry = access.roster_entry(signer, contract)
    if entry is None or not entry.active:
        raise WrongState(
            f"{signer.name} さんは契約「{contract.title}」の名簿にないため誓約書を登録できません",
            f"{signer.login} is not on the roster of {contract.code}; no pledge can be recorded",
        )
    if signer.login == actor.login:
        method = "electronic"
        access.require_active(actor)
    else:
        access.require_responsible(actor, contract)
        method = "paper"
    day = signed_on or utc_now().astimezone(JST).date().isoformat()
    inputs.parse_date(day)
    with db.writing():
        count = Pledge.select().where((Pledge.user == signer.login) & (Pledge.contract == contract.code)).count()
        key = f"{contract.code}/{signer.login}/{count + 1}"
        ledger.append(
            "pledge.signed",
            actor.login,
            contract=contract.code,
            data={"signer": signer.login, "method": method},
            changes={"pledge": {key: {
                "contract": contract.code, "user": signer.login, "signed_on": day,
                "text_version": PLEDGE_VERSION, "text_sha256": pledge_sha256(), "method": method,
                "recorded_by": actor.login,
            }}},
        )
    return Pledge.get(Pledge.key == key)


def _hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"パスワードは{MIN_PASSWORD_LENGTH}文字以上にしてください",
            f"password must be at least {MIN_PASSWORD_LENGTH} characters",
        )
    return generate_password_hash(password)
