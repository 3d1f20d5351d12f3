"""The inspection page reads a verification result kept current event by event, not a replay
of the whole ledger per view; a full verification runs on demand and is recorded."""

from __future__ import annotations

from tests.conftest import csrf, login, run_cli
from tracker import ledger, verification
from tracker.models import Event, Medium
from tracker.workflows import media


def test_each_reading_checks_only_the_events_appended_since(cast):
    first = verification.current()  # never verified in full: this first reading is the full verification
    assert first.ok and first.events == ledger.head()[0] and first.full_at is not None and first.full_through == first.events
    assert verification.current().checked == 0  # nothing new: nothing read again
    media.register(cast.worker, "KG26", "paper", "資料 1")
    media.register(cast.worker, "KG26", "paper", "資料 2")
    later = verification.current()
    assert later.ok and later.checked == 2 and (later.events, later.head_hash) == ledger.head()


def test_an_altered_new_event_or_a_changed_verified_one_is_reported(cast):
    verification.current()
    media.register(cast.worker, "KG26", "paper", "資料")
    Event.update(data='{"x":1}').where(Event.seq == ledger.head()[0]).execute()
    standing = verification.current()
    assert not standing.ok and "does not match its hash" in standing.problems[0].message_en
    assert not verification.current().ok  # a problem stays until a full verification clears it


def test_a_rewritten_anchor_is_reported(cast):
    standing = verification.current()
    Event.update(hash="f" * 64).where(Event.seq == standing.events).execute()
    media.register(cast.worker, "KG26", "paper", "資料")
    found = verification.current()
    assert not found.ok and f"event #{standing.events}, already verified, was changed" in found.problems[0].message_en


def test_a_direct_edit_is_found_by_the_full_verification_not_by_the_event_checks(cast):
    verification.current()
    medium = media.register(cast.worker, "KG26", "paper", "資料")
    Medium.update(title="書き換え").where(Medium.id == medium.id).execute()
    assert verification.current().ok  # the events since are intact: the edit is of a row
    assert not verification.run_full().ok  # the replay finds it, and the standing result says so
    assert "title differ from the ledger" in verification.current().problems[0].message_en


def test_the_page_shows_the_standing_result_and_verifies_in_full_on_request(client, cast, settings):
    login(client, "takahashi")
    page = client.get("/contracts/KG26/inspection").get_data(as_text=True)
    assert "台帳の検証: 正常" in page and f"#{ledger.head()[0]} まで" in page  # the first view verified in full
    media.register(cast.worker, "KG26", "paper", "資料")
    assert f"#{ledger.head()[0] - 1} まで" in client.get("/contracts/KG26/inspection").get_data(as_text=True)
    response = client.post("/contracts/KG26/inspection/verify", data={"csrf_token": csrf(client)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"台帳全体を検証しました（{ledger.head()[0]:,} 件のイベント）" in page and f"#{ledger.head()[0]} まで" in page
    assert verification.current().full_through == ledger.head()[0]


def test_the_cli_records_its_full_verification(cast, settings):
    result = run_cli("--data", str(settings.data_dir), "verify")
    assert result.exit_code == 0, result.output
    standing = verification.current()
    assert standing.full_at is not None and standing.full_through == ledger.head()[0] and not standing.full_is_stale
