"""Importing the city's handover list in the page: upload, preview, (which sheet, which column is
which,) confirm.

The uploaded file is kept under its SHA-256 in the data folder's staging area, and the session
holds only that hash, the file's name and the answers given so far — so what is registered on
confirmation is byte for byte the file the preview showed, never a second upload that might
differ, and another person's session cannot point at it. The confirm form carries the hash it
was shown; a preview replaced meanwhile (another tab) is refused rather than registered unseen.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from tracker.errors import DomainError, InvalidInput
from tracker.web.i18n import message, translate
from tracker.workflows import attachments, handovers, list_columns
from tracker.workflows.handover_list import SKIP_REASONS, NeedsMapping, NeedsSheet

blueprint = Blueprint("lists", __name__)

PENDING = "pending_lists"  # session: {handover number: {sha256, filename, user, sheet, mapping}}


@blueprint.route("/handovers/<number>/import", methods=["POST"])
def upload(number):
    upload = request.files.get("list")
    if upload is None or not upload.filename:
        flash(message(InvalidInput("引渡しリストのファイルを選んでください", "choose the handover list file")), "error")
        return _back(number)
    _drop(number)  # a new file replaces the one previewed before
    try:
        sha256 = handovers.stage_list(g.user, number, upload.read(), _settings().staging_dir)
    except DomainError as error:
        flash(message(error), "error")
        return _back(number)
    _save(number, {"sha256": sha256, "filename": upload.filename[:200], "user": g.user.login, "sheet": None, "mapping": {}})
    return redirect(url_for("lists.preview", number=number))


@blueprint.route("/handovers/<number>/list-preview")
def preview(number):
    """What the list will register; or the question that must be answered first."""
    handover = handovers.get_handover(number)
    pending, content = _staged(number)
    if content is None:
        return _back(number)
    page = {"handover": handover, "pending": pending, "skip_reasons": SKIP_REASONS, "fields": list_columns.FIELDS,
            "ignore": list_columns.IGNORE}
    options = {"mapping": pending["mapping"], "sheet": pending["sheet"]}
    if request.args.get("step") == "mapping":
        return _mapping_step(number, pending, content, page, None)
    try:
        found = handovers.preview_list(g.user, number, pending["filename"], content, **options)
    except NeedsSheet as question:
        return render_template("list_preview.html", step="sheet", question=message(question),
                               sheets=question.details["sheets"], **page)
    except NeedsMapping as question:
        return _mapping_step(number, pending, content, page, question)
    except DomainError as error:
        return render_template("list_preview.html", step="refused", refusal=message(error), **page)
    return render_template("list_preview.html", step="preview", preview=found, **page)


def _mapping_step(number, pending, content, page, question):
    try:
        layout = handovers.list_layout(g.user, number, pending["filename"], content, mapping=pending["mapping"],
                                       sheet=pending["sheet"], header_line=request.args.get("header", type=int))
    except DomainError as error:
        return render_template("list_preview.html", step="refused", refusal=message(error), **page)
    return render_template("list_preview.html", step="mapping", layout=layout,
                           question=message(question) if question else "", **page)


@blueprint.route("/handovers/<number>/list-preview/sheet", methods=["POST"])
def choose_sheet(number):
    pending, _content = _staged(number)
    if pending is not None:
        pending["sheet"] = request.form.get("sheet", "")[:200] or None
        _save(number, pending)
    return redirect(url_for("lists.preview", number=number))


@blueprint.route("/handovers/<number>/list-preview/mapping", methods=["POST"])
def set_mapping(number):
    """Each of the file's columns → a field, or ignore; kept for this preview, and remembered for
    the contract once the list is registered."""
    pending, _content = _staged(number)
    if pending is None:
        return _back(number)
    form = request.form
    chosen = {form.get(f"name-{index}", ""): form.get(f"field-{index}", "")
              for index in range(list_columns.MAX_MAPPED_COLUMNS) if form.get(f"name-{index}")}
    try:
        handover = handovers.get_handover(number)
        pending["mapping"] = list_columns.changed_names(list_columns.parse_mapping(chosen),
                                                        handovers.remembered_mapping(handover.contract_id))
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("lists.preview", number=number, step="mapping"))
    _save(number, pending)
    return redirect(url_for("lists.preview", number=number))


@blueprint.route("/handovers/<number>/list-preview/confirm", methods=["POST"])
def confirm(number):
    pending, content = _staged(number)
    if content is None:
        return _back(number)
    if request.form.get("sha256") != pending["sha256"]:
        flash(translate("プレビューの後に別のファイルが選ばれています。表示されているプレビューを確かめてから登録してください",
                        "another file was chosen after this preview; check the preview shown now before registering"), "error")
        return redirect(url_for("lists.preview", number=number))
    try:
        registered = handovers.import_list(g.user, number, pending["filename"], content, mapping=pending["mapping"],
                                           sheet=pending["sheet"], settings=_settings())
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("lists.preview", number=number))
    _drop(number)
    flash(translate(f"{len(registered)}件の媒体を登録しました。ラベルを印刷して貼ってください",
                    f"{len(registered)} media registered; print and attach their labels"), "ok")
    return _back(number)


@blueprint.route("/handovers/<number>/list-preview/cancel", methods=["POST"])
def cancel(number):
    _drop(number)
    return _back(number)


# ---- the pending upload ------------------------------------------------------------------------


def _staged(number):
    """(the pending upload of this handover by this user, its bytes), or (None, None) with the reason flashed."""
    pending = session.get(PENDING, {}).get(number)
    if pending is None or pending.get("user") != g.user.login:
        flash(translate("取り込むリストのファイルを選んでください", "choose the list file to import"), "error")
        return None, None
    try:
        return pending, attachments.staged(_settings().staging_dir, pending["sha256"])
    except InvalidInput as error:
        _drop(number)
        flash(message(error), "error")
        return None, None


def _save(number: str, pending: dict) -> None:
    session[PENDING] = {**session.get(PENDING, {}), number: pending}


def _drop(number: str) -> None:
    remaining = dict(session.get(PENDING, {}))
    pending = remaining.pop(number, None)
    session[PENDING] = remaining
    if pending:
        attachments.unstage(_settings().staging_dir, pending["sha256"])


def _back(number: str):
    return redirect(url_for("custody.handover_page", number=number))


def _settings():
    return current_app.config["SETTINGS"]
