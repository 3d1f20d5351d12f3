"""The ledger: chain, projection, tamper detection, and concurrent writers (SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from datetime import datetime, timezone

from tracker import db, ledger
from tracker.errors import WrongState
from tracker.models import Contract, Event, EventMedium, Medium, canonical_json
from tracker.timeutil import clock_at
from tracker.workflows import labelling, media


def register_usb(cast, title="課税資料データ"):
    return media.register(cast.worker, "KG26", "usb", title, pi_items=["氏名", "住所"], record_count=120,
                          encrypted=True, encryption="AES-256")


def test_each_event_links_to_the_previous_hash(cast):
    register_usb(cast)
    events = list(Event.select().order_by(Event.seq))
    assert events[0].prev_hash == ledger.GENESIS
    for before, after in zip(events, events[1:]):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1
    assert ledger.head() == (events[-1].seq, events[-1].hash)


def test_state_is_the_replay_of_events(cast):
    medium = register_usb(cast)
    media.store(cast.worker, medium.id, cast.cabinet.code)
    media.take_out(cast.worker, medium.id, cast.work_room.code, "入力作業", "2026-12-01")
    stored = Medium.get_by_id(medium.id)
    assert (stored.status, stored.location_id, stored.custodian_id) == ("in_use", cast.work_room.code, "sato")
    assert [event.kind for event in ledger.timeline(medium.id)] == ["medium.registered", "medium.stored", "medium.taken_out"]
    report = ledger.verify()
    assert report.ok, report.problems
    assert report.events == Event.select().count()


def test_editing_an_event_row_is_caught_and_named(cast, database):
    medium = register_usb(cast)
    stored = media.store(cast.worker, medium.id, cast.cabinet.code)
    target = ledger.timeline(stored.id)[-1]
    database.execute_sql("UPDATE event SET data = %s WHERE seq = %s" % ("'{\"location\":\"ELSEWHERE\"}'", target.seq))
    report = ledger.verify()
    assert not report.ok
    assert report.problems[0].event_seq == target.seq


def test_editing_the_current_state_directly_is_caught(cast, database):
    medium = register_usb(cast)
    media.store(cast.worker, medium.id, cast.cabinet.code)
    Medium.update(status="destroyed").where(Medium.id == medium.id).execute()
    report = ledger.verify()
    assert not report.ok
    problem = report.problems[0]
    assert medium.id in problem.message_en and "status" in problem.message_en
    assert problem.event_seq == ledger.timeline(medium.id)[-1].seq


def test_deleting_an_event_from_the_middle_is_caught(cast, database):
    register_usb(cast)
    middle = Event.select().order_by(Event.seq).offset(3).first()
    EventMedium.delete().where(EventMedium.event == middle.seq).execute()
    database.execute_sql(f"DELETE FROM event WHERE seq = {middle.seq}")
    report = ledger.verify()
    assert not report.ok
    assert report.problems[0].event_seq == middle.seq + 1


def test_a_row_inserted_behind_the_ledgers_back_is_caught(cast):
    Medium.insert(id="KG26-09999-X", contract="KG26", kind="usb", title="x", status="stored",
                  registered_at="2026-01-01T00:00:00.000000Z", updated_at="2026-01-01T00:00:00.000000Z").execute()
    report = ledger.verify()
    assert any("KG26-09999-X" in problem.message_en and "without any ledger event" in problem.message_en for problem in report.problems)


def test_a_refused_action_writes_nothing(cast):
    medium = register_usb(cast)
    before = ledger.head()
    with pytest.raises(WrongState) as refused:
        media.take_out(cast.worker, medium.id, cast.cabinet.code, "作業")  # a cabinet is no work place
    assert refused.value.message_en == "施錠キャビネットA is not a registered work place (Art. 9)"
    assert ledger.head() == before
    assert Medium.get_by_id(medium.id).status == "received"


def test_a_failure_inside_the_transaction_rolls_back_event_and_state(cast):
    medium = register_usb(cast)
    before = ledger.head()
    with pytest.raises(RuntimeError):
        with db.writing():
            ledger.append("medium.stored", "sato", changes={"medium": {medium.id: {"status": "stored"}}})
            raise RuntimeError("power cut")
    assert ledger.head() == before
    assert Medium.get_by_id(medium.id).status == "received"
    assert ledger.verify().ok


def test_concurrent_threads_leave_one_unforked_chain(cast, database):
    medium_ids = [register_usb(cast, f"媒体{n}").id for n in range(8)]
    errors = []

    def writer(medium_id):
        try:
            database.connect(reuse_if_open=True)
            for _ in range(10):
                labelling.record_print(cast.worker, [medium_id], "a4-24")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            if not db.is_sqlite():
                database.close()

    threads = [threading.Thread(target=writer, args=(medium_id,)) for medium_id in medium_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(Medium.get_by_id(medium_id).labels_printed == 10 for medium_id in medium_ids)
    report = ledger.verify()
    assert report.ok, report.problems


def _append_in_process(url: str, medium_id: str, count: int) -> None:
    db.connect(url)
    from tracker.models import User

    worker = User.get_by_id("sato")
    for _ in range(count):
        labelling.record_print(worker, [medium_id], "a4-24")


def test_concurrent_processes_leave_one_unforked_chain(cast, settings):
    url = os.environ.get("DATABASE_URL") or settings.database_url
    medium_ids = [register_usb(cast, f"媒体{n}").id for n in range(4)]
    before = ledger.head()[0]
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_append_in_process, args=(url, medium_id, 15)) for medium_id in medium_ids]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    assert ledger.head()[0] == before + 60
    assert all(Medium.get_by_id(medium_id).labels_printed == 15 for medium_id in medium_ids)
    assert ledger.verify().ok


def test_a_data_folder_from_an_older_version_gains_the_new_columns(cast, settings, database):
    """Columns added since a folder was created are added when it is opened, with the model's
    default, and the ledger still verifies."""
    from tracker.models import create_schema

    medium = register_usb(cast, "古い版の媒体")
    database.execute_sql("ALTER TABLE medium DROP COLUMN is_backup")
    database.execute_sql("ALTER TABLE medium DROP COLUMN last_checked_at")
    # A table others' foreign keys point at, with rows pointing at it: SQLite must add the
    # column in place (rebuilding the table would break the media's references to it).
    database.execute_sql("ALTER TABLE contract DROP COLUMN profile_request_reason")
    create_schema()
    reopened = Medium.get_by_id(medium.id)
    assert reopened.is_backup is False and reopened.last_checked_at is None
    assert Contract.get_by_id("KG26").profile_request_reason == ""
    assert ledger.verify().ok


# ---- the hash format, pinned ---------------------------------------------------------------------
# Every issued paper prints a head hash and every city office keeps those papers: a change to what
# is hashed or to the canonical JSON would make every old paper unverifiable. These literals make
# such a change fail here first; change them only together with a migration of the chain.

PINNED_PREV_HASH = "ab" * 32
PINNED_BODY = (
    '{"actor":"sato","at":"2026-04-01T01:02:03.456789Z","changes":{"medium":{"KG26-00042-Q":'
    '{"custodian":null,"encrypted":true,"location":"LOC-00001-W","status":"stored"}}},"contract":"KG26",'
    '"data":{"count":2,"location":"LOC-00001-W","note":"施錠キャビネットA"},"kind":"medium.stored",'
    '"media":["KG26-00001-7","KG26-00042-Q"],"seq":7}'
)
PINNED_HASH = "6fd577f06209e190f6523bfb606209b0eee1f53f3af4c26f4f8ddb198b1930de"


def test_the_event_hash_format_is_pinned():
    """sha256(prev_hash + canonical JSON of seq, at, actor, kind, contract, media, data, changes):
    keys sorted, no spaces, non-ASCII kept as UTF-8, null and true as JSON spells them."""
    import hashlib

    event = Event(
        seq=7, at="2026-04-01T01:02:03.456789Z", actor="sato", kind="medium.stored", contract="KG26",
        data=canonical_json({"note": "施錠キャビネットA", "location": "LOC-00001-W", "count": 2}),
        changes=canonical_json({"medium": {"KG26-00042-Q": {"status": "stored", "location": "LOC-00001-W", "encrypted": True, "custodian": None}}}),
        prev_hash=PINNED_PREV_HASH,
    )
    assert hashlib.sha256((PINNED_PREV_HASH + PINNED_BODY).encode("utf-8")).hexdigest() == PINNED_HASH
    assert ledger.event_hash(event, ["KG26-00001-7", "KG26-00042-Q"]) == PINNED_HASH
    # Each hashed field counts: changing any one of them changes the hash.
    for name, value in (("seq", 8), ("at", "2026-04-01T01:02:03.456780Z"), ("actor", "yamada"), ("kind", "medium.taken_out"),
                        ("contract", "KG27"), ("data", "{}"), ("changes", "{}"), ("prev_hash", "cd" * 32)):
        changed = Event(**{**event.__data__, name: value})
        assert ledger.event_hash(changed, ["KG26-00001-7", "KG26-00042-Q"]) != PINNED_HASH, name
    assert ledger.event_hash(event, ["KG26-00042-Q"]) != PINNED_HASH
    assert ledger.event_hash(event, ["KG26-00042-Q", "KG26-00001-7"]) != PINNED_HASH  # callers sort


def test_the_first_appended_event_has_a_pinned_hash(database):
    """``append`` itself: the first event of a new ledger, at a fixed time, chained to GENESIS,
    naming a medium it does not change."""
    with clock_at(datetime(2026, 4, 1, 1, 2, 3, 456789, tzinfo=timezone.utc)):
        event = ledger.append(
            "user.created", None, data={"login": "sato"}, media=["KG26-00042-Q"],
            changes={"user": {"sato": {"name": "佐藤 花子", "role": "contractor", "organisation": "", "title": "", "active": True}}},
        )
    assert (event.seq, event.at, event.prev_hash) == (1, "2026-04-01T01:02:03.456789Z", ledger.GENESIS)
    assert event.hash == "03e0a0b5df10115661832edbb100c3ef40a3a4ffdce62ba4c9661a0ce219a2e1"
    assert [link.medium for link in EventMedium.select().where(EventMedium.event == 1)] == ["KG26-00042-Q"]
    assert ledger.head() == (1, event.hash)
    assert ledger.verify().ok


def test_append_refuses_an_unknown_table_and_writes_nothing(cast):
    before = ledger.head()
    with pytest.raises(ValueError) as refused:
        ledger.append("medium.stored", "sato", changes={"event": {"1": {"hash": "0" * 64}}, "medium": {}})
    assert str(refused.value) == "not a projected table: ['event']"
    assert ledger.head() == before


def test_append_refuses_fields_outside_the_ledger_and_writes_nothing(cast):
    medium = register_usb(cast)
    before = ledger.head()
    with pytest.raises(ValueError) as refused:
        ledger.append("medium.stored", "sato", changes={"medium": {medium.id: {"status": "stored", "password_hash": "x", "id": "y"}}})
    assert str(refused.value) == "medium: not ledger fields: ['id', 'password_hash']"
    with pytest.raises(ValueError) as refused:
        ledger.append("user.changed", None, changes={"user": {"sato": {"password_hash": "x"}}})
    assert str(refused.value) == "user: not ledger fields: ['password_hash']"
    assert ledger.head() == before
    assert Medium.get_by_id(medium.id).status == "received"


def test_an_empty_ledger_verifies_at_genesis(database):
    assert ledger.GENESIS == "0" * 64
    assert ledger.head() == (0, ledger.GENESIS)
    report = ledger.verify()
    assert (report.ok, report.events, report.head_hash, report.problems) == (True, 0, ledger.GENESIS, [])


def test_a_problem_reads_with_its_event_number():
    """What `mediatrail verify` prints for each problem."""
    assert str(ledger.Problem(30, "改ざん", "altered")) == "event #30: 改ざん / altered"
    assert str(ledger.Problem(None, "台帳にない行", "a row without an event")) == "台帳にない行 / a row without an event"
    assert ledger.Report(problems=[ledger.Problem(None, "a", "b")]).ok is False


def test_attachments_are_stored_under_their_hash_in_the_documented_layout(tmp_path):
    """attachments/ab/cdef…: data folders written by earlier versions must keep verifying."""
    import hashlib

    digest = hashlib.sha256(b"erasure report").hexdigest()
    path = ledger.attachment_path(tmp_path, digest)
    assert path == tmp_path / digest[:2] / digest[2:]
    path.parent.mkdir()
    path.write_bytes(b"erasure report")
    assert ledger.file_sha256(path) == digest


def test_an_event_that_names_a_row_without_changing_it_leaves_it_as_it_was(cast):
    """``{table: {key: {}}}``: the row is named (a medium's timeline shows the event), nothing is
    written to it, and nothing is inserted twice."""
    medium = register_usb(cast)
    before = Medium.get_by_id(medium.id).ledger_state()
    event = ledger.append("medium.inspected", "sato", contract="KG26", changes={"medium": {medium.id: {}}})
    assert Medium.get_by_id(medium.id).ledger_state() == before
    assert ledger.timeline(medium.id)[-1].seq == event.seq
    assert ledger.verify().ok


def test_a_field_an_event_leaves_out_is_replayed_as_the_columns_default(cast):
    """A new row's fields that its first event does not set take the model's default — also a
    default made by calling (``pi_items`` = ``list()``) — in the table and in verify's replay."""
    row = Medium.get_by_id(register_usb(cast).id).ledger_state()
    del row["pi_items"]
    ledger.append("medium.registered", "sato", contract="KG26", changes={"medium": {"KG26-09998-X": row}})
    assert Medium.get_by_id("KG26-09998-X").pi_items == []
    assert ledger.verify().ok
