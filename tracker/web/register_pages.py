"""The 台帳 (media register, Art. 7(5)) on screen and as CSV, and a contract's close-out balance.

Everything here is read from ``tracker.register``; the pages only pick the contract the reader
may see and render. The CSV follows the reader's language, like the page it is linked from.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, stream_with_context, url_for

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
    after = request.args.get("after", "")[:100]
    rows = register.register_rows([code], after=after, limit=PAGE_SIZE + 1) if code else []
    return render_template(
        "register.html",
        contracts=Contract.select().where(Contract.code.in_(readable)).order_by(Contract.code),
        contract=Contract.get_by_id(code) if code else None,
        rows=rows[:PAGE_SIZE], total=register.count_media([code]) if code else 0, after=after, page_size=PAGE_SIZE,
        next_after=rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None,
        handlers=register.people_with_access(code) if code else [],
        status_name=register.status_name, role_name=register.role_name,
        issued=papers.latest("register", code) if code else None,
    )


@blueprint.route("/register.csv")
def register_csv():
    code = _required_contract()
    return _csv_download(register.register_csv_lines([code], lang=g.lang), f"register-{code}.csv")


@blueprint.route("/register/custody.csv")
def custody_csv():
    code = _required_contract()
    return _csv_download(register.custody_csv_lines([code], lang=g.lang), f"custody-{code}.csv")


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


def _csv_download(content, filename: str) -> Response:
    """``content``: bytes, or pieces of it as they are made (streamed in constant memory)."""
    if not isinstance(content, bytes):
        content = stream_with_context(content)
    return Response(content, mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
    })
