"""The training and supervision page of a contract (Art. 10, 2(2)): sessions and attendance,
each person's standing against the profile's refresher interval, supervision checks, leavers
reminded, and the paper."""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request, url_for

from tracker.errors import InvalidInput
from tracker.web.custody import _then
from tracker.workflows import access, papers, profiles, training

blueprint = Blueprint("training", __name__)


@blueprint.route("/contracts/<code>/training")
def training_page(code):
    contract = access.get_contract(code)
    access.require_read(g.user, contract)
    mine = access.roster_entry(g.user, contract)
    return render_template(
        "training.html", contract=contract, rule=profiles.for_contract(contract).training, profile=profiles.for_contract(contract),
        sessions=training.sessions(contract), standing=training.standing(contract), checks=training.supervision(contract),
        leavers=training.leavers(contract), paper=papers.latest("training", contract.code), names=access.user_names(),
        can_record=g.user.role == "contractor" and mine is not None and mine.active and mine.role == "responsible",
    )


@blueprint.route("/contracts/<code>/training", methods=["POST"])
def training_action(code):
    form = request.form
    settings = current_app.config["SETTINGS"]
    materials = [(upload.filename, upload.read()) for upload in request.files.getlist("material") if upload and upload.filename]
    actions = {
        "session": (lambda: training.record_session(g.user, settings, code, form.get("held_on", ""), form.get("content", ""),
                                                    form.get("trainer", ""), form.getlist("attendee"), materials),
                    ("教育の実施を記録しました。受講者に受講の確認を依頼してください", "session recorded; ask the attendees to confirm")),
        "confirm": (lambda: training.confirm_attendance(g.user, form.get("session", "")), ("受講を確認しました", "attendance confirmed")),
        "report": (lambda: training.record_report(g.user, form.get("session", ""), form.get("reported_on", ""), form.get("how", ""),
                                                  form.get("receiver", "")), ("市への報告を記録しました", "report to the city recorded")),
        "supervision": (lambda: training.record_supervision(g.user, code, form.get("checked_on", ""), form.get("checked", ""),
                                                            form.get("findings", ""), form.getlist("subject")),
                        ("監督の記録を登録しました", "supervision check recorded")),
        "leaver": (lambda: training.remind_leaver(g.user, code, form.get("login", ""), form.get("how", "")),
                   ("離任者への周知を記録しました", "reminder recorded")),
        "paper": (lambda: training.issue_paper(g.user, settings, code), ("記録を発行しました", "record issued")),
    }
    action = form.get("action", "")
    if action not in actions:
        raise InvalidInput("操作が指定されていません", "no action given")
    run, done = actions[action]
    return _then(run, done, url_for("training.training_page", code=code))
