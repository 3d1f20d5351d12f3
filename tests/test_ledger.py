"""The ledger: chain, projection, tamper detection, and concurrent writers (SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from tracker import db, ledger
from tracker.models import Event, EventMedium, Medium
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
    before = ledger.head()
    with pytest.raises(Exception):
        media.take_out(cast.worker, register_usb(cast).id, cast.cabinet.code, "作業")  # a cabinet is no work place
    after_register = ledger.head()
    assert after_register[0] == before[0] + 1  # only the registration


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
    create_schema()
    reopened = Medium.get_by_id(medium.id)
    assert reopened.is_backup is False and reopened.last_checked_at is None
    assert ledger.verify().ok
