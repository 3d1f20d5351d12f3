"""Pages for the city's oversight (Art. 6, 12, 14, 17(1), 18, 19): incidents of every kind opened by hand,
the city told at once, its instructions and the contractor's responses, each contract's
emergency response plan, subcontracting, electronic media notices and transmissions, and the
contract's close-out.

Routes parse the form, call one workflow and redirect back with what happened. Notices to the
city queued by any request are sent right after it (``deliver_notices``), so an incident opened
from a scan, a check or a transfer reaches the city's mailbox without anyone pressing a button;
one that could not be sent waits, shown as 「未送信」, and is retried.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from tracker import vocabulary
from tracker.errors import DomainError
from tracker.models import HELD_STATUSES, Contract, Medium, Notice
from tracker.web.custody import _then
from tracker.web.i18n import message, translate
from tracker.workflows import access, closeout, concerns, electronic, incident_instructions, incidents, notices, response_plans, subcontracting

blueprint = Blueprint("oversight", __name__)


@blueprint.after_app_request
def deliver_notices(response):
    """Send what this request queued (and earlier failures whose retry is due) once it committed."""
    if request.method == "POST" and response.status_code < 500 and Notice.select().where(Notice.status == "pending").exists():
        notices.deliver(current_app.config["SETTINGS"], backoff=True)
    return response


@blueprint.app_context_processor
def oversight_templates():
    def oversight_attention(contracts: list[str]) -> dict:
        return {"overdue_reports": incidents.overdue(contracts), "unsent_notices": notices.pending(contracts),
                "unanswered_instructions": incident_instructions.unanswered(contracts),
                "waiting_subcontracts": subcontracting.waiting(contracts),
                "closeout_reminders": closeout.reminders(contracts),
                "open_concerns": concerns.open_for(contracts)}
    return {"incident_kinds": vocabulary.INCIDENT_KINDS, "first_report_states": vocabulary.FIRST_REPORT_STATES,
            "notice_statuses": vocabulary.NOTICE_STATUSES, "subcontract_statuses": vocabulary.SUBCONTRACT_STATUSES,
            "concern_kinds": vocabulary.CONCERN_KINDS, "concern_statuses": vocabulary.CONCERN_STATUSES,
            "electronic_kinds": vocabulary.ELECTRONIC_NOTICE_KINDS, "electronic_statuses": vocabulary.ELECTRONIC_NOTICE_STATUSES, "first_report_state": incidents.first_report_state,
            "oversight_attention": oversight_attention}


# ---- incidents of every kind -------------------------------------------------------------------


@blueprint.route("/incidents/new", methods=["GET", "POST"])
def new_incident():
    contracts = [contract for contract in Contract.select().where(Contract.code.in_(access.readable_contracts(g.user)))
                 if access.allows(access.require_custody, g.user, contract)]
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        try:
            incident = incidents.open_by_hand(
                g.user, form.get("contract", ""), form.get("kind", ""), form.get("summary", ""),
                media_ids=form.get("media", "").replace("、", ",").replace("\n", ",").split(","),
                circumstances=form.get("circumstances", ""), place=form.get("place", ""))
        except DomainError as error:
            flash(message(error), "error")
            return render_template("incident_new.html", contracts=contracts, form=form), error.status
        flash(translate(f"事故報告 {incident.number} を作成し、市への通知を送信しました",
                        f"incident {incident.number} opened; the city is being told"), "ok")
        return redirect(url_for("checks.incident_page", number=incident.number))
    return render_template("incident_new.html", contracts=contracts, form=form)


@blueprint.route("/incidents/<number>/instructions", methods=["POST"])
def give_instruction(number):
    return _then(lambda: incident_instructions.give(g.user, number, request.form.get("text", "")),
                 ("指示を記録しました。受託者に対応を求めます", "instruction recorded; the contractor must respond"),
                 url_for("checks.incident_page", number=number))


@blueprint.route("/incidents/<number>/instructions/response", methods=["POST"])
def answer_instruction(number):
    key = request.form.get("key", "")
    if not key.startswith(f"{number}/"):
        key = f"{number}/{key}"  # a key of another incident is not answered from this one's page
    return _then(lambda: incident_instructions.respond(g.user, key, request.form.get("response", "")),
                 ("対応を記録しました", "response recorded"), url_for("checks.incident_page", number=number))


@blueprint.route("/notices/resend", methods=["POST"])
def resend_notices():
    contracts = access.readable_contracts(g.user)
    sent, failed = notices.deliver(current_app.config["SETTINGS"], contracts)
    flash(translate(f"送信 {sent} 件、未送信 {failed} 件", f"sent {sent}, still not sent {failed}"), "ok" if not failed else "error")
    return redirect(request.form.get("back") or url_for("pages.dashboard"))


# ---- the emergency response plan ---------------------------------------------------------------


@blueprint.route("/contracts/<code>/response-plan", methods=["GET", "POST"])
def response_plan(code):
    contract = access.get_contract(code)
    access.require_read(g.user, contract)
    if request.method == "POST":
        form = request.form
        return _then(lambda: response_plans.record(g.user, contract.code, form.get("contacts", ""), form.get("steps", ""),
                                                   form.get("decides", "")),
                     ("緊急時対応計画を登録しました", "response plan recorded"), url_for("oversight.response_plan", code=code))
    return render_template("response_plan.html", contract=contract, plans=response_plans.versions(contract.code),
                           may_edit=access.allows(access.require_responsible, g.user, contract), names=access.user_names())


# ---- subcontracting (Art. 14) ------------------------------------------------------------------


@blueprint.route("/subcontracts", methods=["GET", "POST"])
def subcontract_list():
    contracts = access.readable_contracts(g.user)
    may_apply = [contract for contract in Contract.select().where(Contract.code.in_(contracts))
                 if access.allows(access.require_responsible, g.user, contract)]
    form = request.form
    if request.method == "POST":
        try:
            row = subcontracting.apply(g.user, current_app.config["SETTINGS"], form.get("contract", ""),
                                       **{name: form.get(name, "") for name, _, _ in subcontracting.ITEMS})
        except DomainError as error:
            flash(message(error), "error")
            return render_template("subcontracts.html", rows=subcontracting.of_contracts(contracts), may_apply=may_apply,
                                   items=subcontracting.ITEMS, form=form), error.status
        flash(translate(f"再委託承認申請書 {row.number} を発行しました。市の承認を待ちます",
                        f"subcontracting application {row.number} issued; waiting for the city"), "ok")
        return redirect(url_for("oversight.subcontract_page", number=row.number))
    return render_template("subcontracts.html", rows=subcontracting.of_contracts(contracts), may_apply=may_apply,
                           items=subcontracting.ITEMS, form={})


@blueprint.route("/subcontracts/<number>")
def subcontract_page(number):
    row = subcontracting.readable(g.user, number)
    return render_template("subcontract.html", row=row, items=subcontracting.ITEMS, paper=subcontracting.application_paper(row),
                           reports=subcontracting.supervision_of(row), names=access.user_names(),
                           may_supervise=row.status == "approved" and access.allows(access.require_responsible, g.user, row.contract))


@blueprint.route("/subcontracts/<number>/decision", methods=["POST"])
def decide_subcontract(number):
    approve = request.form.get("decision") == "approve"
    return _then(lambda: subcontracting.decide(g.user, number, approve, request.form.get("note", "")),
                 (("承認しました", "approved") if approve else ("却下しました", "rejected")),
                 url_for("oversight.subcontract_page", number=number))


@blueprint.route("/subcontracts/<number>/supervision", methods=["POST"])
def supervise_subcontract(number):
    form = request.form
    return _then(lambda: subcontracting.record_supervision(g.user, number, form.get("supervised_on", ""), form.get("method", ""),
                                                           form.get("findings", "")),
                 ("監督の記録を登録しました", "supervision recorded"), url_for("oversight.subcontract_page", number=number))


# ---- the contract's end (Art. 17(1)) ----------------------------------------------------------


@blueprint.route("/contracts/<code>/closeout")
def closeout_page(code):
    contract = access.get_contract(code)
    access.require_read(g.user, contract)
    held = list(Medium.select().where((Medium.contract == contract.code) & Medium.status.in_(HELD_STATUSES)).order_by(Medium.id))
    return render_template("closeout.html", contract=contract, row=closeout.get(contract.code), held=held,
                           left=closeout.outstanding(contract.code), report=closeout.report_of(contract.code),
                           reminder=next(iter(closeout.reminders([contract.code])), None), names=access.user_names(),
                           may_complete=not contract.closed_at and access.allows(access.require_responsible, g.user, contract))


@blueprint.route("/contracts/<code>/closeout/designate", methods=["POST"])
def closeout_designate(code):
    chosen = {name.removeprefix("medium_"): value for name, value in request.form.items()
              if name.startswith("medium_") and value}
    return _then(lambda: closeout.designate(g.user, code, chosen), ("指定を記録しました", "designation recorded"),
                 url_for("oversight.closeout_page", code=code))


@blueprint.route("/contracts/<code>/closeout/complete", methods=["POST"])
def closeout_complete(code):
    try:
        closeout.complete(g.user, current_app.config["SETTINGS"], code, request.form.get("note", ""))
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("oversight.closeout_page", code=code))
    flash(translate("完了報告書を発行し、契約を終了しました。受託者はこの契約を操作・閲覧できなくなります",
                    "close-out report issued; the contract is closed and the contractor's accounts no longer reach it"), "ok")
    return redirect(url_for("pages.dashboard"))


# ---- electronic media and transmissions (Art. 6) ----------------------------------------------


@blueprint.route("/electronic")
def electronic_page():
    contracts = access.readable_contracts(g.user)
    mine = [contract for contract in Contract.select().where(Contract.code.in_(contracts))]
    rows = electronic.of_contracts(contracts)
    return render_template("electronic.html", rows=rows, sent=electronic.transmissions(contracts), names=access.user_names(),
                           papers={row.number: electronic.notice_paper(row) for row in rows},
                           may_submit=[c for c in mine if access.allows(access.require_responsible, g.user, c)],
                           may_send=[c for c in mine if access.allows(access.require_custody, g.user, c)])


@blueprint.route("/electronic", methods=["POST"])
def electronic_submit():
    form = request.form

    def submit_and_issue():
        notice = electronic.submit(g.user, form.get("contract", ""), form.getlist("kinds"), form.get("description", ""),
                                   form.get("place", ""), form.get("purpose", ""), form.get("encryption", ""),
                                   form.get("key_delivery", "none"))
        electronic.issue_paper(g.user, notice.number, current_app.config["SETTINGS"])
    return _then(submit_and_issue, ("届出書を発行しました。市の承諾を待ちます", "notice issued; waiting for the city's consent"),
                 url_for("oversight.electronic_page"))


@blueprint.route("/electronic/<number>/decision", methods=["POST"])
def electronic_decide(number):
    consent = request.form.get("decision") == "consent"
    return _then(lambda: electronic.decide(g.user, number, consent, request.form.get("note", "")),
                 (("承諾しました", "consented") if consent else ("不承諾としました", "refused")), url_for("oversight.electronic_page"))


@blueprint.route("/electronic/transmissions", methods=["POST"])
def electronic_transmission():
    form = request.form
    return _then(lambda: electronic.record_transmission(g.user, form.get("contract", ""), form.get("recipient", ""),
                                                        form.get("content", ""), form.get("means", ""), form.get("sent_at", "")),
                 ("送信を記録しました", "transmission recorded"), url_for("oversight.electronic_page"))


# ---- complaints and improvement instructions (Art. 18, 12(2)(3)) --------------------------------


@blueprint.route("/concerns", methods=["GET", "POST"])
def concern_list():
    contracts = access.readable_contracts(g.user)
    mine = list(Contract.select().where(Contract.code.in_(contracts)))
    if request.method == "POST":
        form = request.form
        try:
            if g.user.is_municipality:
                row = concerns.give_instruction(g.user, form.get("contract", ""), form.get("title", ""), form.get("detail", ""),
                                                form.get("due", ""), form.get("source", ""))
            else:
                row = concerns.receive_complaint(g.user, form.get("contract", ""), form.get("title", ""), form.get("detail", ""),
                                                 form.get("source", ""), form.get("received_at", ""))
        except DomainError as error:
            flash(message(error), "error")
            return redirect(url_for("oversight.concern_list"))
        flash(translate(f"{row.number} を記録しました", f"{row.number} recorded"), "ok")
        return redirect(url_for("oversight.concern_page", number=row.number))
    return render_template("concerns.html", rows=concerns.of_contracts(contracts), contracts=mine,
                           may_complain=[c for c in mine if access.allows(access.require_custody, g.user, c)])


@blueprint.route("/concerns/<number>")
def concern_page(number):
    row = concerns.readable(g.user, number)
    return render_template("concern.html", row=row, record=concerns.record_of(row), names=access.user_names(),
                           may_act=access.allows(access.require_custody, g.user, row.contract),
                           may_answer=access.allows(access.require_responsible, g.user, row.contract))


@blueprint.route("/concerns/<number>", methods=["POST"])
def concern_action(number):
    form, back = request.form, url_for("oversight.concern_page", number=number)
    action = form.get("do", "")
    actions = {
        "progress": (lambda: concerns.add_progress(g.user, number, form.get("text", "")), ("経過を記録しました", "progress recorded")),
        "response": (lambda: concerns.respond(g.user, number, form.get("response", "")), ("改善報告を記録しました", "response recorded")),
        "close": (lambda: concerns.close(g.user, number, form.get("note", "")), ("終了しました", "closed")),
        "record": (lambda: concerns.issue_record(g.user, number, current_app.config["SETTINGS"]), ("記録を発行しました", "record issued")),
    }
    if action not in actions:
        return redirect(back)
    return _then(actions[action][0], actions[action][1], back)
