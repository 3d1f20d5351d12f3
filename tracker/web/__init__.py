"""The Flask app: ``create_app(settings)`` as in Flask's tutorial, one blueprint per module."""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, g, jsonify, render_template, request

from tracker import db, vocabulary
from tracker.config import Settings
from tracker.errors import DomainError, InvalidInput
from tracker.models import create_schema
from tracker.workflows import adoption
from tracker.timeutil import format_jst, wareki
from tracker.web import api, auth, authorization, certificate, checks, custody, destruction, i18n, integrity, list_import, oversight, pages, profiles, register_pages, roster_pages, scanning, security, training_pages
from tracker.web import administration
from tracker.web.navigation import menu_for

MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def create_app(settings: Settings, test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_session_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        JSON_AS_ASCII=False,
        SETTINGS=settings,
    )
    app.json.ensure_ascii = False
    if test_config:
        app.config.update(test_config)

    db.connect(settings.database_url)
    create_schema()
    adoption.record_secrets_kept_outside()

    @app.before_request
    def open_request():
        i18n.choose_language()
        db.database.connect(reuse_if_open=True)

    @app.teardown_request
    def close_request(_error):
        # SQLite: each waitress thread keeps its own connection; PostgreSQL: return it.
        if not db.is_sqlite() and not db.database.is_closed():
            db.database.close()

    app.jinja_env.globals.update(
        _=i18n.translate, pick=i18n.pick, both=i18n.both, csrf_token=auth.csrf_token, menu_for=menu_for, unit_names=vocabulary.MEDIUM_UNITS,
        status_names=vocabulary.STATUSES, kind_names=vocabulary.MEDIUM_KINDS, event_name=vocabulary.event_name,
        purpose_names=vocabulary.LOCATION_PURPOSES, location_kind_names=vocabulary.LOCATION_KINDS,
        document_names=vocabulary.DOCUMENTS, identified_names=vocabulary.IDENTIFIED_BY, handover_statuses=vocabulary.HANDOVER_STATUSES,
        transfer_statuses=vocabulary.TRANSFER_STATUSES, copy_statuses=vocabulary.COPY_STATUSES,
    )
    app.jinja_env.filters.update(jst=format_jst, wareki=wareki)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(custody.blueprint)
    app.register_blueprint(list_import.blueprint)
    app.register_blueprint(register_pages.blueprint)
    app.register_blueprint(checks.blueprint)
    app.register_blueprint(oversight.blueprint)
    app.register_blueprint(destruction.blueprint)
    app.register_blueprint(profiles.blueprint)
    app.register_blueprint(roster_pages.blueprint)
    app.register_blueprint(training_pages.blueprint)
    app.register_blueprint(integrity.blueprint)
    app.register_blueprint(api.blueprint, url_prefix="/api/v1")
    app.register_blueprint(certificate.blueprint)
    app.register_blueprint(scanning.blueprint)
    app.register_blueprint(administration.blueprint)
    auth.PUBLIC_ENDPOINTS.update(custody.PUBLIC_ENDPOINTS)  # an auditor verifies a paper without an account
    auth.PUBLIC_ENDPOINTS.update(certificate.PUBLIC_ENDPOINTS)  # a phone needs the CA before it can log in
    security.install(app)
    # Who may use each page is asked before the page reads its form, upload or photos (a route
    # without an entry in authorization.ENDPOINTS is refused to everyone).
    app.before_request(authorization.guard_page)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(413, _too_large)
    return app


def _domain_error(error: DomainError):
    if request.path.startswith(("/api/", scanning.JSON_PATHS)):
        return jsonify(error.as_dict()), error.status
    return render_template("error.html", error=error, text=i18n.message(error)), error.status


def _not_found(_error):
    if request.path.startswith("/api/"):
        return jsonify({"error": "not_found", "message_ja": "そのURLはありません", "message_en": "no such URL"}), 404
    g.setdefault("lang", "ja")
    return render_template("error.html", text=i18n.both("ページが見つかりません", "page not found")), 404


def _too_large(_error):
    limit = MAX_UPLOAD_BYTES // (1024 * 1024)
    error = InvalidInput(f"送信したファイルが大きすぎます（上限 {limit} MB）。何も記録していません",
                         f"the upload is too large (limit {limit} MB); nothing was recorded")
    error.status = 413
    return _domain_error(error)


def _session_key(settings: Settings) -> bytes:
    # Derived from the installation secret so that every web worker agrees on it.
    return hmac.new(settings.secret, b"flask-session", hashlib.sha256).digest()
