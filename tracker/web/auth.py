"""Login for people (session cookie) and the guard that keeps every page but login private."""

from __future__ import annotations

import secrets
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from tracker.errors import DomainError, InvalidInput, NotAuthenticated
from tracker.models import User
from tracker.timeutil import now_iso, utc_now
from tracker.workflows import access, people, tokens
from tracker.web.i18n import both

blueprint = Blueprint("auth", __name__)

# Endpoints reachable without logging in. The API authenticates with its own tokens.
PUBLIC_ENDPOINTS = {"auth.login", "static", "api.openapi"}


# How often a session's "last seen" time is rewritten (each rewrite is a new cookie).
SEEN_RESOLUTION_SECONDS = 60


@blueprint.before_app_request
def load_user():
    login = session.get("login")
    g.user = User.get_or_none((User.login == login) & (User.active == True)) if login else None  # noqa: E712
    if g.user is not None:
        _end_stale_session(g.user)
    if request.blueprint == "api" or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.user is None:
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    if request.method == "POST":
        require_csrf()
    return None


def _end_stale_session(user: User) -> None:
    """A session ends when the account's password has changed since it was opened (it carries the
    password's fingerprint), and when it was not used for the configured idle time."""
    now = int(utc_now().timestamp())
    idle_limit = current_app.config["SETTINGS"].session_idle_minutes * 60
    if session.get("password") != _password_mark(user):
        _log_out(both("パスワードが変更されたため、ログアウトしました。新しいパスワードでログインしてください",
                      "the password was changed, so you were logged out; log in with the new password"))
    elif now - session.get("seen", 0) > idle_limit:
        _log_out(both("しばらく操作がなかったため、ログアウトしました。もう一度ログインしてください",
                      "you were logged out after a period without activity; please log in again"))
    elif now - session.get("seen", 0) >= SEEN_RESOLUTION_SECONDS:
        session["seen"] = now


def _log_out(reason: str) -> None:
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    g.user = None
    flash(reason, "warn")


def _password_mark(user: User) -> str:
    # A prefix is enough to tell a change; the cookie is signed, not secret.
    return user.password_fingerprint[:16]


def require_csrf() -> None:
    if not _csrf_matches(request.form.get("csrf_token")):
        raise InvalidInput("フォームの有効期限が切れました。もう一度操作してください", "the form expired; please try again")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    status = 200
    if request.method == "POST":
        require_csrf()  # else another site could log a browser in as someone else
        try:
            user = people.check_password(request.form.get("login", ""), request.form.get("password", ""),
                                         address=request.remote_addr, purpose="login")
        except NotAuthenticated as refusal:
            flash(both(refusal.message_ja, refusal.message_en), "error")
            status = refusal.status
        else:
            language = session.get("lang")
            session.clear()
            session["login"] = user.login
            session["password"] = _password_mark(user)
            session["seen"] = int(utc_now().timestamp())
            if language:
                session["lang"] = language
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html"), status


@blueprint.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Everyone changes their own password here; every other session of theirs then ends."""
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            if form.get("new_password", "") != form.get("new_password_again", ""):
                raise InvalidInput("新しいパスワードが2回とも同じではありません", "the two new passwords differ")
            user = people.change_password(g.user, g.user.login, form.get("new_password", ""), form.get("current_password", ""),
                                          address=request.remote_addr)
        except DomainError as refusal:
            flash(both(refusal.message_ja, refusal.message_en), "error")
            status = refusal.status
        else:
            session["password"] = _password_mark(user)  # this session goes on; the others end
            flash(both("パスワードを変更しました。ほかの端末のログインは終了します", "password changed; sessions on other devices end"), "ok")
            return redirect(url_for("pages.dashboard"))
    return render_template("account_password.html", minimum=people.MIN_PASSWORD_LENGTH), status


@blueprint.route("/admin/accounts")
def accounts():
    """The administrator's view of accounts and API tokens, to disable an account or revoke a token."""
    access.require_admin(g.user)
    return render_template("admin_accounts.html", users=User.select().order_by(User.login), tokens=tokens.tokens(), now=now_iso())


@blueprint.route("/admin/accounts/<login>/active", methods=["POST"])
def set_account_active(login):
    active = request.form.get("active") == "1"
    _then_accounts(lambda: people.set_active(g.user, login, active),
                   ("有効にしました", "enabled") if active else ("無効にしました。この利用者のログインとAPIトークンは止まります",
                                                           "disabled; this user's sessions and API tokens stop"))
    return redirect(url_for("auth.accounts"))


@blueprint.route("/admin/tokens/<token_id>/revoke", methods=["POST"])
def revoke_token(token_id):
    _then_accounts(lambda: tokens.revoke(g.user, token_id, request.form.get("reason", "")),
                   ("APIトークンを取り消しました", "API token revoked"))
    return redirect(url_for("auth.accounts"))


def _then_accounts(action, done: tuple[str, str]) -> None:
    access.require_admin(g.user)
    try:
        action()
    except DomainError as refusal:
        flash(both(refusal.message_ja, refusal.message_en), "error")
    else:
        flash(both(*done), "ok")


@blueprint.route("/logout", methods=["POST"])
def logout():
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    return redirect(url_for("auth.login"))


def csrf_token() -> str:
    if "csrf_token" not in session:
        session["csrf_token"] = secrets.token_urlsafe(24)
    return session["csrf_token"]


def _csrf_matches(sent: str | None) -> bool:
    expected = session.get("csrf_token")
    return bool(sent and expected) and secrets.compare_digest(sent, expected)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: only a path on this site. Browsers drop tabs and newlines
    from a URL and read a backslash as a slash, so ``/%09/evil.example`` and ``/\\evil.example``
    would leave the site; anything with a scheme, a host, a control character, white space or a
    backslash goes to the dashboard instead."""
    fallback = url_for("pages.dashboard")
    if not target or any(character.isspace() for character in target):
        return fallback
    for form in (target, unquote(target)):  # and once decoded, in case something decodes it again
        if not form.startswith("/") or form.startswith("//") or "\\" in form:
            return fallback
        if any(ord(character) < 0x20 or ord(character) == 0x7F for character in form):
            return fallback
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return fallback
    return target
