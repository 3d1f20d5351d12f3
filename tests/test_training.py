"""Training and supervision (Art. 10, 2(2)): sessions with confirmed attendance, the refresher
interval of the contract's profile, lapsed training flagged and — where the profile says so —
blocking; supervision checks, leavers reminded; the paper."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

import pytest

from tracker import ledger, provisions, timeutil
from tracker.errors import DomainError, InvalidInput, NotAllowed, WrongState
from tracker.workflows import media, papers, people, profiles, roster, training
from tests.conftest import refused


def register(actor, contract="KG26"):
    return media.register(actor, contract, "paper", "給与支払報告書", record_count=10)


def test_a_session_counts_once_each_attendee_confirms(cast, settings):
    session = training.record_session(cast.responsible, settings, "KG26", "2026-11-02", "個人情報の取扱いと事故時の報告", "山田 太郎",
                                      ["yamada", "sato"], [("研修資料.pdf", b"%PDF-1.4 slides")])
    assert session.number == "KG26-E0001" and len(session.materials[0]) == 64
    refused(lambda: training.confirm_attendance(cast.newcomer, session.number), NotAllowed)
    training.confirm_attendance(cast.worker, session.number)
    refused(lambda: training.confirm_attendance(cast.worker, session.number), WrongState)
    by_login = {s.entry.user_id: s for s in training.standing("KG26", date(2026, 11, 30))}
    assert by_login["sato"].last == "2026-11-02" and by_login["sato"].due == date(2026, 11, 2) + timedelta(days=365)
    assert by_login["yamada"].last is None  # not confirmed: the session does not count for him yet
    assert ledger.verify(settings.attachments_dir).ok


def test_attendees_must_be_on_the_roster_and_nothing_is_recorded_otherwise(cast, settings):
    error = refused(lambda: training.record_session(cast.responsible, settings, "KG26", "2026-11-02", "研修", "講師",
                                                    ["sato", "suzuki"]), InvalidInput)
    assert "suzuki" in error.message_ja and "名簿にありません" in error.message_ja
    refused(lambda: training.record_session(cast.worker, settings, "KG26", "2026-11-02", "研修", "講師", ["sato"]), NotAllowed)
    refused(lambda: training.record_session(cast.responsible, settings, "KG26", "2099-01-01", "研修", "講師", ["sato"]), InvalidInput)
    refused(lambda: training.record_session(cast.responsible, settings, "KG26", "2026-11-02", "", "講師", ["sato"]), InvalidInput)


def test_lapsed_training_blocks_only_where_the_profile_says_so(cast):
    strict = provisions.builtin_texts()["koganei@1"].replace('version = "1"', 'version = "4"', 1) \
        .replace("blocks_when_lapsed = false", "blocks_when_lapsed = true", 1)
    profiles.register(cast.admin, strict)
    people.create_contract(cast.admin, "BL26", "教育必須の契約", "小金井市", profile="koganei@4")
    later = timeutil.utc_now() + timedelta(days=400)
    with timeutil.clock_at(timeutil.utc_now() - timedelta(days=400)):
        cast.rostered(cast.admin, "BL26", "yamada", "responsible")
        people.sign_pledge(cast.responsible, "BL26")
    error = refused(lambda: register(cast.responsible, "BL26"), NotAllowed)
    assert "教育の期限" in error.message_ja and "（小金井市個人情報取扱特記事項 第10条）" in error.message_ja
    assert [s.entry.user_id for s in training.lapsed_in(["BL26"])] == ["yamada"]
    with timeutil.clock_at(later):  # KG26 runs under Koganei's text, which flags a lapse but does not block
        assert [s.entry.user_id for s in training.lapsed_in(["KG26"])] == ["yamada", "sato"]
        assert register(cast.worker).status == "received"


def test_supervision_and_leavers_on_the_paper(cast, settings):
    training.record_supervision(cast.responsible, "KG26", "2026-11-10", "作業室の入退室記録と机上の書類の確認", "問題なし", ["sato"])
    refused(lambda: training.remind_leaver(cast.responsible, "KG26", "sato", "口頭で説明"), WrongState)  # still on the roster
    roster.remove(cast.responsible, "KG26", "sato", reason="退職")
    refused(lambda: training.remind_leaver(cast.responsible, "KG26", "sato", ""), InvalidInput)
    training.remind_leaver(cast.responsible, "KG26", "sato", "退職時に面談し、守秘義務が退職後も続くことを書面で説明")
    session = training.record_session(cast.responsible, settings, "KG26", "2026-11-02", "情報セキュリティ研修", "外部講師 田中",
                                      ["yamada"])
    training.confirm_attendance(cast.responsible, session.number)
    document = training.issue_paper(cast.city, settings, "KG26")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=papers.content(settings, document),
                          capture_output=True, check=True).stdout.decode()
    for expected in ("従事者教育・監督の記録", "情報セキュリティ研修", "山田 太郎（確認済）", "作業室の入退室記録", "問題なし", "退職時に面談し", "第10条"):
        assert expected in text, expected


def test_results_reported_where_the_profile_asks(cast, settings):
    session = training.record_session(cast.responsible, settings, "KG26", "2026-11-02", "研修", "講師", ["sato"])
    refused(lambda: training.record_report(cast.responsible, session.number, "2026-11-05", "hand", "高橋"), WrongState)  # Koganei: no
    people.create_contract(cast.admin, "GN26", "標準の契約", "三鷹市", profile="generic")
    cast.rostered(cast.admin, "GN26", "yamada", "responsible")
    people.sign_pledge(cast.responsible, "GN26")
    other = training.record_session(cast.responsible, settings, "GN26", "2026-11-02", "研修", "講師", ["yamada"])
    refused(lambda: training.record_report(cast.responsible, other.number, "2026-11-01", "hand", "小林"), InvalidInput)
    refused(lambda: training.record_report(cast.worker, other.number, "2026-11-05", "hand", "小林"), NotAllowed)
    reported = training.record_report(cast.responsible, other.number, "2026-11-05", "post", "小林 健一")
    assert (reported.reported_on, reported.reported_how, reported.reported_to) == ("2026-11-05", "post", "小林 健一")
    refused(lambda: training.record_report(cast.responsible, other.number, "2026-11-06", "hand", "小林"), WrongState)
