"""Transport between sites (移送, Art. 7(4)), with electronic media encrypted (Art. 6(1)).

A transfer names its purpose, custodians, means, route and seal. Media join it by a departure
scan; departing puts them ``in_transit`` with the carrier as custodian. At the destination each
is scanned again: a medium that was not sent is flagged at once (and recorded as an exception
of the transfer, its own record untouched), and completing the arrival lists what was sent and
did not arrive — recorded as missing only when the person completing says so explicitly.
The transfer record PDF is issued on arrival.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from tracker import db, ledger
from tracker.documents import transfers as transfer_papers
from tracker.errors import WrongState
from tracker.models import Medium, RosterEntry, Transfer, TransferItem, User
from tracker.timeutil import now_iso
from tracker.workflows import access, incidents, inputs, media, notices, papers, places, profiles

# Media that may leave: held here and not already travelling or missing.
SENDABLE = ("received", "stored", "in_use")


def plan(
    actor: User,
    contract_code: str,
    purpose: str,
    origin: str,
    destination: str,
    means: str,
    custodians: list[str] | str,
    seal_number: str = "",
    route: str = "",
    locked_case: bool = True,
    approval_reference: str = "",
) -> Transfer:
    contract = access.get_contract(contract_code)
    access.require_custody(actor, contract)
    place = places.get_location(destination)
    if place.purpose != "storage":
        raise WrongState(f"移送先 {place.name} は保管場所ではありません", f"destination {place.name} is not a storage place")
    if isinstance(custodians, str):
        custodians = [name.strip() for name in custodians.replace("、", ",").split(",")]
    custodians = [name for name in custodians if name]
    if not custodians:
        raise WrongState("運搬する担当者（移送責任者）を入力してください", "name the people carrying the media")
    custodians = require_carriers(contract, custodians, approval_reference)
    row = {
        "contract": contract.code, "status": "preparing",
        "purpose": inputs.require_text(purpose, "移送の目的", "purpose", 200),
        "approval_reference": approval_reference.strip(),
        "origin": inputs.require_text(origin, "発送元", "origin", 200), "destination": place.code,
        "means": inputs.require_text(means, "移送の方法", "means", 200), "route": route.strip(),
        "custodians": custodians, "seal_number": seal_number.strip(), "locked_case": bool(locked_case),
        "created_by": actor.login, "created_at": now_iso(),
    }
    with db.writing():
        number = inputs.next_number(Transfer, contract.code, "T")
        ledger.append("transfer.planned", actor.login, contract=contract.code, data={"number": number},
                      changes={"transfer": {number: row}})
    return Transfer.get_by_id(number)


def require_carriers(contract, custodians: list[str], approval_reference: str) -> list[str]:
    """Art. 7(4): the media travel with people on the contract's roster who signed its pledge
    (named by name or login; recorded by name), or with a carrier firm the city approved — then
    the approval's reference is given and names not on the roster are taken as the firm's."""
    people = {}
    for entry in RosterEntry.select().join(User).where((RosterEntry.contract == contract.code) & RosterEntry.removed_at.is_null()):
        if access.has_pledge(entry.user, contract):
            people[_normal(entry.user.name)] = people[_normal(entry.user.login)] = entry.user.name
    carriers, strangers = [], []
    for name in custodians:
        found = people.get(_normal(name))
        carriers.append(found or name[:100])
        if found is None:
            strangers.append(name)
    if strangers and not (approval_reference or "").strip():
        raise WrongState(
            f"運搬者「{'、'.join(strangers)}」は取扱者名簿（誓約書提出済み）にありません。名簿の者が運搬するか、市の承認を得た運送事業者ならその承認番号を入力してください（第7条第4号）",
            f"carriers {', '.join(strangers)} are not on the roster with a signed pledge; have people on the roster carry the media, "
            "or give the approval reference of a carrier firm the city approved (Art. 7(4))", carriers=strangers)
    return carriers


def _normal(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


@dataclass(frozen=True)
class ScanResult:
    item: TransferItem
    fresh: bool  # False: scanned before at this end; nothing recorded
    unexpected: bool = False  # arrived but never sent: flagged

    @property
    def message(self) -> tuple[str, str]:
        medium_id = self.item.medium_id
        if self.unexpected:
            return (f"注意: {medium_id} はこの移送で発送されていません（記録に例外として残しました）",
                    f"warning: {medium_id} was not sent on this transfer (recorded as an exception)")
        if not self.fresh:
            return (f"{medium_id} は読取り済みです（二重読取り）", f"{medium_id} was already scanned (duplicate)")
        return (f"{medium_id} を読み取りました", f"{medium_id} scanned")


def scan_out(actor: User, number: str, medium_id: str) -> ScanResult:
    """Departure scan: the medium joins the transfer (electronic media only when encrypted)."""
    transfer = get_transfer(number)
    access.require_custody(actor, transfer.contract)
    with db.writing():
        transfer = _require_status(number, "preparing")
        medium = _medium_of(transfer, medium_id)
        key = inputs.item_key(number, medium.id)
        if TransferItem.get_or_none(TransferItem.key == key):
            return ScanResult(TransferItem.get_by_id(key), fresh=False)
        media.require_status(medium, SENDABLE)
        require_encrypted(medium)
        ledger.append("transfer.scanned_out", actor.login, contract=transfer.contract_id, data={"number": number},
                      changes={"transfer_item": {key: {"transfer": number, "medium": medium.id, "sent_at": now_iso(), "sent_by": actor.login}}})
    return ScanResult(TransferItem.get_by_id(key), fresh=True)


def depart(actor: User, number: str) -> Transfer:
    """The media leave: in transit, held by the person who left with them."""
    transfer = get_transfer(number)
    access.require_custody(actor, transfer.contract)
    with db.writing():
        transfer = _require_status(number, "preparing")
        sent = [item.medium for item in transfer.items]
        if not sent:
            raise WrongState("発送する媒体がまだ読み取られていません", "no medium has been scanned for departure")
        for medium in sent:  # re-checked: a medium may have moved since its departure scan
            media.require_status(medium, SENDABLE)
            require_encrypted(medium)
        now = now_iso()
        ledger.append(
            "transfer.departed", actor.login, contract=transfer.contract_id,
            data={"number": number, "media": [medium.id for medium in sent]},
            changes={"transfer": {number: {"status": "departed", "departed_by": actor.login, "departed_at": now}},
                     "medium": {medium.id: {"status": "in_transit", "location": None, "custodian": actor.login,
                                            "purpose": transfer.purpose, "due_back": None, "updated_at": now}
                                for medium in sent}},
        )
    return get_transfer(number)


def scan_in(actor: User, number: str, medium_id: str) -> ScanResult:
    """Arrival scan. A medium that was not sent is flagged at once, never silently taken in."""
    transfer = get_transfer(number)
    access.require_custody(actor, transfer.contract)
    with db.writing():
        transfer = _require_status(number, "departed")
        medium = _medium_of(transfer, medium_id)
        key = inputs.item_key(number, medium.id)
        item = TransferItem.get_or_none(TransferItem.key == key)
        if item is not None and item.arrived_at:
            return ScanResult(item, fresh=False, unexpected=item.sent_at is None)
        row = {"transfer": number, "medium": medium.id, "arrived_at": now_iso(), "arrived_by": actor.login}
        unexpected = item is None
        ledger.append("transfer.unexpected_arrival" if unexpected else "transfer.scanned_in", actor.login,
                      contract=transfer.contract_id, data={"number": number, "medium": medium.id},
                      changes={"transfer_item": {key: row}}, media=[medium.id])
    return ScanResult(TransferItem.get_by_id(key), fresh=True, unexpected=unexpected)


@dataclass(frozen=True)
class Tally:
    sent: list[TransferItem]
    arrived: list[TransferItem]
    not_arrived: list[TransferItem]  # sent, not (yet) scanned at arrival
    not_sent: list[TransferItem]  # scanned at arrival, never sent

    def as_dict(self) -> dict:
        return {name: [item.medium_id for item in getattr(self, name)] for name in ("sent", "arrived", "not_arrived", "not_sent")}


def tally(transfer: Transfer) -> Tally:
    items = list(TransferItem.select().where(TransferItem.transfer == transfer.number).order_by(TransferItem.medium))
    sent = [item for item in items if item.sent_at]
    return Tally(
        sent=sent,
        arrived=[item for item in sent if item.arrived_at],
        not_arrived=[item for item in sent if not item.arrived_at],
        not_sent=[item for item in items if not item.sent_at],
    )


def arrive(actor: User, number: str, seal_intact: bool, settings, note: str = "", accept_missing: bool = False):
    """Complete the arrival: arrived media are stored at the destination; the record is issued.

    Media sent but not scanned at arrival stop the completion unless ``accept_missing`` — then
    they are recorded as missing (所在不明), which is what an incident report starts from.
    """
    transfer = get_transfer(number)
    access.require_custody(actor, transfer.contract)
    note = (note or "").strip()
    with db.writing():
        transfer = _require_status(number, "departed")
        result = tally(transfer)
        if result.not_arrived and not accept_missing:
            missing = ", ".join(item.medium_id for item in result.not_arrived)
            raise WrongState(
                f"発送されたが到着の読取りがない媒体があります: {missing}。読み取るか、所在不明として記録することを明示してください",
                f"sent but not scanned at arrival: {missing}; scan them, or say explicitly to record them as missing",
                not_arrived=[item.medium_id for item in result.not_arrived],
            )
        if not seal_intact and not note:
            raise WrongState("封印に異常がある場合は、その状況を記入してください", "describe what was wrong with the seal")
        now = now_iso()
        medium_changes = {item.medium_id: {"status": "stored", "location": transfer.destination_id, "custodian": None,
                                           "purpose": "", "updated_at": now} for item in result.arrived}
        medium_changes.update({item.medium_id: {"status": "lost", "location": None, "updated_at": now}
                               for item in result.not_arrived})
        ledger.append(
            "transfer.arrived", actor.login, contract=transfer.contract_id,
            data={"number": number, "seal_intact": bool(seal_intact), "note": note, **result.as_dict()},
            changes={"transfer": {number: {"status": "arrived", "arrived_by": actor.login, "arrived_at": now,
                                           "seal_intact": bool(seal_intact), "exceptions": note}},
                     "medium": medium_changes},
        )
        _open_incident(actor, transfer, result, seal_intact, note, now)
        document = papers.issue(actor, settings, transfer.contract_id, "transfer_record", number,
                                lambda paper: transfer_papers.transfer_record(get_transfer(number), paper),
                                media=[item.medium_id for item in result.sent + result.not_sent])
    notices.deliver(settings, [transfer.contract_id])  # the city is told now, after the record is safe
    return document


def _open_incident(actor: User, transfer: Transfer, result: Tally, seal_intact: bool, note: str, now: str) -> None:
    """Media that did not arrive, or a broken seal, is an accident (Art. 19): a draft opens at once,
    one per transfer (missing media first: the broken seal is then part of what is told)."""
    if not (result.not_arrived or not seal_intact):
        return
    seal = "" if seal_intact else f"封印の異常: {note}"
    if result.not_arrived:
        kind, concerned = "missing_in_transit", [Medium.get_by_id(item.medium_id) for item in result.not_arrived]
        summary = f"移送 {transfer.number} で到着しなかった媒体 {len(concerned)} 件" + ("（封印の異常あり）" if seal else "")
    else:
        kind, concerned = "seal_broken", [Medium.get_by_id(item.medium_id) for item in result.sent]
        summary = f"移送 {transfer.number} の到着時に封印（{transfer.seal_number or '番号なし'}）の異常"
    incidents.open_draft(actor, transfer.contract_id, concerned, source=transfer.number,
                         place=f"移送 {transfer.origin} → {transfer.destination.name}", discovered_at=now,
                         summary=summary, circumstances="\n".join(part for part in (seal, note if not seal else "") if part), kind=kind)


def preview_record(actor: User, number: str, settings) -> bytes:
    transfer = get_transfer(number)
    access.require_read(actor, transfer.contract)
    return papers.preview(settings, lambda paper: transfer_papers.transfer_record(transfer, paper))


def require_encrypted(medium: Medium) -> None:
    """Electronic media travel only encrypted, where the contract's provisions say so."""
    rule = profiles.for_contract(medium.contract).electronic_media
    if rule.encrypt_transfer:
        media.require_encrypted(medium, rule.encryption_article, "移送して", "it leaves")


def scan_action(transfer: Transfer) -> str:
    """What a scan into this transfer means now: a departure scan before it leaves, an arrival after."""
    return "send" if transfer.status == "preparing" else "arrive"


def get_transfer(number: str) -> Transfer:
    return inputs.find_paper(Transfer, number, "移送", "transfer")


def _require_status(number: str, status: str) -> Transfer:
    transfer = get_transfer(number)
    if transfer.status != status:
        wanted = {"preparing": ("発送前", "before departure"), "departed": ("移送中", "in transit")}[status]
        raise WrongState(f"{number} は{wanted[0]}ではありません（状態: {transfer.status}）",
                         f"{number} is not {wanted[1]} (status: {transfer.status})")
    return transfer


def _medium_of(transfer: Transfer, medium_id: str) -> Medium:
    medium = media.get_medium(medium_id)
    if medium.contract_id != transfer.contract_id:
        raise WrongState(
            f"ラベル {medium.id} は別の契約（{medium.contract_id}）の媒体です",
            f"label {medium.id} belongs to another contract ({medium.contract_id})", id=medium.id,
        )
    return medium
