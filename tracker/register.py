"""The 台帳 (media register, Art. 7(5)) and the close-out balance, read from the ledger.

Art. 7(5) asks for a register of every medium with its full history. Kept as editable rows it
could drift from what happened; built here as a view over the projection plus the event log it
cannot. Every function reads, none writes, and none knows about Flask: the pages, the CSV
downloads and the PDF all take their rows from here.

Queries are per contract, not per medium: a contract with 10,000 media costs the same handful of
queries as one with three (the media, one pass over ``EventMedium`` joined to ``Event``, the
names of people and places).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import peewee

from tracker import db, ledger, vocabulary
from tracker.models import (
    HELD_STATUSES,
    NEVER_RECEIVED_STATUSES,
    DestructionApplication,
    DestructionItem,
    Document,
    Event,
    EventMedium,
    Handover,
    HandoverItem,
    Location,
    Medium,
    RosterEntry,
    User,
)
from tracker.timeutil import to_jst
from tracker.workflows import access

# vocabulary.STATUSES names only the statuses of media in custody; the register may show the others.
_OTHER_STATUS_NAMES = {"expected": ("受領予定", "expected"), "not_received": ("未受領", "not received")}
_ROSTER_ROLES = {"responsible": ("取扱責任者", "responsible person"), "worker": ("従事者", "worker")}


def status_name(status: str) -> tuple[str, str]:
    return vocabulary.STATUSES.get(status) or _OTHER_STATUS_NAMES.get(status) or (status, status)


def kind_name(kind: str) -> tuple[str, str]:
    return vocabulary.MEDIUM_KINDS.get(kind, (kind, kind))


def role_name(role: str) -> tuple[str, str]:
    return _ROSTER_ROLES.get(role, (role, role))


# ---- the register ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    id: str
    contract: str
    kind: str
    title: str
    pi_items: list[str]
    record_count: int
    quantity: int
    encrypted: bool
    seal_number: str
    parent: str | None  # the original this medium is a copy of
    status: str
    location_code: str | None
    location_name: str
    custodian_name: str
    registered_at: str  # UTC ISO, as stored
    last_event_at: str | None
    handled_by: list[str]  # every person who acted on it, in order of first appearance


def register_rows(contract_codes: list[str], include_never_received: bool = False, after: str = "",
                  limit: int | None = None) -> list[RegisterRow]:
    """One row per medium of these contracts, ordered by ID (from ``after``, at most ``limit``).

    Media that were listed but never handed over ("expected", "not_received") are left out unless
    asked for: the register lists what the contractor holds or held, and those it never did.
    """
    return list(iter_register_rows(contract_codes, include_never_received, after, limit))


def iter_register_rows(contract_codes: list[str], include_never_received: bool = False, after: str = "",
                       limit: int | None = None) -> Iterator[RegisterRow]:
    """``register_rows`` a chunk of media at a time: memory stays that of one chunk, however
    many media the contracts have (the CSV download streams it)."""
    return _iter_rows(_of_contracts(contract_codes, include_never_received), after, limit)


def _iter_rows(condition: peewee.Expression, after: str = "", limit: int | None = None) -> Iterator[RegisterRow]:
    left = limit
    while left is None or left > 0:
        size = REGISTER_CHUNK if left is None else min(REGISTER_CHUNK, left)
        chunk = _rows(condition & (Medium.id > after) if after else condition, size)
        yield from chunk
        if len(chunk) < size:
            return
        after = chunk[-1].id
        left = None if left is None else left - len(chunk)


REGISTER_CHUNK = 2_000  # media per query of the register (and per IN list of their history)


def count_media(contract_codes: list[str], include_never_received: bool = False) -> int:
    return Medium.select().where(_of_contracts(contract_codes, include_never_received)).count()


def _of_contracts(contract_codes: list[str], include_never_received: bool) -> peewee.Expression:
    condition = Medium.contract.in_(list(contract_codes))
    if not include_never_received:
        condition &= Medium.status.not_in(NEVER_RECEIVED_STATUSES)
    return condition


def _rows(condition: peewee.Expression, limit: int) -> list[RegisterRow]:
    media = list(
        Medium.select(Medium, Location.name.alias("location_name"), User.name.alias("custodian_name"))
        .join(Location, peewee.JOIN.LEFT_OUTER, on=(Medium.location == Location.code))
        .switch(Medium)
        .join(User, peewee.JOIN.LEFT_OUTER, on=(Medium.custodian == User.login))
        .where(condition)
        .order_by(Medium.id)
        .limit(limit)
        .objects()
    )
    handled, last_event = _history([medium.id for medium in media])
    return [
        RegisterRow(
            id=medium.id, contract=medium.contract_id, kind=medium.kind, title=medium.title,
            pi_items=list(medium.pi_items or []), record_count=medium.record_count, quantity=medium.quantity,
            encrypted=medium.encrypted, seal_number=medium.seal_number, parent=medium.parent_id,
            status=medium.status, location_code=medium.location_id, location_name=medium.location_name or "",
            custodian_name=medium.custodian_name or "", registered_at=medium.registered_at,
            last_event_at=last_event.get(medium.id), handled_by=handled.get(medium.id, []),
        )
        for medium in media
    ]


def _history(medium_ids: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Who acted on each medium (in order of first appearance) and its newest event's time:
    one pass over the event links of all the media at once."""
    names = access.user_names()
    actors: dict[str, dict[str, None]] = {}  # a dict keeps insertion order and drops repeats
    last_event: dict[str, str] = {}
    links = (
        EventMedium.select(EventMedium.medium, Event.actor, Event.at)
        .join(Event)
        .where(EventMedium.medium.in_(medium_ids))
        .order_by(Event.seq)
        .tuples()
    )
    for medium_id, actor, at in links.iterator():
        last_event[medium_id] = at
        if actor is not None:  # the installation itself is not a person who handled the medium
            actors.setdefault(medium_id, {})[names.get(actor, actor)] = None
    return {medium_id: list(people) for medium_id, people in actors.items()}, last_event


# ---- the people with access (Art. 7(5), 8) -----------------------------------------------------


@dataclass(frozen=True)
class Handler:
    login: str
    name: str
    role: str
    added_at: str
    removed_at: str | None


def people_with_access(contract_code: str) -> list[Handler]:
    """The roster as it stands and as it stood: removed people stay listed with their end date."""
    entries = (
        RosterEntry.select(RosterEntry, User.name.alias("name"))
        .join(User)
        .where(RosterEntry.contract == contract_code)
        .order_by(RosterEntry.role, RosterEntry.added_at)
        .objects()
    )
    return [Handler(entry.user_id, entry.name, entry.role, entry.added_at, entry.removed_at) for entry in entries]


# ---- the chain of custody ----------------------------------------------------------------------


@dataclass(frozen=True)
class CustodyStep:
    seq: int
    at: str  # UTC ISO, as stored
    medium: str
    actor: str | None  # login; None for the installation itself
    actor_name: str
    event_kind: str
    event_name: tuple[str, str]  # (ja, en)
    location_code: str | None  # where the medium was after this event
    location_name: str
    status: str | None  # the medium's status after this event
    details: dict = field(default_factory=dict)
    hash: str = ""


def chain_of_custody(medium_id: str) -> list[CustodyStep]:
    steps = _CustodyReader()
    return [steps.step(event, medium_id) for event in ledger.timeline(medium_id)]


def _custody_of_contracts(contract_codes: list[str]) -> Iterable[CustodyStep]:
    """Every (event, medium) pair of these contracts' media, in ledger order, never-received media
    included: the complete chain, one query however many media."""
    medium_ids = Medium.select(Medium.id).where(Medium.contract.in_(list(contract_codes)))
    links = (
        Event.select(Event, EventMedium.medium.alias("medium_id"))
        .join(EventMedium)
        .where(EventMedium.medium.in_(medium_ids))
        .order_by(Event.seq, EventMedium.medium)
        .objects()
    )
    steps = _CustodyReader()
    for event in db.stream(links):
        yield steps.step(event, event.medium_id)


class _CustodyReader:
    """Turns events into custody steps, carrying each medium's place and status forward.

    Only the event's ``changes`` say where a medium went; an event that does not move it (a label
    printed) leaves it where the previous event put it. Events must come in ledger order.
    """

    def __init__(self):
        self.names = access.user_names()
        self.places = dict(Location.select(Location.code, Location.name).tuples())
        self.state: dict[str, dict] = {}
        self._parsed: tuple[int, dict, dict] = (0, {}, {})  # the last event's changes and details, parsed once

    def step(self, event: Event, medium_id: str) -> CustodyStep:
        if self._parsed[0] != event.seq:  # one event of a thousand media: parsed once, not a thousand times
            self._parsed = (event.seq, event.changes_dict.get(Medium._meta.table_name, {}), _details(event.data_dict))
        _seq, media_changes, details = self._parsed
        change = media_changes.get(medium_id, {})
        state = self.state.setdefault(medium_id, {"location": None, "status": None})
        state.update({name: change[name] for name in ("location", "status") if name in change})
        return CustodyStep(
            seq=event.seq, at=event.at, medium=medium_id, actor=event.actor,
            actor_name=self.names.get(event.actor, event.actor) if event.actor else "",
            event_kind=event.kind, event_name=vocabulary.event_name(event.kind),
            location_code=state["location"], location_name=self.places.get(state["location"], ""),
            status=state["status"], details=details, hash=event.hash,
        )


LONG_LIST = 10  # a list in an event's data longer than this is shown by its length on every row


def _details(data: dict) -> dict:
    """What an event said, for one medium's line: the place is shown apart, empty values say
    nothing, and a long list (every ID of a bulk event) is given by its length rather than
    repeated on each of its media's lines."""
    return {key: (f"{len(value)}件 / items" if isinstance(value, list) and len(value) > LONG_LIST else value)
            for key, value in data.items() if key != "location" and value not in (None, "", [], {})}


# ---- CSV downloads -----------------------------------------------------------------------------

# (Japanese header, English header, value of a row in a language)
Column = tuple[str, str, Callable[[object, str], object]]


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _list(values: list[str], lang: str) -> str:
    return ("; " if lang == "en" else "、").join(values)


def _place(code: str | None, name: str) -> str:
    return f"{name} ({code})" if code else ""


REGISTER_COLUMNS: list[Column] = [
    ("媒体ID", "Medium ID", lambda row, lang: row.id),
    ("契約", "Contract", lambda row, lang: row.contract),
    ("種類", "Kind", lambda row, lang: _pick(kind_name(row.kind), lang)),
    ("名称", "Title", lambda row, lang: row.title),
    ("個人情報の項目", "Personal information items", lambda row, lang: _list(row.pi_items, lang)),
    ("件数", "Records", lambda row, lang: row.record_count),
    ("数量", "Quantity", lambda row, lang: row.quantity),
    ("暗号化", "Encrypted", lambda row, lang: _pick(("あり", "yes") if row.encrypted else ("なし", "no"), lang)),
    ("封印番号", "Seal number", lambda row, lang: row.seal_number),
    ("複製元", "Copy of", lambda row, lang: row.parent or ""),
    ("状態", "Status", lambda row, lang: _pick(status_name(row.status), lang)),
    ("場所コード", "Place code", lambda row, lang: row.location_code or ""),
    ("場所", "Place", lambda row, lang: row.location_name),
    ("保持者", "Custodian", lambda row, lang: row.custodian_name),
    ("登録日時（JST）", "Registered (JST)", lambda row, lang: csv_time(row.registered_at)),
    ("最終記録日時（JST）", "Last event (JST)", lambda row, lang: csv_time(row.last_event_at)),
    ("取扱者", "Handled by", lambda row, lang: _list(row.handled_by, lang)),
]

CUSTODY_COLUMNS: list[Column] = [
    ("記録番号", "Seq", lambda step, lang: step.seq),
    ("日時（JST）", "Time (JST)", lambda step, lang: csv_time(step.at)),
    ("記録", "Event", lambda step, lang: _pick(step.event_name, lang)),
    ("媒体ID", "Medium ID", lambda step, lang: step.medium),
    ("取扱者", "Actor", lambda step, lang: step.actor_name or _pick(("システム", "system"), lang)),
    ("場所", "Place", lambda step, lang: _place(step.location_code, step.location_name)),
    ("状態", "Status", lambda step, lang: _pick(status_name(step.status), lang) if step.status else ""),
    ("内容", "Details", lambda step, lang: "; ".join(f"{key}: {value}" for key, value in step.details.items())),
    ("ハッシュ", "Hash", lambda step, lang: step.hash),
]


def register_csv(contract_codes: list[str], lang: str = "ja", include_never_received: bool = False) -> bytes:
    return b"".join(register_csv_lines(contract_codes, lang, include_never_received))


def register_csv_lines(contract_codes: list[str], lang: str = "ja", include_never_received: bool = False) -> Iterator[bytes]:
    return _csv_lines(REGISTER_COLUMNS, iter_register_rows(contract_codes, include_never_received), lang)


def custody_csv(contract_codes: list[str], lang: str = "ja") -> bytes:
    """One line per (event, medium): the complete chain of custody of every medium."""
    return b"".join(custody_csv_lines(contract_codes, lang))


def custody_csv_lines(contract_codes: list[str], lang: str = "ja") -> Iterator[bytes]:
    """``custody_csv`` as it is made, a batch of lines at a time: a download streams it in
    constant memory, however long the contract's history."""
    return _csv_lines(CUSTODY_COLUMNS, _custody_of_contracts(contract_codes), lang)


def csv_time(value: str | None) -> str:
    # Without the zone suffix Excel reads it as a date-time cell; the header says JST.
    return to_jst(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


CSV_FLUSH_ROWS = 500  # rows per piece of a streamed CSV


def _csv_lines(columns: list[Column], items: Iterable, lang: str) -> Iterator[bytes]:
    """UTF-8 with a BOM and CRLF line ends: what Excel in Japan opens without garbling. Given out
    in pieces of ``CSV_FLUSH_ROWS`` rows, the BOM with the first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([english if lang == "en" else japanese for japanese, english, _value in columns])
    piece = "\ufeff"
    for count, item in enumerate(items, start=1):
        writer.writerow([_cell(value(item, lang)) for _japanese, _english, value in columns])
        if count % CSV_FLUSH_ROWS == 0:
            yield (piece + out.getvalue()).encode("utf-8")
            piece = ""
            out.seek(0)
            out.truncate()
    yield (piece + out.getvalue()).encode("utf-8")


def _cell(value: object) -> object:
    # A title typed as "=HYPERLINK(...)" must stay text in a spreadsheet, not become a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


# ---- close-out balance -------------------------------------------------------------------------


@dataclass
class Balance:
    """Every medium that came in must be accounted for at the end (Art. 17):
    received + copies made == returned + destroyed + still held.

    The two sides come from different records, so the equation can fail: "returned" counts the
    media on return receipts the city confirmed, not media whose status merely says returned.
    A medium marked returned with no receipt, or that left the held media any other way the
    workflows do not know, is listed as unaccounted and the balance does not close. Likewise
    "destroyed" counts the media of completed destructions whose 消去・廃棄証明書 was issued, not
    media whose status merely says destroyed."""

    contract: str
    received: int  # originals handed over by the city (by receipt or registered by hand)
    received_by_receipt: int  # of which on a confirmed 預り証
    copies: int  # copies made by the contractor (parent set)
    returned: int  # on a confirmed 返還受領書
    destroyed: int  # on a completed destruction with an issued certificate
    held: int  # HELD_STATUSES, lost media included: still the contractor's responsibility
    never_received: int  # on a handover list, never handed over: outside the equation
    by_status: dict[str, int]
    held_media: list[RegisterRow]
    unaccounted_media: list[RegisterRow]  # came in, but neither held, destroyed nor on a return receipt

    @property
    def registered_directly(self) -> int:
        return self.received - self.received_by_receipt

    @property
    def came_in(self) -> int:
        return self.received + self.copies

    @property
    def went_out_or_held(self) -> int:
        return self.returned + self.destroyed + self.held

    @property
    def balanced(self) -> bool:
        return self.came_in == self.went_out_or_held and not self.unaccounted_media


def closeout_balance(contract_code: str) -> Balance:
    contract = access.get_contract(contract_code)
    media = list(Medium.select(Medium.id, Medium.status, Medium.parent).where(Medium.contract == contract.code).tuples())
    by_status: dict[str, int] = {}
    for _id, status, _parent in media:
        by_status[status] = by_status.get(status, 0) + 1
    originals = {medium_id for medium_id, status, parent in media if parent is None and status not in NEVER_RECEIVED_STATUSES}
    copies = {medium_id for medium_id, status, parent in media if parent is not None and status not in NEVER_RECEIVED_STATUSES}
    held = {medium_id for medium_id, status, _ in media if status in HELD_STATUSES}
    destroyed = _destroyed_by_certificate(contract.code)
    returned = _handed_over(contract.code, "return")
    came_in = originals | copies
    accounted = returned | destroyed | held
    unaccounted = (came_in - accounted) | (accounted - came_in)
    in_contract = Medium.contract == contract.code
    return Balance(
        contract=contract.code,
        received=len(originals),
        received_by_receipt=len(originals & _handed_over(contract.code, "receive")),
        copies=len(copies),
        returned=len(returned),
        destroyed=len(destroyed),
        held=len(held),
        never_received=sum(by_status.get(status, 0) for status in NEVER_RECEIVED_STATUSES),
        by_status=by_status,
        held_media=list(_iter_rows(in_contract & Medium.status.in_(HELD_STATUSES))),
        unaccounted_media=[row for row in _iter_rows(in_contract) if row.id in unaccounted] if unaccounted else [],
    )


def _handed_over(contract_code: str, direction: str) -> set[str]:
    """Media on the confirmed receipts of one direction: what both sides signed for."""
    query = (HandoverItem.select(HandoverItem.medium).join(Handover)
             .where((Handover.contract == contract_code) & (Handover.direction == direction)
                    & (Handover.status == "confirmed") & HandoverItem.scanned_at.is_null(False)))
    return {medium_id for (medium_id,) in query.tuples()}


def _destroyed_by_certificate(contract_code: str) -> set[str]:
    """Media destroyed under a completed application whose certificate was issued (Art. 17(5))."""
    certified = Document.select(Document.subject).where(
        (Document.contract == contract_code) & (Document.kind == "destruction_certificate"))
    query = (DestructionItem.select(DestructionItem.medium).join(DestructionApplication)
             .where((DestructionApplication.contract == contract_code) & (DestructionApplication.status == "completed")
                    & DestructionItem.destroyed_at.is_null(False) & DestructionApplication.number.in_(certified)))
    return {medium_id for (medium_id,) in query.tuples()}

