"""Pages for storage checks (Art. 6(2)), incidents (Art. 19) and the city's inspection (Art. 12).

Routes parse the form, call one workflow (``tracker.workflows.checks`` / ``incidents`` /
``inspection``) and redirect back with what happened; batches of scans go through the same
scan box and batch handling as handovers and transfers (``custody._scan_batch``).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for

from tracker import verification, vocabulary
from tracker.errors import DomainError
from tracker.models import Contract, Incident, Location, Medium
from tracker.web.custody import _pdf, _scan_batch, _take_answers, _then
from tracker.web.i18n import message, translate
from tracker.workflows import access, checks, checks_complete, incident_instructions, incidents, inspection, notices, papers, places, scans

blueprint = Blueprint("checks", __name__)

VOCABULARY = {
    "check_statuses": vocabulary.CHECK_STATUSES, "check_findings": vocabulary.CHECK_FINDINGS,
    "due_states": vocabulary.DUE_STATES, "incident_statuses": vocabulary.INCIDENT_STATUSES,
}


# ---- storage checks ----------------------------------------------------------------------------


@blueprint.route("/checks")
def check_list():
    contracts = access.readable_contracts(g.user)
    return render_template("checks_list.html", schedules=checks.schedules(contracts), found=checks.readable_checks(g.user),
                   contracts=Contract.select().where(Contract.code.in_(contracts)).order_by(Contract.code),
                   answers=_take_answers(), may_set_intervals=_may_manage_places(),
                   storage=Location.select().where((Location.purpose == "storage") & (Location.active == True))  # noqa: E712
                   .order_by(Location.code))


@blueprint.route("/checks/start", methods=["POST"])
def start_check():
    """The place's label read by the phone's camera, a handheld scanner, typed, or in a photo."""
    photos = [(photo.filename, photo.read()) for photo in request.files.getlist("photos") if photo and photo.filename]
    codes = [line.strip() for line in request.form.get("codes", "").splitlines() if line.strip()] + scans.decode_photos(photos)[0]
    try:
        check = checks.start(g.user, codes[0] if codes else request.form.get("location", ""), _secret())
    except DomainError as error:
        flash(message(error), "error")
        number = error.details.get("number")
        return redirect(url_for("checks.check_page", number=number) if number else url_for("checks.check_list"))
    return redirect(url_for("checks.check_page", number=check.number))


@blueprint.route("/locations/<code>/check-interval", methods=["POST"])
def set_interval(code):
    return _then(lambda: places.set_check_interval(g.user, code, request.form.get("days", "")),
                 ("点検間隔を設定しました", "check interval set"), url_for("checks.check_list"))


@blueprint.route("/checks/<number>")
def check_page(number):
    check = checks.get_check(number)
    checks.require_read(g.user, check)
    contracts = checks.visible_contracts(g.user, check)
    schedule = checks.schedule_of(check.location, {code: 0 for code in contracts}, checks.today())
    return render_template(
        "checks_page.html", check=check, lines=checks.reconcile(check, contracts), schedule=schedule,
        may_act=checks.may_act(g.user, check), may_sign=checks.may_act(g.user, check, access.require_responsible),
        may_complete=checks_complete.may_complete(g.user, check), open_parts=checks_complete.open_parts(check),
        may_abandon=check.status == "open" and access.may(g.user, "abandon_check", checks.parts_of(check)),
        reports={document.contract_id: document for document in checks.reports(check)}, contracts=contracts,
        waiting=checks.waiting_devices(check), answers=_take_answers(), names=access.user_names(),
        reason=checks.unexpected_reason,
        opened=list(Incident.select().where((Incident.source == check.number) & Incident.contract.in_(contracts or ["-"]))
                    .order_by(Incident.number)),
    )


@blueprint.route("/checks/<number>/scan", methods=["POST"])
def scan_into_check(number):
    """A batch from the phone or a handheld scanner; the page's device says it now holds nothing unsent."""
    check = checks.get_check(number)
    device = request.form.get("device", "").strip()
    if device:
        try:
            checks.report_device(g.user, check.number, device, request.form.get("pending", "0"), _secret(),
                                 name=request.form.get("device_name", ""))
        except DomainError as error:
            flash(message(error), "error")
    return _scan_batch("check", check.number, url_for("checks.check_page", number=check.number))


@blueprint.route("/checks/<number>/device", methods=["POST"])
def device_report(number):
    """The check page's heartbeat: how many codes wait in its list, not yet recorded (JSON)."""
    try:
        check = checks.report_device(g.user, number, request.form.get("device", ""), request.form.get("pending", "0"),
                                     _secret(), name=request.form.get("device_name", ""))
    except DomainError as error:
        return jsonify(error.as_dict()), error.status
    return jsonify({"ok": True, "waiting": [device for device, _entry in checks.waiting_devices(check)]})


@blueprint.route("/checks/<number>/seal", methods=["POST"])
def note_seal(number):
    form = request.form
    return _then(lambda: checks.note_seal(g.user, number, form.get("medium", ""), form.get("intact") == "yes", form.get("note", "")),
                 ("封印の状態を記録しました", "seal condition recorded"), url_for("checks.check_page", number=number))


@blueprint.route("/checks/<number>/release", methods=["POST"])
def release_device(number):
    form = request.form
    return _then(lambda: checks.release_device(g.user, number, form.get("device", ""), form.get("reason", "")),
                 ("端末を解除しました", "device released"), url_for("checks.check_page", number=number))


@blueprint.route("/checks/<number>/complete", methods=["POST"])
def complete_check(number):
    form = request.form
    return _then(lambda: checks.complete(g.user, number, form.get("accuracy_method", ""), form.get("accuracy_result", ""),
                                         form.get("anomalies", ""), form.get("corrective_actions", ""),
                                         seals_intact=form.get("seals_intact") == "on"),
                 ("点検を完了しました。取扱責任者の確認を受けてください", "check completed; the responsible person signs it off next"),
                 url_for("checks.check_page", number=number))


@blueprint.route("/checks/<number>/abandon", methods=["POST"])
def abandon_check(number):
    return _then(lambda: checks.abandon(g.user, number, request.form.get("reason", "")),
                 ("点検を中止しました。この場所で新しい点検を始められます", "check abandoned; a new check can start at this place"),
                 url_for("checks.check_page", number=number))


@blueprint.route("/checks/<number>/sign-off", methods=["POST"])
def sign_off(number):
    return _then(lambda: checks.sign_off(g.user, number, _settings()),
                 ("確認し、保管状況点検報告を発行しました", "signed off; the storage check report is issued"),
                 url_for("checks.check_page", number=number))


@blueprint.route("/checks/<number>/report/<code>.pdf")
def check_report(number, code):
    """The contract's report as issued, or a preview before the sign-off."""
    check = checks.get_check(number)
    access.require_read(g.user, code)
    issued = next((document for document in checks.reports(check) if document.contract_id == code), None)
    if issued is not None:
        return _pdf(papers.content(_settings(), issued), f"{issued.serial}.pdf")
    return _pdf(checks.preview_report(g.user, check.number, code, _settings()), f"{check.number}-{code}-preview.pdf")


# ---- incidents ---------------------------------------------------------------------------------


@blueprint.route("/incidents")
def incident_list():
    found = Incident.select().where(Incident.contract.in_(access.readable_contracts(g.user))).order_by(Incident.number.desc())
    return render_template("incidents.html", found=found)


@blueprint.route("/incidents/<number>", methods=["GET", "POST"])
def incident_page(number):
    incident = incidents.readable(g.user, number)
    if request.method == "POST":
        return _then(lambda: incidents.update(g.user, number, **_incident_form()), ("保存しました", "saved"),
                     url_for("checks.incident_page", number=incident.number))
    may_edit = access.allows(access.require_responsible, g.user, incident.contract) and incident.status in incidents.OPEN_STATUSES
    return render_template("incident.html", incident=incident, may_edit=may_edit, names=access.user_names(),
                   may_close=access.allows(access.require_responsible, g.user, incident.contract) and incident.status != "closed",
                   preliminary=incidents.report_of(incident, "preliminary"), final=incidents.report_of(incident, "final"),
                   media={medium.id: medium for medium in Medium.select().where(Medium.id.in_(incident.media or ["-"]))},
                   notices=notices.of_subject(incident.number), instructions=incident_instructions.of_incident(incident),
                   may_answer=access.allows(access.require_responsible, g.user, incident.contract))


@blueprint.route("/incidents/<number>/preliminary", methods=["POST"])
def preliminary(number):
    return _then(lambda: incidents.issue_preliminary(g.user, number, _settings()),
                 ("速報を発行しました。市に提出してください", "preliminary report issued; send it to the city"),
                 url_for("checks.incident_page", number=number))


@blueprint.route("/incidents/<number>/final", methods=["POST"])
def final(number):
    return _then(lambda: incidents.issue_final(g.user, number, _settings()),
                 ("確報を発行しました", "final report issued"), url_for("checks.incident_page", number=number))


@blueprint.route("/incidents/<number>/close", methods=["POST"])
def close(number):
    return _then(lambda: incidents.close(g.user, number, request.form.get("reason", "")),
                 ("終了しました", "closed"), url_for("checks.incident_page", number=number))


@blueprint.route("/incidents/<number>/report.pdf")
def incident_report(number):
    incident = incidents.readable(g.user, number)
    issued = incidents.report_of(incident, "final") or incidents.report_of(incident, "preliminary")
    if issued is not None and request.args.get("preview") is None:
        return _pdf(papers.content(_settings(), issued), f"{issued.serial}.pdf")
    return _pdf(incidents.preview_report(g.user, incident.number, _settings()), f"{incident.number}-preview.pdf")


@blueprint.route("/media/<medium_id>/lost", methods=["POST"])
def report_lost(medium_id):
    try:
        incident = incidents.report_lost(g.user, medium_id, request.form.get("circumstances", ""))
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("pages.medium_page", medium_id=medium_id))
    flash(translate(f"所在不明として記録し、事故報告 {incident.number} を作成しました",
                    f"recorded as missing; incident {incident.number} opened"), "ok")
    return redirect(url_for("checks.incident_page", number=incident.number))


@blueprint.route("/media/<medium_id>/found", methods=["POST"])
def medium_found(medium_id):
    return _then(lambda: incidents.medium_found(g.user, medium_id, request.form.get("location") or None, request.form.get("note", "")),
                 ("発見を記録しました", "recorded as found"), url_for("pages.medium_page", medium_id=medium_id))


# ---- the city's inspection ---------------------------------------------------------------------


@blueprint.route("/contracts/<code>/inspection")
def inspection_page(code):
    view = inspection.overview(g.user, code, _settings())
    return render_template("inspection.html", view=view, names=access.user_names(), people=_people_summary(view.contract))


def _people_summary(contract) -> dict:
    """The people side of an inspection (Art. 8–11): roster, pledges, training, supervision."""
    from tracker.workflows import pledges, roster, training

    entries = roster.entries(contract)
    return {"entries": entries, "current": {entry.user_id: pledges.current(entry.user, contract) for entry in entries},
            "waiting": roster.waiting(contract), "standing": training.standing(contract),
            "sessions": training.sessions(contract)[:5], "checks": training.supervision(contract)[:5]}


@blueprint.route("/contracts/<code>/inspection/verify", methods=["POST"])
def verify_in_full(code):
    """The whole ledger replayed now, on the inspector's request (the page shows the standing
    result otherwise); the result becomes the standing one."""
    access.require_read(g.user, access.get_contract(code))
    standing = verification.run_full(_settings().attachments_dir)
    flash(translate(f"台帳全体を検証しました（{standing.events:,} 件のイベント）", f"the whole ledger was verified ({standing.events:,} events)"),
          "ok" if standing.ok else "error")
    return redirect(url_for("checks.inspection_page", code=code))


# ---- shared ------------------------------------------------------------------------------------


@blueprint.app_context_processor
def check_templates():
    """Names of check and incident states for every template, and the medium page's incidents
    panel (``_medium_incidents.html``, included by ``medium.html``)."""
    def medium_incident_panel(medium: Medium) -> dict:
        may_act = access.allows(access.require_custody, g.user, medium.contract)
        return {"incidents": incidents.of_medium(medium.id), "may_report_lost": may_act and medium.status in incidents.LOSABLE,
                "may_find": may_act and medium.status == "lost"}
    return {**VOCABULARY, "medium_incident_panel": medium_incident_panel}


def _incident_form() -> dict:
    form = request.form
    steps = [{"action": action, "owner": owner, "deadline": deadline, "done_at": done}
             for action, owner, deadline, done in zip(form.getlist("step_action"), form.getlist("step_owner"),
                                                      form.getlist("step_deadline"), form.getlist("step_done"))]
    return {**{name: form.get(name, "") for name in incidents.TEXT_FIELDS}, "occurred_at": form.get("occurred_at", ""),
            "response_steps": steps}




def _may_manage_places() -> bool:
    return g.user.is_admin or any(access.allows(access.require_responsible, g.user, code) for code in access.readable_contracts(g.user))




def _secret() -> bytes:
    return _settings().secret


def _settings():
    return current_app.config["SETTINGS"]
