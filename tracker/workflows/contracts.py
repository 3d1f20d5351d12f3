"""Changing a contract's details after it was registered: the company's address and its
representative (代表者) that papers print in the contractor's block, the contract number, the
city's section. Only the administrator does it; each change is a ledger event, so a paper issued
before it keeps the details it printed and ``verify`` replays the change."""

from __future__ import annotations

from tracker import db, ledger
from tracker.errors import InvalidInput
from tracker.models import Contract, User
from tracker.workflows import access, inputs

# field: (Japanese name, English name, longest accepted)
EDITABLE = {
    "contractor": ("受託者（会社名）", "contractor (company)", 100),
    "contractor_address": ("受託者の所在地", "contractor's address", 200),
    "contractor_representative_title": ("代表者の役職", "representative's title", 50),
    "contractor_representative": ("代表者の氏名", "representative's name", 50),
    "contract_number": ("契約番号", "contract number", 50),
    "client_section": ("担当課", "city's section", 100),
}


def update_contract(actor: User | None, code: str, **changes: str) -> Contract:
    """Set the given details (only those in ``EDITABLE``); every refusal is named at once.
    ``actor`` None: the CLI, run by whoever holds the data folder (as ``people.create_contract``)."""
    if actor is not None:
        access.require_admin(actor)
    contract = inputs.find_paper(Contract, code, "契約", "contract")
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"変更できない項目です: {', '.join(unknown)}", f"these cannot be changed: {', '.join(unknown)}")
    cleaned, problems = {}, []
    for field, value in changes.items():
        text = " ".join(str(value or "").split())  # one line on paper: no tabs or line breaks
        name_ja, name_en, longest = EDITABLE[field]
        if len(text) > longest:
            problems.append((f"{name_ja}は{longest}文字以内にしてください", f"{name_en} must be at most {longest} characters"))
        cleaned[field] = text
    if problems:
        raise InvalidInput("。".join(ja for ja, _en in problems), "; ".join(en for _ja, en in problems))
    changed = {field: value for field, value in cleaned.items() if getattr(contract, field) != value}
    if not changed:
        return contract
    with db.writing():
        ledger.append("contract.updated", actor.login if actor else None, contract=contract.code, changes={"contract": {contract.code: changed}})
    return Contract.get_by_id(contract.code)
