"""Storage checks (Art. 6(2)): the schedule in JST calendar days, a check's found / missing /
unexpected / unknown lists and its report, pending scans holding completion back, and the
refusals — each writing nothing."""

from __future__ import annotations

import subprocess
import threading
from datetime import date, datetime, timezone

import pytest

from labels.ids import location_id
from labels.payload import location_url, medium_url
from tracker import ledger
from tracker.errors import AlreadyExists, DomainError, InvalidInput, NotAllowed, NotFound, WrongState
from tracker.models import CheckScan, Event, Incident, Medium, StorageCheck
from tracker.timeutil import clock_at
from tracker.workflows import checks, media, places, scans


def usb(cast, title, location=None, **details):
    return media.register(cast.worker, "KG26", "usb", title, encrypted=True, encryption="AES",
                          location=location or cast.cabinet.code, pi_items=["氏名", "住所"], record_count=100, **details)


def label(settings, code: str) -> str:
    return location_url(code, settings.secret, settings.base_url)


def code_of(settings, medium) -> str:
    return medium_url(medium.id, settings.secret, settings.base_url)


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def between(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end)]


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


# ---- schedule ----------------------------------------------------------------------------------


def test_next_due_is_calendar_arithmetic_across_month_ends_and_leap_years():
    assert checks.next_due(date(2026, 1, 31), 30) == date(2026, 3, 2)  # February 2026 has 28 days
    assert checks.next_due(date(2028, 1, 31), 30) == date(2028, 3, 1)  # 2028 is a leap year
    assert checks.next_due(date(2028, 2, 28), 1) == date(2028, 2, 29)
    assert checks.next_due(date(2026, 12, 31), 1) == date(2027, 1, 1)


def test_due_state_gives_a_week_of_notice_then_overdue_the_day_after():
    due = date(2026, 3, 2)
    assert checks.due_state(due, 30, date(2026, 2, 22)) == "ok"
    assert checks.due_state(due, 30, date(2026, 2, 23)) == "due"  # a week before
    assert checks.due_state(due, 30, due) == "due"
    assert checks.due_state(due, 30, date(2026, 3, 3)) == "overdue"
    assert checks.due_state(due, 2, date(2026, 3, 1)) == "ok"  # short interval: notice shrinks to a quarter
    assert checks.due_state(None, None, due) == "unscheduled"


def complete_at(cast, settings, medium, moment: datetime) -> StorageCheck:
    with clock_at(moment):
        check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
        checks.scan(cast.worker, check.number, code_of(settings, medium), settings.secret)
        return checks.complete(cast.worker, check.number, "抽出確認", "一致")


def state_at(moment: datetime) -> checks.Schedule:
    with clock_at(moment):
        (row,) = checks.schedules(["KG26"])
    return row


def test_schedule_counts_jst_days_while_times_are_stored_in_utc(cast, settings):
    medium = usb(cast, "課税データ")
    places.set_check_interval(cast.admin, cast.cabinet.code, 30)

    # 2026-01-31 23:30 JST = 14:30 UTC, the same day: due 30 JST days later, 2 March.
    first = complete_at(cast, settings, medium, utc(2026, 1, 31, 14, 30))
    assert first.completed_at.startswith("2026-01-31T14:30")
    row = state_at(utc(2026, 2, 1))
    assert (row.last_check.number, row.since, row.next_due) == (first.number, date(2026, 1, 31), date(2026, 3, 2))
    assert state_at(utc(2026, 3, 2, 14, 59)).state == "due"  # 23:59 JST on the due day
    assert state_at(utc(2026, 3, 2, 15, 0)).state == "overdue"  # 00:00 JST the day after

    # 2026-02-01 00:30 JST is still 31 January in UTC: it counts for 1 February, due 3 March.
    second = complete_at(cast, settings, medium, utc(2026, 1, 31, 15, 30))
    assert second.completed_at.startswith("2026-01-31T15:30")
    row = state_at(utc(2026, 2, 2))
    assert (row.last_check.number, row.since, row.next_due) == (second.number, date(2026, 2, 1), date(2026, 3, 3))
    assert state_at(utc(2026, 3, 2, 15, 0)).state == "due"
    assert ledger.verify().ok


def test_the_provisions_interval_counts_when_the_place_sets_none_or_a_longer_one(cast, settings):
    """Koganei's profile reads 第6条第2号's "定期的に" as at least every 90 days; a stricter city's
    30 days wins over a place's own 60 for the media of that city's contract."""
    from tests.test_profiles import second_contract, usb as usb_of

    usb(cast, "課税データ")
    row = checks.schedules(["KG26"])[0]
    assert (row.interval_days, row.state) == (90, "ok")  # was "unscheduled": no interval on the place
    assert row.next_due == row.since.fromordinal(row.since.toordinal() + 90)
    places.set_check_interval(cast.admin, cast.cabinet.code, 120)
    assert checks.schedules(["KG26"])[0].interval_days == 90  # the place may not be checked less often
    places.set_check_interval(cast.admin, cast.cabinet.code, 60)
    assert checks.schedules(["KG26"])[0].interval_days == 60  # more often is always allowed
    second_contract(cast, "GN26", "generic")
    usb_of(cast, "GN26")
    assert checks.schedules(["GN26"])[0].interval_days == 30  # the generic profile's 30 days
    assert {row.location.code: row.interval_days for row in checks.schedules(["KG26", "GN26"])} == {cast.cabinet.code: 30}


def test_a_place_never_checked_counts_from_its_registration(cast, settings):
    usb(cast, "課税データ")
    places.set_check_interval(cast.admin, cast.cabinet.code, 7)
    registered = checks.schedules(["KG26"])[0].since
    assert registered == checks.today()
    far = datetime.combine(registered, datetime.min.time(), tzinfo=timezone.utc).replace(year=registered.year + 1)
    assert state_at(far).state == "overdue"
    with clock_at(far):
        assert [row.location.code for row in checks.attention(["KG26"])] == [cast.cabinet.code]


# ---- a whole check -----------------------------------------------------------------------------


def test_a_check_finds_present_missing_misplaced_and_unknown_and_issues_the_report(cast, settings, tmp_path):
    places.set_check_interval(cast.admin, cast.cabinet.code, 90)
    safe = places.create_location(cast.admin, "金庫B", "safe", "storage", site="本社", room="2F")
    present = usb(cast, "課税データ 1", seal_number="S-1")
    gone = usb(cast, "課税データ 2", seal_number="S-2")
    elsewhere = usb(cast, "課税データ 3", location=safe.code)

    check = checks.start(cast.worker, label(settings, cast.cabinet.code), settings.secret)
    assert check.number == "CHK-00001" and check.expected == sorted([present.id, gone.id])

    # The worker's phone sends a batch: the place's own label, a duplicate and a stranger included.
    answers = scans.scan_batch(cast.worker, [label(settings, cast.cabinet.code), code_of(settings, present),
                                             code_of(settings, elsewhere), "HTTPS://EXAMPLE.COM/COUPON/42",
                                             code_of(settings, present)], "check", check.number, settings.secret)
    assert all(answer["ok"] for answer in answers)
    assert [answer.get("finding") for answer in answers] == [None, "found", "unexpected", "unknown", "found"]
    assert answers[4]["duplicate"] and not answers[1]["duplicate"]
    assert "金庫B" in answers[2]["message_ja"] and "金庫B" in answers[2]["message_en"]
    # The responsible person scans the same label on the scanning station: recorded once.
    status, answer = scans.record(cast.responsible, "station-1", code_of(settings, present), "check", cast.cabinet.code, settings.secret)
    assert status == 200 and answer["duplicate"] and answer["check"] == check.number

    # A device still holding scans stops the completion, and the refusal writes nothing.
    checks.report_device(cast.responsible, check.number, "station-7", 3, settings.secret, name="ステーション2F")
    before = Event.select().count()
    with pytest.raises(WrongState) as refused:
        checks.complete(cast.worker, check.number, "抽出10件を原票と照合", "すべて一致", seals_intact=True)
    assert "ステーション2F" in refused.value.message_ja and "3 pending" in refused.value.message_en
    assert Event.select().count() == before and StorageCheck.get_by_id(check.number).status == "open"
    checks.report_device(cast.responsible, check.number, "station-7", 0, settings.secret)

    checks.complete(cast.worker, check.number, "抽出10件を原票と照合", "すべて一致", seals_intact=True,
                    corrective_actions="金庫Bの媒体を元の場所へ戻す")
    check = StorageCheck.get_by_id(check.number)
    lines = checks.reconcile(check)
    assert [line.id for line in lines.found] == [present.id]
    assert [line.id for line in lines.missing] == [gone.id]
    assert [line.id for line in lines.unexpected] == [elsewhere.id]
    assert [line.scan.medium for line in lines.unknown] == ["HTTPS://EXAMPLE.COM/COUPON/42"]
    assert lines.found[0].scan.seal_intact is True
    assert check.participants == ["sato", "yamada"]
    assert Medium.get_by_id(present.id).last_checked_at == check.completed_at
    assert Medium.get_by_id(gone.id).status == "lost"
    assert Medium.get_by_id(elsewhere.id).location_id == safe.code  # reported, not silently corrected
    completed = Event.select().where(Event.kind == "check.completed").get().data_dict
    assert (completed["found"], completed["missing"], completed["moved"], completed["unexpected"], completed["unknown"]) == (1, 1, 0, 1, 1)

    (incident,) = Incident.select()
    assert (incident.status, incident.media, incident.source) == ("draft", [gone.id], check.number)
    assert incident.pi_items == ["氏名", "住所"] and incident.record_count == 100 and incident.encrypted is True
    assert "施錠キャビネットA" in incident.last_seen and "佐藤 花子" in incident.last_seen

    with pytest.raises(NotAllowed):  # a worker cannot sign off
        checks.sign_off(cast.worker, check.number, settings)
    (document,) = checks.sign_off(cast.responsible, check.number, settings)
    assert document.kind == "storage_check" and document.subject == check.number
    text = pdf_text((settings.attachments_dir / document.attachment_id[:2] / document.attachment_id[2:]).read_bytes(), tmp_path)
    assert "保管状況点検報告" in text and check.number in text
    assert present.id in between(text, "2-1. 所在を確認した媒体", "2-2. 所在不明の媒体")
    assert gone.id in between(text, "2-2. 所在不明の媒体", "2-3. 想定外の媒体")
    unexpected = between(text, "2-3. 想定外の媒体", "3. バックアップ")
    assert elsewhere.id in unexpected and "金庫B" in unexpected and "COUPON" in unexpected
    assert present.id not in unexpected and gone.id not in unexpected
    assert "佐藤 花子" in text and "山田 太郎" in text  # the inspector and the sign-off
    assert "抽出10件を原票と照合" in text and incident.number in text
    with pytest.raises(WrongState):  # signed off once
        checks.sign_off(cast.responsible, check.number, settings)
    assert ledger.verify(settings.attachments_dir).ok


def test_backups_are_listed_apart(cast, settings):
    original = usb(cast, "課税データ")
    backup = usb(cast, "課税データ（バックアップ）")
    with_backup = {"medium": {backup.id: {"is_backup": True}}}
    ledger.append("medium.registered", "sato", contract="KG26", changes=with_backup)
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    checks.scan(cast.worker, check.number, code_of(settings, backup), settings.secret)
    lines = checks.reconcile(checks.get_check(check.number))
    assert [line.id for line in lines.expected] == [original.id]
    assert [line.id for line in lines.backups] == [backup.id]
    assert [line.id for line in lines.found] == [backup.id]


def test_a_medium_taken_out_during_the_check_is_moved_not_missing(cast, settings):
    stays, leaves = usb(cast, "課税データ 1"), usb(cast, "課税データ 2")
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    media.take_out(cast.worker, leaves.id, cast.work_room.code, "入力作業")
    checks.scan(cast.worker, check.number, code_of(settings, stays), settings.secret)
    checks.complete(cast.worker, check.number, "目視", "異常なし")
    lines = checks.reconcile(checks.get_check(check.number))
    assert [line.id for line in lines.moved] == [leaves.id] and not lines.missing
    assert Medium.get_by_id(leaves.id).status == "in_use" and Incident.select().count() == 0


# ---- refusals ----------------------------------------------------------------------------------


def test_a_check_starts_only_at_a_labelled_active_storage_place(cast, settings):
    medium = usb(cast, "課税データ")
    before = Event.select().count()
    with pytest.raises(WrongState) as work_place:
        checks.start(cast.worker, label(settings, cast.work_room.code), settings.secret)
    assert "作業場所" in work_place.value.message_ja and "work place" in work_place.value.message_en
    with pytest.raises(NotFound):
        checks.start(cast.worker, location_id(99), settings.secret)
    with pytest.raises(InvalidInput) as medium_label:
        checks.start(cast.worker, code_of(settings, medium), settings.secret)
    assert "媒体のラベル" in medium_label.value.message_ja
    for text in ("", "HELLO", "HTTPS://EXAMPLE.COM/L/LOC-00001-X/AAAAAAAA"):
        with pytest.raises(InvalidInput):
            checks.start(cast.worker, text, settings.secret)
    with pytest.raises(NotAllowed):
        checks.start(cast.city, cast.cabinet.code, settings.secret)
    assert Event.select().count() == before

    ledger.append("location.deactivated", "admin", changes={"location": {cast.cabinet.code: {"active": False}}})
    with pytest.raises(WrongState) as inactive:
        checks.start(cast.worker, cast.cabinet.code, settings.secret)
    assert "使用を停止" in inactive.value.message_ja and "no longer in use" in inactive.value.message_en


def test_a_second_check_at_the_same_place_is_refused_and_late_scans_too(cast, settings):
    medium = usb(cast, "課税データ")
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    with pytest.raises(AlreadyExists) as again:
        checks.start(cast.responsible, cast.cabinet.code, settings.secret)
    assert again.value.details["number"] == check.number
    checks.scan(cast.worker, check.number, code_of(settings, medium), settings.secret)
    checks.complete(cast.worker, check.number, "目視", "異常なし")
    with pytest.raises(WrongState) as late:
        checks.scan(cast.worker, check.number, code_of(settings, medium), settings.secret)
    assert "完了しています" in late.value.message_ja
    with pytest.raises(WrongState) as queued:  # a station's leftover queue after completion
        checks.report_device(cast.worker, check.number, "station-9", 2, settings.secret)
    assert queued.value.message_en == (f"{check.number} is already completed; this device's 2 pending scans are not part "
                                       "of it (scan them in a new check)")


def test_a_destroyed_medium_found_in_the_cabinet_is_unexpected_with_the_reason(cast, settings):
    kept, shredded = usb(cast, "課税データ 1"), usb(cast, "課税データ 2")
    ledger.append("medium.destroyed", "yamada", contract="KG26",
                  changes={"medium": {shredded.id: {"status": "destroyed", "location": None}}})
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    assert check.expected == [kept.id]
    answer = checks.scan_answer(cast.worker, check.number, code_of(settings, shredded), settings.secret)
    assert answer["finding"] == "unexpected" and answer["unexpected"]
    assert "廃棄済" in answer["message_ja"] and "should not be here" in answer["message_en"]
    assert CheckScan.get_by_id(f"{check.number}/{shredded.id}").recorded_status == "destroyed"


def test_completion_needs_a_scan_and_the_accuracy_check(cast, settings):
    usb(cast, "課税データ")
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    before = Event.select().count()
    with pytest.raises(InvalidInput):
        checks.complete(cast.worker, check.number, "", "一致")
    with pytest.raises(WrongState) as nothing:
        checks.complete(cast.worker, check.number, "目視", "一致")
    assert "1件も" in nothing.value.message_ja
    with pytest.raises(NotAllowed):
        checks.complete(cast.city, check.number, "目視", "一致")
    assert Event.select().count() == before


def test_two_people_completing_the_same_check_at_once_one_wins(cast, settings):
    medium = usb(cast, "課税データ")
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    checks.scan(cast.worker, check.number, code_of(settings, medium), settings.secret)
    barrier, outcomes = threading.Barrier(2), []

    def complete(actor):
        barrier.wait()
        try:
            checks.complete(actor, check.number, "目視", "一致")
            outcomes.append("completed")
        except DomainError as error:
            outcomes.append(error)

    people = [threading.Thread(target=complete, args=(actor,)) for actor in (cast.worker, cast.responsible)]
    for person in people:
        person.start()
    for person in people:
        person.join()
    refused = [outcome for outcome in outcomes if outcome != "completed"]
    assert outcomes.count("completed") == 1 and len(refused) == 1
    assert isinstance(refused[0], WrongState) and "完了" in refused[0].message_ja
    assert Event.select().where(Event.kind == "check.completed").count() == 1
    assert ledger.verify(settings.attachments_dir).ok


def test_a_released_device_no_longer_blocks_and_the_release_is_recorded(cast, settings):
    medium = usb(cast, "課税データ")
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    checks.scan(cast.worker, check.number, code_of(settings, medium), settings.secret)
    checks.report_device(cast.worker, check.number, "station-1", 4, settings.secret)
    with pytest.raises(InvalidInput):
        checks.release_device(cast.worker, check.number, "station-1", "")
    checks.release_device(cast.worker, check.number, "station-1", "電源断。送信待ちの4件は再読取り済み")
    checks.complete(cast.worker, check.number, "目視", "一致")
    released = Event.select().where(Event.kind == "check.device_released").get()
    assert released.data_dict["pending"] == 4 and "電源断" in released.data_dict["reason"]
