"""Login for people (session cookie) and the guard that keeps every page but login private."""

from __future__ import annotations

import secrets
from urllib.parse import unquote, urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from tracker.errors import InvalidInput, NotAuthenticated
from tracker.models import User
from tracker.workflows import people
from tracker.web.i18n import both

blueprint = Blueprint("auth", __name__)

# Endpoints reachable without logging in. The API authenticates with its own tokens.
PUBLIC_ENDPOINTS = {"auth.login", "static", "api.openapi"}


@blueprint.before_app_request
def load_user():
    login = session.get("login")
    g.user = User.get_or_none((User.login == login) & (User.active == True)) if login else None  # noqa: E712
    if request.blueprint == "api" or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.user is None:
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    if request.method == "POST":
        require_csrf()
    return None


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
            if language:
                session["lang"] = language
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html"), status


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
