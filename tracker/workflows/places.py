"""Storage places and work places (Art. 7(1), 9): locked cabinets, safes, rooms."""

from __future__ import annotations

from labels import ids
from tracker import db, ledger
from tracker.errors import NotAllowed
from tracker.models import LOCATION_KINDS, LOCATION_PURPOSES, Location, Medium, RosterEntry, User
from tracker.workflows import access, inputs


def create_location(
    actor: User | None,
    name: str,
    kind: str,
    purpose: str,
    site: str = "",
    room: str = "",
    lockable: bool = True,
    check_interval_days: int | None = None,
) -> Location:
    """Admins and responsible persons register places; each gets a labelled ID (LOC-00001-X)."""
    if actor is not None:
        _require_place_manager(actor)
    name = inputs.require_text(name, "保管場所名", "location name", max_length=100)
    inputs.parse_choice(kind, LOCATION_KINDS, "種別", "kind")
    inputs.parse_choice(purpose, LOCATION_PURPOSES, "用途", "purpose")
    if check_interval_days is not None:
        check_interval_days = inputs.parse_count(check_interval_days, "点検間隔（日）", "check interval (days)", 1, 366)
    with db.writing():
        code = ids.location_id(Location.select().count() + 1)
        ledger.append(
            "location.created",
            actor.login if actor else None,
            data={"code": code},
            changes={"location": {code: {
                "name": name, "site": site, "room": room, "kind": kind, "purpose": purpose,
                "lockable": bool(lockable), "check_interval_days": check_interval_days, "active": True,
            }}},
        )
    return Location.get(Location.code == code)


def set_check_interval(actor: User, code: str, days: int | str | None) -> Location:
    """How often a storage place's media are checked (Art. 6(2)), in days; empty for none. Set
    by an admin or by the responsible person of every contract whose media the place holds (a
    responsible person of another contract may not change it); an empty place, by any
    responsible person."""
    place = get_location(code)
    contracts = contracts_at(place.code)
    if contracts:
        access.authorize(actor, "check_interval", contracts)
    else:
        _require_place_manager(actor)
    if days in (None, ""):
        days = None
    else:
        days = inputs.parse_count(days, "点検間隔（日）", "check interval (days)", 1, 366)
    if place.check_interval_days != days:
        with db.writing():
            ledger.append("location.check_interval_set", actor.login, data={"code": place.code, "days": days},
                          changes={"location": {place.code: {"check_interval_days": days}}})
    return get_location(place.code)


def contracts_at(code: str) -> list[str]:
    """The contracts whose media the ledger has at this place now."""
    query = Medium.select(Medium.contract).where(Medium.location == code).distinct()
    return sorted(contract for (contract,) in query.tuples())


def get_location(code: str) -> Location:
    return inputs.find_by_id(Location, code, "保管場所", "location")


def _require_place_manager(actor: User) -> None:
    access.require_active(actor)
    if actor.is_admin:
        return
    is_responsible = RosterEntry.select().where(
        (RosterEntry.user == actor.login) & (RosterEntry.role == "responsible") & RosterEntry.removed_at.is_null()
    ).exists()
    if not is_responsible:
        raise NotAllowed("保管場所の登録は管理者または取扱責任者が行います", "only an administrator or a responsible person registers locations")
