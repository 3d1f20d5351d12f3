"""Issuing the 台帳 (Art. 7(5)) as a numbered PDF, e.g. for the city's inspection (Art. 12).

The register itself is a view (``tracker.register``); issuing it records which ledger head the
printed copy shows, so a page handed to an inspector can be checked against the ledger later.
"""

from __future__ import annotations

from tracker import register
from tracker.documents.register import register_pdf
from tracker.models import Document, Medium, User
from tracker.workflows import access, papers


def issue_pdf(actor: User, settings, contract_code: str) -> Document:
    contract = access.get_contract(contract_code)
    access.require_read(actor, contract)
    media_ids = [medium_id for (medium_id,) in Medium.select(Medium.id).where(Medium.contract == contract.code).tuples()]

    def render(paper):
        return register_pdf(contract, register.register_rows([contract.code]), register.closeout_balance(contract.code), paper)

    return papers.issue(actor, settings, contract.code, "register", contract.code, render, media=media_ids)
