"""JSON API for scanning stations and integrations, under /api/v1, with bearer tokens.

Every error is JSON with ``error``, ``message_ja`` and ``message_en`` and a 4xx status; the
OpenAPI document at /api/v1/openapi.json describes each route. Media, scans and the ledger are
here; handovers, transfers, copies, the register and issued papers are in ``api_custody``, on
the same blueprint.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request

from tracker import ledger, queries
from tracker.errors import InvalidInput
from tracker.web.openapi import spec
from tracker.workflows import access, media, scans, tokens

blueprint = Blueprint("api", __name__)


def token_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        g.user = tokens.authenticate(request.headers.get("Authorization", ""))
        return view(*args, **kwargs)

    return guarded


@blueprint.route("/openapi.json")
def openapi():
    return jsonify(spec())


@blueprint.route("/media")
@token_required
def list_media():
    wanted = queries.MediaFilter(
        text=request.args.get("q", ""), status=request.args.get("status", ""), kind=request.args.get("kind", ""),
        contract=request.args.get("contract", ""), location=request.args.get("location", ""),
        page=request.args.get("page", 1, type=int),
    )
    found, total = queries.search_media(access.readable_contracts(g.user), wanted)
    return jsonify({"total": total, "page": wanted.page, "media": [scans.medium_summary(medium) for medium in found]})


@blueprint.route("/media/<medium_id>")
@token_required
def get_medium(medium_id):
    medium = media.get_medium(medium_id)
    access.require_read(g.user, medium.contract)
    return jsonify(scans.medium_summary(medium))


@blueprint.route("/media/<medium_id>/events")
@token_required
def medium_events(medium_id):
    medium = media.get_medium(medium_id)
    access.require_read(g.user, medium.contract)
    return jsonify([
        {"seq": event.seq, "at": event.at, "actor": event.actor, "kind": event.kind, "data": event.data_dict, "hash": event.hash}
        for event in ledger.timeline(medium.id)
    ])


@blueprint.route("/media", methods=["POST"])
@token_required
def register_medium():
    body = _json_body()
    fields = ("pi_items", "record_count", "quantity", "description", "manufacturer", "model",
              "serial_number", "encrypted", "encryption", "seal_number", "location")
    details = {name: body[name] for name in fields if name in body}
    if "encrypted" in details:
        details["encrypted"] = _flag(body, "encrypted")
    medium = media.register(g.user, _field(body, "contract"), _field(body, "kind"), _field(body, "title"), **details)
    return jsonify(scans.medium_summary(medium)), 201


@blueprint.route("/scans", methods=["POST"])
@token_required
def scan():
    body = _json_body()
    status, answer = scans.record(
        g.user, _field(body, "idempotency_key"), _field(body, "code"), body.get("action", "lookup"),
        body.get("context") or body.get("location"), current_app.config["SETTINGS"].secret,
    )
    return jsonify(answer), status


@blueprint.route("/verify")
@token_required
def verify():
    report = ledger.verify(current_app.config["SETTINGS"].attachments_dir)
    return jsonify({
        "ok": report.ok, "events": report.events, "head": report.head_hash,
        "problems": [{"event": p.event_seq, "message_ja": p.message_ja, "message_en": p.message_en} for p in report.problems],
    })


def _json_body(required: bool = True) -> dict:
    """The request's JSON object; with ``required=False`` an empty body is an empty object."""
    if not required and not request.get_data():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("リクエスト本文は JSON オブジェクトにしてください", "the request body must be a JSON object")
    return body


def _field(body: dict, name: str):
    value = body.get(name)
    if value in (None, ""):
        raise InvalidInput(f"項目「{name}」がありません", f"field {name!r} is required")
    return value


def _text(body: dict, name: str, required: bool = False) -> str:
    """A string field ("" when absent, unless ``required``); a number or a list is refused."""
    value = body.get(name)
    if value is None:
        return _field(body, name) if required else ""
    if not isinstance(value, str):
        raise InvalidInput(f"項目「{name}」は文字列にしてください", f"field {name!r} must be a string", field=name)
    return _field(body, name) if required else value


def _flag(body: dict, name: str, default: bool | None = None) -> bool:
    """A JSON boolean (required when ``default`` is None); "yes", 1 or "true" are refused, since a
    guessed yes/no would be recorded in the ledger as if someone had said it."""
    value = body.get(name)
    if value is None and default is not None:
        return default
    if not isinstance(value, bool):
        raise InvalidInput(
            f"項目「{name}」は true または false（JSON の真偽値）にしてください（受け取った値: {value!r}）",
            f"field {name!r} must be true or false (a JSON boolean), not {value!r}", field=name,
        )
    return value


# The custody routes register themselves on ``blueprint``; imported last, as they use the above.
from tracker.web import api_custody  # noqa: E402,F401
from tracker.web import api_destruction  # noqa: E402,F401
from tracker.web import api_checks  # noqa: E402,F401
