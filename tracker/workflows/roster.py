"""Changes of a contract's roster put to the city (Art. 8; Art. 15 for non-regular staff).

Art. 8 asks the contractor to name its responsible person and workers to the city in writing, and
to obtain the city's approval before changing them. So a change is an *application*
(``RosterApplication``) by the responsible person — an administrator for the responsible person
themself — naming who, which role, the employer, the employment type, from when and why:

* adding a person or changing their role takes effect when a municipality user approves it with
  their own login; until then the person cannot act on the contract's media (``access`` finds no
  roster entry, or the old role). Where the contract's provision profile asks only for a
  notification (``roster.changes = "notification"``), it takes effect at once and the city
  acknowledges it;
* removing a person takes effect at once — nobody keeps access while the city reads its mail —
  and is reported to the city, which acknowledges it.

The roster paper (名簿, ``tracker/documents/roster.py``) is reissued by the caller after each
change that took effect, so the city always holds the current list.
"""

from __future__ import annotations

from tracker import db, ledger, vocabulary
from tracker.errors import AlreadyExists, InvalidInput, NotAllowed, WrongState
from tracker.models import CONTRACT_ROLES, EMPLOYMENT_TYPES, Contract, RosterApplication, RosterEntry, User
from tracker.timeutil import JST, now_iso, utc_now
from tracker.workflows import access, inputs, profiles

APPROVAL_SUFFIX = "-承認"


def approval_number(application: RosterApplication | str) -> str:
    number = application if isinstance(application, str) else application.number
    return f"{number}{APPROVAL_SUFFIX}"


def parse_employment_type(value: str) -> str:
    """A code of ``EMPLOYMENT_TYPES`` from the code or its Japanese name (正社員, 派遣, 契約, パート, 再委託先)."""
    value = (value or "").strip()
    for code, (ja, en) in vocabulary.EMPLOYMENT_TYPES.items():
        if value in (code, ja, en) or value in vocabulary.EMPLOYMENT_TYPE_SHORT.get(code, ()):
            return code
    names = "、".join(ja for ja, _ in vocabulary.EMPLOYMENT_TYPES.values())
    raise InvalidInput(f"雇用形態「{value}」は {names} のいずれかです",
                       f"employment type {value!r} must be one of {', '.join(EMPLOYMENT_TYPES)}")


def apply_add(actor: User | None, contract_code: str, login: str, role: str = "worker", *, employer: str = "",
              employment_type: str = "regular", effective_from: str = "", reason: str = "") -> RosterApplication:
    """Ask the city to put ``login`` on the roster as ``role`` (``actor`` None: the installation)."""
    contract = access.get_contract(contract_code)
    person = _contractor_staff(login)
    inputs.parse_choice(role, CONTRACT_ROLES, "名簿の役割", "roster role")
    _require_roster_manager(actor, contract, role)
    details = _details(contract, person, employer, employment_type, effective_from, reason)
    with db.writing():
        entry = _entry(contract, person)
        if entry is not None and entry.active:
            raise AlreadyExists(f"{person.name} さんは既に名簿に登録されています", f"{person.login} is already on the roster")
        _refuse_if_pending(contract, person)
        return _apply(actor, contract, person, "add", role, details)


def apply_role_change(actor: User | None, contract_code: str, login: str, role: str, *, reason: str,
                      effective_from: str = "") -> RosterApplication:
    """Ask the city to give a person on the roster another role; the old one holds until approved."""
    contract = access.get_contract(contract_code)
    person = access.get_user(login)
    inputs.parse_choice(role, CONTRACT_ROLES, "名簿の役割", "roster role")
    entry = _entry(contract, person)
    if entry is None or not entry.active:
        raise WrongState(f"{person.name} さんは契約 {contract.code} の名簿に登録されていません",
                         f"{person.login} is not on the roster of {contract.code}")
    if entry.role == role:
        raise WrongState(f"{person.name} さんは既に{vocabulary.CONTRACT_ROLES[role][0]}です",
                         f"{person.login} already has the role {role}")
    _require_roster_manager(actor, contract, "responsible" if "responsible" in (role, entry.role) else role)
    details = _details(contract, person, entry.employer, entry.employment_type or "regular", effective_from, reason, reason_required=True)
    with db.writing():
        _refuse_if_pending(contract, person)
        return _apply(actor, contract, person, "role", role, details)


def remove(actor: User | None, contract_code: str, login: str, reason: str = "") -> RosterApplication:
    """Take a person off the roster at once; the removal is reported to the city."""
    contract = access.get_contract(contract_code)
    person = access.get_user(login)
    entry = _entry(contract, person)
    if entry is None or not entry.active:
        raise WrongState(f"{login} は契約 {contract.code} の名簿に登録されていません", f"{login} is not on the roster of {contract.code}")
    _require_roster_manager(actor, contract, entry.role)
    today = utc_now().astimezone(JST).date().isoformat()
    with db.writing():
        number = inputs.next_number(RosterApplication, contract.code, "R")
        now = now_iso()
        ledger.append(
            "roster.removed", actor.login if actor else None, contract=contract.code,
            data={"login": person.login, "reason": reason, "application": number},
            changes={
                "roster_application": {number: _row(contract, person, "remove", entry.role, {
                    "employer": entry.employer, "employment_type": entry.employment_type, "effective_from": today,
                    "reason": reason}, actor, now, "reported")},
                "roster_entry": {entry.key: {"removed_at": now}},
            },
        )
    return RosterApplication.get_by_id(number)


def decide(city_user: User, number: str, approve: bool, note: str = "") -> RosterApplication:
    """The city's decision, with its own login: approve or reject a pending addition or role
    change; acknowledge a removal or a notified addition (those have already taken effect)."""
    application = get_application(city_user, number)
    access.require_municipality(city_user, application.contract)
    note = inputs.decision_note(approve, note)
    with db.writing():
        application = RosterApplication.get_by_id(application.number)
        if application.status in ("reported", "notified"):
            if not approve:
                raise WrongState("この変更は既に効力を生じています。受領の確認だけができます",
                                 "this change has already taken effect; the city can only acknowledge it")
            ledger.append("roster.acknowledged", city_user.login, contract=application.contract_id,
                          data={"application": application.number, "note": note},
                          changes={"roster_application": {application.number: _decision(city_user, "acknowledged", note)}})
            return RosterApplication.get_by_id(application.number)
        if application.status != "pending":
            raise WrongState(f"申請 {application.number} は既に処理されています", f"application {application.number} was already decided")
        changes = {"roster_application": {application.number: _decision(city_user, "approved" if approve else "rejected", note)}}
        if approve:
            changes["roster_entry"] = _taking_effect(application)
        ledger.append("roster.approved" if approve else "roster.rejected", city_user.login, contract=application.contract_id,
                      data={"application": application.number, "login": application.user_id, "note": note,
                            **({"approval": approval_number(application)} if approve else {})},
                      changes=changes)
    return RosterApplication.get_by_id(application.number)


def get_application(actor: User, number: str) -> RosterApplication:
    application = inputs.find_paper(RosterApplication, number, "名簿の変更申請", "roster application")
    access.require_read(actor, application.contract)
    return application


def applications(contract: Contract | str) -> list[RosterApplication]:
    contract = access.get_contract(contract)
    return list(RosterApplication.select().where(RosterApplication.contract == contract.code).order_by(RosterApplication.number.desc()))


def waiting(contract: Contract | str) -> list[RosterApplication]:
    """Changes the city has not decided or acknowledged yet, oldest first."""
    contract = access.get_contract(contract)
    return list(RosterApplication.select().where((RosterApplication.contract == contract.code)
                                                 & RosterApplication.status.in_(("pending", "reported", "notified")))
                .order_by(RosterApplication.number))


def entries(contract: Contract | str, include_removed: bool = False) -> list[RosterEntry]:
    contract = access.get_contract(contract)
    query = RosterEntry.select().where(RosterEntry.contract == contract.code)
    if not include_removed:
        query = query.where(RosterEntry.removed_at.is_null())
    return sorted(query, key=lambda entry: (entry.role != "responsible", entry.added_at, entry.key))


# ---- helpers ----------------------------------------------------------------------------------


def _apply(actor: User | None, contract: Contract, person: User, change: str, role: str, details: dict) -> RosterApplication:
    """Record the application; where the profile asks only for a notification, it takes effect now."""
    number = inputs.next_number(RosterApplication, contract.code, "R")
    notified = profiles.for_contract(contract).roster.changes == "notification"
    now = now_iso()
    row = _row(contract, person, change, role, details, actor, now, "notified" if notified else "pending")
    changes = {"roster_application": {number: row}}
    if notified:
        changes["roster_entry"] = _taking_effect(_Pending(number, contract.code, person.login, change, role, details))
    ledger.append("roster.added" if notified and change == "add" else "roster.applied", actor.login if actor else None,
                  contract=contract.code, data={"application": number, "change": change, "login": person.login, "role": role},
                  changes=changes)
    return RosterApplication.get_by_id(number)


class _Pending:
    """What ``_taking_effect`` needs of an application before its row exists."""

    def __init__(self, number, contract_id, user_id, change, role, details):
        self.number, self.contract_id, self.user_id, self.change, self.role = number, contract_id, user_id, change, role
        self.employer, self.employment_type = details["employer"], details["employment_type"]
        self.effective_from = details["effective_from"]


def _taking_effect(application) -> dict:
    """The roster entry's change when an application takes effect."""
    key = access.roster_key(application.contract_id, application.user_id)
    if application.change == "role":
        return {key: {"role": application.role, "approval": application.number}}
    today = utc_now().astimezone(JST).date().isoformat()
    return {key: {
        "contract": application.contract_id, "user": application.user_id, "role": application.role,
        "added_at": now_iso(), "removed_at": None, "reported_on": today, "employer": application.employer,
        "employment_type": application.employment_type, "approval": application.number,
    }}


def _row(contract, person, change, role, details, actor, now, status) -> dict:
    return {"contract": contract.code, "change": change, "user": person.login, "role": role, **details,
            "applied_by": actor.login if actor else None, "applied_at": now, "status": status,
            "decided_by": None, "decided_at": None, "decision_note": ""}


def _decision(city_user: User, status: str, note: str) -> dict:
    return {"status": status, "decided_by": city_user.login, "decided_at": now_iso(), "decision_note": note}


def _details(contract, person, employer, employment_type, effective_from, reason, reason_required=False) -> dict:
    # Blank: the contractor itself (or the person's organisation) employs them.
    employer = ((employer or "").strip() or contract.contractor or person.organisation)[:200]
    if effective_from:
        effective_from = inputs.parse_date(effective_from).isoformat()
    reason = inputs.require_text(reason, "理由", "reason", 500) if reason_required else (reason or "").strip()[:500]
    return {"employer": employer, "employment_type": parse_employment_type(employment_type),
            "effective_from": effective_from, "reason": reason}


def _contractor_staff(login: str) -> User:
    person = access.get_user(login)
    if person.role != "contractor":
        raise InvalidInput(
            f"{person.name} さんは受託者の職員ではないため名簿に登録できません",
            f"{login} is not contractor staff and cannot be on a roster",
        )
    return person


def _entry(contract: Contract, person: User) -> RosterEntry | None:
    return RosterEntry.get_or_none(RosterEntry.key == access.roster_key(contract.code, person.login))


def _refuse_if_pending(contract: Contract, person: User) -> None:
    pending = (RosterApplication.select().where((RosterApplication.contract == contract.code)
                                                & (RosterApplication.user == person.login)
                                                & (RosterApplication.status == "pending")).first())
    if pending is not None:
        raise AlreadyExists(f"{person.name} さんについては申請 {pending.number} が市の承認待ちです",
                            f"application {pending.number} for {person.login} is already waiting for the city")


def _require_roster_manager(actor: User | None, contract: Contract, role: str) -> None:
    """Administrators name the responsible person; the responsible person names the workers."""
    if actor is None:
        return
    if actor.is_admin:
        access.require_active(actor)
        return
    if role == "responsible":
        raise NotAllowed("取扱責任者の指名はシステム管理者が行います", "only an administrator appoints the responsible person")
    access.require_responsible(actor, contract)


# ---- the roster paper (名簿) ------------------------------------------------------------------


def paper_data(contract: Contract | str):
    from tracker.documents.roster import RosterData
    from tracker.workflows import pledges

    contract = access.get_contract(contract)
    people = entries(contract)
    return RosterData(
        contract=contract, article=profiles.for_contract(contract).roster.article, entries=people,
        pledges={entry.user_id: pledges.current(entry.user, contract) for entry in people},
        applications=sorted(applications(contract), key=lambda application: application.number),
        approval_suffix=APPROVAL_SUFFIX,
    )


def issue_paper(actor: User, settings, contract_code: str):
    """Issue the roster paper as it stands now (after each change that took effect), printed as
    the responsible person's report to the city."""
    from tracker.documents.roster import roster_paper
    from tracker.workflows import papers

    contract = access.get_contract(contract_code)
    access.require_read(actor, contract)
    responsible = next((entry.user for entry in entries(contract) if entry.role == "responsible"), None)
    return papers.issue(actor, settings, contract.code, "roster", contract.code, lambda issue: roster_paper(paper_data(contract), issue),
                        issuer=responsible)


def waiting_in(contract_codes: list[str]) -> list[RosterApplication]:
    """Changes waiting for the city on these contracts, with their person (one statement)."""
    return list(RosterApplication.select(RosterApplication, User).join(User)
                .where(RosterApplication.contract.in_(contract_codes) & RosterApplication.status.in_(("pending", "reported", "notified")))
                .order_by(RosterApplication.number))


def pending_for(person: User) -> list[RosterApplication]:
    """The person's own additions waiting for the city (they cannot read those contracts yet)."""
    return list(RosterApplication.select().where((RosterApplication.user == person.login) & (RosterApplication.change == "add")
                                                 & (RosterApplication.status == "pending")))
