"""The roster page of a contract (Art. 8, 11, 15): who is on it, the changes waiting for the city
and its decisions, the pledges — printable forms, signed sheets, handing to the city and its
confirmation — and the roster paper (名簿), reissued after every change that took effect.

Each route parses the form, calls one workflow (``roster``, ``pledges``) and shows the result or
the refusal in both languages.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for

from tracker import vocabulary
from tracker.errors import DomainError, InvalidInput
from tracker.models import Attachment, Location, Pledge, User
from tracker.web.custody import _pdf, _then
from tracker.web.destruction import _size
from tracker.web.i18n import message, translate
from tracker.workflows import access, attachments, destruction, papers, pledges, profiles, roster, workplaces

blueprint = Blueprint("roster", __name__)


@blueprint.app_context_processor
def roster_names():
    return {"contract_roles": vocabulary.CONTRACT_ROLES, "employment_types": vocabulary.EMPLOYMENT_TYPES,
            "roster_changes": vocabulary.ROSTER_CHANGES, "roster_statuses": vocabulary.ROSTER_APPLICATION_STATUSES,
            "submission_methods": pledges.SUBMISSION_METHODS, "work_place_statuses": vocabulary.WORK_PLACE_STATUSES}


@blueprint.route("/contracts/<code>/roster")
def roster_page(code):
    contract = access.get_contract(code)
    access.require_read(g.user, contract)
    profile = profiles.for_contract(contract)
    entries = roster.entries(contract)
    on_roster = {entry.user_id for entry in entries} | {a.user_id for a in roster.waiting(contract) if a.status == "pending"}
    manager = g.user.is_admin or access.allows(access.require_responsible, g.user, contract)
    mine = access.roster_entry(g.user, contract)
    return render_template(
        "roster.html", contract=contract, profile=profile, entries=entries,
        current={entry.user_id: pledges.current(entry.user, contract) for entry in entries},
        waiting=roster.waiting(contract), history=roster.applications(contract), all_pledges=pledges.of_contract(contract),
        candidates=[user for user in User.select().where((User.role == "contractor") & User.active).order_by(User.login)
                    if user.login not in on_roster],
        can_apply=manager, can_appoint=g.user.is_admin,
        can_record=g.user.role == "contractor" and mine is not None and mine.active and mine.role == "responsible",
        paper=papers.latest("roster", contract.code), approval_suffix=roster.APPROVAL_SUFFIX,
        form_titles={form.id: form.title for form in profile.pledges.forms},
        badges={badge.user_id: badge.number for badge in workplaces.badges(contract) if not badge.returned_on},
    )


@blueprint.route("/contracts/<code>/roster/applications", methods=["POST"])
def apply(code):
    form = request.form
    if form.get("change") == "role":
        action = lambda: roster.apply_role_change(g.user, code, form.get("login", ""), form.get("role", ""),  # noqa: E731
                                                  reason=form.get("reason", ""), effective_from=form.get("effective_from", ""))
    else:
        action = lambda: _reissue_if_effective(code, roster.apply_add(  # noqa: E731
            g.user, code, form.get("login", ""), form.get("role", "worker"), employer=form.get("employer", ""),
            employment_type=form.get("employment_type", ""), effective_from=form.get("effective_from", ""),
            reason=form.get("reason", "")))
    return _then(action, ("申請しました", "applied for"), _back(code))


@blueprint.route("/contracts/<code>/roster/removal", methods=["POST"])
def remove(code):
    return _then(lambda: _reissue_if_effective(code, roster.remove(g.user, code, request.form.get("login", ""),
                                                                   request.form.get("reason", ""))),
                 ("名簿から外し、市に報告しました", "removed from the roster and reported to the city"), _back(code))


@blueprint.route("/roster/<number>/decision", methods=["POST"])
def decide(number):
    application = roster.get_application(g.user, number)
    approve = request.form.get("decision") == "approve"
    return _then(lambda: _reissue_if_effective(application.contract_id,
                                               roster.decide(g.user, number, approve, request.form.get("note", ""))),
                 ("承認しました", "approved") if approve else ("却下しました", "rejected"), _back(application.contract_id))


@blueprint.route("/contracts/<code>/roster/paper", methods=["POST"])
def issue_paper(code):
    return _then(lambda: roster.issue_paper(g.user, current_app.config["SETTINGS"], code),
                 ("名簿を発行しました", "roster issued"), _back(code))


@blueprint.route("/contracts/<code>/pledges/<role>.pdf")
def pledge_form(code, role):
    """The printable form for ``role`` with the names of those who still have to sign it (or the
    people ticked), dated today, for signing by hand."""
    contract = access.get_contract(code)
    if role not in vocabulary.CONTRACT_ROLES:
        raise InvalidInput(f"役割「{role}」はありません", f"no role {role!r}")
    logins = [login for login in request.args.getlist("login") if login]
    if not access.allows(access.require_read, g.user, contract):
        # Someone waiting for the city's approval prints their own form, and only that.
        if not any(application.contract_id == contract.code for application in roster.pending_for(g.user)):
            access.require_read(g.user, contract)
        logins = [g.user.login]
    return _pdf(pledges.form_pdf(contract, role, logins), f"{contract.code}-pledge-{role}.pdf")


@blueprint.route("/contracts/<code>/pledges/sheets", methods=["POST"])
def record_sheet(code):
    upload = request.files.get("file")
    try:
        if not upload or not upload.filename:
            raise InvalidInput("署名した誓約書の写真かスキャンを選んでください", "choose the photo or scan of the signed pledge")
        destruction.require_size(_size(upload), upload.filename, pledges.MAX_SHEET_BYTES)  # before reading it
        recorded = pledges.record_sheet(g.user, current_app.config["SETTINGS"], code, request.form.getlist("signer"),
                                        request.form.get("signed_on", ""), upload.read(), upload.filename)
        flash(translate(f"署名済みの誓約書を登録しました（{len(recorded)} 名）。市への提出を記録してください",
                        f"signed pledge recorded ({len(recorded)}); record its handing to the city next"), "ok")
    except DomainError as error:
        flash(message(error), "error")
    return redirect(_back(code, "pledges"))


@blueprint.route("/contracts/<code>/pledges/submission", methods=["POST"])
def record_submission(code):
    form = request.form
    return _then(lambda: pledges.record_submission(g.user, code, form.getlist("pledge"), form.get("submitted_on", ""),
                                                   form.get("how", ""), form.get("receiver", "")),
                 ("市への提出を記録しました", "handing to the city recorded"), _back(code, "pledges"))


@blueprint.route("/contracts/<code>/pledges/confirmation", methods=["POST"])
def confirm(code):
    return _then(lambda: pledges.confirm(g.user, request.form.get("pledge", "")),
                 ("誓約書の受領を確認しました", "receipt of the pledge confirmed"), _back(code, "pledges"))


@blueprint.route("/contracts/<code>/pledges/sheets/<sha256>")
def sheet(code, sha256):
    """A signed sheet as uploaded: images shown, PDFs downloaded (never rendered on this site)."""
    contract = access.get_contract(code)
    access.require_read(g.user, contract)
    pledge = Pledge.select().where((Pledge.contract == contract.code) & (Pledge.sheet == sha256)).first()
    if pledge is None:
        raise InvalidInput("この契約にその誓約書の用紙はありません", "no such signed sheet on this contract")
    row = Attachment.get_by_id(sha256)
    content = attachments.read(current_app.config["SETTINGS"].attachments_dir, sha256)
    image = row.media_type.startswith("image/")
    disposition = "inline" if image else f'attachment; filename="{contract.code}-pledge-{sha256[:12]}.pdf"'
    return Response(content, mimetype=row.media_type if image else "application/octet-stream",
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"})


def _reissue_if_effective(code: str, application) -> None:
    """The roster paper follows every change that took effect (approved, removed, notified)."""
    if application.status in ("approved", "reported", "notified"):
        roster.issue_paper(g.user, current_app.config["SETTINGS"], code)


def _back(code: str, anchor: str = "") -> str:
    return url_for("roster.roster_page", code=code) + (f"#{anchor}" if anchor else "")


# ---- work places (Art. 9) ----------------------------------------------------------------------


@blueprint.route("/contracts/<code>/work-places")
def work_places_page(code):
    contract = access.get_contract(code)
    access.require_read(g.user, contract)
    listed = workplaces.of_contract(contract, include_withdrawn=True)
    taken = {row.location_id for row in listed if row.status != "withdrawn"}
    mine = access.roster_entry(g.user, contract)
    return render_template(
        "work_places.html", contract=contract, profile=profiles.for_contract(contract), places=listed,
        badges=workplaces.badges(contract), entries=roster.entries(contract),
        free=[place for place in Location.select().where((Location.purpose == "work") & Location.active).order_by(Location.code)
              if place.code not in taken],
        can_report=g.user.role == "contractor" and mine is not None and mine.active and mine.role == "responsible",
        paper=papers.latest("work_places", contract.code),
    )


@blueprint.route("/contracts/<code>/work-places", methods=["POST"])
def work_place_action(code):
    form = request.form
    location, action = form.get("location", ""), form.get("action", "")
    actions = {
        "report": (lambda: workplaces.report(g.user, code, location, form.get("address", ""), form.get("security_measures", ""),
                                             form.get("city_premises") == "on"), ("作業場所を市に報告しました", "work place reported to the city")),
        "designate": (lambda: workplaces.designate(g.user, code, location, form.get("address", ""), form.get("security_measures", ""),
                                                   form.get("city_premises") == "on"), ("作業場所を指定しました", "work place designated")),
        "acknowledge": (lambda: workplaces.acknowledge(g.user, code, location, form.get("note", "")), ("作業場所を確認しました", "work place acknowledged")),
        "withdraw": (lambda: workplaces.withdraw(g.user, code, location, form.get("reason", "")), ("作業場所を廃止しました", "work place withdrawn")),
        "badge": (lambda: workplaces.issue_badge(g.user, code, form.get("login", ""), form.get("number", ""), form.get("issued_on", "")),
                  ("身分証明書の発行を記録しました", "ID badge recorded")),
        "badge_return": (lambda: workplaces.return_badge(g.user, code, form.get("number", ""), form.get("returned_on", "")),
                         ("身分証明書の返却を記録しました", "ID badge return recorded")),
        "paper": (lambda: workplaces.issue_paper(g.user, current_app.config["SETTINGS"], code), ("作業場所届を発行しました", "work places report issued")),
    }
    if action not in actions:
        raise InvalidInput("操作が指定されていません", "no action given")
    run, done = actions[action]
    return _then(run, done, url_for("roster.work_places_page", code=code))
