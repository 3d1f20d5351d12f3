"""Administration in the web app (issue #13), starting with contracts: the administrator sees every
contract and sets the details its papers print (the contractor's address and representative, the
contract number, the city's section) without the CLI. Each change goes through
workflows.contracts.update_contract, one ledger event."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from tracker.errors import DomainError
from tracker.models import Contract
from tracker.workflows import access, contracts
from tracker.web.i18n import message, translate

blueprint = Blueprint("administration", __name__)


@blueprint.route("/contracts")
def contract_list():
    access.require_admin(g.user)
    return render_template("contracts.html", contracts=Contract.select().order_by(Contract.code), editable=contracts.EDITABLE)


@blueprint.route("/contracts/<code>", methods=["POST"])
def update_contract(code):
    access.require_admin(g.user)
    changes = {field: request.form.get(field, "") for field in contracts.EDITABLE if field in request.form}
    try:
        changed = contracts.update_contract(g.user, code, **changes)
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("administration.contract_list"))
    flash(translate(f"契約 {changed.code} の情報を保存しました", f"contract {changed.code} saved"), "ok")
    return redirect(url_for("administration.contract_list"))
