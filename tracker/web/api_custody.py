"""Custody over the JSON API: handovers, transfers, copies, the register and issued papers.

The same workflows as the web pages (``custody.py``, ``register_pages.py``), registered on the
API blueprint, so that a scanning station, an integration or a phone app can do everything the
pages offer. Each route reads its JSON (booleans must be JSON booleans), calls one workflow and
answers with the record as JSON; refusals are the API's bilingual 4xx errors.
"""

from __future__ import annotations

import json

from flask import Response, current_app, g, jsonify, request

from tracker import register
from tracker.errors import DomainError, InvalidInput
from tracker.models import CopyRequest, Document, Handover, Transfer
from tracker.web.api import _flag, _json_body, _text, blueprint, token_required
from tracker.workflows import access, copies, handovers, papers, scans, transfers

# ---- handovers ---------------------------------------------------------------------------------


@blueprint.route("/handovers")
@token_required
def list_handovers():
    return jsonify([_record_json(handover) for handover in _listing(Handover)])


@blueprint.route("/handovers", methods=["POST"])
@token_required
def start_handover():
    body = _json_body()
    handover = handovers.start(
        g.user, _text(body, "contract", required=True), _text(body, "direction", required=True),
        _text(body, "handover_at"), _text(body, "place"), _text(body, "means"), _text(body, "city_official"),
        _text(body, "storage_plan"), _text(body, "disposition_plan"),
    )
    return jsonify(_handover_json(handover)), 201


@blueprint.route("/handovers/<number>")
@token_required
def get_handover(number):
    return jsonify(_handover_json(_readable(handovers.get_handover(number))))


@blueprint.route("/handovers/<number>/list", methods=["POST"])
@token_required
def import_list(number):
    """``mapping`` (JSON {column name: field or "ignore"}) and ``sheet`` as multipart fields or
    query parameters; ``preview=true`` answers what would be registered and writes nothing."""
    filename, content = _upload("list")
    options = {"mapping": _list_mapping(), "sheet": request.values.get("sheet") or None}
    if request.values.get("preview") in ("true", "1"):
        return jsonify(handovers.preview_list(g.user, number, filename, content, **options).as_dict())
    registered = handovers.import_list(g.user, number, filename, content, settings=_settings(), **options)
    return jsonify({"handover": handovers.get_handover(number).number,
                    "media": [scans.medium_summary(medium) for medium in registered]}), 201


def _list_mapping():
    text = request.values.get("mapping")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as error:
        raise InvalidInput("mapping は JSON（{\"列名\": \"項目\"}）で送ってください",
                           'send mapping as JSON ({"column name": "field"})', field="mapping") from error


@blueprint.route("/handovers/<number>/scans", methods=["POST"])
@token_required
def scan_into_handover(number):
    handover = handovers.get_handover(number)
    return _scan_batch(handover.direction, handover.number)


@blueprint.route("/handovers/<number>/sign", methods=["POST"])
@token_required
def sign_handover(number):
    return jsonify(_handover_json(handovers.sign(g.user, number)))


@blueprint.route("/handovers/<number>/reopen", methods=["POST"])
@token_required
def reopen_handover(number):
    return jsonify(_handover_json(handovers.reopen(g.user, number, _text(_json_body(), "reason"))))


@blueprint.route("/handovers/<number>/confirm", methods=["POST"])
@token_required
def confirm_handover(number):
    """The city official confirms with their own token; the receipt is issued."""
    document = handovers.confirm(g.user, number, _settings())
    return jsonify(_issued(document, handover=_handover_json(handovers.get_handover(number))))


@blueprint.route("/handovers/<number>/receipt.pdf")
@token_required
def handover_receipt(number):
    handover = _readable(handovers.get_handover(number))
    return _paper(handovers.RECEIPT_KINDS[handover.direction], handover.number,
                  lambda: handovers.preview_receipt(g.user, handover.number, _settings()))


def _handover_json(handover: Handover) -> dict:
    receipt = papers.latest(handovers.RECEIPT_KINDS[handover.direction], handover.number)
    return {**_record_json(handover), "reconciliation": handovers.reconcile(handover).as_dict(),
            "receipt": receipt.serial if receipt else None}


# ---- transfers ---------------------------------------------------------------------------------


@blueprint.route("/transfers")
@token_required
def list_transfers():
    return jsonify([_record_json(transfer) for transfer in _listing(Transfer)])


@blueprint.route("/transfers", methods=["POST"])
@token_required
def plan_transfer():
    body = _json_body()
    transfer = transfers.plan(
        g.user, _text(body, "contract", required=True), _text(body, "purpose"), _text(body, "origin"),
        _text(body, "destination", required=True), _text(body, "means"), _custodians(body),
        seal_number=_text(body, "seal_number"), route=_text(body, "route"),
        locked_case=_flag(body, "locked_case", default=True), approval_reference=_text(body, "approval_reference"),
    )
    return jsonify(_transfer_json(transfer)), 201


@blueprint.route("/transfers/<number>")
@token_required
def get_transfer(number):
    return jsonify(_transfer_json(_readable(transfers.get_transfer(number))))


@blueprint.route("/transfers/<number>/scans", methods=["POST"])
@token_required
def scan_into_transfer(number):
    transfer = transfers.get_transfer(number)
    return _scan_batch(transfers.scan_action(transfer), transfer.number)


@blueprint.route("/transfers/<number>/depart", methods=["POST"])
@token_required
def depart(number):
    return jsonify(_transfer_json(transfers.depart(g.user, number)))


@blueprint.route("/transfers/<number>/arrive", methods=["POST"])
@token_required
def arrive(number):
    body = _json_body()
    document = transfers.arrive(g.user, number, _flag(body, "seal_intact"), _settings(), note=_text(body, "note"),
                                accept_missing=_flag(body, "accept_missing", default=False))
    return jsonify(_issued(document, transfer=_transfer_json(transfers.get_transfer(number))))


@blueprint.route("/transfers/<number>/record.pdf")
@token_required
def transfer_record(number):
    transfer = _readable(transfers.get_transfer(number))
    return _paper("transfer_record", transfer.number, lambda: transfers.preview_record(g.user, transfer.number, _settings()))


def _transfer_json(transfer: Transfer) -> dict:
    record = papers.latest("transfer_record", transfer.number)
    return {**_record_json(transfer), "tally": transfers.tally(transfer).as_dict(), "record": record.serial if record else None}


def _custodians(body: dict) -> list[str] | str:
    value = body.get("custodians") or ""
    if isinstance(value, str) or (isinstance(value, list) and all(isinstance(name, str) for name in value)):
        return value
    raise InvalidInput("項目「custodians」は名前のリストか、コンマ区切りの文字列にしてください",
                       "field 'custodians' must be a list of names or a comma-separated string", field="custodians")


# ---- copies ------------------------------------------------------------------------------------


@blueprint.route("/copy-requests")
@token_required
def list_copy_requests():
    return jsonify([_record_json(found) for found in _listing(CopyRequest)])


@blueprint.route("/media/<medium_id>/copy-requests", methods=["POST"])
@token_required
def request_copy(medium_id):
    body = _json_body()
    found = copies.request(g.user, medium_id, body.get("copies", 1), _text(body, "copy_kind"), _text(body, "purpose"))
    return jsonify(_record_json(found)), 201


@blueprint.route("/copy-requests/<number>")
@token_required
def get_copy_request(number):
    return jsonify(_record_json(_readable(copies.get_request(number))))


@blueprint.route("/copy-requests/<number>/decision", methods=["POST"])
@token_required
def decide_copy(number):
    body = _json_body()
    return jsonify(_record_json(copies.decide(g.user, number, _flag(body, "approve"), _text(body, "note"))))


@blueprint.route("/copy-requests/<number>/copies", methods=["POST"])
@token_required
def make_copy(number):
    body = _json_body(required=False)
    copy = copies.make_copy(g.user, number, location=_text(body, "location") or None,
                            encrypted=_flag(body, "encrypted", default=False), encryption=_text(body, "encryption"),
                            serial_number=_text(body, "serial_number"))
    return jsonify({**scans.medium_summary(copy), "parent": copy.parent_id, "copy_request": copies.get_request(number).number}), 201


# ---- the register ------------------------------------------------------------------------------


@blueprint.route("/register.csv")
@token_required
def register_csv():
    code = _readable_contract(request.args.get("contract", ""))
    return _download(register.register_csv([code], lang=g.lang), "text/csv; charset=utf-8", f"register-{code}.csv", "attachment")


@blueprint.route("/register/custody.csv")
@token_required
def custody_csv():
    code = _readable_contract(request.args.get("contract", ""))
    return _download(register.custody_csv([code], lang=g.lang), "text/csv; charset=utf-8", f"custody-{code}.csv", "attachment")


@blueprint.route("/contracts/<code>/balance")
@token_required
def balance(code):
    found = register.closeout_balance(_readable_contract(code))
    return jsonify({
        "contract": found.contract, "received": found.received, "copies": found.copies, "returned": found.returned,
        "destroyed": found.destroyed, "held": found.held, "never_received": found.never_received,
        "came_in": found.came_in, "went_out_or_held": found.went_out_or_held, "balanced": found.balanced,
        "by_status": found.by_status, "held_media": [row.id for row in found.held_media],
        "unaccounted_media": [row.id for row in found.unaccounted_media],
    })


def _readable_contract(code: str) -> str:
    if not code:
        raise InvalidInput("契約（contract）を指定してください", "give the contract (contract=...)")
    contract = access.get_contract(code)
    access.require_read(g.user, contract)
    return contract.code


# ---- issued papers -----------------------------------------------------------------------------


@blueprint.route("/documents/<serial>")
@token_required
def get_document(serial):
    document = papers.get_document(g.user, serial)
    check = papers.check(_settings(), document)
    return jsonify({**_document_json(document), "check": {
        "ok": check.ok, "chain_holds_head": check.chain_holds_head, "file_intact": check.file_intact,
        "ledger_ok": check.report.ok, "ledger_events": check.report.events,
        "problems": [{"event": p.event_seq, "message_ja": p.message_ja, "message_en": p.message_en} for p in check.report.problems],
    }})


@blueprint.route("/documents/<serial>.pdf")
@token_required
def document_pdf(serial):
    return _document_pdf(papers.get_document(g.user, serial))


@blueprint.route("/documents/<serial>/compare", methods=["POST"])
@token_required
def compare_document(serial):
    """Is this PDF (the one a city official was given) byte for byte the one issued?"""
    document = papers.get_document(g.user, serial)
    _filename, content = _upload("pdf", default_name=f"{document.serial}.pdf")
    return jsonify({"serial": document.serial, "matches": papers.matches(document, content)})


def _document_json(document: Document) -> dict:
    return {**_record_json(document), "sha256": document.attachment_id,
            "verify_url": papers.verify_url(_settings(), document.serial), "pdf": f"/api/v1/documents/{document.serial}.pdf"}


def _issued(document: Document, **subject) -> dict:
    """The answer of an action that issued a paper: its serial, the paper, and what it is about."""
    return {"serial": document.serial, "document": _document_json(document), **subject}


def _paper(kind: str, subject: str, preview) -> Response:
    content, filename = papers.issued_or_preview(_settings(), kind, subject, preview)
    return _download(content, "application/pdf", filename)


def _document_pdf(document: Document) -> Response:
    return _download(papers.content(_settings(), document), "application/pdf", f"{document.serial}.pdf")


# ---- shared ------------------------------------------------------------------------------------


def _record_json(record) -> dict:
    """Every column of a custody record, foreign keys as their codes."""
    return {name: record.__data__.get(name) for name in record._meta.sorted_field_names}


def _readable(record):
    access.require_read(g.user, record.contract)
    return record


LIST_PAGE = 200


def _listing(model):
    """The records of the contracts the caller may read, newest first, ``LIST_PAGE`` a page
    (``?page=``); ``?contract=`` and ``?status=`` narrow them."""
    condition = model.contract.in_(access.readable_contracts(g.user))
    for name in ("contract", "status"):
        if request.args.get(name):
            condition &= getattr(model, name) == request.args[name]
    page = max(1, request.args.get("page", 1, type=int))
    return model.select().where(condition).order_by(model._meta.primary_key.desc()).paginate(page, LIST_PAGE)


def _scan_batch(action: str, context: str):
    """Codes from a phone or a handheld scanner, each answered by itself (with its own ``status``).
    200 when at least one code was taken; when every code was refused, the first refusal's status
    and message, with all the answers."""
    codes = _json_body().get("codes")
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise InvalidInput("項目「codes」は読み取ったコード（文字列）のリストにしてください",
                           "field 'codes' must be a list of scanned codes (strings)", field="codes")
    statuses = {kind.code: kind.status for kind in _subclasses(DomainError)}
    answers = [{**answer, "status": 200 if answer["ok"] else statuses.get(answer.get("error"), 400)}
               for answer in scans.scan_batch(g.user, codes, action, context, _settings().secret)]
    if any(answer["ok"] for answer in answers):
        return jsonify({"answers": answers})
    first = answers[0]
    return jsonify({"error": first["error"], "message_ja": first["message_ja"], "message_en": first["message_en"],
                    "answers": answers}), first["status"]


def _subclasses(kind: type) -> list[type]:
    return [found for sub in kind.__subclasses__() for found in (sub, *_subclasses(sub))]


def _upload(field: str, default_name: str = "") -> tuple[str, bytes]:
    """A file sent as the multipart field ``field``, or as the raw body with ``?filename=``."""
    upload = request.files.get(field)
    if upload is not None and upload.filename:
        return upload.filename, upload.read()
    if request.files or request.form:
        raise InvalidInput(f"ファイルを multipart の項目「{field}」で送ってください",
                           f"send the file as the multipart field {field!r}", field=field)
    content = request.get_data()
    filename = request.args.get("filename", default_name)
    if not content or not filename:
        raise InvalidInput(f"ファイルを multipart の項目「{field}」か、本文と ?filename= で送ってください",
                           f"send the file as the multipart field {field!r}, or as the body with ?filename=", field=field)
    return filename, content


def _download(content: bytes, mimetype: str, filename: str, disposition: str = "inline") -> Response:
    return Response(content, headers={"Content-Type": mimetype,
                                      "Content-Disposition": f'{disposition}; filename="{filename}"'})


def _settings():
    return current_app.config["SETTINGS"]
