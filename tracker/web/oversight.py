"""Pages for the city's oversight (Art. 14, 17(1), 19): incidents of every kind opened by hand,
the city told at once, its instructions and the contractor's responses, and each contract's
emergency response plan.

Routes parse the form, call one workflow and redirect back with what happened. Notices to the
city queued by any request are sent right after it (``deliver_notices``), so an incident opened
from a scan, a check or a transfer reaches the city's mailbox without anyone pressing a button;
one that could not be sent waits, shown as 「未送信」, and is retried.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from tracker import vocabulary
from tracker.errors import DomainError
from tracker.models import Contract, Notice
from tracker.web.custody import _then
from tracker.web.i18n import message, translate
from tracker.workflows import access, incident_instructions, incidents, notices, response_plans, subcontracting

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
                "waiting_subcontracts": subcontracting.waiting(contracts)}
    return {"incident_kinds": vocabulary.INCIDENT_KINDS, "first_report_states": vocabulary.FIRST_REPORT_STATES,
            "notice_statuses": vocabulary.NOTICE_STATUSES, "subcontract_statuses": vocabulary.SUBCONTRACT_STATUSES, "first_report_state": incidents.first_report_state,
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
