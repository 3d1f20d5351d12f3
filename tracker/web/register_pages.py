"""The 台帳 (media register, Art. 7(5)) on screen and as CSV, and a contract's close-out balance.

Everything here is read from ``tracker.register``; the pages only pick the contract the reader
may see and render. The CSV follows the reader's language, like the page it is linked from.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for

from tracker import register
from tracker.errors import DomainError
from tracker.models import Contract
from tracker.web.i18n import message
from tracker.workflows import access, papers, registers

blueprint = Blueprint("register", __name__)

PAGE_SIZE = 200  # a 10,000-medium register stays a page a browser renders quickly


@blueprint.route("/register")
def register_page():
    readable = access.readable_contracts(g.user)
    code = _chosen_contract(readable)
    rows = register.register_rows([code]) if code else []
    page = max(1, request.args.get("page", 1, type=int))
    return render_template(
        "register.html",
        contracts=Contract.select().where(Contract.code.in_(readable)).order_by(Contract.code),
        contract=Contract.get_by_id(code) if code else None,
        rows=rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], total=len(rows), page=page, page_size=PAGE_SIZE,
        handlers=register.people_with_access(code) if code else [],
        status_name=register.status_name, role_name=register.role_name,
        issued=papers.latest("register", code) if code else None,
    )


@blueprint.route("/register.csv")
def register_csv():
    code = _required_contract()
    return _csv_download(register.register_csv([code], lang=g.lang), f"register-{code}.csv")


@blueprint.route("/register/custody.csv")
def custody_csv():
    code = _required_contract()
    return _csv_download(register.custody_csv([code], lang=g.lang), f"custody-{code}.csv")


@blueprint.route("/register.pdf", methods=["POST"])
def issue_register_pdf():
    """Issue the register as a numbered PDF (recorded, so it can be verified later) and open it."""
    try:
        document = registers.issue_pdf(g.user, current_app.config["SETTINGS"], request.form.get("contract", ""))
    except DomainError as error:
        flash(message(error), "error")
        return redirect(url_for("register.register_page"))
    return redirect(url_for("custody.document_pdf", serial=document.serial))


@blueprint.route("/contracts/<code>/balance")
def balance_page(code):
    contract = access.get_contract(code)
    access.require_read(g.user, contract)
    return render_template(
        "balance.html", contract=contract, balance=register.closeout_balance(contract.code),
        status_name=register.status_name,
    )


def _chosen_contract(readable: list[str]) -> str | None:
    """The contract asked for (refused if unreadable), else the reader's first one, else none."""
    code = request.args.get("contract")
    if code:
        access.require_read(g.user, access.get_contract(code))
        return code
    return min(readable) if readable else None


def _required_contract() -> str:
    code = request.args.get("contract", "")
    contract = access.get_contract(code)
    access.require_read(g.user, contract)
    return contract.code


def _csv_download(content: bytes, filename: str) -> Response:
    return Response(content, mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
    })
