"""The ledger: the only code that writes events, and the code that verifies them.

Every change is one event: who did what, when, to which media, and the resulting ``changes`` to
the current-state tables. The event is appended to a SHA-256 chain
(``hash = sha256(prev_hash + canonical_json(event))``) and its changes are applied in the same
transaction, under a lock that serialises writers so the chain never forks.

``verify()`` recomputes the chain, replays every event's changes from nothing and compares the
result with the current-state tables, and re-hashes every stored attachment. Editing an event,
deleting one from the middle, or editing a medium's row directly are all caught and named.
(Truncating the newest events cannot be seen from inside the database alone: every PDF prints
the head hash it was made from, so a document held by the city pins the chain at that point.)
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tracker import db
from tracker.models import (
    PROJECTED_BY_TABLE,
    PROJECTED_MODELS,
    Attachment,
    Document,
    Event,
    EventMedium,
    Medium,
    ScanReceipt,
    User,
    canonical_json,
    secret_fingerprint,
)
from tracker.timeutil import now_iso

GENESIS = "0" * 64

# The scan receipt (``workflows.scans.record``) that the events being appended answer to.
_acknowledging: contextvars.ContextVar[str | None] = contextvars.ContextVar("acknowledging", default=None)


# How the code being acted on arrived (camera, station, wedge, photo, typed): proof of presence.
_arrived_by: contextvars.ContextVar[str | None] = contextvars.ContextVar("arrived_by", default=None)


@contextmanager
def arrived_by(source: str | None):
    """Events appended inside record how their scan's code arrived, in ``data["source"]``."""
    token = _arrived_by.set(source)
    try:
        yield
    finally:
        _arrived_by.reset(token)


@contextmanager
def acknowledged_by(receipt_key: str):
    """Events appended inside carry ``receipt_key`` in their data, so that ``verify`` can match
    each scan receipt with what it acknowledges."""
    token = _acknowledging.set(receipt_key)
    try:
        yield
    finally:
        _acknowledging.reset(token)


def append(
    kind: str,
    actor: str | None,
    data: dict | None = None,
    changes: dict | None = None,
    media: Iterable[str] = (),
    contract: str | None = None,
) -> Event:
    """Append one event and apply its changes, atomically. Call inside ``db.writing()``.

    ``changes`` is ``{table: {key: {field: value}}}`` over the projected tables; a key that does
    not exist yet is created. ``media`` adds media the event concerns without changing them
    (a label printed); media whose rows change are included automatically.
    """
    changes = changes or {}
    _check_tables(changes)
    if _acknowledging.get():
        data = {**(data or {}), "receipt": _acknowledging.get()}
    if _arrived_by.get():
        data = {**(data or {}), "source": _arrived_by.get()}
    media_ids = sorted(set(media) | set(changes.get(Medium._meta.table_name, {})))
    with db.writing():
        head = Event.select(Event.seq, Event.hash).order_by(Event.seq.desc()).first()
        event = Event(
            seq=(head.seq + 1) if head else 1,
            at=now_iso(),
            actor=actor,
            kind=kind,
            contract=contract,
            data=canonical_json(data or {}),
            changes=canonical_json(changes),
            prev_hash=head.hash if head else GENESIS,
        )
        event.hash = event_hash(event, media_ids)
        event.save(force_insert=True)
        if media_ids:
            EventMedium.insert_many(
                [(event.seq, medium) for medium in media_ids], fields=[EventMedium.event, EventMedium.medium]
            ).execute()
        _apply(changes)
    return event


@dataclass
class Pending:
    """An event to append in bulk (``append_many``): what ``append`` takes, and its time."""

    kind: str
    actor: str | None
    data: dict = field(default_factory=dict)
    changes: dict = field(default_factory=dict)
    media: Iterable[str] = ()
    contract: str | None = None
    at: str | None = None  # UTC ISO; now when None (a generated history gives its own)


BULK_ROWS = 2_000  # rows per INSERT statement: under SQLite's limit of bound values


def append_many(pending: Iterable[Pending]) -> int:
    """Append many events in one transaction: ``append`` for bulk loads (the benchmark's
    generated history, large imports). Every event is hashed and chained exactly as ``append``
    does and gets the same media links; only the writing is batched: events and links go in
    multi-row INSERTs, and each projected row's changes are merged over the batch and written
    once — new rows inserted together, existing rows updated once — which leaves the tables as
    applying the events one by one would. ``verify`` replays them like any others. Returns the
    number of events appended."""
    with db.writing():
        newest = Event.select(Event.seq, Event.hash).order_by(Event.seq.desc()).first()
        seq, previous = (newest.seq, newest.hash) if newest else (0, GENESIS)
        events, links, merged = [], [], {}
        for item in pending:
            _check_tables(item.changes)
            data = {**item.data, "receipt": _acknowledging.get()} if _acknowledging.get() else item.data
            media_ids = sorted(set(item.media) | set(item.changes.get(Medium._meta.table_name, {})))
            seq += 1
            event = Event(seq=seq, at=item.at or now_iso(), actor=item.actor, kind=item.kind, contract=item.contract,
                          data=canonical_json(data), changes=canonical_json(item.changes), prev_hash=previous)
            event.hash = previous = event_hash(event, media_ids, data, item.changes)  # JSON-native values: as parsed back
            events.append(event.__data__)
            links.extend((seq, medium) for medium in media_ids)
            for table, rows in item.changes.items():
                for key, values in rows.items():
                    merged.setdefault(table, {}).setdefault(key, {}).update(values)
        event_fields = [Event.seq, Event.at, Event.actor, Event.kind, Event.contract, Event.data, Event.changes,
                        Event.prev_hash, Event.hash]
        db.insert_rows(Event, event_fields, [tuple(row[field.name] for field in event_fields) for row in events])
        db.insert_rows(EventMedium, [EventMedium.event, EventMedium.medium], links)
        _apply_merged(merged)
    return len(events)


def _apply_merged(merged: dict) -> None:
    """Each row's merged changes: existing rows updated once, new rows inserted in bulk with the
    defaults ``insert`` would give them (parents before children: ``PROJECTED_MODELS`` order)."""
    for model in PROJECTED_MODELS:
        rows = merged.get(model._meta.table_name)
        if not rows:
            continue
        primary_key = model._meta.primary_key
        keys = sorted(rows)
        existing = set()
        for start in range(0, len(keys), BULK_ROWS):
            batch = keys[start:start + BULK_ROWS]
            existing.update(key for (key,) in model.select(primary_key).where(primary_key.in_(batch)).tuples())
        by_fields: dict[tuple[str, ...], list[tuple]] = {}  # rows changing the same fields: one statement
        for key in keys:
            if key in existing and rows[key]:
                names = tuple(sorted(rows[key]))
                by_fields.setdefault(names, []).append(
                    tuple(model._meta.fields[name].db_value(rows[key][name]) for name in names) + (key,))
        for names, values in by_fields.items():
            db.update_rows(model, [model._meta.fields[name] for name in names], values)
        fields = list(model._meta.sorted_fields)
        new = [_full_row(model, key, rows[key]) for key in keys if key not in existing]
        db.insert_rows(model, fields, [tuple(field.db_value(row[field.name]) for field in fields) for row in new])


def _full_row(model, key: str, values: dict) -> dict:
    row = {model._meta.primary_key.name: key}
    for name, column in model._meta.fields.items():
        if name not in row:
            default = column.default
            row[name] = values[name] if name in values else (default() if callable(default) else default)
    return row


def event_hash(event: Event, media_ids: list[str], data=None, changes=None) -> str:
    """The event's hash; ``data`` and ``changes`` are its JSON already parsed, when the caller
    has them (``verify`` parses each event once and uses the result for everything)."""
    body = canonical_json(
        {
            "seq": event.seq,
            "at": event.at,
            "actor": event.actor,
            "kind": event.kind,
            "contract": event.contract,
            "media": media_ids,
            "data": json.loads(event.data) if data is None else data,
            "changes": json.loads(event.changes) if changes is None else changes,
        }
    )
    return hashlib.sha256((event.prev_hash + body).encode("utf-8")).hexdigest()


def head() -> tuple[int, str]:
    """(number of events, newest hash): what every document prints as its source."""
    newest = Event.select(Event.seq, Event.hash).order_by(Event.seq.desc()).first()
    return (newest.seq, newest.hash) if newest else (0, GENESIS)


def timeline(medium_id: str) -> list[Event]:
    return list(
        Event.select().join(EventMedium).where(EventMedium.medium == medium_id).order_by(Event.seq)
    )


# ---- verification ------------------------------------------------------------------------------


@dataclass
class Problem:
    event_seq: int | None
    message_ja: str
    message_en: str

    def __str__(self) -> str:
        where = f"event #{self.event_seq}: " if self.event_seq else ""
        return f"{where}{self.message_ja} / {self.message_en}"


# An admin's signed statement that a projected row differs from the ledger for a reason other
# than tampering (tracker/workflows/corrections.py); ``verify`` replays it and always reports it.
CORRECTION = "ledger.corrected"


@dataclass
class Report:
    events: int = 0
    head_hash: str = GENESIS
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # not failures, but never silent: corrections

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(attachments_dir: Path | None = None, progress=None) -> Report:
    """Recompute the chain, the current state and the attachment hashes; report what differs.

    One pass over the events in order, with their media links read alongside in the same order
    (a merge, not a dictionary of every link), each event's JSON parsed once; on PostgreSQL both
    through server-side cursors. What stays in memory is the replayed state (one entry per
    projected row), not the events. ``progress(seq)`` is called every ``PROGRESS_EVERY`` events.
    """
    with db.reading():
        return _verify(attachments_dir, progress)


def _verify(attachments_dir: Path | None, progress) -> Report:
    report = Report()
    replayed: dict[str, dict[str, dict]] = {table: {} for table in PROJECTED_BY_TABLE}
    last_touch: dict[tuple[str, str], int] = {}
    links = LinksInOrder(db.stream(EventMedium.select(EventMedium.event, EventMedium.medium)
                                    .order_by(EventMedium.event, EventMedium.medium).tuples()))
    acknowledged: dict[str, list[tuple[int, str | None]]] = {}  # receipt key -> (seq, actor) of its events
    printed_heads = _printed_heads()
    paper_problems: list[Problem] = []  # apart: the chain's first break is reported first
    previous_hash, expected_seq = GENESIS, 1
    for event in db.stream(Event.select().order_by(Event.seq)):
        for serial, printed in printed_heads.pop(event.seq, []):
            if printed != event.hash:
                paper_problems.append(_paper_head_problem(serial, event.seq))
        if event.kind == CORRECTION:
            report.notes.append(_correction_note(event))
        media_ids = links.take(event.seq)
        try:
            data, changes = json.loads(event.data), json.loads(event.changes)
        except ValueError:
            data = changes = None
        if isinstance(data, dict) and isinstance(data.get("receipt"), str):
            acknowledged.setdefault(data["receipt"], []).append((event.seq, event.actor))
        if not report.problems:
            problem = check_event(event, media_ids, previous_hash, expected_seq, data, changes)
            if problem:
                report.problems.append(problem)
        for table, rows in (changes if isinstance(changes, dict) else {}).items():
            for key, values in rows.items():
                if table in replayed and key not in replayed[table]:
                    replayed[table][key] = _defaults(PROJECTED_BY_TABLE[table])
                replayed.setdefault(table, {}).setdefault(key, {}).update(values)
                last_touch[(table, key)] = event.seq
        previous_hash, expected_seq = event.hash, event.seq + 1
        report.events, report.head_hash = event.seq, event.hash
        if progress is not None and event.seq % PROGRESS_EVERY == 0:
            progress(event.seq)
    for seq, papers in sorted(printed_heads.items()):  # a head past the newest event: events were removed
        paper_problems.extend(_paper_head_problem(serial, seq) for serial, printed in papers
                              if not (seq == 0 and printed == GENESIS))
    report.problems.extend(paper_problems)
    orphan = links.orphan()
    links.close()
    if orphan is not None:
        report.problems.append(Problem(orphan, "存在しないイベントへの媒体リンクがあります", "media links point to a missing event"))
    report.problems.extend(_compare_projection(replayed, last_touch))
    report.problems.extend(check_scan_receipts(acknowledged))
    report.problems.extend(check_password_hashes())
    if attachments_dir is not None:
        report.problems.extend(_check_attachment_files(attachments_dir, last_touch))
    return report


PROGRESS_EVERY = 10_000


def check_event(event: Event, media_ids: list[str], previous_hash: str, expected_seq: int, data=None, changes=None) -> Problem | None:
    if event.seq != expected_seq:
        return Problem(
            event.seq,
            f"イベント番号が連続していません（#{expected_seq} が欠落）",
            f"event numbers are not contiguous (#{expected_seq} is missing)",
        )
    if event.prev_hash != previous_hash:
        return Problem(event.seq, "直前のイベントとのハッシュ連鎖が切れています", "the hash chain to the previous event is broken")
    if data is None or changes is None:
        return Problem(event.seq, "イベントのデータがJSONとして読めません", "the event's data is not valid JSON")
    try:
        recomputed = event_hash(event, sorted(media_ids), data, changes)
    except ValueError:
        return Problem(event.seq, "イベントのデータがJSONとして読めません", "the event's data is not valid JSON")
    if recomputed != event.hash:
        return Problem(
            event.seq,
            f"イベント「{event.kind}」の内容がハッシュと一致しません（改ざんの疑い）",
            f"event '{event.kind}' does not match its hash (altered)",
        )
    if canonical_json(data) != event.data or canonical_json(changes) != event.changes:
        # The hash covers the parsed value, so a key added twice ({"a":1,"a":2}) would keep the hash
        # while SQL's json_extract reads the first and the app the last: every event is stored in
        # canonical form, so any other text was edited.
        return Problem(event.seq, f"イベント「{event.kind}」のJSONが記録時の形ではありません（重複したキー等・改ざんの疑い）",
                       f"event '{event.kind}' is not stored as recorded (a duplicate key or other edit)")
    return None


class LinksInOrder:
    """The media links of each event, read in event order beside the events themselves: each
    ``take(seq)`` consumes the links up to ``seq``. A link to an event that is not there (an
    event deleted, its links left) is noticed as it is passed."""

    def __init__(self, rows):
        self._rows = rows
        self._next = next(self._rows, None)
        self._orphan: int | None = None

    def close(self) -> None:
        """End the read now (on PostgreSQL, its cursor and transaction), not whenever it is collected."""
        self._rows.close()

    def take(self, seq: int) -> list[str]:
        found = []
        while self._next is not None and self._next[0] <= seq:
            event_seq, medium = self._next
            if event_seq == seq:
                found.append(medium)
            elif self._orphan is None:
                self._orphan = event_seq
            self._next = next(self._rows, None)
        return found

    def orphan(self) -> int | None:
        """The first link to a missing event, counting any left after the last event."""
        if self._orphan is None and self._next is not None:
            self._orphan = self._next[0]
        return self._orphan


def correction_notes() -> list[Problem]:
    """Every correction recorded in the ledger, as ``verify`` lists them (found by kind: an index)."""
    return [_correction_note(event) for event in Event.select().where(Event.kind == CORRECTION).order_by(Event.seq)]


def _correction_note(event: Event) -> Problem:
    data = _json_or_empty(event.data)
    where = f"{data.get('table')} {data.get('key')}: {', '.join(sorted(data.get('fields') or {}))}"
    return Problem(event.seq, f"{event.actor} が訂正を記録: {where}（理由: {data.get('reason')}）",
                   f"correction recorded by {event.actor}: {where} (reason: {data.get('reason')})")


def replayed_row(table: str, key: str) -> dict | None:
    """One projected row as the ledger's events make it (None: no event made it)."""
    model = PROJECTED_BY_TABLE[table]
    row = None
    for (text,) in Event.select(Event.changes).where(Event.changes.contains(f'"{table}"')).order_by(Event.seq).tuples().iterator():
        values = _json_or_empty(text).get(table, {}).get(key)
        if values is not None:
            row = row if row is not None else _defaults(model)
            row.update(values)
    return row


def _printed_heads() -> dict[int, list[tuple[str, str]]]:
    """Every issued paper's printed head: event number -> [(serial, hash printed)]."""
    heads: dict[int, list[tuple[str, str]]] = {}
    for serial, seq, printed in Document.select(Document.serial, Document.head_seq, Document.head_hash).tuples().iterator():
        heads.setdefault(seq, []).append((serial, printed))
    return heads


def _paper_head_problem(serial: str, seq: int) -> Problem:
    # The paper a city official holds prints this head: the chain no longer passes through it.
    return Problem(seq, f"発行済みの文書 {serial} に印刷された台帳の先頭（#{seq}）が現在の台帳と一致しません（書き換えの疑い）",
                   f"issued paper {serial} prints a ledger head (#{seq}) the chain no longer has (rewritten)")


def _compare_projection(replayed: dict, last_touch: dict) -> list[Problem]:
    """Each table's rows, streamed, against the replayed state, which is consumed as it is
    compared (what is left of it was deleted): one copy of the state in memory, not two."""
    problems = []
    for model in PROJECTED_MODELS:
        table = model._meta.table_name
        expected = replayed.get(table, {})
        found: list[tuple[str, Problem]] = []
        for row in db.stream(model.select()):
            key = str(row._pk)
            state = expected.pop(key, None)
            if state is None:
                found.append((key, Problem(None, f"{table} {key} は台帳に記録のない行です", f"{table} {key} exists without any ledger event")))
                continue
            differing = [name for name in model.ledger_fields if state.get(name) != row.__data__.get(name)]
            if differing:
                found.append((key, Problem(
                    last_touch.get((table, key)),
                    f"{table} {key} の {', '.join(differing)} が台帳の記録と一致しません（直接編集の疑い）",
                    f"{table} {key}: {', '.join(differing)} differ from the ledger (edited directly)",
                )))
        found.extend((key, Problem(last_touch.get((table, key)), f"{table} {key} の行が削除されています", f"{table} {key} row was deleted"))
                     for key in expected)
        problems.extend(problem for _key, problem in sorted(found, key=lambda item: item[0]))
    return problems


def check_scan_receipts(acknowledged: dict[str, list[tuple[int, str | None]]]) -> list[Problem]:
    """Scan receipts live outside the chain (they hold the answer a resend gets), so each is
    matched with the events that carry its key: a receipt saying event N was written must find
    N carrying its key, by the same person, as the last of them; an event carrying a key must
    find its receipt. A receipt that wrote nothing (a lookup, a duplicate, a refusal) answers a
    resend with "nothing recorded" and acknowledges no custody fact."""
    problems = []
    receipts = ScanReceipt.select(ScanReceipt.idempotency_key, ScanReceipt.user, ScanReceipt.event_seq)
    for receipt in receipts.iterator():
        events = acknowledged.pop(receipt.idempotency_key, [])
        if receipt.event_seq is None and not events:
            continue
        last_seq, actor = events[-1] if events else (None, None)
        if receipt.event_seq != last_seq or actor != receipt.user_id:
            problems.append(Problem(receipt.event_seq or last_seq,
                                    f"読取りの受領記録 {receipt.idempotency_key[:12]}… が台帳のイベントと一致しません（改ざんの疑い）",
                                    f"scan receipt {receipt.idempotency_key[:12]}… does not match the ledger's events (altered)"))
    for key, events in sorted(acknowledged.items(), key=lambda item: item[1][0][0]):
        problems.append(Problem(events[-1][0], f"イベントの読取り受領記録 {key[:12]}… がありません（削除の疑い）",
                                f"the scan receipt {key[:12]}… of this event is missing (deleted)"))
    return problems


def check_password_hashes() -> list[Problem]:
    """Password hashes live outside the chain (the ledger is read by inspectors); each must match
    the fingerprint its last ``user.*`` event recorded, so a hash swapped in the database, to log
    in as someone, is caught. A user with neither (an account without a password) is fine."""
    problems = []
    for user in User.select(User.login, User.password_hash, User.password_fingerprint).iterator():
        if secret_fingerprint(user.password_hash) != user.password_fingerprint:
            problems.append(Problem(None, f"利用者 {user.login} のパスワードが台帳の記録と一致しません（直接変更の疑い）",
                                    f"the password of user {user.login} does not match the ledger (changed directly)"))
    return problems


def _json_or_empty(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _check_attachment_files(attachments_dir: Path, last_touch: dict) -> list[Problem]:
    problems = []
    for attachment in Attachment.select().iterator():
        path = attachment_path(attachments_dir, attachment.sha256)
        seq = last_touch.get((Attachment._meta.table_name, attachment.sha256))
        if not path.exists():
            problems.append(Problem(seq, f"添付ファイル {attachment.sha256[:12]}… がありません", f"attachment {attachment.sha256[:12]}… is missing"))
        elif file_sha256(path) != attachment.sha256:
            problems.append(Problem(seq, f"添付ファイル {attachment.sha256[:12]}… の内容が変更されています", f"attachment {attachment.sha256[:12]}… was altered"))
    return problems


# ---- helpers -----------------------------------------------------------------------------------


def attachment_path(attachments_dir: Path, sha256: str) -> Path:
    return attachments_dir / sha256[:2] / sha256[2:]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _defaults(model) -> dict:
    """A new row's values before its first event's changes: the model's column defaults."""
    values = {}
    for name in model.ledger_fields:
        default = model._meta.fields[name].default
        values[name] = default() if callable(default) else default
    return values


def _check_tables(changes: dict) -> None:
    unknown = set(changes) - set(PROJECTED_BY_TABLE)
    if unknown:
        raise ValueError(f"not a projected table: {sorted(unknown)}")
    for table, rows in changes.items():
        model = PROJECTED_BY_TABLE[table]
        for values in rows.values():
            extra = set(values) - set(model.ledger_fields)
            if extra:
                raise ValueError(f"{table}: not ledger fields: {sorted(extra)}")


def _apply(changes: dict) -> None:
    for model in PROJECTED_MODELS:
        for key, values in changes.get(model._meta.table_name, {}).items():
            primary_key = model._meta.primary_key
            updated = model.update(**values).where(primary_key == key).execute() if values else 0
            if not updated and not model.select().where(primary_key == key).exists():
                model.insert(**{primary_key.name: key, **values}).execute()
