"""Incidents (Art. 19): a draft pre-filled from the ledger, no report without a response plan,
the preliminary then the final report linked to it, and a medium found again — nothing deleted."""

from __future__ import annotations

import subprocess

import pytest

from tracker import ledger
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import Document, Event, Medium
from tracker.workflows import incidents, media, papers

STEPS = [{"action": "保管室と作業室を捜索する", "owner": "山田 太郎", "deadline": "2026-12-01"},
         {"action": "市民税課へ電話で第一報", "owner": "山田 太郎", "deadline": "2026-11-26", "done_at": "2026-11-26"}]


@pytest.fixture
def lost(cast):
    """A USB stick taken out to the work room, then reported lost there."""
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES-256",
                            location=cast.cabinet.code, pi_items=["氏名", "個人番号"], record_count=5400)
    media.take_out(cast.worker, medium.id, cast.work_room.code, "入力作業")
    return incidents.report_lost(cast.worker, medium.id, "作業終了後に机上になかった")


def pdf_text(settings, document) -> str:
    content = papers.content(settings, document)
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, check=True, capture_output=True).stdout.decode()


def test_reporting_lost_records_the_medium_missing_and_prefills_the_draft(cast, lost):
    (medium_id,) = lost.media
    medium = Medium.get_by_id(medium_id)
    assert (medium.status, medium.location_id, medium.custodian_id) == ("lost", None, None)
    assert [event.kind for event in ledger.timeline(medium_id)][-2:] == ["medium.lost", "incident.opened"]
    assert (lost.number, lost.status, lost.contract_id) == ("KG26-I0001", "draft", "KG26")
    assert lost.pi_items == ["氏名", "個人番号"] and lost.record_count == 5400 and lost.encrypted is True
    assert "作業室1" in lost.place and lost.circumstances == "作業終了後に机上になかった"
    # Last seen: taken out to the work room by 佐藤 花子, from the ledger.
    assert "作業室1" in lost.last_seen and "佐藤 花子" in lost.last_seen and "持出し" in lost.last_seen
    assert [incident.number for incident in incidents.open_for(["KG26"])] == [lost.number]
    with pytest.raises(WrongState):  # already missing
        incidents.report_lost(cast.worker, medium_id)
    with pytest.raises(NotAllowed):  # the city holds no media
        incidents.report_lost(cast.city, medium_id)


def test_an_incident_without_response_steps_cannot_be_reported(cast, settings, lost):
    incidents.update(cast.responsible, lost.number, summary="課税データUSBの所在不明")
    before = Event.select().count()
    with pytest.raises(InvalidInput) as refused:
        incidents.issue_preliminary(cast.responsible, lost.number, settings)
    assert "対応計画" in refused.value.message_ja and "response steps" in refused.value.message_en
    assert Event.select().count() == before and Document.select().count() == 0
    assert incidents.get_incident(lost.number).status == "draft"
    with pytest.raises(InvalidInput) as half:  # a step needs what, who and by when
        incidents.update(cast.responsible, lost.number, response_steps=[{"action": "捜索", "owner": "", "deadline": ""}])
    assert "1行目" in half.value.message_ja
    with pytest.raises(NotAllowed):  # the responsible person completes and reports it
        incidents.update(cast.worker, lost.number, response_steps=STEPS)
    assert Event.select().count() == before
    assert ledger.verify(settings.attachments_dir).ok


def test_preliminary_then_final_report_and_the_medium_found_again(cast, settings, lost):
    with pytest.raises(WrongState):
        incidents.issue_final(cast.responsible, lost.number, settings)
    incidents.update(cast.responsible, lost.number, response_steps=STEPS + [{"action": "", "owner": "", "deadline": ""}],
                     occurred_at="2026-11-25 17:00")
    assert len(incidents.get_incident(lost.number).response_steps) == 2  # the blank row is skipped
    preliminary = incidents.issue_preliminary(cast.responsible, lost.number, settings)
    assert incidents.get_incident(lost.number).status == "preliminary"
    assert "速報" in pdf_text(settings, preliminary) and "保管室と作業室を捜索する" in pdf_text(settings, preliminary)

    with pytest.raises(InvalidInput) as unfinished:  # the final report says cause, harm and prevention
        incidents.issue_final(cast.responsible, lost.number, settings)
    assert "原因" in unfinished.value.message_ja and "prevention" in unfinished.value.message_en

    (medium_id,) = lost.media
    found = incidents.medium_found(cast.worker, medium_id, cast.cabinet.code, "作業室の棚の奥で発見")
    assert (found.status, found.location_id) == ("stored", cast.cabinet.code)
    assert [entry["medium"] for entry in incidents.get_incident(lost.number).found] == [medium_id]
    assert [event.kind for event in ledger.timeline(medium_id)].count("medium.found") == 1
    with pytest.raises(WrongState):  # only a missing medium is found
        incidents.medium_found(cast.worker, medium_id)

    incidents.update(cast.responsible, lost.number, cause="作業後に棚へ仮置きした", secondary_harm="なし",
                     persons_response="流出がないため個別の通知はしない", prevention="持出し媒体の返却時に二者で確認する")
    final = incidents.issue_final(cast.responsible, lost.number, settings)
    text = pdf_text(settings, final)
    assert "確報" in text and preliminary.serial in text and "作業室の棚の奥で発見" in text
    with pytest.raises(WrongState):  # reported in full: no more changes
        incidents.update(cast.responsible, lost.number, cause="別の原因")
    assert incidents.close(cast.responsible, lost.number, "確報を提出し、媒体を回収した").status == "closed"
    assert incidents.open_for(["KG26"]) == []
    assert ledger.verify(settings.attachments_dir).ok


def test_a_draft_closes_only_once_every_medium_is_found(cast, lost):
    with pytest.raises(WrongState):
        incidents.close(cast.responsible, lost.number, "誤報")
    (medium_id,) = lost.media
    held = incidents.medium_found(cast.worker, medium_id)  # no place given: back in the finder's hands
    assert (held.status, held.custodian_id) == ("received", "sato")
    closed = incidents.close(cast.responsible, lost.number, "報告前に発見（机の引出し）")
    assert closed.status == "closed" and closed.closed_at
