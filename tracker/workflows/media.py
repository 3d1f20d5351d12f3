"""Registering media and moving them between storage and work (Art. 7(1)(2), 9).

Receipts, transfers, copies, returns and destruction build on these in their own modules.
"""

from __future__ import annotations

from labels import ids
from tracker import db, ledger, vocabulary
from tracker.errors import InvalidInput, WrongState
from tracker.models import ELECTRONIC_KINDS, MEDIUM_KINDS, Medium, User
from tracker.timeutil import now_iso
from tracker.workflows import access, electronic, inputs, places, profiles, workplaces

# Which statuses each move may start from; everything else is refused with the reason.
MOVABLE_FROM = {
    "store": ("received", "stored", "in_use"),
    "take_out": ("stored",),
}


def register(
    actor: User,
    contract_code: str,
    kind: str,
    title: str,
    *,
    location: str | None = None,
    event_kind: str = "medium.registered",
    event_data: dict | None = None,
    **details,
) -> Medium:
    """Take a medium into custody under a new ID; stored at ``location`` if one is given.

    ``details`` are the medium's descriptive fields (see ``new_medium_row``).
    """
    contract = access.get_contract(contract_code)
    access.require_custody(actor, contract)
    place = places.get_location(location) if location else None
    if place is not None:
        require_lockable(contract, place)
    row = new_medium_row(
        contract.code, kind, title, status="stored" if place else "received",
        location=place.code if place else None, custodian=None if place else actor.login, **details,
    )
    if row["kind"] in ELECTRONIC_KINDS and (row["record_count"] or row["pi_items"]):
        electronic.require_consent(contract, row["kind"], "登録する", "registering it")  # Art. 6: the city consents first
    with db.writing():
        (medium_id,) = next_medium_ids(contract.code, 1)
        ledger.append(event_kind, actor.login, contract=contract.code, data=event_data or {},
                      changes={"medium": {medium_id: row}})
    return Medium.get_by_id(medium_id)


def new_medium_row(
    contract_code: str,
    kind: str,
    title: str,
    *,
    status: str,
    location: str | None = None,
    custodian: str | None = None,
    parent: str | None = None,
    pi_items: list[str] | tuple[str, ...] | None = None,
    record_count: int = 0,
    quantity: int = 1,
    description: str = "",
    manufacturer: str = "",
    model: str = "",
    serial_number: str = "",
    encrypted: bool = False,
    encryption: str = "",
    seal_number: str = "",
    is_backup: bool = False,
) -> dict:
    """A new medium's ledger row, checked: one place for every way media come in (by hand, from a
    handover list, as an approved copy)."""
    inputs.parse_choice(kind, MEDIUM_KINDS, "媒体の種類", "medium kind")
    title = inputs.require_text(title, "名称", "title", max_length=200)
    record_count = inputs.parse_count(record_count, "件数", "number of records")
    quantity = inputs.parse_count(quantity, "数量", "quantity", minimum=1)
    if encrypted and not (encryption or "").strip():
        raise InvalidInput("暗号化の方式を入力してください", "say how the medium is encrypted")
    now = now_iso()
    return {
        "contract": contract_code, "kind": kind, "title": title, "description": description,
        "pi_items": [item.strip() for item in (pi_items or []) if item.strip()],
        "record_count": record_count, "quantity": quantity, "manufacturer": manufacturer,
        "model": model, "serial_number": serial_number, "encrypted": bool(encrypted),
        "encryption": encryption, "seal_number": seal_number, "parent": parent,
        "status": status, "location": location, "custodian": custodian, "purpose": "", "due_back": None,
        "registered_at": now, "updated_at": now, "labels_printed": 0, "is_backup": bool(is_backup),
    }


def next_medium_ids(contract_code: str, count: int) -> list[str]:
    """The next ``count`` IDs of a contract. Call inside ``db.writing()`` so no one else takes them."""
    taken = Medium.select().where(Medium.contract == contract_code).count()
    return [ids.format_id(contract_code, taken + offset) for offset in range(1, count + 1)]


def store(actor: User, medium_id: str, location_code: str) -> Medium:
    """Put a medium away in a lockable storage place (Art. 7(1)), or bring it back there."""
    medium = get_medium(medium_id)
    access.require_custody(actor, medium.contract)
    place = places.get_location(location_code)
    if place.purpose != "storage":
        raise WrongState(
            f"{place.name} は作業場所です。保管は施錠できる保管場所にしてください（第7条第1号）",
            f"{place.name} is a work place; store media in a lockable storage place (Art. 7(1))",
        )
    require_lockable(medium.contract, place)
    with db.writing():
        medium = _require_status(medium_id, "store")
        return _move(actor, medium, "medium.stored", {"location": place.code},
                     status="stored", location=place.code, custodian=None, purpose="", due_back=None)


def take_out(actor: User, medium_id: str, work_place_code: str, purpose: str, due_back: str | None = None) -> Medium:
    """Take a medium from storage to a registered work place (Art. 7(2), 9)."""
    medium = get_medium(medium_id)
    access.require_custody(actor, medium.contract)
    place = places.get_location(work_place_code)
    if place.purpose != "work":
        raise WrongState(
            f"{place.name} は作業場所として登録されていません（第9条）",
            f"{place.name} is not a registered work place (Art. 9)",
        )
    workplaces.require_usable(medium.contract, place)
    purpose = inputs.require_text(purpose, "持出しの目的", "purpose")
    if _made_by_contractor(medium):
        electronic.require_medium_consent(medium, "持ち出す", "taking it out")
    rule = profiles.for_contract(medium.contract).electronic_media
    if rule.encrypt_take_out:
        require_encrypted(medium, rule.encryption_article, "持ち出して", "it is taken out")
    if due_back:
        due_back = inputs.parse_date(due_back).isoformat()
    with db.writing():
        medium = _require_status(medium_id, "take_out")
        return _move(actor, medium, "medium.taken_out", {"location": place.code, "purpose": purpose, "due_back": due_back},
                     status="in_use", location=place.code, custodian=actor.login, purpose=purpose, due_back=due_back)


def require_lockable(contract, place) -> None:
    """Art. 7(1): kept only where it can be locked, where the contract's provisions say so."""
    rule = profiles.for_contract(contract).storage
    profiles.require_allowed(contract, f"{place.name} は施錠できる場所として登録されていないため、保管できません",
                             f"{place.name} is not registered as lockable; media cannot be stored there",
                             rule.article, place.lockable or not rule.lockable_required)


def _made_by_contractor(medium: Medium) -> bool:
    """Registered by hand here (not listed by the city at a handover, not an approved copy)."""
    first = ledger.timeline(medium.id)[:1]
    return bool(first) and first[0].kind == "medium.registered"


def require_encrypted(medium: Medium, article: str, doing_ja: str, doing_en: str) -> None:
    """An electronic medium leaves its storage place only encrypted, where the contract's
    provisions say so (Koganei: 第6条第1号); the refusal names that article."""
    if medium.is_electronic and not medium.encrypted:
        cite_ja, cite_en = profiles.for_contract(medium.contract).cite(article)
        raise WrongState(
            f"{medium.id} は電子媒体ですが暗号化の記録がありません。暗号化して記録してから{doing_ja}ください（{cite_ja}）",
            f"{medium.id} is an electronic medium not recorded as encrypted; encrypt it and record that before {doing_en} ({cite_en})",
            id=medium.id,
        )


def get_medium(medium_id: str) -> Medium:
    return inputs.find_by_id(Medium, medium_id, "媒体", "medium")


def _require_status(medium_id: str, move: str) -> Medium:
    """Re-read inside the write lock, so two people cannot both move the same medium."""
    medium = get_medium(medium_id)
    require_status(medium, MOVABLE_FROM[move])
    return medium


# Why a medium in this status cannot be moved, beyond its name: what to do instead.
_STATUS_HINTS = {
    "expected": ("まだ市から引き渡されていません（受領の読み取りが先です）", "it has not been handed over by the city yet (scan it at the handover first)"),
    "not_received": ("市から引き渡されませんでした", "it was never handed over by the city"),
    "in_transit": ("移送中です。到着先で到着の読み取りをしてください", "it is on a transfer; scan it at arrival first"),
    "returned": ("市に返還済みです", "it was returned to the city"),
    "destroyed": ("廃棄済みです", "it was destroyed"),
    "lost": ("所在不明として記録されています", "it is recorded as missing"),
}


def require_status(medium: Medium, allowed: tuple[str, ...]) -> None:
    """Refuse, saying the medium's status and why it matters, unless it is one of ``allowed``."""
    if medium.status in allowed:
        return
    name_ja, name_en = vocabulary.STATUSES[medium.status]
    hint_ja, hint_en = _STATUS_HINTS.get(medium.status, ("", ""))
    raise WrongState(
        f"{medium.id} は現在「{name_ja}」のため、この操作はできません" + (f"：{hint_ja}" if hint_ja else ""),
        f"{medium.id} is currently {name_en}; this is not possible" + (f": {hint_en}" if hint_en else ""),
        id=medium.id, status=medium.status,
    )


def _move(actor: User, medium: Medium, kind: str, data: dict, **state) -> Medium:
    ledger.append(kind, actor.login, contract=medium.contract_id, data=data,
                  changes={"medium": {medium.id: {**state, "updated_at": now_iso()}}})
    return Medium.get_by_id(medium.id)
