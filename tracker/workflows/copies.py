"""Copies only with the city's permission (Art. 5, 7(3)).

The contractor asks; a municipality user approves (or rejects, saying why) — no contractor
account can, not even an administrator. Each approved copy is then registered as a medium of
its own, with its own ID and label, linked to the original; the request's number is the
approval number printed on its record.
"""

from __future__ import annotations

from tracker import db, ledger
from tracker.errors import NeedsApproval, WrongState
from tracker.models import MEDIUM_KINDS, CopyRequest, Medium, User
from tracker.timeutil import now_iso
from tracker.workflows import access, inputs, media, places, profiles

COPYABLE = ("received", "stored", "in_use")


def request(actor: User, medium_id: str, copies: int, copy_kind: str, purpose: str) -> CopyRequest:
    original = media.get_medium(medium_id)
    access.require_custody(actor, original.contract)
    rule = profiles.for_contract(original.contract).copies
    profiles.require_allowed(original.contract, "この契約の特記事項は媒体の複写・複製を認めていません",
                             "this contract's provisions forbid copying its media", rule.article, rule.rule != "forbidden")
    media.require_status(original, COPYABLE)
    row = {
        "contract": original.contract_id, "medium": original.id,
        "copies": inputs.parse_count(copies, "複製の数", "number of copies", minimum=1, maximum=100),
        "copy_kind": inputs.parse_choice(copy_kind, MEDIUM_KINDS, "複製先の媒体", "copy medium kind"),
        "purpose": inputs.require_text(purpose, "複製の目的", "purpose", 200),
        "status": "requested", "requested_by": actor.login, "requested_at": now_iso(),
    }
    with db.writing():
        number = inputs.next_number(CopyRequest, original.contract_id, "C")
        ledger.append("copy.requested", actor.login, contract=original.contract_id, data={"number": number},
                      changes={"copy_request": {number: row}}, media=[original.id])
    return CopyRequest.get_by_id(number)


def decide(city_user: User, number: str, approve: bool, note: str = "") -> CopyRequest:
    """The city's decision; a rejection must say why."""
    access.require_municipality(city_user, get_request(number).contract)
    note = inputs.decision_note(approve, note)
    with db.writing():
        found = get_request(number)
        if found.status != "requested":
            raise WrongState(f"{found.number} は既に判断済みです（{found.status}）", f"{found.number} was already decided ({found.status})")
        status = "approved" if approve else "rejected"
        ledger.append(f"copy.{status}", city_user.login, contract=found.contract_id, data={"number": found.number, "note": note},
                      changes={"copy_request": {found.number: {"status": status, "decided_by": city_user.login,
                                                               "decided_at": now_iso(), "decision_note": note}}},
                      media=[found.medium_id])
    return get_request(number)


def make_copy(actor: User, number: str, location: str | None = None, **details) -> Medium:
    """Register one copy made under approval ``number``; refused without a valid approval."""
    found = get_request(number)
    access.require_custody(actor, found.contract)
    place = places.get_location(location) if location else None
    with db.writing():
        found = get_request(number)
        _require_approved(found)
        original = Medium.get_by_id(found.medium_id)
        media.require_status(original, COPYABLE)
        row = media.new_medium_row(
            original.contract_id, found.copy_kind, details.pop("title", None) or f"{original.title}（複製）",
            status="stored" if place else "received", location=place.code if place else None,
            custodian=None if place else actor.login, parent=original.id,
            pi_items=original.pi_items, record_count=original.record_count, **details,
        )
        (copy_id,) = media.next_medium_ids(original.contract_id, 1)
        made = found.copies_made + 1
        ledger.append(
            "copy.made", actor.login, contract=original.contract_id,
            data={"number": found.number, "original": original.id, "copy": copy_id},
            changes={"medium": {copy_id: row},
                     "copy_request": {found.number: {"copies_made": made, "status": "used" if made >= found.copies else "approved"}}},
            media=[original.id],
        )
    return Medium.get_by_id(copy_id)


def get_request(number: str) -> CopyRequest:
    return inputs.find_paper(CopyRequest, number, "複製の申請", "copy request")


def pending(contracts: list[str]) -> list[CopyRequest]:
    return list(CopyRequest.select().where(CopyRequest.contract.in_(contracts) & (CopyRequest.status == "requested")).order_by(CopyRequest.number))


def _require_approved(found: CopyRequest) -> None:
    if found.status == "requested":
        raise NeedsApproval(f"複製の申請 {found.number} はまだ市の承認を受けていません（第5条）",
                            f"copy request {found.number} has not been approved by the city yet (Art. 5)")
    if found.status == "rejected":
        raise NeedsApproval(f"複製の申請 {found.number} は市が却下しました: {found.decision_note}",
                            f"the city rejected copy request {found.number}: {found.decision_note}")
    if found.status == "used":
        raise NeedsApproval(f"申請 {found.number} で承認された {found.copies} 部はすべて作成済みです。追加の複製には新たな承認が必要です",
                            f"all {found.copies} copies approved under {found.number} were made; another copy needs a new approval")
