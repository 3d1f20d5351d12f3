"""Storage checks, incidents and the inspection overview over the JSON API.

The same workflows as the pages in ``checks.py``, on the API blueprint (see ``api_custody``):
a scanning station reports its queue here (``POST /checks/devices``) and sends its scans to
``/scans`` with action ``check``; a phone app or an integration can run a whole check and
report an incident. A check lists only the media of contracts the caller may read.
"""

from __future__ import annotations

from flask import g, jsonify

from tracker.models import Incident, StorageCheck
from tracker.web.api import _flag, _json_body, _text, blueprint, token_required
from tracker.web.api_custody import _document_pdf, _download, _issued, _listing, _record_json, _scan_batch, _settings
from tracker.workflows import access, checks, incidents, inspection, scans

# ---- storage checks ----------------------------------------------------------------------------


@blueprint.route("/checks")
@token_required
def list_checks():
    return jsonify([_check_json(check, lists=False) for check in checks.readable_checks(g.user)])


@blueprint.route("/checks", methods=["POST"])
@token_required
def start_check():
    check = checks.start(g.user, _text(_json_body(), "location", required=True), _settings().secret)
    return jsonify(_check_json(check)), 201


@blueprint.route("/checks/schedule")
@token_required
def check_schedule():
    return jsonify([{
        "location": row.location.code, "name": row.location.name, "contracts": row.contracts, "media": row.media,
        "interval_days": row.location.check_interval_days, "last_check": row.last_check.number if row.last_check else None,
        "last_checked_at": row.last_check.completed_at if row.last_check else None,
        "next_due": row.next_due.isoformat() if row.next_due else None, "state": row.state,
    } for row in checks.schedules(access.readable_contracts(g.user))])


@blueprint.route("/checks/<number>")
@token_required
def get_check(number):
    return jsonify(_check_json(_readable_check(number)))


@blueprint.route("/checks/<number>/scans", methods=["POST"])
@token_required
def scan_into_check(number):
    """A batch of codes; with ``device``, the sender also says how many it still holds (``pending``)."""
    check = checks.get_check(number)
    body = _json_body()
    if body.get("device"):
        checks.report_device(g.user, check.number, _text(body, "device"), body.get("pending", 0), _settings().secret,
                             name=_text(body, "device_name"))
    return _scan_batch("check", check.number)


@blueprint.route("/checks/devices", methods=["POST"])
@token_required
def report_device():
    """A station's (or phone app's) queue length, for the check by number or at its place."""
    body = _json_body()
    context = _text(body, "check") or _text(body, "location", required=True)
    check = checks.report_device(g.user, context, _text(body, "device", required=True), body.get("pending", 0),
                                 _settings().secret, name=_text(body, "name"))
    return jsonify({"check": check.number if check else None,
                    "waiting": [device for device, _entry in checks.waiting_devices(check)] if check else []})


@blueprint.route("/checks/<number>/seals", methods=["POST"])
@token_required
def note_seal(number):
    body = _json_body()
    found = checks.note_seal(g.user, number, _text(body, "medium", required=True), _flag(body, "intact"), _text(body, "note"))
    return jsonify(_record_json(found))


@blueprint.route("/checks/<number>/release", methods=["POST"])
@token_required
def release_device(number):
    body = _json_body()
    return jsonify(_check_json(checks.release_device(g.user, number, _text(body, "device", required=True), _text(body, "reason"))))


@blueprint.route("/checks/<number>/complete", methods=["POST"])
@token_required
def complete_check(number):
    body = _json_body()
    check = checks.complete(g.user, number, _text(body, "accuracy_method"), _text(body, "accuracy_result"),
                            _text(body, "anomalies"), _text(body, "corrective_actions"),
                            seals_intact=_flag(body, "seals_intact", default=False))
    return jsonify(_check_json(check))


@blueprint.route("/checks/<number>/sign-off", methods=["POST"])
@token_required
def sign_off(number):
    documents = checks.sign_off(g.user, number, _settings())
    return jsonify({"check": _check_json(checks.get_check(number)), "documents": [_issued(document)["document"] for document in documents]})


@blueprint.route("/checks/<number>/report/<code>.pdf")
@token_required
def check_report(number, code):
    check = _readable_check(number)
    access.require_read(g.user, code)
    issued = next((document for document in checks.reports(check) if document.contract_id == code), None)
    if issued is not None:
        return _document_pdf(issued)
    return _download(checks.preview_report(g.user, check.number, code, _settings()), "application/pdf",
                     f"{check.number}-{code}-preview.pdf")


def _readable_check(number: str) -> StorageCheck:
    check = checks.get_check(number)
    checks.require_read(g.user, check)
    return check


def _check_json(check: StorageCheck, lists: bool = True) -> dict:
    contracts = checks.visible_contracts(g.user, check)
    lines = checks.reconcile(check, contracts)
    record = {**_record_json(check), "expected": [line.id for line in lines.expected + lines.backups]}
    if not lists:
        return record
    return {**record, "reconciliation": lines.as_dict(),
            "unexpected_reasons": {line.id: dict(zip(("message_ja", "message_en"), checks.unexpected_reason(line.scan)))
                                   for line in lines.unexpected},
            "waiting_devices": [device for device, _entry in checks.waiting_devices(check)],
            "reports": {document.contract_id: document.serial for document in checks.reports(check) if document.contract_id in contracts}}


# ---- incidents ---------------------------------------------------------------------------------


@blueprint.route("/incidents")
@token_required
def list_incidents():
    return jsonify([_record_json(incident) for incident in _listing(Incident)])


@blueprint.route("/incidents/<number>")
@token_required
def get_incident(number):
    return jsonify(_incident_json(incidents.readable(g.user, number)))


@blueprint.route("/incidents/<number>", methods=["POST"])
@token_required
def update_incident(number):
    body = _json_body()
    fields = {name: _text(body, name) for name in (*incidents.TEXT_FIELDS, "occurred_at") if name in body}
    if "response_steps" in body:
        fields["response_steps"] = body["response_steps"]
    return jsonify(_incident_json(incidents.update(g.user, number, **fields)))


@blueprint.route("/incidents/<number>/preliminary", methods=["POST"])
@token_required
def preliminary(number):
    document = incidents.issue_preliminary(g.user, number, _settings())
    return jsonify(_issued(document, incident=_incident_json(incidents.get_incident(number))))


@blueprint.route("/incidents/<number>/final", methods=["POST"])
@token_required
def final(number):
    document = incidents.issue_final(g.user, number, _settings())
    return jsonify(_issued(document, incident=_incident_json(incidents.get_incident(number))))


@blueprint.route("/incidents/<number>/close", methods=["POST"])
@token_required
def close_incident(number):
    return jsonify(_incident_json(incidents.close(g.user, number, _text(_json_body(), "reason"))))


@blueprint.route("/media/<medium_id>/lost", methods=["POST"])
@token_required
def report_lost(medium_id):
    body = _json_body(required=False)
    return jsonify(_incident_json(incidents.report_lost(g.user, medium_id, _text(body, "circumstances")))), 201


@blueprint.route("/media/<medium_id>/found", methods=["POST"])
@token_required
def medium_found(medium_id):
    body = _json_body(required=False)
    found = incidents.medium_found(g.user, medium_id, _text(body, "location") or None, _text(body, "note"))
    return jsonify(scans.medium_summary(found))


def _incident_json(incident: Incident) -> dict:
    reports = {stage: incidents.report_of(incident, stage) for stage in incidents.REPORT_KINDS}
    return {**_record_json(incident), "reports": {stage: document.serial if document else None for stage, document in reports.items()}}


# ---- the city's inspection ---------------------------------------------------------------------


@blueprint.route("/contracts/<code>/inspection")
@token_required
def inspection_overview(code):
    view = inspection.overview(g.user, code, _settings())
    report = view.verification
    return jsonify({
        "contract": view.contract.code,
        "holdings": [{"place": holding.place, "location": holding.code, "media": [medium.id for medium in holding.media]}
                     for holding in view.holdings],
        "checks": [{"location": row.location.code, "last_check": row.last_check.number if row.last_check else None,
                    "next_due": row.next_due.isoformat() if row.next_due else None, "state": row.state} for row in view.schedules],
        "incidents": [incident.number for incident in view.incidents], "missing": [medium.id for medium in view.missing],
        "overdue": [medium.id for medium in view.overdue], "in_transit": [medium.id for medium in view.in_transit],
        "ledger": {"ok": report.ok, "events": report.events, "head": report.head_hash,
                   "problems": [{"event": p.event_seq, "message_ja": p.message_ja, "message_en": p.message_en} for p in report.problems]},
        "register_csv": f"/api/v1/register.csv?contract={view.contract.code}", "balance": f"/api/v1/contracts/{view.contract.code}/balance",
    })
