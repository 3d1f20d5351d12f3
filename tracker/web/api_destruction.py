"""Destruction (Art. 17) over the JSON API, on the API blueprint: apply, the city's decision and
withdrawal, scans at the destruction station, what was done, evidence files, the witness,
completion and the two papers. The same workflows as the pages (``destruction.py``)."""

from __future__ import annotations

from flask import g, jsonify, request

from tracker.errors import InvalidInput
from tracker.models import DestructionApplication, DestructionItem
from tracker.web.api import _flag, _json_body, _text, blueprint, token_required
from tracker.web.api_custody import _issued, _paper, _listing, _readable, _record_json, _scan_batch, _settings, _upload
from tracker.workflows import destruction, papers

@blueprint.route("/destructions")
@token_required
def list_destructions():
    return jsonify([_record_json(found) for found in _listing(DestructionApplication)])


@blueprint.route("/destructions", methods=["POST"])
@token_required
def apply_destruction():
    body = _json_body()
    application = destruction.apply(
        g.user, _text(body, "contract", required=True), _items(body), reason=_text(body, "reason"),
        scheduled_at=_text(body, "scheduled_at"), place=_text(body, "place"), copies_statement=_text(body, "copies_statement"),
        verification_plan=_text(body, "verification_plan"), witness_requested=_flag(body, "witness_requested", default=False),
    )
    return jsonify(_application_json(application)), 201


@blueprint.route("/destructions/<number>")
@token_required
def get_destruction(number):
    return jsonify(_application_json(_readable(destruction.get_application(number))))


@blueprint.route("/destructions/<number>/decision", methods=["POST"])
@token_required
def decide_destruction(number):
    body = _json_body()
    return jsonify(_application_json(destruction.decide(g.user, number, _flag(body, "approve"), _text(body, "note"))))


@blueprint.route("/destructions/<number>/withdraw", methods=["POST"])
@token_required
def withdraw_destruction(number):
    return jsonify(_application_json(destruction.withdraw(g.user, number, _text(_json_body(), "reason"))))


@blueprint.route("/destructions/<number>/scans", methods=["POST"])
@token_required
def scan_for_destruction(number):
    return _scan_batch("destroy", destruction.get_application(number).number)


@blueprint.route("/destructions/<number>/destroyed", methods=["POST"])
@token_required
def record_destroyed(number):
    body = _json_body()
    media = body.get("media") or []
    if not isinstance(media, list) or not all(isinstance(medium, str) for medium in media):
        raise InvalidInput("項目「media」は媒体IDのリストにしてください", "field 'media' must be a list of medium IDs", field="media")
    destruction.record_destroyed(g.user, number, media, _text(body, "verification_method"), _text(body, "verification_result"),
                                 _text(body, "destination"))
    return jsonify(_application_json(destruction.get_application(number)))


@blueprint.route("/destructions/<number>/evidence", methods=["POST"])
@token_required
def add_evidence(number):
    """A photo or report: multipart field ``file`` (with ``stage`` and ``medium`` fields), or the
    raw body with ``?filename=&stage=&medium=``."""
    declared = request.content_length or 0
    if declared > destruction.MAX_EVIDENCE_BYTES:  # refused before the body is read
        destruction.require_size(declared, request.args.get("filename") or "file")
    filename, content = _upload("file")
    values = request.form if request.files else request.args
    found = destruction.add_evidence(g.user, _settings(), number, values.get("stage", ""), content, filename,
                                     media_type=request.files["file"].mimetype if request.files else (request.mimetype or ""),
                                     medium_id=values.get("medium") or None)
    flags = destruction.photo_flags(found)
    return jsonify({**_record_json(found), "sha256": found.attachment_id, "flags": {
        "no_exif_time": flags.no_time, "clock_off": flags.clock_off, "message_ja": flags.text()[0], "message_en": flags.text()[1]}}), 201


@blueprint.route("/destructions/<number>/witness", methods=["POST"])
@token_required
def witness(number):
    """A municipality token: its user witnessed. A contractor's token: ``name`` and ``signature``
    (a PNG data URL of the witness's drawn signature)."""
    body = _json_body(required=False)
    return jsonify(_application_json(destruction.witness(g.user, _settings(), number, _text(body, "name"), _text(body, "signature"))))


@blueprint.route("/destructions/<number>/complete", methods=["POST"])
@token_required
def complete(number):
    document = destruction.complete(g.user, _settings(), number, _text(_json_body(), "verifier", required=True))
    return jsonify(_issued(document, application=_application_json(destruction.get_application(number))))


@blueprint.route("/destructions/<number>/application.pdf")
@token_required
def application_pdf(number):
    application = _readable(destruction.get_application(number))
    return _paper(destruction.APPLICATION_KIND, application.number,
                  lambda: destruction.preview_application(g.user, application.number, _settings()))


@blueprint.route("/destructions/<number>/certificate.pdf")
@token_required
def certificate_pdf(number):
    application = _readable(destruction.get_application(number))
    return _paper(destruction.CERTIFICATE_KIND, application.number,
                  lambda: destruction.preview_certificate(g.user, application.number, _settings()))


def _items(body: dict) -> list[dict]:
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InvalidInput("項目「items」は媒体ごとのオブジェクト（medium, category, technique, level...）のリストにしてください",
                           "field 'items' must be a list of objects (medium, category, technique, level...)", field="items")
    for item in items:
        for name in ("medium", *destruction.METHOD_FIELDS):
            if item.get(name) is not None and not isinstance(item[name], str):
                raise InvalidInput(f"items の「{name}」は文字列にしてください", f"items' {name!r} must be a string", field=name)
    return items


def _application_json(application: DestructionApplication) -> dict:
    certificate = papers.latest(destruction.CERTIFICATE_KIND, application.number)
    issued = papers.latest(destruction.APPLICATION_KIND, application.number)
    return {
        **_record_json(application),
        "items": [_record_json(item) for item in application.items.order_by(DestructionItem.medium)],
        "evidence": [{**_record_json(found), "sha256": found.attachment_id, "flagged": destruction.photo_flags(found).any}
                     for found in destruction.evidence_of(application)],
        "still_needed": [{"message_ja": ja, "message_en": en} for ja, en in destruction.missing_for_completion(application)]
        if application.status == "approved" else [],
        "application_document": issued.serial if issued else None,
        "certificate": certificate.serial if certificate else None,
    }
