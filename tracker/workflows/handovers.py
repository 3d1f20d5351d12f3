"""Handovers between the city and the contractor: receiving (預り証, Art. 16) and return
(返還受領書, Art. 17(1)).

A handover is opened with what the city designated (date and time, place, means, who acts for
the city). Media come into it by importing the city's list (each line registered as an
``expected`` medium with its label ready to print) and by scanning labels; the reconciliation
compares the two. The contractor signs, then a municipality user confirms — with their own
login, or by entering it on the contractor's device — and only then do the media change hands:
received (or returned), and listed media never handed over are closed as ``not_received``.
Confirmation issues the receipt PDF in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tracker import db, ledger
from tracker.errors import AlreadyExists, InvalidInput, WrongState
from tracker.models import ELECTRONIC_KINDS, HELD_STATUSES, MEDIUM_KINDS, Handover, HandoverItem, ListColumnMapping, Medium, User
from tracker.timeutil import now_iso
from tracker.documents import receipts
from tracker.workflows import access, attachments, handover_list, inputs, list_columns, list_reading, media, papers, profiles

DIRECTIONS = {"receive": ("受領", "receiving"), "return": ("返還", "return")}
RECEIPT_KINDS = {"receive": "handover_receipt", "return": "return_receipt"}
# What the city's confirmation does to each medium handed over.
HANDED_OVER_STATUS = {"receive": "received", "return": "returned"}
# Media that may be handed back: held here, not on a transfer, not missing.
RETURNABLE = ("received", "stored", "in_use")


def start(
    actor: User,
    contract_code: str,
    direction: str,
    handover_at: str,
    place: str,
    means: str,
    city_official: str,
    storage_plan: str = "",
    disposition_plan: str = "",
) -> Handover:
    """Open a handover on the terms the city designated (Art. 16: means, time and place)."""
    contract = access.get_contract(contract_code)
    access.require_custody(actor, contract)
    inputs.parse_choice(direction, tuple(DIRECTIONS), "引渡しの種類", "direction")
    row = {
        "contract": contract.code, "direction": direction, "status": "open",
        "handover_at": inputs.parse_local_time(handover_at, "引渡し日時", "handover time"),
        "place": inputs.require_text(place, "引渡し場所", "place", 200),
        "means": inputs.require_text(means, "引渡し方法", "means", 200),
        "city_official": inputs.require_text(city_official, "市の担当者", "city official", 100),
        "storage_plan": storage_plan.strip(), "disposition_plan": disposition_plan.strip(),
        "created_by": actor.login, "created_at": now_iso(),
    }
    with db.writing():
        number = inputs.next_number(Handover, contract.code, "H")
        ledger.append("handover.started", actor.login, contract=contract.code, data={"number": number},
                      changes={"handover": {number: row}})
    return Handover.get_by_id(number)


def import_list(actor: User, number: str, filename: str, content: bytes, *, mapping: dict | None = None,
                sheet: str | None = None, settings=None) -> list[Medium]:
    """Register every line of the city's handover list as an expected medium, all or nothing.

    ``mapping`` ({column name: field or "ignore"}) names columns the synonyms do not know; it is
    remembered for the contract, so the next list of the same layout needs none. ``sheet``
    chooses the worksheet when several hold a list. With ``settings``, the file as uploaded is
    kept as an attachment (its SHA-256 is recorded either way).
    """
    handover = get_handover(number)
    access.require_custody(actor, handover.contract)
    _require_no_list_yet(handover)
    given = list_columns.parse_mapping(mapping)
    table, new_rows = _prepare_list(handover, filename, content, given, sheet)
    rows = table.rows
    stored, attachment_changes = (attachments.store(settings.attachments_dir, content, _list_media_type(filename), filename)
                                  if settings is not None else (hashlib.sha256(content).hexdigest(), {}))
    with db.writing():
        handover = get_handover(number)
        _require_no_list_yet(handover)
        medium_ids = media.next_medium_ids(handover.contract_id, len(rows))
        ledger.append(
            "handover.list_imported", actor.login, contract=handover.contract_id,
            data={"number": number, "list_name": filename, "lines": len(rows), "sheet": table.sheet,
                  "header_line": table.header_line, "mapping": given,
                  "skipped": [[entry.first_line, entry.last_line, entry.reason] for entry in table.skipped]},
            changes={
                "medium": dict(zip(medium_ids, new_rows)),
                "handover_item": {
                    inputs.item_key(number, medium_id): {"handover": number, "medium": medium_id, "line": row.line,
                                                  "reference": row.city_reference}
                    for medium_id, row in zip(medium_ids, rows)
                },
                "handover": {number: {"list_name": filename[:200], "list_sha256": stored, "list_sheet": table.sheet[:200]}},
                **_remembered_changes(actor, handover.contract_id, given),
                **attachment_changes,
            },
        )
    return list(Medium.select().where(Medium.id.in_(medium_ids)).order_by(Medium.id))


@dataclass(frozen=True)
class ListPreview:
    """What importing a list would register, before anything is written."""

    filename: str
    sha256: str
    size: int
    table: handover_list.ListTable

    @property
    def kinds(self) -> list[tuple[str, int, int, int]]:
        """(kind, media, quantity, records) per kind, in the app's order of kinds."""
        found = []
        for kind in MEDIUM_KINDS:
            rows = [row for row in self.table.rows if row.kind == kind]
            if rows:
                found.append((kind, len(rows), sum(row.quantity for row in rows), sum(row.record_count for row in rows)))
        return found

    @property
    def records(self) -> int:
        return sum(row.record_count for row in self.table.rows)

    @property
    def encrypted(self) -> int:
        return sum(1 for row in self.table.rows if row.encrypted)

    @property
    def electronic_unencrypted(self) -> int:
        """Electronic media listed as not encrypted: they may not be transported (Art. 6(1))."""
        return sum(1 for row in self.table.rows if row.kind in ELECTRONIC_KINDS and not row.encrypted)

    def as_dict(self) -> dict:
        table = self.table
        return {
            "filename": self.filename, "sha256": self.sha256, "size": self.size, "read_as": table.read_as,
            "sheet": table.sheet, "header_line": table.header_line,
            "columns": [{"column": column, "name": name, "field": field} for column, name, field in table.columns],
            "media": len(table.rows), "records": self.records, "encrypted": self.encrypted,
            "not_encrypted": len(table.rows) - self.encrypted, "electronic_not_encrypted": self.electronic_unencrypted,
            "kinds": [{"kind": kind, "media": count, "quantity": quantity, "records": records}
                      for kind, count, quantity, records in self.kinds],
            "rows": [{"line": row.line, "title": row.title, "kind": row.kind, "quantity": row.quantity,
                      "record_count": row.record_count, "encrypted": row.encrypted} for row in table.rows],
            "skipped": [entry.as_dict() for entry in table.skipped],
        }


def preview_list(actor: User, number: str, filename: str, content: bytes, *, mapping: dict | None = None,
                 sheet: str | None = None) -> ListPreview:
    """What ``import_list`` would register, checked the same way, with nothing written."""
    handover = get_handover(number)
    access.require_custody(actor, handover.contract)
    _require_no_list_yet(handover)
    table, _new_rows = _prepare_list(handover, filename, content, list_columns.parse_mapping(mapping), sheet)
    return ListPreview(filename, hashlib.sha256(content).hexdigest(), len(content), table)


def list_layout(actor: User, number: str, filename: str, content: bytes, *, mapping: dict | None = None,
                sheet: str | None = None, header_line: int | None = None) -> handover_list.Layout:
    """The list's first rows and columns, for the person to say which column is which."""
    handover = get_handover(number)
    access.require_custody(actor, handover.contract)
    return handover_list.layout(filename, content, {**remembered_mapping(handover.contract_id), **list_columns.parse_mapping(mapping)},
                                sheet, header_line)


def stage_list(actor: User, number: str, content: bytes, staging_dir) -> str:
    """Keep an uploaded list until the person confirms its preview; returns its SHA-256.
    Who may import is checked before the file is kept or read."""
    handover = get_handover(number)
    access.require_custody(actor, handover.contract)
    _require_no_list_yet(handover)
    list_reading.require_size(content)
    return attachments.stage(staging_dir, content)


def remembered_mapping(contract_code: str) -> dict[str, str]:
    """The column names this contract's lists use that a person mapped once: {name: field}."""
    return {row.key.split("/", 1)[1]: row.field
            for row in ListColumnMapping.select().where(ListColumnMapping.contract == contract_code)}


def add_unlisted(actor: User, number: str, kind: str, title: str, **details) -> Medium:
    """A medium the city hands over that is not on its list: registered on the spot as expected,
    so its label can be printed and scanned like the others (it shows as "not on the list")."""
    handover = get_handover(number)
    access.require_custody(actor, handover.contract)
    _require_open(handover, "receive")
    row = media.new_medium_row(handover.contract_id, kind, title, status="expected", **details)
    with db.writing():
        _require_open(get_handover(number), "receive")
        (medium_id,) = media.next_medium_ids(handover.contract_id, 1)
        ledger.append("handover.item_added", actor.login, contract=handover.contract_id, data={"number": number},
                      changes={"medium": {medium_id: row},
                               "handover_item": {inputs.item_key(number, medium_id): {"handover": number, "medium": medium_id}}})
    return Medium.get_by_id(medium_id)


@dataclass(frozen=True)
class ScanResult:
    item: HandoverItem
    fresh: bool  # False: this label was already scanned in this handover; nothing was recorded

    @property
    def message(self) -> tuple[str, str]:
        medium = self.item.medium
        if not self.fresh:
            return (f"{medium.id} は読取り済みです（二重読取り）", f"{medium.id} was already scanned (duplicate)")
        if not self.item.listed:
            return (f"{medium.id} {medium.title}：リストにない媒体です", f"{medium.id} {medium.title}: not on the handover list")
        return (f"{medium.id} {medium.title}", f"{medium.id} {medium.title}")


def scan(actor: User, number: str, medium_id: str, identified_by: str | None = None) -> ScanResult:
    """One label scanned at the handover table; a second scan of the same label records nothing.
    ``identified_by``: how (``inputs.identification``), printed on the receipt."""
    handover = get_handover(number)
    access.require_custody(actor, handover.contract)
    with db.writing():
        handover = get_handover(number)
        _require_open(handover)
        medium = media.get_medium(medium_id)
        if medium.contract_id != handover.contract_id:
            raise WrongState(
                f"ラベル {medium.id} は別の契約（{medium.contract_id}）の媒体です。この引渡し（{handover.contract_id}）には加えられません",
                f"label {medium.id} belongs to another contract ({medium.contract_id}), not to this handover's ({handover.contract_id})",
                id=medium.id,
            )
        key = inputs.item_key(number, medium.id)
        item = HandoverItem.get_or_none(HandoverItem.key == key)
        if item is not None and item.scanned_at:
            return ScanResult(item, fresh=False)
        if item is None:
            _require_may_join(handover, medium)
        if handover.direction == "return":
            _require_encrypted_for_return(medium)
        changes = {"handover_item": {key: {"handover": number, "medium": medium.id, "scanned_at": now_iso(), "scanned_by": actor.login,
                                           "identified_by": identified_by}}}
        ledger.append("handover.scanned", actor.login, contract=handover.contract_id,
                      data={"number": number, "listed": bool(item and item.listed)}, changes=changes, media=[medium.id])
    return ScanResult(HandoverItem.get_by_id(key), fresh=True)


@dataclass(frozen=True)
class Reconciliation:
    """The city's list against what was actually scanned."""

    expected: list[HandoverItem]  # on the list
    received: list[HandoverItem]  # on the list and scanned
    missing: list[HandoverItem]  # on the list (or added at the table), not scanned
    not_on_list: list[HandoverItem]  # scanned, not on the list

    @property
    def scanned(self) -> list[HandoverItem]:
        return sorted(self.received + self.not_on_list, key=_item_order)

    def as_dict(self) -> dict:
        return {name: [item.medium_id for item in getattr(self, name)]
                for name in ("expected", "received", "missing", "not_on_list")}


def reconcile(handover: Handover) -> Reconciliation:
    items = sorted(HandoverItem.select(HandoverItem, Medium).join(Medium).where(HandoverItem.handover == handover.number),
                   key=_item_order)
    return Reconciliation(
        expected=[item for item in items if item.listed],
        received=[item for item in items if item.listed and item.scanned_at],
        missing=[item for item in items if not item.scanned_at],
        not_on_list=[item for item in items if not item.listed and item.scanned_at],
    )


def sign(actor: User, number: str) -> Handover:
    """The contractor's side signs the reconciled handover; no more scans after this."""
    handover = get_handover(number)
    access.require_custody(actor, handover.contract)
    with db.writing():
        handover = get_handover(number)
        _require_open(handover)
        result = reconcile(handover)
        if not result.scanned:
            raise WrongState("まだ媒体が1件も読み取られていません", "no medium has been scanned yet")
        if handover.direction == "return":
            _require_returnable([item.medium for item in result.scanned])
        ledger.append("handover.signed", actor.login, contract=handover.contract_id,
                      data={"number": number, **result.as_dict()},
                      changes={"handover": {number: {"status": "signed", "signed_by": actor.login, "signed_at": now_iso()}}})
    return get_handover(number)


def reopen(actor: User, number: str, reason: str) -> Handover:
    """Back to scanning after the contractor signed, e.g. when the city official finds a mistake."""
    handover = get_handover(number)
    access.require_custody(actor, handover.contract)
    reason = inputs.require_text(reason, "差戻しの理由", "reason")
    with db.writing():
        handover = get_handover(number)
        if handover.status != "signed":
            raise WrongState(f"{number} は署名待ちではありません", f"{number} is not waiting for the city's confirmation")
        ledger.append("handover.reopened", actor.login, contract=handover.contract_id, data={"number": number, "reason": reason},
                      changes={"handover": {number: {"status": "open", "signed_by": None, "signed_at": None}}})
    return get_handover(number)


def confirm(city_user: User, number: str, settings, method: str = "own_login", device_user: User | None = None):
    """The city's side confirms: media change hands and the receipt is issued, in one transaction.

    ``method`` says how the city official proved who they are: their own login, or their
    password entered on the contractor's device (``device_user``), as the handover form records.
    """
    access.require_municipality(city_user, get_handover(number).contract)
    inputs.parse_choice(method, ("own_login", "same_device"), "確認方法", "method")
    with db.writing():
        handover = get_handover(number)
        if handover.status != "signed":
            raise WrongState(
                f"{number} は受託者の署名前か、確認済みです（状態: {handover.status}）",
                f"{number} is not waiting for the city's confirmation (status: {handover.status})",
            )
        result = reconcile(handover)
        handed_over = [item.medium for item in result.scanned]
        if handover.direction == "return":
            _require_returnable(handed_over)
        now = now_iso()
        medium_changes = {medium.id: _handed_over_state(handover, now) for medium in handed_over}
        medium_changes.update({item.medium_id: {"status": "not_received", "updated_at": now} for item in result.missing})
        ledger.append(
            "handover.confirmed", city_user.login, contract=handover.contract_id,
            data={"number": number, "method": method, "device_user": device_user.login if device_user else None,
                  **result.as_dict()},
            changes={"handover": {number: {"status": "confirmed", "confirmed_by": city_user.login, "confirmed_at": now}},
                     "medium": medium_changes},
        )
        return issue_receipt(city_user, number, settings)


def issue_receipt(actor: User, number: str, settings):
    """The 預り証 or 返還受領書, issued once both sides confirmed (issued again, under a new serial,
    only if asked for: the first one stays valid and downloadable)."""
    handover = get_handover(number)
    access.require_read(actor, handover.contract)
    if handover.status != "confirmed":
        raise WrongState(f"{number} は双方の確認前です。プレビューを利用してください",
                         f"{number} is not confirmed by both sides yet; use the preview")
    media_ids = [item.medium_id for item in handover.items]
    return papers.issue(actor, settings, handover.contract_id, RECEIPT_KINDS[handover.direction], number,
                        lambda paper: receipts.handover_receipt(get_handover(number), paper), media=media_ids,
                        issuer=access.get_user(handover.signed_by))


def preview_receipt(actor: User, number: str, settings) -> bytes:
    handover = get_handover(number)
    access.require_read(actor, handover.contract)
    return papers.preview(settings, lambda paper: receipts.handover_receipt(handover, paper))


def get_handover(number: str) -> Handover:
    return inputs.find_paper(Handover, number, "引渡し", "handover")


# ---- helpers -----------------------------------------------------------------------------------


def _require_open(handover: Handover, direction: str | None = None) -> None:
    if direction and handover.direction != direction:
        raise WrongState(f"{handover.number} は{DIRECTIONS[handover.direction][0]}の引渡しです",
                         f"{handover.number} is a {DIRECTIONS[handover.direction][1]} handover")
    if handover.status != "open":
        raise WrongState(
            f"{handover.number} は署名済みのため変更できません（差戻してから操作してください）",
            f"{handover.number} has been signed and cannot change (reopen it first)",
        )


def _require_no_list_yet(handover: Handover) -> None:
    _require_open(handover, "receive")
    if handover.list_name:
        raise AlreadyExists(
            f"{handover.number} には引渡しリスト「{handover.list_name}」を取込み済みです。追加の媒体はラベルを読み取って加えてください",
            f"{handover.number} already has the handover list {handover.list_name!r}; add further media by scanning their labels",
        )


def _require_may_join(handover: Handover, medium: Medium) -> None:
    """A medium not on the list may join: when receiving, one not yet handed over; when
    returning, one held here."""
    if handover.direction == "receive":
        if medium.status != "expected":
            raise WrongState(
                f"{medium.id} は既に受領済みです（状態: {medium.status}）。受領の引渡しには加えられません",
                f"{medium.id} was already received (status: {medium.status}); it cannot be received again",
                id=medium.id,
            )
        return
    media.require_status(medium, RETURNABLE)


def _require_returnable(handed_over: list[Medium]) -> None:
    for medium in handed_over:
        medium = Medium.get_by_id(medium.id)
        media.require_status(medium, RETURNABLE)
        _require_encrypted_for_return(medium)


def _require_encrypted_for_return(medium: Medium) -> None:
    """Going back to the city is a journey like a transfer: an electronic medium travels only
    encrypted where the contract's provisions say so (the same rule as take-out and transfer)."""
    rule = profiles.for_contract(medium.contract).electronic_media
    if rule.encrypt_transfer:
        media.require_encrypted(medium, rule.encryption_article, "返還して", "it is returned to the city")


def _handed_over_state(handover: Handover, now: str) -> dict:
    status = HANDED_OVER_STATUS[handover.direction]
    custodian = handover.signed_by if status in HELD_STATUSES else None
    return {"status": status, "location": None, "custodian": custodian, "purpose": "", "due_back": None, "updated_at": now}


def _medium_row(contract_code: str, row: handover_list.ListRow) -> dict:
    try:
        return media.new_medium_row(
            contract_code, row.kind, row.title, status="expected", pi_items=list(row.pi_items),
            record_count=row.record_count, quantity=row.quantity, serial_number=row.serial_number,
            encrypted=row.encrypted, encryption=row.encryption, seal_number=row.seal_number,
        )
    except InvalidInput as error:
        raise InvalidInput(f"{row.line}行目: {error.message_ja}", f"line {row.line}: {error.message_en}", lines=[row.line]) from error


def _prepare_list(handover: Handover, filename: str, content: bytes, given: dict[str, str], sheet: str | None):
    """The list read with the contract's remembered mapping and ``given`` (which wins), and each
    row's new medium, checked: what the preview shows is exactly what the import registers."""
    table = handover_list.parse(filename, content, {**remembered_mapping(handover.contract_id), **given}, sheet)
    _refuse_known_serials(handover.contract_id, table.rows)
    return table, [_medium_row(handover.contract_id, row) for row in table.rows]


def _remembered_changes(actor: User, contract_code: str, given: dict[str, str]) -> dict:
    if not given:
        return {}
    now = now_iso()
    return {"list_column_mapping": {f"{contract_code}/{name}": {"contract": contract_code, "name": name, "field": field,
                                                                "saved_by": actor.login, "saved_at": now}
                                    for name, field in given.items()}}


def _list_media_type(filename: str) -> str:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "text/csv" if filename.lower().endswith(".csv") else "text/plain"


def _refuse_known_serials(contract_code: str, rows) -> None:
    """A serial number already registered (and not closed as never received) is a list mistake."""
    serials = {row.serial_number: row.line for row in rows if row.serial_number}
    if not serials:
        return
    clashes = (Medium.select(Medium.id, Medium.serial_number)
               .where((Medium.contract == contract_code) & Medium.serial_number.in_(list(serials))
                      & (Medium.status != "not_received")))
    found = [(serials[medium.serial_number], medium) for medium in clashes]
    if found:
        found.sort(key=lambda pair: pair[0])
        raise InvalidInput(
            "、".join(f"{line}行目: 製造番号 {medium.serial_number} は {medium.id} として登録済みです" for line, medium in found[:20]),
            "; ".join(f"line {line}: serial {medium.serial_number} is already registered as {medium.id}" for line, medium in found[:20]),
            lines=[line for line, _ in found],
        )


def _item_order(item: HandoverItem):
    return (item.line is None, item.line or 0, item.medium_id)
