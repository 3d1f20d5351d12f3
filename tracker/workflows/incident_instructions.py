"""The city's instructions on an incident (Art. 19(1): the contractor reports and follows the
city's instructions), each answered by the contractor.

Only a municipality account gives one; an incident that is closed takes none. The responsible
person records the response to each; an incident with an instruction left unanswered cannot be
closed (``incidents.close``).
"""

from __future__ import annotations

from tracker import db, ledger
from tracker.errors import NotFound, WrongState
from tracker.models import Incident, Instruction, User
from tracker.timeutil import now_iso
from tracker.workflows import access, incidents, inputs


def give(city_user: User, number: str, text: str) -> Instruction:
    incident = incidents.get_incident(number)
    access.require_municipality(city_user, incident.contract)
    text = inputs.require_text(text, "指示の内容", "instruction", 5000)
    with db.writing():
        incident = incidents.get_incident(number)
        if incident.status == "closed":
            raise WrongState(f"{number} は終了しているため指示を記録できません",
                             f"{number} is closed; no instruction can be recorded on it")
        key = f"{number}/{of_incident(incident).__len__() + 1}"
        ledger.append("incident.instructed", city_user.login, contract=incident.contract_id, data={"number": number, "key": key},
                      changes={"instruction": {key: {"incident": number, "text": text, "given_by": city_user.login,
                                                     "given_at": now_iso(), "response": ""}}}, media=incident.media)
    return Instruction.get_by_id(key)


def respond(actor: User, key: str, response: str) -> Instruction:
    instruction = get(key)
    incident = instruction.incident
    access.require_responsible(actor, incident.contract)
    response = inputs.require_text(response, "指示への対応", "response", 5000)
    with db.writing():
        instruction = get(key)
        if instruction.responded_at:
            raise WrongState(f"指示 {key} には対応を記録済みです", f"instruction {key} already has its response")
        ledger.append("incident.instruction_answered", actor.login, contract=incident.contract_id,
                      data={"number": incident.number, "key": key},
                      changes={"instruction": {key: {"response": response, "responded_by": actor.login, "responded_at": now_iso()}}})
    return Instruction.get_by_id(key)


def get(key: str) -> Instruction:
    found = Instruction.get_or_none(Instruction.key == (key or "").strip())
    if found is None:
        raise NotFound(f"指示 {key} はありません", f"no instruction {key}")
    return found


def of_incident(incident: Incident) -> list[Instruction]:
    return sorted(Instruction.select().where(Instruction.incident == incident.number),
                  key=lambda row: int(row.key.rsplit("/", 1)[1]))


def unanswered(contracts: list[str]) -> list[Instruction]:
    return list(Instruction.select().join(Incident).where(Incident.contract.in_(list(contracts)) & Instruction.responded_at.is_null())
                .order_by(Instruction.given_at))
