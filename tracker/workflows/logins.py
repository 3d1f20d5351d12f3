"""Password attempts, wherever a password is typed (the login page, and the city official's
password on the contractor's device when confirming a handover or witnessing): throttled per
account and per client address, and every failure and every lockout is a ledger event.

Why in the ledger: a run of wrong passwords is a security fact the city may ask about, and a
lockout that lived in a side table could be lifted by editing that table; as projected rows,
``verify`` replays them like any other. Only accounts that exist are counted by name (a login
field sometimes receives a password typed one field too early, and that must not be written
anywhere); any wrong attempt counts for the address.
"""

from __future__ import annotations

from datetime import timedelta

from werkzeug.security import check_password_hash

from tracker import db, ledger
from tracker.errors import NotAuthenticated, TooManyAttempts
from tracker.models import LoginThrottle, User
from tracker.timeutil import format_jst, now_iso, to_iso, utc_now

ACCOUNT_LIMIT = 5  # wrong passwords for one account within WINDOW, then LOCKOUT
ADDRESS_LIMIT = 20  # wrong passwords from one address, whatever the accounts, within WINDOW
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

# Where a password was typed (recorded with each failure).
PURPOSES = ("login", "handover_confirm", "witness_confirm", "password_change", "correction")


def check_password(login: str, password: str, address: str | None = None, purpose: str = "login") -> User:
    """The active user with this login and password. A wrong one is recorded and counted; while
    the account or the address is locked the password is not even checked (so guessing learns
    nothing). One message for every wrong attempt, so the answer never tells which logins exist."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    login = (login or "").strip().lower()[:64]
    user = User.get_or_none(User.login == login) if login else None
    keys = _keys(user, address)
    _refuse_if_locked(keys)
    if user and user.active and user.password_hash and check_password_hash(user.password_hash, password or ""):
        return user
    locked_until = _record_failure(user, address, purpose, keys)
    if locked_until:
        raise _locked(locked_until)
    raise NotAuthenticated("ログインIDまたはパスワードが違います", "wrong login or password")


def account_key(login: str) -> str:
    return f"account:{login}"


def address_key(address: str) -> str:
    return f"address:{address}"


def _keys(user: User | None, address: str | None) -> dict[str, int]:
    """The throttle rows this attempt counts against, with the limit of each."""
    keys = {}
    if user is not None:
        keys[account_key(user.login)] = ACCOUNT_LIMIT
    if address:
        keys[address_key(address[:64])] = ADDRESS_LIMIT
    return keys


def _refuse_if_locked(keys: dict[str, int]) -> None:
    now = now_iso()
    until = [row.locked_until for row in LoginThrottle.select().where(LoginThrottle.key.in_(list(keys)))
             if row.locked_until and row.locked_until > now]
    if until:
        raise _locked(max(until))


def _record_failure(user: User | None, address: str | None, purpose: str, keys: dict[str, int]) -> str | None:
    """Count one wrong attempt against each key; lock those that reach their limit. Returns the
    end of the lockout this attempt started, if any."""
    now = utc_now()
    window_opened = to_iso(now - WINDOW)
    locked_until = None
    with db.writing():
        counted = {}
        for key in keys:
            row = LoginThrottle.get_or_none(LoginThrottle.key == key)
            if row is None or not row.window_start or row.window_start < window_opened:
                counted[key] = {"failures": 1, "window_start": to_iso(now)}
            else:
                counted[key] = {"failures": row.failures + 1, "window_start": row.window_start}
        ledger.append("login.failed", None,
                      data={"login": user.login if user else None, "address": address, "purpose": purpose},
                      changes={"login_throttle": counted} if counted else {})
        reached = sorted(key for key, values in counted.items() if values["failures"] == keys[key])
        if reached:
            locked_until = to_iso(now + LOCKOUT)
            ledger.append("login.locked", None, data={"keys": reached, "purpose": purpose},
                          changes={"login_throttle": {key: {"locked_until": locked_until} for key in reached}})
    return locked_until


def _locked(until: str) -> TooManyAttempts:
    shown = format_jst(until)
    return TooManyAttempts(
        f"パスワードの誤りが続いたため、{shown} まで受け付けません。時間をおいてやり直すか、システム管理者に連絡してください",
        f"too many wrong passwords: refused until {shown}; try again later or ask the administrator",
    )
