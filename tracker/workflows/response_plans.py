"""緊急時対応計画 (Art. 19(2)): each contract's plan for accidents, made before one happens.

The responsible person records it — whom to call and how, the first steps, who decides — and
every change is a new numbered version (``response_plan.recorded``); nothing is overwritten. An
incident names the version in force when it opened, links to it and prints it with its report,
so the city reads the plan the contractor was working to at that moment.
"""

from __future__ import annotations

from tracker import db, ledger
from tracker.errors import NotFound
from tracker.models import ResponsePlan, User
from tracker.timeutil import now_iso
from tracker.workflows import access, inputs


def record(actor: User, contract_code: str, contacts: str, steps: str, decides: str) -> ResponsePlan:
    contract = access.get_contract(contract_code)
    access.require_responsible(actor, contract)
    row = {
        "contract": contract.code,
        "contacts": inputs.require_text(contacts, "連絡体制（連絡先と順序）", "contacts (whom to call, in which order)", 5000),
        "steps": inputs.require_text(steps, "初動の手順", "first steps", 5000),
        "decides": inputs.require_text(decides, "判断する者（作業停止・本人通知・公表）", "who decides (stopping work, telling the persons, publication)", 2000),
        "recorded_by": actor.login,
    }
    with db.writing():
        latest = current(contract.code)
        if latest is not None and all(getattr(latest, name) == row[name] for name in ("contacts", "steps", "decides")):
            return latest  # nothing changed: no new version
        version = (latest.version if latest else 0) + 1
        key = f"{contract.code}/v{version}"
        ledger.append("response_plan.recorded", actor.login, contract=contract.code, data={"key": key, "version": version},
                      changes={"response_plan": {key: {**row, "version": version, "recorded_at": now_iso()}}})
    return ResponsePlan.get_by_id(key)


def current(contract_code: str) -> ResponsePlan | None:
    return (ResponsePlan.select().where(ResponsePlan.contract == contract_code)
            .order_by(ResponsePlan.version.desc()).first())


def versions(contract_code: str) -> list[ResponsePlan]:
    return list(ResponsePlan.select().where(ResponsePlan.contract == contract_code).order_by(ResponsePlan.version.desc()))


def get_plan(actor: User, key: str) -> ResponsePlan:
    plan = ResponsePlan.get_or_none(ResponsePlan.key == key)
    if plan is None:
        raise NotFound(f"緊急時対応計画 {key} はありません", f"no response plan {key}")
    access.require_read(actor, plan.contract)
    return plan
