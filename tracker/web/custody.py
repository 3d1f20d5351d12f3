"""Pages for handovers (receiving and return), transfers and copies, and issued papers.

Each route parses the form, calls one workflow, and shows the result; batch scans from a phone
or a handheld scanner come in as a list of codes (and photos, where the camera is unavailable).
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, session, url_for

from tracker.errors import DomainError
from tracker.models import Contract, Handover, Location, Transfer
from tracker.web import auth, forms
from tracker.web.i18n import both, message, translate
from tracker.workflows import access, copies, handovers, papers, people, scans, transfers

blueprint = Blueprint("custody", __name__)

# The paper verification page and its PDF comparison answer anyone holding a paper (issue #13).
PUBLIC_ENDPOINTS = {"custody.document_page", "custody.compare_document"}


# ---- handovers ---------------------------------------------------------------------------------


@blueprint.route("/handovers")
def handover_list():
    contracts = access.readable_contracts(g.user)
    found = Handover.select().where(Handover.contract.in_(contracts)).order_by(Handover.number.desc())
    return render_template("handovers.html", handovers=found, contracts=_custody_contracts(),
                           storage=_places("storage"))


@blueprint.route("/handovers", methods=["POST"])
def start_handover():
    form = request.form
    try:
        handover = handovers.start(g.user, form.get("contract", ""), form.get("direction", ""), form.get("handover_at", ""),
                                   form.get("place", ""), form.get("means", ""), form.get("city_official", ""),
                                   form.get("storage_plan", ""), form.get("disposition_plan", ""))
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("custody.handover_list"))
    return redirect(url_for("custody.handover_page", number=handover.number))


@blueprint.route("/handovers/<number>")
def handover_page(number):
    handover = handovers.get_handover(number)
    access.require_read(g.user, handover.contract)
    return render_template(
        "handover.html", handover=handover, result=handovers.reconcile(handover), names=access.user_names(),
        may_act=access.allows(access.require_custody, g.user, handover.contract), receipt=papers.latest(handovers.RECEIPT_KINDS[handover.direction], handover.number),
        answers=_take_answers(),
    )


@blueprint.route("/handovers/<number>/items", methods=["POST"])
def add_unlisted(number):
    """A medium handed over that is not on the city's list: registered here, then labelled and scanned."""

    def added():
        medium = handovers.add_unlisted(g.user, number, request.form.get("kind", ""), request.form.get("title", ""),
                                        **forms.medium_details(request.form))
        flash(translate(f"{medium.id} を登録しました。ラベルを印刷して貼り、読み取ってください",
                        f"{medium.id} registered; print its label, attach it and scan it"), "ok")

    return _then_handover(number, added, ("", ""))


@blueprint.route("/handovers/<number>/scan", methods=["POST"])
def scan_into_handover(number):
    handover = handovers.get_handover(number)
    return _scan_batch(handover.direction, handover.number, url_for("custody.handover_page", number=handover.number))


@blueprint.route("/handovers/<number>/sign", methods=["POST"])
def sign_handover(number):
    return _then_handover(number, lambda: handovers.sign(g.user, number),
                          ("署名しました。市の担当者の確認を受けてください", "signed; now the city official confirms"))


@blueprint.route("/handovers/<number>/reopen", methods=["POST"])
def reopen_handover(number):
    return _then_handover(number, lambda: handovers.reopen(g.user, number, request.form.get("reason", "")),
                          ("差し戻しました。読取りを続けられます", "reopened; scanning can go on"))


@blueprint.route("/handovers/<number>/confirm", methods=["POST"])
def confirm_handover(number):
    """The city official confirms with their own login, or types it on the contractor's device."""
    settings = current_app.config["SETTINGS"]

    def confirmed():
        if g.user.is_municipality:
            handovers.confirm(g.user, number, settings)
        else:
            official = people.check_password(request.form.get("login", ""), request.form.get("password", ""),
                                             address=request.remote_addr, purpose="handover_confirm")
            handovers.confirm(official, number, settings, method="same_device", device_user=g.user)

    return _then_handover(number, confirmed, ("市の確認を記録し、受領書を発行しました", "the city's confirmation is recorded and the receipt issued"))


@blueprint.route("/handovers/<number>/receipt.pdf")
def handover_receipt(number):
    handover = handovers.get_handover(number)
    access.require_read(g.user, handover.contract)
    settings = current_app.config["SETTINGS"]
    return _pdf(*papers.issued_or_preview(settings, handovers.RECEIPT_KINDS[handover.direction], handover.number,
                                          lambda: handovers.preview_receipt(g.user, handover.number, settings)))


def _then_handover(number, action, done):
    return _then(action, done, url_for("custody.handover_page", number=number))


# ---- transfers ---------------------------------------------------------------------------------


@blueprint.route("/transfers")
def transfer_list():
    found = (Transfer.select(Transfer, Location).join(Location, on=(Transfer.destination == Location.code))
             .where(Transfer.contract.in_(access.readable_contracts(g.user))).order_by(Transfer.number.desc()))
    return render_template("transfers.html", transfers=found, contracts=_custody_contracts(), storage=_places("storage"))


@blueprint.route("/transfers", methods=["POST"])
def plan_transfer():
    form = request.form
    try:
        transfer = transfers.plan(g.user, form.get("contract", ""), form.get("purpose", ""), form.get("origin", ""),
                                  form.get("destination", ""), form.get("means", ""), form.get("custodians", ""),
                                  seal_number=form.get("seal_number", ""), route=form.get("route", ""),
                                  locked_case=form.get("locked_case") == "on", approval_reference=form.get("approval_reference", ""))
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("custody.transfer_list"))
    return redirect(url_for("custody.transfer_page", number=transfer.number))


@blueprint.route("/transfers/<number>")
def transfer_page(number):
    transfer = transfers.get_transfer(number)
    access.require_read(g.user, transfer.contract)
    return render_template("transfer.html", transfer=transfer, tally=transfers.tally(transfer), names=access.user_names(),
                           may_act=access.allows(access.require_custody, g.user, transfer.contract), record=papers.latest("transfer_record", transfer.number),
                           answers=_take_answers())


@blueprint.route("/transfers/<number>/scan", methods=["POST"])
def scan_into_transfer(number):
    transfer = transfers.get_transfer(number)
    action = transfers.scan_action(transfer)
    return _scan_batch(action, transfer.number, url_for("custody.transfer_page", number=transfer.number))


@blueprint.route("/transfers/<number>/depart", methods=["POST"])
def depart(number):
    return _then(lambda: transfers.depart(g.user, number), ("発送を記録しました", "departure recorded"),
                 url_for("custody.transfer_page", number=number))


@blueprint.route("/transfers/<number>/arrive", methods=["POST"])
def arrive(number):
    form = request.form
    return _then(lambda: transfers.arrive(g.user, number, form.get("seal_intact") == "yes", current_app.config["SETTINGS"],
                                          note=form.get("note", ""), accept_missing=form.get("accept_missing") == "on"),
                 ("到着を記録し、移送記録を発行しました", "arrival recorded and the transfer record issued"),
                 url_for("custody.transfer_page", number=number))


@blueprint.route("/transfers/<number>/record.pdf")
def transfer_record(number):
    transfer = transfers.get_transfer(number)
    access.require_read(g.user, transfer.contract)
    settings = current_app.config["SETTINGS"]
    return _pdf(*papers.issued_or_preview(settings, "transfer_record", transfer.number,
                                          lambda: transfers.preview_record(g.user, transfer.number, settings)))


# ---- copies ------------------------------------------------------------------------------------


@blueprint.route("/media/<medium_id>/copy-requests", methods=["POST"])
def request_copy(medium_id):
    form = request.form
    return _then(lambda: copies.request(g.user, medium_id, form.get("copies", "1"), form.get("copy_kind", ""), form.get("purpose", "")),
                 ("複製を申請しました。市の承認を待ってください", "copy requested; wait for the city's approval"),
                 url_for("pages.medium_page", medium_id=medium_id))


@blueprint.route("/copy-requests/<number>/decide", methods=["POST"])
def decide_copy(number):
    approve = request.form.get("decision") == "approve"
    found = copies.get_request(number)
    return _then(lambda: copies.decide(g.user, number, approve, request.form.get("note", "")),
                 ("承認しました", "approved") if approve else ("却下しました", "rejected"),
                 url_for("pages.medium_page", medium_id=found.medium_id))


@blueprint.route("/copy-requests/<number>/copies", methods=["POST"])
def make_copy(number):
    form = request.form
    found = copies.get_request(number)
    details = {"encrypted": form.get("encrypted") == "on", "encryption": form.get("encryption", ""),
               "serial_number": form.get("serial_number", "")}

    def made():
        copy = copies.make_copy(g.user, number, location=form.get("location") or None, **details)
        flash(translate(f"複製 {copy.id} を登録しました。ラベルを印刷して貼ってください",
                        f"copy {copy.id} registered; print and attach its label"), "ok")

    return _then(made, ("", ""), url_for("pages.medium_page", medium_id=found.medium_id))


# ---- issued papers -----------------------------------------------------------------------------


@blueprint.route("/d/<serial>")
@blueprint.route("/D/<serial>")
def document_page(serial):
    """Where a paper's verification QR leads: does this paper still match the ledger? Open to anyone
    holding the paper (an auditor, the city's records office), so it shows only the paper's proof;
    who issued it and what it is about only to those who may read the contract."""
    document = papers.find_document(serial)
    settings = current_app.config["SETTINGS"]
    readable = papers.may_read(g.user, document)
    return render_template("document.html", document=document, check=papers.check(settings, document), readable=readable,
                           names=access.user_names() if readable else {})


@blueprint.route("/d/<serial>.pdf")
def document_pdf(serial):
    document = papers.get_document(g.user, serial)
    return _pdf(papers.content(current_app.config["SETTINGS"], document), f"{document.serial}.pdf")


@blueprint.route("/d/<serial>/compare", methods=["POST"])
def compare_document(serial):
    """Anyone holding the PDF uploads it: is it byte for byte the one issued? Nothing is recorded."""
    auth.require_csrf()  # public, so the login check that usually asks for the token does not run
    document = papers.find_document(serial)
    upload = request.files.get("pdf")
    if upload is None or not upload.filename:
        flash(both("照合するPDFを選んでください", "choose the PDF to compare"), "error")
    elif papers.matches(document, upload.read()):
        flash(both("このPDFは発行された文書と一致します", "this PDF is the document as issued"), "ok")
    else:
        flash(both("このPDFは発行された文書と一致しません（改変されたか別の文書です）",
                   "this PDF does not match the document as issued (altered, or another document)"), "error")
    return redirect(url_for("custody.document_page", serial=document.serial))


# ---- shared ------------------------------------------------------------------------------------


def _scan_batch(action: str, context: str, back: str):
    """Codes typed, wedge-scanned or read by the phone's camera, one per line; and photos."""
    codes = request.form.get("codes", "").splitlines()
    photos = [(photo.filename, photo.read()) for photo in request.files.getlist("photos") if photo and photo.filename]
    read, problems = scans.decode_photos(photos)
    sources = {**_arrived_as(codes), **{code: "photo" for code in read}}
    try:
        answers = problems + scans.scan_batch(g.user, codes + read, action, context, current_app.config["SETTINGS"].secret,
                                              sources=sources, confirmed=request.form.get("confirm_typed") == "1")
    except DomainError as error:
        answers = problems or [{"code": "", "ok": False, "message_ja": error.message_ja, "message_en": error.message_en}]
    session["scan_answers"] = [{key: answer.get(key) for key in ("code", "ok", "message_ja", "message_en", "duplicate", "unexpected", "listed")}
                               for answer in answers][:100]
    return redirect(back)


def _arrived_as(codes: list[str]) -> dict[str, str]:
    """How each code of the list arrived, as the page's scan.js says in ``sources`` (camera, wedge,
    typed; anything it did not mark was typed or pasted). Without the script the form says
    nothing, and each code counts by what it is: a signed label read, or a typed ID."""
    try:
        said = json.loads(request.form.get("sources") or "null")
    except ValueError:
        said = None
    if not isinstance(said, dict):
        return {}
    return {code.strip(): said.get(code.strip()) if said.get(code.strip()) in scans.SOURCES else "typed"
            for code in codes if code.strip()}


def _take_answers() -> list[dict]:
    return session.pop("scan_answers", [])


def _then(action, done: tuple[str, str], back: str):
    """Run one workflow; say it was done (``done``, unless the action said more itself) or why not."""
    try:
        action()
        if done[0]:
            flash(translate(*done), "ok")
    except DomainError as error:
        flash(message(error), "error")
    return redirect(back)




def _custody_contracts() -> list[Contract]:
    return [contract for contract in Contract.select().where(Contract.code.in_(access.readable_contracts(g.user)))
            if access.allows(access.require_custody, g.user, contract)]


def _places(purpose: str):
    return Location.select().where((Location.purpose == purpose) & (Location.active == True)).order_by(Location.code)  # noqa: E712




def _pdf(content: bytes, filename: str) -> Response:
    return Response(content, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})

