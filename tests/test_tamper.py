"""The tamper matrix: each way someone with write access to the database could alter the record,
done directly in SQL behind the application's back, and exactly what ``verify`` says about it —
which problem, and at which event. Every case runs on SQLite and, when TEST_DATABASE_URL is
set, on PostgreSQL (the ``database`` fixture).

The ledger built for each case (``history``):
  ... the cast's people and places, then
  registered  a USB stick (``usb``) and a paper original (``paper``)
  stored      the USB stick in the cabinet
  taken_out   the USB stick to the work room
  issued      the 台帳 PDF (a ``document.issued`` event, the PDF kept as an attachment) — only
              in the ``papered`` history, for the cases about papers (rendering takes seconds)
  printed     the paper original's label (the newest event)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from tracker import db, ledger
from tracker.models import Attachment, Document, Event, EventMedium, Medium, RosterEntry, canonical_json
from tracker.workflows import labelling, media, papers, registers

CHAIN_BROKEN = "the hash chain to the previous event is broken"
NOT_JSON = "the event's data is not valid JSON"
ORPHAN_LINKS = "media links point to a missing event"


def altered(kind: str) -> str:
    return f"event '{kind}' does not match its hash (altered)"


@dataclass
class History:
    usb: str
    paper: str
    registered_paper: Event
    stored: Event
    taken_out: Event
    printed: Event
    issued: Event | None = None
    document: Document | None = None


def build_history(cast, settings, issue_paper: bool) -> History:
    usb = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES-256").id
    paper = media.register(cast.worker, "KG26", "paper", "給与支払報告書", record_count=40).id
    registered_paper = ledger.timeline(paper)[-1]
    media.store(cast.worker, usb, cast.cabinet.code)
    stored = ledger.timeline(usb)[-1]
    media.take_out(cast.worker, usb, cast.work_room.code, "入力作業", "2026-12-01")
    taken_out = ledger.timeline(usb)[-1]
    issued = document = None
    if issue_paper:  # a real 台帳 PDF: seconds to render, so only for the cases about papers
        document = registers.issue_pdf(cast.responsible, settings, "KG26")
        issued = Event.select().order_by(Event.seq.desc()).first()
        assert issued.kind == "document.issued"
    labelling.record_print(cast.worker, [paper], "ql-62")
    printed = Event.select().order_by(Event.seq.desc()).first()
    assert (registered_paper.kind, stored.kind, taken_out.kind, printed.kind) == (
        "medium.registered", "medium.stored", "medium.taken_out", "label.printed")
    assert ledger.verify(settings.attachments_dir).ok
    return History(usb, paper, registered_paper, stored, taken_out, printed, issued, document)


@pytest.fixture
def history(cast, settings) -> History:
    return build_history(cast, settings, issue_paper=False)


@pytest.fixture
def papered(cast, settings) -> History:
    """The history with the 台帳 issued as a PDF between the take-out and the label print."""
    return build_history(cast, settings, issue_paper=True)


# Each English message and the Japanese one that must stand beside it.
JAPANESE = [
    (r"the hash chain to the previous event is broken", "直前のイベントとのハッシュ連鎖が切れています"),
    (r"the event's data is not valid JSON", "イベントのデータがJSONとして読めません"),
    (r"media links point to a missing event", "存在しないイベントへの媒体リンクがあります"),
    (r"event '(?P<kind>[^']+)' does not match its hash \(altered\)", "イベント「{kind}」の内容がハッシュと一致しません（改ざんの疑い）"),
    (r"event numbers are not contiguous \(#(?P<seq>\d+) is missing\)", "イベント番号が連続していません（#{seq} が欠落）"),
    (r"(?P<table>\w+) (?P<key>\S+) row was deleted", "{table} {key} の行が削除されています"),
    (r"(?P<table>\w+) (?P<key>\S+) exists without any ledger event", "{table} {key} は台帳に記録のない行です"),
    (r"(?P<table>\w+) (?P<key>\S+): (?P<fields>.+) differ from the ledger \(edited directly\)",
     "{table} {key} の {fields} が台帳の記録と一致しません（直接編集の疑い）"),
    (r"attachment (?P<hash>[0-9a-f]{12})… is missing", "添付ファイル {hash}… がありません"),
    (r"attachment (?P<hash>[0-9a-f]{12})… was altered", "添付ファイル {hash}… の内容が変更されています"),
    (r"issued paper (?P<serial>\S+) prints a ledger head \(#(?P<seq>\d+)\) the chain no longer has \(rewritten\)",
     "発行済みの文書 {serial} に印刷された台帳の先頭（#{seq}）が現在の台帳と一致しません（書き換えの疑い）"),
]


def japanese_for(message_en: str) -> str:
    for pattern, japanese in JAPANESE:
        match = re.fullmatch(pattern, message_en)
        if match:
            return japanese.format(**match.groupdict())
    raise AssertionError(f"no Japanese known for {message_en!r}")


def problems(settings) -> list[tuple[int | None, str]]:
    """What verify reports, as (event number, English message) in the order it reports them;
    each problem's Japanese message is checked against the English one on the way."""
    found = ledger.verify(settings.attachments_dir).problems
    for problem in found:
        assert problem.message_ja == japanese_for(problem.message_en), problem
    return [(problem.event_seq, problem.message_en) for problem in found]


def links_of(seq: int) -> list[str]:
    return sorted(medium for (medium,) in EventMedium.select(EventMedium.medium).where(EventMedium.event == seq).tuples())


def rehash(event: Event) -> str:
    """Recompute an event's hash from its row and its links, as a forger with the code would."""
    event = Event.get_by_id(event.seq)
    new_hash = ledger.event_hash(event, links_of(event.seq))
    Event.update(hash=new_hash).where(Event.seq == event.seq).execute()
    return new_hash


def test_an_untouched_ledger_verifies(history, settings):
    report = ledger.verify(settings.attachments_dir)
    assert (report.ok, report.problems, report.events, report.head_hash) == (True, [], history.printed.seq, history.printed.hash)
    assert [event.kind for event in ledger.timeline(history.paper)] == ["medium.registered", "label.printed"]


def test_the_order_of_link_rows_does_not_matter(history, settings, cast):
    """Only which media an event names is hashed, not the order the database returns its links
    in (PostgreSQL promises none): the same links written back in reverse still verify."""
    labelling.record_print(cast.worker, [history.paper, history.usb], "ql-62")
    both = Event.select().order_by(Event.seq.desc()).first()
    assert links_of(both.seq) == [history.usb, history.paper]  # KG26-00001-7, KG26-00002-5
    EventMedium.delete().where(EventMedium.event == both.seq).execute()
    EventMedium.insert_many([(both.seq, history.paper), (both.seq, history.usb)], fields=[EventMedium.event, EventMedium.medium]).execute()
    # The paper's first link written last: its timeline still reads in the ledger's order.
    EventMedium.delete().where(EventMedium.event == history.registered_paper.seq).execute()
    EventMedium.insert(event=history.registered_paper.seq, medium=history.paper).execute()
    assert problems(settings) == []
    assert [event.seq for event in ledger.timeline(history.paper)] == [history.registered_paper.seq, history.printed.seq, both.seq]


def test_an_edited_event_is_named_by_its_hash(history, settings):
    Event.update(data=canonical_json({"location": "LOC-09999-X"})).where(Event.seq == history.stored.seq).execute()
    assert problems(settings) == [(history.stored.seq, altered("medium.stored"))]


def test_an_edited_event_with_its_hash_recomputed_breaks_the_link_to_the_next(history, settings):
    Event.update(data=canonical_json({"location": "LOC-09999-X"})).where(Event.seq == history.stored.seq).execute()
    rehash(history.stored)
    assert problems(settings) == [(history.stored.seq + 1, CHAIN_BROKEN)]


def test_an_edited_event_with_every_later_hash_recomputed_is_caught_only_by_a_printed_head(papered, settings):
    """Rewriting an event and every hash after it leaves a chain that is consistent inside the
    database: what catches it is the head hash printed on every paper issued after the edited
    event — ``ledger.verify`` checks each issued paper's head against the chain and names the
    event the paper printed (and ``papers.check``, the /d/<serial> page, says so for one paper)."""
    Event.update(data=canonical_json({"location": "LOC-09999-X"})).where(Event.seq == papered.stored.seq).execute()
    previous = rehash(papered.stored)
    for event in Event.select().where(Event.seq > papered.stored.seq).order_by(Event.seq):
        Event.update(prev_hash=previous).where(Event.seq == event.seq).execute()
        previous = rehash(event)

    serial, head = papered.document.serial, papered.document.head_seq
    assert problems(settings) == [(head, f"issued paper {serial} prints a ledger head (#{head}) the chain no longer has (rewritten)")]
    check = papers.check(settings, Document.get_by_id(papered.document.serial))
    assert check.chain_holds_head is False and check.file_intact is True and check.ok is False
    # It is caught because the paper was issued after the edited event: the head it prints (the
    # take-out) is one of the hashes the rewrite had to change.
    assert papered.document.head_seq == papered.taken_out.seq > papered.stored.seq


def test_the_newest_event_edited_with_its_hash_recomputed_leaves_only_the_tail_to_papers(papered, settings):
    """Nothing follows the newest event, so an edit with its hash recomputed is consistent inside
    the database; papers issued before it do not cover it either (known limit, see above)."""
    Event.update(data=canonical_json({"layout": "a4-24"})).where(Event.seq == papered.printed.seq).execute()
    rehash(papered.printed)
    assert problems(settings) == []
    assert papers.check(settings, Document.get_by_id(papered.document.serial)).chain_holds_head is True


def test_a_deleted_projected_row_is_named_with_the_last_event_that_wrote_it(history, settings):
    Medium.delete().where(Medium.id == history.paper).execute()
    assert problems(settings) == [(history.printed.seq, f"medium {history.paper} row was deleted")]


def test_a_deleted_roster_entry_is_named(history, settings):
    added = Event.get((Event.kind == "roster.approved") & (Event.data.contains('"sato"')))
    RosterEntry.delete().where(RosterEntry.key == "KG26/sato").execute()
    assert problems(settings) == [(added.seq, "roster_entry KG26/sato row was deleted")]


def test_an_inserted_roster_entry_grants_nothing_unseen(history, settings):
    RosterEntry.insert(key="KG26/suzuki", contract="KG26", user="suzuki", role="worker",
                       added_at="2026-04-01T00:00:00.000000Z").execute()
    assert problems(settings) == [(None, "roster_entry KG26/suzuki exists without any ledger event")]


def test_an_inserted_medium_is_named(history, settings):
    Medium.insert(id="KG26-09999-X", contract="KG26", kind="usb", title="x", status="stored",
                  registered_at="2026-01-01T00:00:00.000000Z", updated_at="2026-01-01T00:00:00.000000Z").execute()
    assert problems(settings) == [(None, "medium KG26-09999-X exists without any ledger event")]


def test_a_projected_field_edited_directly_is_named_with_its_last_event(history, settings, cast):
    Medium.update(location=cast.cabinet.code, status="stored").where(Medium.id == history.usb).execute()
    assert problems(settings) == [(history.taken_out.seq, f"medium {history.usb}: status, location differ from the ledger (edited directly)")]


def test_a_media_link_added_to_an_event_is_caught(history, settings):
    EventMedium.insert(event=history.stored.seq, medium=history.paper).execute()
    assert problems(settings) == [(history.stored.seq, altered("medium.stored"))]


def test_a_media_link_removed_from_an_event_is_caught(history, settings):
    EventMedium.delete().where((EventMedium.event == history.stored.seq) & (EventMedium.medium == history.usb)).execute()
    assert links_of(history.stored.seq) == []
    assert problems(settings) == [(history.stored.seq, altered("medium.stored"))]


def test_a_media_link_removed_from_a_paper_is_caught(papered, settings):
    """The 台帳 names every medium it lists: one of them unlinked is an altered issue."""
    EventMedium.delete().where((EventMedium.event == papered.issued.seq) & (EventMedium.medium == papered.usb)).execute()
    assert links_of(papered.issued.seq) == [papered.paper]
    assert problems(settings) == [(papered.issued.seq, altered("document.issued"))]


def test_the_newest_event_deleted_while_its_links_remain_is_caught(history, settings, database):
    """Deleting the newest event is a truncation the chain alone cannot see; the links it leaves
    behind (the foreign key is switched off to delete it, as a forger would) and the state it
    wrote are what give it away."""
    with foreign_keys_off(database):
        Event.delete().where(Event.seq == history.printed.seq).execute()
    assert links_of(history.printed.seq) == [history.paper]
    assert problems(settings) == [
        (history.printed.seq, ORPHAN_LINKS),
        (history.registered_paper.seq, f"medium {history.paper}: labels_printed differ from the ledger (edited directly)"),
    ]


def test_the_newest_events_deleted_are_named_from_the_first_missing(history, settings, database):
    with foreign_keys_off(database):
        Event.delete().where(Event.seq >= history.taken_out.seq).execute()
    assert problems(settings)[0] == (history.taken_out.seq, ORPHAN_LINKS)


def test_an_event_deleted_from_the_middle_is_caught(history, settings):
    EventMedium.delete().where(EventMedium.event == history.taken_out.seq).execute()
    Event.delete().where(Event.seq == history.taken_out.seq).execute()
    found = problems(settings)
    assert found[0] == (history.taken_out.seq + 1, f"event numbers are not contiguous (#{history.taken_out.seq} is missing)")


@pytest.mark.parametrize("column", ["changes", "data"])
def test_corrupt_json_in_an_event_is_named(history, settings, column):
    Event.update(**{column: '{"medium": {'}).where(Event.seq == history.stored.seq).execute()
    # Named once: the chain check stops at the first broken event, and the state the stored event
    # wrote was overwritten by the take-out after it, so replaying without it changes nothing.
    assert problems(settings) == [(history.stored.seq, NOT_JSON)]


def test_a_stored_attachment_replaced_is_caught(papered, settings):
    path = ledger.attachment_path(settings.attachments_dir, papered.document.attachment_id)
    path.write_bytes(path.read_bytes().replace(b"%PDF", b"%PDX", 1))
    assert problems(settings) == [(papered.issued.seq, f"attachment {papered.document.attachment_id[:12]}… was altered")]
    assert papers.check(settings, Document.get_by_id(papered.document.serial)).file_intact is False


def test_a_stored_attachment_deleted_is_caught(papered, settings):
    ledger.attachment_path(settings.attachments_dir, papered.document.attachment_id).unlink()
    assert problems(settings) == [(papered.issued.seq, f"attachment {papered.document.attachment_id[:12]}… is missing")]


def test_an_attachment_row_deleted_is_caught(papered, settings):
    Document.delete().where(Document.serial == papered.document.serial).execute()
    Attachment.delete().where(Attachment.sha256 == papered.document.attachment_id).execute()
    assert problems(settings) == [
        (papered.issued.seq, f"attachment {papered.document.attachment_id} row was deleted"),
        (papered.issued.seq, f"document {papered.document.serial} row was deleted"),
    ]


class foreign_keys_off:
    """Switch off foreign-key enforcement for this connection, as a forger with the database's
    owner rights can (SQLite: a pragma; PostgreSQL: replica mode skips the FK triggers)."""

    def __init__(self, database):
        self.database = database

    def __enter__(self):
        if db.is_sqlite():
            self.database.execute_sql("PRAGMA foreign_keys = OFF")
        else:
            self.database.execute_sql("SET session_replication_role = replica")

    def __exit__(self, *exc):
        if db.is_sqlite():
            self.database.execute_sql("PRAGMA foreign_keys = ON")
        else:
            self.database.execute_sql("SET session_replication_role = DEFAULT")
