"""Login for people (session cookie) and the guard that keeps every page but login private."""

from __future__ import annotations

import secrets
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
    if request.method == "POST" and not _csrf_matches(request.form.get("csrf_token")):
        raise InvalidInput("フォームの有効期限が切れました。もう一度操作してください", "the form expired; please try again")
    return None


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        try:
            user = people.check_password(request.form.get("login", ""), request.form.get("password", ""))
        except NotAuthenticated:
            user = None
        if user:
            language = session.get("lang")
            session.clear()
            session["login"] = user.login
            if language:
                session["lang"] = language
            return redirect(_safe_next(request.args.get("next")))
        flash(both("ログインIDまたはパスワードが違います", "wrong login or password"), "error")
    return render_template("login.html")


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


def _safe_next(target: str | None) -> str:
    # Only paths on this site: a login link must not send people elsewhere.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("pages.dashboard")
