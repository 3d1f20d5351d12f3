"""Storage checks, incidents and the inspection overview over the JSON API.

The same workflows as the pages in ``web/checks.py``: a scanning station reports its queue here
(``POST /checks/devices``) and sends its scans to ``/scans`` with action ``check``; a phone app
or an integration can run a whole check and report an incident. A check lists only the media of
contracts the caller may read.
"""

from __future__ import annotations

from flask import g

from tracker.errors import InvalidInput
from tracker.models import Incident, StorageCheck
from tracker.web.api import schemas as s
from tracker.web.api.plumbing import (
    BATCH_REFUSALS, document_file, document_json, download, issued, listing, problems_json, record_json, route, scan_batch,
    settings,
)
from tracker.workflows import access, checks, incidents, inspection, scans

CHECK = {"number": "CHK-00001"}
INCIDENT = {"number": "KG26-I0001"}
MEDIUM_ID = {"medium_id": "KG26-00042-Q"}

# ---- storage checks ----------------------------------------------------------------------------


@route("/checks", summary=("保管状況点検の一覧", "Storage checks the caller may read"), response=[s.CheckSummary])
def list_checks():
    return [check_json(check, lists=False) for check in checks.readable_checks(g.user)]


@route("/checks", "POST", summary=("点検の開始（場所のラベル）", "Start a storage check at a place (its code or label)"),
       body=s.NewCheck, response=s.StorageCheck, status=201, errors=(403, 404, 409))
def start_check(body: s.NewCheck):
    return check_json(checks.start(g.user, body.location, settings().secret))


@route("/checks/schedule", summary=("点検の予定（場所ごと）", "Each storage place's check interval, last check and due state"),
       response=[s.CheckSchedule])
def check_schedule():
    return [{
        "location": row.location.code, "name": row.location.name, "contracts": row.contracts, "media": row.media,
        "interval_days": row.interval_days, "last_check": row.last_check.number if row.last_check else None,
        "last_checked_at": row.last_check.completed_at if row.last_check else None,
        "next_due": row.next_due.isoformat() if row.next_due else None, "state": row.state,
    } for row in checks.schedules(access.readable_contracts(g.user))]


@route("/checks/<number>", summary=("点検と照合結果", "A check with its reconciliation"), response=s.StorageCheck,
       errors=(403, 404), examples=CHECK)
def get_check(number):
    return check_json(readable_check(number))


@route("/checks/<number>/scans", "POST",
       summary=("点検での読取り（まとめて）", "Scan what is found (a batch answered per code); with device, the sender's queue too"),
       body=s.CheckCodes, response=s.ScanAnswers, responses=BATCH_REFUSALS, errors=(403, 404, 409), examples=CHECK)
def scan_into_check(number, body: s.CheckCodes):
    check = checks.get_check(number)
    if body.device:
        checks.report_device(g.user, check.number, body.device, body.pending or 0, settings().secret, name=body.device_name or "")
    return scan_batch(body, "check", check.number)


@route("/checks/devices", "POST", summary=("端末の送信待ち件数", "A station's (or phone app's) queue length, for the check or at its place"),
       body=s.DeviceReport, response=s.DeviceQueue, errors=(403, 404, 409))
def report_device(body: s.DeviceReport):
    context = body.check or body.location
    if not context:
        raise InvalidInput("項目「check」か「location」を指定してください", "give 'check' or 'location'", field="location")
    check = checks.report_device(g.user, context, body.device, body.pending, settings().secret, name=body.name or "")
    return {"check": check.number if check else None,
            "waiting": [device for device, _entry in checks.waiting_devices(check)] if check else []}


@route("/checks/<number>/seals", "POST", summary=("封印の確認", "Note a medium's seal at the check"), body=s.Seal,
       response=s.CheckScan, errors=(403, 404, 409), examples=CHECK)
def note_seal(number, body: s.Seal):
    return record_json(checks.note_seal(g.user, number, body.medium, body.intact, body.note or ""))


@route("/checks/<number>/release", "POST", summary=("端末を待たない（理由）", "Stop waiting for a device, saying why"),
       body=s.DeviceRelease, response=s.StorageCheck, errors=(403, 404, 409), examples=CHECK)
def release_device(number, body: s.DeviceRelease):
    return check_json(checks.release_device(g.user, number, body.device, body.reason or ""))


@route("/checks/<number>/complete", "POST",
       summary=("点検の完了（不明の媒体は所在不明に、事故報告の下書き）", "Complete: missing media recorded as lost, incident drafts opened"),
       body=s.CheckCompletion, response=s.StorageCheck, errors=(403, 404, 409), examples=CHECK)
def complete_check(number, body: s.CheckCompletion):
    check = checks.complete(g.user, number, body.accuracy_method or "", body.accuracy_result or "", body.anomalies or "",
                            body.corrective_actions or "", seals_intact=body.seals_intact)
    return check_json(check)


@route("/checks/<number>/sign-off", "POST", summary=("取扱責任者の確認（報告書を発行）", "The responsible person signs off; the reports are issued"),
       response=s.SignedOff, errors=(403, 404, 409), examples=CHECK)
def sign_off(number):
    documents = checks.sign_off(g.user, number, settings())
    return {"check": check_json(checks.get_check(number)), "documents": [document_json(document) for document in documents]}


@route("/checks/<number>/abandon", "POST", summary=("点検の中止（理由。取扱責任者または管理者）", "Abandon an open check, saying why (responsible person or admin)"),
       body=s.RequiredReason, response=s.StorageCheck, errors=(403, 404, 409), examples=CHECK)
def abandon_check(number, body: s.RequiredReason):
    return check_json(checks.abandon(g.user, number, body.reason))


@route("/checks/<number>/report/<code>.pdf", summary=("保管状況点検報告（契約ごと、発行前はプレビュー）", "The check report of one contract, as issued or a preview"),
       response="application/pdf", errors=(403, 404), examples={**CHECK, "code": "KG26"})
def check_report(number, code):
    check = readable_check(number)
    access.require_read(g.user, code)
    found = next((document for document in checks.reports(check) if document.contract_id == code), None)
    if found is not None:
        return document_file(found)
    return download(checks.preview_report(g.user, check.number, code, settings()), "application/pdf",
                    f"{check.number}-{code}-preview.pdf")


def readable_check(number: str) -> StorageCheck:
    check = checks.get_check(number)
    checks.require_read(g.user, check)
    return check


def check_json(check: StorageCheck, lists: bool = True) -> dict:
    contracts = checks.visible_contracts(g.user, check)
    lines = checks.reconcile(check, contracts)
    record = {**record_json(check), "expected": [line.id for line in lines.expected + lines.backups]}
    if not lists:
        return record
    return {**record, "reconciliation": lines.as_dict(),
            "unexpected_reasons": {line.id: dict(zip(("message_ja", "message_en"), checks.unexpected_reason(line.scan)))
                                   for line in lines.unexpected},
            "waiting_devices": [device for device, _entry in checks.waiting_devices(check)],
            "reports": {document.contract_id: document.serial for document in checks.reports(check) if document.contract_id in contracts}}


# ---- incidents ---------------------------------------------------------------------------------


@route("/incidents", summary=("事故報告の一覧", "List incidents (newest first, 200 a page)"), query=s.Listing,
       response=[s.IncidentRecord])
def list_incidents(query: s.Listing):
    return [record_json(incident) for incident in listing(Incident, query)]


@route("/incidents/<number>", summary=("事故報告1件", "One incident"), response=s.Incident, errors=(403, 404), examples=INCIDENT)
def get_incident(number):
    return incident_json(incidents.readable(g.user, number))


@route("/incidents/<number>", "POST", summary=("事故報告の更新（取扱責任者）", "Complete the incident (responsible person)"),
       body=s.IncidentUpdate, response=s.Incident, errors=(403, 404, 409), examples=INCIDENT)
def update_incident(number, body: s.IncidentUpdate):
    fields = body.given()
    if "response_steps" in fields:
        fields["response_steps"] = [{name: value or "" for name, value in step.items()} for step in fields["response_steps"]]
    return incident_json(incidents.update(g.user, number, **fields))


@route("/incidents/<number>/preliminary", "POST", summary=("速報の発行（対応計画が必要）", "Issue the preliminary report (refused without response steps)"),
       response=s.IssuedIncident, errors=(403, 404, 409), examples=INCIDENT)
def preliminary(number):
    document = incidents.issue_preliminary(g.user, number, settings())
    return issued(document, incident=incident_json(incidents.get_incident(number)))


@route("/incidents/<number>/final", "POST", summary=("確報の発行", "Issue the final report (prints the preliminary report's serial)"),
       response=s.IssuedIncident, errors=(403, 404, 409), examples=INCIDENT)
def final(number):
    document = incidents.issue_final(g.user, number, settings())
    return issued(document, incident=incident_json(incidents.get_incident(number)))


@route("/incidents/<number>/close", "POST", summary=("事故報告の終了", "Close an incident"), body=s.Reason, response=s.Incident,
       errors=(403, 404, 409), examples=INCIDENT)
def close_incident(number, body: s.Reason):
    return incident_json(incidents.close(g.user, number, body.reason or ""))


@route("/media/<medium_id>/lost", "POST", summary=("所在不明の届出（事故報告の下書きを作成）", "Report a medium lost; an incident draft is opened"),
       body=s.LostReport, body_required=False, response=s.Incident, status=201, errors=(403, 404, 409), examples=MEDIUM_ID)
def report_lost(medium_id, body: s.LostReport):
    return incident_json(incidents.report_lost(g.user, medium_id, body.circumstances or ""))


@route("/media/<medium_id>/found", "POST", summary=("所在不明の媒体の発見", "A lost medium found again (stored at a place, or held)"),
       body=s.FoundAgain, body_required=False, response=s.Medium, errors=(403, 404, 409), examples=MEDIUM_ID)
def medium_found(medium_id, body: s.FoundAgain):
    return scans.medium_summary(incidents.medium_found(g.user, medium_id, body.location or None, body.note or ""))


def incident_json(incident: Incident) -> dict:
    reports = {stage: incidents.report_of(incident, stage) for stage in incidents.REPORT_KINDS}
    return {**record_json(incident), "reports": {stage: document.serial if document else None for stage, document in reports.items()}}


# ---- the city's inspection ---------------------------------------------------------------------


@route("/contracts/<code>/inspection",
       summary=("立入調査用の一覧（第12条）", "The inspection overview (Art. 12): holdings, checks, incidents, overdue, in transit, ledger"),
       response=s.Inspection, errors=(403, 404), examples={"code": "KG26"})
def inspection_overview(code):
    view = inspection.overview(g.user, code, settings())
    report = view.verification
    return {
        "contract": view.contract.code,
        "holdings": [{"place": holding.place, "location": holding.code, "media": [medium.id for medium in holding.media]}
                     for holding in view.holdings],
        "checks": [{"location": row.location.code, "last_check": row.last_check.number if row.last_check else None,
                    "next_due": row.next_due.isoformat() if row.next_due else None, "state": row.state} for row in view.schedules],
        "incidents": [incident.number for incident in view.incidents], "missing": [medium.id for medium in view.missing],
        "overdue": [medium.id for medium in view.overdue], "in_transit": [medium.id for medium in view.in_transit],
        "ledger": {"ok": report.ok, "events": report.events, "head": report.head_hash, "problems": problems_json(report.problems),
                   "full_verified_at": report.full_at, "full_verified_through": report.full_through},
        "register_csv": f"/api/v1/register.csv?contract={view.contract.code}", "balance": f"/api/v1/contracts/{view.contract.code}/balance",
    }
