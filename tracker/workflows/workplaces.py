"""Work places of a contract (Art. 9) and the ID badges for work inside the city's premises (9(2)).

A work place is a registered place (``Location`` of purpose "work") that the contractor reports
for one contract — address, room, security measures, whether it is inside the city's premises —
and that the city acknowledges, or one the city designates itself. Media of the contract can be
taken out only to a work place of that contract the city acknowledged or designated (where the
profile asks for the city's acknowledgement; otherwise to one reported). The 作業場所届 paper
lists them (``tracker/documents/workplaces.py``).
"""

from __future__ import annotations

from tracker import db, ledger
from tracker.errors import AlreadyExists, InvalidInput, NotAllowed, WrongState
from tracker.models import Contract, IdBadge, Location, User, WorkPlace
from tracker.timeutil import JST, now_iso, utc_now
from tracker.workflows import access, inputs, places, profiles

USABLE = ("acknowledged", "designated")


def report(actor: User, contract_code: str, location_code: str, address: str, security_measures: str,
           city_premises: bool = False) -> WorkPlace:
    """The responsible person reports a work place of the contract to the city."""
    contract = access.get_contract(contract_code)
    _require_reporter(actor, contract)
    place = _work_location(location_code)
    address = inputs.require_text(address, "所在地", "address", 200)
    measures = inputs.require_text(security_measures, "安全管理措置", "security measures", 1000)
    key = _key(contract, place)
    with db.writing():
        existing = WorkPlace.get_or_none(WorkPlace.key == key)
        if existing is not None and existing.status != "withdrawn":
            raise AlreadyExists(f"{place.name} は契約 {contract.code} の作業場所として報告済みです",
                                f"{place.name} is already reported as a work place of {contract.code}")
        ledger.append("workplace.reported", actor.login, contract=contract.code, data={"location": place.code},
                      changes={"work_place": {key: _row(contract, place, address, measures, city_premises, "reported", actor)}})
    return WorkPlace.get_by_id(key)


def acknowledge(city_user: User, contract_code: str, location_code: str, note: str = "") -> WorkPlace:
    """The city acknowledges a reported work place, with its own login."""
    access.require_municipality(city_user, contract_code)
    contract = access.get_contract(contract_code)
    place = places.get_location(location_code)
    with db.writing():
        found = WorkPlace.get_or_none(WorkPlace.key == _key(contract, place))
        if found is None or found.status != "reported":
            raise WrongState(f"{place.name} は契約 {contract.code} の作業場所として確認待ちではありません",
                             f"{place.name} is not waiting for acknowledgement as a work place of {contract.code}")
        ledger.append("workplace.acknowledged", city_user.login, contract=contract.code, data={"location": place.code, "note": note},
                      changes={"work_place": {found.key: {"status": "acknowledged", "decided_by": city_user.login,
                                                          "decided_at": now_iso(), "note": (note or "").strip()[:500]}}})
    return WorkPlace.get_by_id(found.key)


def designate(city_user: User, contract_code: str, location_code: str, address: str, security_measures: str = "",
              city_premises: bool = True, note: str = "") -> WorkPlace:
    """The city designates a work place itself (typically a room in its own building)."""
    access.require_municipality(city_user, contract_code)
    contract = access.get_contract(contract_code)
    place = _work_location(location_code)
    address = inputs.require_text(address, "所在地", "address", 200)
    key = _key(contract, place)
    with db.writing():
        existing = WorkPlace.get_or_none(WorkPlace.key == key)
        if existing is not None and existing.status in USABLE:
            raise AlreadyExists(f"{place.name} は既に契約 {contract.code} の作業場所です", f"{place.name} is already a work place of {contract.code}")
        row = _row(contract, place, address, (security_measures or "").strip()[:1000], city_premises, "designated", city_user)
        row.update({"decided_by": city_user.login, "decided_at": row["reported_at"], "note": (note or "").strip()[:500]})
        ledger.append("workplace.designated", city_user.login, contract=contract.code, data={"location": place.code},
                      changes={"work_place": {key: row}})
    return WorkPlace.get_by_id(key)


def withdraw(actor: User, contract_code: str, location_code: str, reason: str) -> WorkPlace:
    """No longer a work place of the contract (the responsible person or the city)."""
    contract = access.get_contract(contract_code)
    if not actor.is_municipality:
        _require_reporter(actor, contract)
    place = places.get_location(location_code)
    reason = inputs.require_text(reason, "理由", "reason", 500)
    with db.writing():
        found = WorkPlace.get_or_none(WorkPlace.key == _key(contract, place))
        if found is None or found.status == "withdrawn":
            raise WrongState(f"{place.name} は契約 {contract.code} の作業場所ではありません", f"{place.name} is not a work place of {contract.code}")
        ledger.append("workplace.withdrawn", actor.login, contract=contract.code, data={"location": place.code, "reason": reason},
                      changes={"work_place": {found.key: {"status": "withdrawn", "note": reason}}})
    return WorkPlace.get_by_id(found.key)


def require_usable(contract: Contract | str, place: Location) -> None:
    """Refuse a take-out to ``place`` unless it is a work place of the contract the city
    acknowledged (or, where the profile asks no acknowledgement, one reported); the refusal names
    the contract's article."""
    contract = access.get_contract(contract)
    rule = profiles.for_contract(contract).work_places
    found = WorkPlace.get_or_none(WorkPlace.key == _key(contract, place))
    usable = USABLE if rule.city_acknowledgement else (*USABLE, "reported")
    if found is not None and found.status in usable:
        return
    if found is None or found.status == "withdrawn":
        rule_ja = f"{place.name} は契約 {contract.code} の作業場所として市に報告されていません。持ち出せるのは報告し市の確認を受けた作業場所だけです"
        rule_en = f"{place.name} is not a work place reported for contract {contract.code}; media go only to work places the city acknowledged"
    else:
        rule_ja = f"{place.name} は作業場所として報告済みですが、まだ市の確認を受けていません。確認を受けるまで持ち出せません"
        rule_en = f"{place.name} is reported but the city has not acknowledged it yet as a work place of {contract.code}"
    profiles.require_allowed(contract, rule_ja, rule_en, rule.article, False)


def of_contract(contract: Contract | str, include_withdrawn: bool = False) -> list[WorkPlace]:
    contract = access.get_contract(contract)
    query = WorkPlace.select(WorkPlace, Location).join(Location).where(WorkPlace.contract == contract.code)
    if not include_withdrawn:
        query = query.where(WorkPlace.status != "withdrawn")
    return list(query.order_by(WorkPlace.reported_at))


def usable_locations(contract_codes: list[str]) -> dict[str, list[Location]]:
    """contract -> the work places media of it may be taken to now (for the take-out form)."""
    found: dict[str, list[Location]] = {}
    for row in WorkPlace.select(WorkPlace, Location).join(Location).where(WorkPlace.contract.in_(contract_codes)
                                                                          & WorkPlace.status.in_(USABLE)):
        found.setdefault(row.contract_id, []).append(row.location)
    return found


# ---- ID badges (Art. 9(2)) --------------------------------------------------------------------


def issue_badge(actor: User, contract_code: str, login: str, number: str, issued_on: str = "") -> IdBadge:
    contract = access.get_contract(contract_code)
    _require_reporter(actor, contract)
    person = access.get_user(login)
    entry = access.roster_entry(person, contract)
    if entry is None or not entry.active:
        raise WrongState(f"{person.name} さんは契約 {contract.code} の名簿にありません", f"{login} is not on the roster of {contract.code}")
    if not WorkPlace.select().where((WorkPlace.contract == contract.code) & WorkPlace.city_premises & WorkPlace.status.in_(USABLE)).exists():
        raise WrongState("この契約には市の庁舎内の作業場所がないため、身分証明書の記録は不要です",
                         "this contract has no work place inside the city's premises; no ID badge is needed")
    number = inputs.require_text(number, "身分証明書の番号", "badge number", 40)
    day = inputs.parse_date(issued_on).isoformat() if issued_on else _today()
    key = f"{contract.code}/{number}"
    with db.writing():
        if IdBadge.get_or_none(IdBadge.key == key) is not None:
            raise AlreadyExists(f"身分証明書 {number} は既に記録されています", f"badge {number} is already recorded")
        if IdBadge.select().where((IdBadge.contract == contract.code) & (IdBadge.user == person.login) & IdBadge.returned_on.is_null()).exists():
            raise AlreadyExists(f"{person.name} さんには返却されていない身分証明書があります", f"{login} still holds a badge")
        ledger.append("badge.issued", actor.login, contract=contract.code, data={"login": person.login, "number": number},
                      changes={"id_badge": {key: {"contract": contract.code, "user": person.login, "number": number,
                                                  "issued_on": day, "returned_on": None, "recorded_by": actor.login}}})
    return IdBadge.get_by_id(key)


def return_badge(actor: User, contract_code: str, number: str, returned_on: str = "") -> IdBadge:
    contract = access.get_contract(contract_code)
    _require_reporter(actor, contract)
    badge = IdBadge.get_or_none(IdBadge.key == f"{contract.code}/{(number or '').strip()}")
    if badge is None or badge.returned_on:
        raise WrongState(f"身分証明書 {number} は貸出中ではありません", f"badge {number} is not out")
    day = inputs.parse_date(returned_on).isoformat() if returned_on else _today()
    if day < badge.issued_on:
        raise InvalidInput("返却日が発行日より前です", "returned before it was issued")
    with db.writing():
        ledger.append("badge.returned", actor.login, contract=contract.code, data={"number": badge.number},
                      changes={"id_badge": {badge.key: {"returned_on": day}}})
    return IdBadge.get_by_id(badge.key)


def badges(contract: Contract | str) -> list[IdBadge]:
    contract = access.get_contract(contract)
    return list(IdBadge.select().where(IdBadge.contract == contract.code).order_by(IdBadge.issued_on, IdBadge.key))


# ---- helpers ----------------------------------------------------------------------------------


def _row(contract, place, address, measures, city_premises, status, actor) -> dict:
    return {"contract": contract.code, "location": place.code, "address": address, "security_measures": measures,
            "city_premises": bool(city_premises), "status": status, "reported_by": actor.login, "reported_at": now_iso(),
            "decided_by": None, "decided_at": None, "note": ""}


def _work_location(code: str) -> Location:
    place = places.get_location(code)
    if place.purpose != "work" or not place.active:
        raise InvalidInput(f"{place.name} は作業場所として登録された場所ではありません", f"{place.name} is not a registered work place")
    return place


def _require_reporter(actor: User, contract: Contract) -> None:
    access.require_active(actor)
    entry = access.roster_entry(actor, contract)
    if actor.role != "contractor" or entry is None or not entry.active or entry.role != "responsible":
        raise NotAllowed("作業場所と身分証明書を記録できるのは、この契約の取扱責任者だけです",
                         "only the contract's responsible person records work places and ID badges")


def _key(contract: Contract, place: Location) -> str:
    return f"{contract.code}/{place.code}"


def _today() -> str:
    return utc_now().astimezone(JST).date().isoformat()


def issue_paper(actor: User, settings, contract_code: str):
    """The 作業場所届 as it stands now."""
    from tracker.documents.workplaces import work_places_paper
    from tracker.workflows import papers

    contract = access.get_contract(contract_code)
    access.require_read(actor, contract)
    article = profiles.for_contract(contract).work_places.article
    return papers.issue(actor, settings, contract.code, "work_places", contract.code,
                        lambda issue: work_places_paper(contract, article, of_contract(contract), badges(contract), issue))
