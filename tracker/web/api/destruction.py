"""Destruction (Art. 17) over the JSON API: apply, the city's decision and withdrawal, scans at
the destruction station, what was done, evidence files, the witness, completion and the two
papers. The same workflows as the pages (``web/destruction.py``)."""

from __future__ import annotations

from flask import g, request

from tracker.models import DestructionApplication, DestructionItem
from tracker.web.api import schemas as s
from tracker.web.api.plumbing import (
    BATCH_REFUSALS, Upload, issued, listing, paper, readable, record_json, route, scan_batch, settings, upload, validate,
)
from tracker.workflows import destruction, papers

APPLICATION = {"number": "KG26-A0001"}
PDF_ERRORS = (403, 404)
EVIDENCE_UPLOAD = Upload(
    "file", "multipart field `file` with `stage` (before, during, after, report) and `medium`, "
            "or the file as the body with ?filename=&stage=&medium=",
    destruction.MAX_EVIDENCE_BYTES, ("image/jpeg", "image/png", "application/pdf", "application/octet-stream"),
    form_fields=("stage", "medium"))


@route("/destructions", summary=("消去・廃棄の申請の一覧", "List destruction applications (newest first, 200 a page)"),
       query=s.Listing, response=[s.DestructionRecord])
def list_destructions(query: s.Listing):
    return [record_json(found) for found in listing(DestructionApplication, query)]


@route("/destructions", "POST", summary=("消去・廃棄の申請（取扱責任者）", "Apply for erasure / destruction (responsible person): all media or none"),
       body=s.NewDestruction, response=s.Destruction, status=201, errors=(403, 404, 409))
def apply_destruction(body: s.NewDestruction):
    application = destruction.apply(
        g.user, body.contract, [item.given() for item in body.items], reason=body.reason, scheduled_at=body.scheduled_at,
        place=body.place, copies_statement=body.copies_statement, verification_plan=body.verification_plan,
        witness_requested=body.witness_requested,
    )
    return application_json(application)


@route("/destructions/<number>", summary=("申請と実施の状況", "An application, its items, evidence and what is still needed"),
       response=s.Destruction, errors=(403, 404), examples=APPLICATION)
def get_destruction(number):
    return application_json(readable(destruction.get_application(number)))


@route("/destructions/<number>/decision", "POST", summary=("市の承認・却下", "The city approves or rejects (a rejection says why)"),
       body=s.Decision, response=s.Destruction, errors=(403, 404, 409), examples=APPLICATION)
def decide_destruction(number, body: s.Decision):
    return application_json(destruction.decide(g.user, number, body.approve, body.note or ""))


@route("/destructions/<number>/withdraw", "POST",
       summary=("市による承認の撤回（実施前）", "The city withdraws its approval before anything is destroyed"),
       body=s.Reason, response=s.Destruction, errors=(403, 404, 409), examples=APPLICATION)
def withdraw_destruction(number, body: s.Reason):
    return application_json(destruction.withdraw(g.user, number, body.reason or ""))


@route("/destructions/<number>/scans", "POST",
       summary=("廃棄前のラベル読取り（まとめて）", "Scan labels at the destruction station; media not on the approved application are refused"),
       body=s.Codes, response=s.ScanAnswers, responses=BATCH_REFUSALS, errors=(403, 404, 409),
       examples=APPLICATION)
def scan_for_destruction(number, body: s.Codes):
    return scan_batch(body, "destroy", destruction.get_application(number).number)


@route("/destructions/<number>/destroyed", "POST",
       summary=("消去・廃棄と検証結果の記録", "Record media as erased / destroyed with the verification (media empty: every scanned one)"),
       body=s.Destroyed, response=s.Destruction, errors=(403, 404, 409), examples=APPLICATION)
def record_destroyed(number, body: s.Destroyed):
    destruction.record_destroyed(g.user, number, body.media or [], body.verification_method, body.verification_result,
                                 body.destination)
    return application_json(destruction.get_application(number))


@route("/destructions/<number>/evidence", "POST",
       summary=("写真・報告書の登録（SHA-256）", "Add a photo (before / during / after) or an erasure report; stored by SHA-256"),
       upload=EVIDENCE_UPLOAD, query=s.EvidenceQuery, response=s.Evidence, status=201, errors=(403, 404, 409, 413),
       examples=APPLICATION)
def add_evidence(number):
    filename, content = upload(EVIDENCE_UPLOAD)
    fields = validate(s.EvidenceFields, request.form.to_dict(), "form") if request.files else \
        validate(s.EvidenceFields, request.args.to_dict(), "query")
    found = destruction.add_evidence(g.user, settings(), number, fields.stage, content, filename,
                                     media_type=request.files["file"].mimetype if request.files else (request.mimetype or ""),
                                     medium_id=fields.medium or None)
    flags = destruction.photo_flags(found)
    return {**record_json(found), "sha256": found.attachment_id, "flags": {
        "no_exif_time": flags.no_time, "clock_off": flags.clock_off, "message_ja": flags.text()[0], "message_en": flags.text()[1]}}, 201


@route("/destructions/<number>/witness", "POST",
       summary=("市の立会い", "The city's witness: a municipality token, or name and a drawn signature (PNG data URL)"),
       body=s.Witness, body_required=False, response=s.Destruction, errors=(403, 404, 409), examples=APPLICATION)
def witness(number, body: s.Witness):
    return application_json(destruction.witness(g.user, settings(), number, signature=body.signature or ""))


@route("/destructions/<number>/complete", "POST",
       summary=("完了（証明書を発行）", "Complete; the media become destroyed and the certificate is issued"),
       body=s.Completion, response=s.IssuedDestruction, errors=(403, 404, 409), examples=APPLICATION)
def complete(number, body: s.Completion):
    document = destruction.complete(g.user, settings(), number, body.verifier)
    return issued(document, application=application_json(destruction.get_application(number)))


@route("/destructions/<number>/application.pdf", summary=("消去・廃棄申請書（発行前はプレビュー）", "The application as issued, or a preview"),
       response="application/pdf", errors=PDF_ERRORS, examples=APPLICATION)
def application_pdf(number):
    application = readable(destruction.get_application(number))
    return paper(destruction.APPLICATION_KIND, application.number,
                 lambda: destruction.preview_application(g.user, application.number, settings()))


@route("/destructions/<number>/certificate.pdf",
       summary=("消去・廃棄証明書（完了前はプレビュー）", "The certificate as issued, or a preview before completion"),
       response="application/pdf", errors=PDF_ERRORS, examples=APPLICATION)
def certificate_pdf(number):
    application = readable(destruction.get_application(number))
    return paper(destruction.CERTIFICATE_KIND, application.number,
                 lambda: destruction.preview_certificate(g.user, application.number, settings()))


def application_json(application: DestructionApplication) -> dict:
    certificate = papers.latest(destruction.CERTIFICATE_KIND, application.number)
    issued_application = papers.latest(destruction.APPLICATION_KIND, application.number)
    return {
        **record_json(application),
        "items": [record_json(item) for item in application.items.order_by(DestructionItem.medium)],
        "evidence": [{**record_json(found), "sha256": found.attachment_id, "flagged": destruction.photo_flags(found).any}
                     for found in destruction.evidence_of(application)],
        "still_needed": [{"message_ja": ja, "message_en": en} for ja, en in destruction.missing_for_completion(application)]
        if application.status == "approved" else [],
        "application_document": issued_application.serial if issued_application else None,
        "certificate": certificate.serial if certificate else None,
    }
