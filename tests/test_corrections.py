"""Repairing a false alarm without hiding tampering (issue #11): an administrator's signed
``ledger.corrected`` event makes ``verify`` pass again for a row that differs from the ledger for
a reason other than tampering, and ``verify`` lists every correction every time it runs."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conftest import PASSWORD, run_cli
from tracker import db, ledger
from tracker.cli import EXIT_REFUSED, EXIT_TAMPERED, cli
from tracker.errors import InvalidInput, NotAllowed, NotFound
from tracker.models import Event, Medium
from tracker.workflows import corrections, media

MISMATCH = "serial_number differ from the ledger (edited directly)"


@pytest.fixture
def false_alarm(cast):
    """What an older version did (issue #11): the event kept a JSON number, the text column the
    same digits as text, and verify failed from then on."""
    medium = media.register(cast.worker, "KG26", "paper", "原票")
    with db.writing():
        ledger.append("medium.registered", "sato", contract="KG26", changes={"medium": {medium.id: {"serial_number": 12345}}})
    assert Medium.get_by_id(medium.id).serial_number == "12345"
    [problem] = ledger.verify().problems
    assert MISMATCH in problem.message_en
    return medium


def test_an_admins_correction_makes_verify_pass_and_is_always_reported(cast, settings, false_alarm):
    assert corrections.differences("medium", false_alarm.id) == {"serial_number": {"ledger": 12345, "stored": "12345"}}
    event = corrections.correct(cast.admin, settings, "medium", false_alarm.id, ["serial_number"], "旧版がJSONの数値を記録した")
    assert event.kind == "ledger.corrected" and event.actor == "admin"
    assert event.data_dict["fields"] == {"serial_number": {"ledger": 12345, "stored": "12345"}}
    assert event.changes_dict == {"medium": {false_alarm.id: {"serial_number": "12345"}}}
    report = ledger.verify()
    assert report.ok
    [note] = report.notes
    assert note.event_seq == event.seq
    assert note.message_en == f"correction recorded by admin: medium {false_alarm.id}: serial_number (reason: 旧版がJSONの数値を記録した)"
    assert note.message_ja.startswith("admin が訂正を記録: ")
    assert corrections.check_signatures(settings) == []
    assert Medium.get_by_id(false_alarm.id).serial_number == "12345"


def test_what_cannot_be_corrected(cast, settings, false_alarm):
    before = Event.select().count()
    with pytest.raises(NotAllowed):
        corrections.correct(cast.responsible, settings, "medium", false_alarm.id, [], "理由")
    with pytest.raises(InvalidInput) as agreeing:
        corrections.correct(cast.admin, settings, "medium", false_alarm.id, ["title"], "理由")
    assert agreeing.value.message_en == f"medium {false_alarm.id}: title agree with the ledger and cannot be corrected"
    with pytest.raises(InvalidInput) as no_reason:
        corrections.correct(cast.admin, settings, "medium", false_alarm.id, [], "  ")
    assert no_reason.value.message_en == "the reason for the correction is required"
    with pytest.raises(InvalidInput):
        corrections.correct(cast.admin, settings, "event", "1", [], "理由")
    with pytest.raises(NotFound):
        corrections.correct(cast.admin, settings, "medium", "KG26-99999-9", [], "理由")
    with pytest.raises(InvalidInput) as nothing:
        corrections.correct(cast.admin, settings, "user", "sato", [], "理由")
    assert nothing.value.message_en == "user sato agrees with the ledger; there is nothing to correct"
    assert Event.select().count() == before


def test_a_correction_written_without_the_installations_key_is_caught(cast, settings, false_alarm):
    with db.writing():  # someone with the database and the code, but not the key
        ledger.append("ledger.corrected", "admin", data={
            "table": "medium", "key": false_alarm.id, "fields": {"serial_number": {"ledger": 12345, "stored": "12345"}},
            "reason": "隠す", "signed_by": "x", "signature": "AAAA"}, changes={"medium": {false_alarm.id: {"serial_number": "12345"}}})
    assert ledger.verify().ok
    [problem] = corrections.check_signatures(settings)
    assert problem.message_en == "the correction is not signed by this installation's key (forged)"


def test_the_cli_records_a_correction_with_the_admins_password_and_verify_lists_it(cast, settings, data_dir, false_alarm):
    failed = run_cli("--data", str(data_dir), "verify")
    assert failed.exit_code == EXIT_TAMPERED and MISMATCH in failed.output
    runner = CliRunner()
    wrong = runner.invoke(cli, ["--data", str(data_dir), "ledger", "correct", "medium", false_alarm.id, "--by", "admin",
                                "--reason", "旧版の型の違い"], input="not-it\n")
    assert wrong.exit_code == EXIT_REFUSED and "wrong login or password" in wrong.output
    done = runner.invoke(cli, ["--data", str(data_dir), "ledger", "correct", "medium", false_alarm.id, "--by", "admin",
                               "--reason", "旧版の型の違い"], input=f"{PASSWORD}\n")
    assert done.exit_code == 0, done.output
    assert f"medium {false_alarm.id} serial_number: 12345 -> '12345'" in done.output
    verified = run_cli("--data", str(data_dir), "verify")
    assert verified.exit_code == 0, verified.output
    assert "1 correction(s) recorded and signed by an administrator" in verified.output
    assert f"correction recorded by admin: medium {false_alarm.id}: serial_number (reason: 旧版の型の違い)" in verified.output


def test_a_key_added_twice_to_an_events_json_is_caught_though_the_hash_still_matches(cast):
    """Issue #11: the hash covers the parsed value, and a JSON parser takes the last of two equal
    keys while SQLite's json_extract takes the first."""
    event = Event.select().where((Event.kind == "user.created") & (Event.data == '{"login":"sato"}')).get()
    Event.update(data='{"login":"admin","login":"sato"}').where(Event.seq == event.seq).execute()
    assert ledger.event_hash(Event.get_by_id(event.seq), []) == event.hash  # the hash alone is satisfied
    [problem] = ledger.verify().problems
    assert problem.event_seq == event.seq
    assert problem.message_en == "event 'user.created' is not stored as recorded (a duplicate key or other edit)"
    assert problem.message_ja == "イベント「user.created」のJSONが記録時の形ではありません（重複したキー等・改ざんの疑い）"


def test_the_citys_inspection_page_lists_each_correction(app, cast, settings, false_alarm):
    from conftest import login

    city = login(app.test_client(), "takahashi")
    failing = city.get("/contracts/KG26/inspection").get_data(as_text=True)
    assert "台帳の検証: 異常あり" in failing and "台帳の訂正" not in failing
    event = corrections.correct(cast.admin, settings, "medium", false_alarm.id, [], "旧版の型の違い")
    page = city.get("/contracts/KG26/inspection").get_data(as_text=True)
    assert "台帳の検証: 正常" in page
    assert "台帳の訂正（管理者が記録・署名）" in page
    assert f"#{event.seq}: admin が訂正を記録: medium {false_alarm.id}: serial_number（理由: 旧版の型の違い）" in page
