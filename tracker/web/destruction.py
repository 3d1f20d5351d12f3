"""Pages for destruction (Art. 17): the list and the application form, the application with the
city's decision, and the execution page used on a phone at the shredder — scan box, camera,
erasure reports, the witness's signature, completion.

Each route parses the form, calls one workflow in ``tracker.workflows.destruction`` and shows
the result or the refusal in both languages; batch scans reuse the custody pages' scan batch.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from tracker import vocabulary
from tracker.errors import DomainError, InvalidInput
from tracker.models import Contract, DestructionApplication, DestructionItem, RosterEntry
from tracker.web.custody import _pdf, _scan_batch, _take_answers, _then
from tracker.web.i18n import both, message, translate
from tracker.workflows import access, attachments, destruction, papers, people, scans

blueprint = Blueprint("destruction", __name__)

@blueprint.app_context_processor
def destruction_names():
    return {"destruction_statuses": vocabulary.DESTRUCTION_STATUSES, "category_names": vocabulary.SANITIZATION_CATEGORIES,
            "technique_names": vocabulary.SANITIZATION_TECHNIQUES, "stage_names": vocabulary.EVIDENCE_STAGES,
            "destroyed_record": destruction.destroyed_record}


# ---- list and application ----------------------------------------------------------------------


@blueprint.route("/destructions")
def destruction_list(form=None):
    contracts = access.readable_contracts(g.user)
    applying = _applying_contracts()
    found = (DestructionApplication.select().where(DestructionApplication.contract.in_(contracts))
             .order_by(DestructionApplication.number.desc()))
    return render_template("destruction_list.html", applications=found, contracts=applying, form=form or MultiDict(),
                           eligible=destruction.eligible_media([contract.code for contract in applying]))


@blueprint.route("/destructions", methods=["POST"])
def apply():
    """Media ticked in the list, and IDs typed, pasted or scanned into the box, each with the
    method of its own row where given, otherwise the form's common method."""
    form = request.form
    try:
        chosen = _chosen_media(form)
        items = [{"medium": medium_id, **{name: form.get(f"{name}-{medium_id}") or form.get(name, "") for name in destruction.METHOD_FIELDS}}
                 for medium_id in chosen]
        application = destruction.apply(
            g.user, form.get("contract", ""), items, reason=form.get("reason", ""), scheduled_at=form.get("scheduled_at", ""),
            place=form.get("place", ""), copies_statement=form.get("copies_statement", ""),
            verification_plan=form.get("verification_plan", ""), witness_requested=form.get("witness_requested") == "on",
        )
    except DomainError as error:
        flash(message(error), "error")
        return destruction_list(form=form), error.status  # the long form is shown again as it was filled in
    flash(translate("申請しました。市の承認を待ってください", "applied; wait for the city's approval"), "ok")
    return redirect(url_for("destruction.application_page", number=application.number))


def _chosen_media(form) -> list[str]:
    """Ticked IDs, then every code in the box (a label URL or a typed ID), once each, in order."""
    secret = current_app.config["SETTINGS"].secret
    chosen, unreadable = list(form.getlist("medium")), []
    for code in form.get("codes", "").split():
        try:
            parsed = scans.identify(code, secret)
        except DomainError as error:
            unreadable.append(f"{code}: {error.message_ja} / {error.message_en}")
            continue
        if parsed.medium is None:
            unreadable.append(f"{code}: 媒体のラベルではありません / not a medium's label")
        else:
            chosen.append(parsed.medium)
    if unreadable:
        raise InvalidInput("読み取れないコードがあります（何も記録していません）: " + "；".join(unreadable),
                           "some codes could not be read (nothing was recorded): " + "; ".join(unreadable))
    return list(dict.fromkeys(chosen))


@blueprint.route("/destructions/<number>")
def application_page(number):
    application = _readable(number)
    return render_template("destruction_application.html", **_context(application))


@blueprint.route("/destructions/<number>/decide", methods=["POST"])
def decide(number):
    approve = request.form.get("decision") == "approve"
    return _then(lambda: destruction.decide(g.user, number, approve, request.form.get("note", "")),
                 ("承認しました", "approved") if approve else ("却下しました", "rejected"), _page(number))


@blueprint.route("/destructions/<number>/withdraw", methods=["POST"])
def withdraw(number):
    return _then(lambda: destruction.withdraw(g.user, number, request.form.get("reason", "")),
                 ("承認を撤回しました", "approval withdrawn"), _page(number))


@blueprint.route("/destructions/<number>/issue", methods=["POST"])
def issue_application(number):
    settings = current_app.config["SETTINGS"]
    try:
        document = destruction.issue_application(g.user, number, settings)
    except DomainError as error:
        flash(message(error), "error")
        return redirect(_page(number))
    return redirect(url_for("custody.document_page", serial=document.serial))


@blueprint.route("/destructions/<number>/application.pdf")
def application_pdf(number):
    application = _readable(number)
    settings = current_app.config["SETTINGS"]
    return _pdf(*papers.issued_or_preview(settings, destruction.APPLICATION_KIND, application.number,
                                          lambda: destruction.preview_application(g.user, application.number, settings)))


@blueprint.route("/destructions/<number>/certificate.pdf")
def certificate_pdf(number):
    application = _readable(number)
    settings = current_app.config["SETTINGS"]
    return _pdf(*papers.issued_or_preview(settings, destruction.CERTIFICATE_KIND, application.number,
                                          lambda: destruction.preview_certificate(g.user, application.number, settings)))


# ---- execution ---------------------------------------------------------------------------------


@blueprint.route("/destructions/<number>/execute")
def execute_page(number):
    application = _readable(number)
    verifiers = (RosterEntry.select().where((RosterEntry.contract == application.contract_id) & RosterEntry.removed_at.is_null())
                 .order_by(RosterEntry.role, RosterEntry.key))
    return render_template("destruction_execute.html", **_context(application), answers=_take_answers(),
                           verifiers=[entry.user for entry in verifiers if access.has_pledge(entry.user, application.contract)],
                           missing=destruction.missing_for_completion(application))


@blueprint.route("/destructions/<number>/scan", methods=["POST"])
def scan(number):
    application = destruction.get_application(number)
    return _scan_batch("destroy", application.number, _execution(application.number))


@blueprint.route("/destructions/<number>/destroyed", methods=["POST"])
def record_destroyed(number):
    form = request.form
    return _then(lambda: destruction.record_destroyed(g.user, number, form.getlist("medium"), form.get("verification_method", ""),
                                                      form.get("verification_result", ""), form.get("destination", "")),
                 ("消去・廃棄を記録しました", "erasure / destruction recorded"), _execution(number))


@blueprint.route("/destructions/<number>/evidence", methods=["POST"])
def add_evidence(number):
    """Photos from the phone's camera (several at once) or an erasure-tool report. Each file's size
    is checked before it is read; each file is taken or refused by itself."""
    settings = current_app.config["SETTINGS"]
    limit = current_app.config.get("EVIDENCE_MAX_BYTES", destruction.MAX_EVIDENCE_BYTES)
    uploads = [upload for upload in request.files.getlist("file") if upload and upload.filename]
    if not uploads:
        flash(both("写真またはファイルを選んでください", "choose a photo or a file"), "error")
    for upload in uploads:
        try:
            destruction.require_size(_size(upload), upload.filename, limit)
            found = destruction.add_evidence(g.user, settings, number, request.form.get("stage", ""), upload.read(), upload.filename,
                                             media_type=upload.mimetype or "", medium_id=request.form.get("medium") or None, max_bytes=limit)
        except DomainError as error:
            flash(message(error), "error")
            continue
        flags = destruction.photo_flags(found)
        if flags.any:
            flash(both(f"{upload.filename} を登録しました（{flags.text()[0]}）", f"{upload.filename} added ({flags.text()[1]})"), "warn")
        else:
            flash(translate(f"{upload.filename} を登録しました（SHA-256 {found.attachment_id[:12]}…）",
                            f"{upload.filename} added (SHA-256 {found.attachment_id[:12]}…)"), "ok")
    return redirect(_execution(number))


@blueprint.route("/destructions/<number>/evidence/<sha256>")
def evidence_file(number, sha256):
    """A stored photo or report of this application. Reports download: whatever their type, they
    are never rendered by the browser on this site."""
    found = destruction.evidence_file(g.user, number, sha256)
    content = attachments.read(current_app.config["SETTINGS"].attachments_dir, found.attachment_id)
    image = found.attachment.media_type.startswith("image/") and found.stage != "report"
    disposition = "inline" if image else f'attachment; filename="{found.attachment_id[:12]}-{_ascii(found.attachment.original_name)}"'
    return Response(content, mimetype=found.attachment.media_type if image else "application/octet-stream",
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"})


@blueprint.route("/destructions/<number>/witness", methods=["POST"])
def witness(number):
    """The city official with their own login, or with their login and password typed on this
    (the contractor's) device, like a handover's confirmation; a drawn signature is kept beside it."""
    form = request.form
    settings = current_app.config["SETTINGS"]

    def witnessed():
        if g.user.is_municipality:
            destruction.witness(g.user, settings, number, signature=form.get("signature", ""))
        else:
            official = people.check_password(form.get("login", ""), form.get("password", ""),
                                             address=request.remote_addr, purpose="witness_confirm")
            destruction.witness(official, settings, number, device_user=g.user, signature=form.get("signature", ""))

    return _then(witnessed, ("立会いを記録しました", "the witness is recorded"), _execution(number))


@blueprint.route("/destructions/<number>/complete", methods=["POST"])
def complete(number):
    settings = current_app.config["SETTINGS"]
    try:
        document = destruction.complete(g.user, settings, number, request.form.get("verifier", ""))
    except DomainError as error:
        flash(message(error), "error")
        return redirect(_execution(number))
    flash(translate(f"完了しました。消去・廃棄証明書 {document.serial} を発行しました",
                    f"complete; destruction certificate {document.serial} issued"), "ok")
    return redirect(_page(number))


# ---- shared ------------------------------------------------------------------------------------


def _context(application: DestructionApplication) -> dict:
    may_act = access.allows(access.require_custody, g.user, application.contract)
    return {
        "application": application, "items": list(application.items.order_by(DestructionItem.medium)),
        "evidence": destruction.evidence_of(application), "photo_flags": destruction.photo_flags, "names": access.user_names(),
        "may_act": may_act, "is_city": g.user.is_municipality, "technique_name": destruction.technique_name,
        "issued_application": papers.latest(destruction.APPLICATION_KIND, application.number),
        "certificate": papers.latest(destruction.CERTIFICATE_KIND, application.number),
        "executable": application.status == "approved" and (may_act or g.user.is_municipality),
    }


def _readable(number: str) -> DestructionApplication:
    application = destruction.get_application(number)
    access.require_read(g.user, application.contract)
    return application


def _applying_contracts() -> list[Contract]:
    readable = Contract.select().where(Contract.code.in_(access.readable_contracts(g.user))).order_by(Contract.code)
    return [contract for contract in readable if access.allows(access.require_responsible, g.user, contract)]




def _size(upload) -> int:
    """The uploaded file's size without reading it into memory (it is spooled to disk or memory)."""
    stream = upload.stream
    position = stream.tell()
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(position)
    return size


def _ascii(name: str) -> str:
    return "".join(char for char in name if char.isascii() and (char.isalnum() or char in ".-_"))[:60] or "file"


def _page(number: str) -> str:
    return url_for("destruction.application_page", number=number)


def _execution(number: str) -> str:
    return url_for("destruction.execute_page", number=number)
