"""The contract's end (Art. 17(1)): reminders from period_end, the city's designation per medium,
the close-out refused while a medium is held or a loss is unresolved and accepted once all are
returned or destroyed, the 完了報告 issued, then the contractor locked out while the city reads."""

from __future__ import annotations

import re
import subprocess
from datetime import date

import pytest

from tracker import ledger
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import Contract, Document, Event, Medium
from tracker.workflows import access, closeout, handovers, incidents, media, papers


def return_all(cast, settings, ids):
    giving_back = handovers.start(cast.worker, "KG26", "return", "2027-03-10 15:00", "市役所", "手渡し", "高橋 市役所")
    for medium_id in ids:
        handovers.scan(cast.worker, giving_back.number, medium_id)
    handovers.sign(cast.worker, giving_back.number)
    return handovers.confirm(cast.city, giving_back.number, settings, method="same_device", device_user=cast.worker)


def test_reminders_start_the_profiles_days_before_period_end(cast):
    Contract.update(period_end="2027-03-31").where(Contract.code == "KG26").execute()
    assert closeout.reminders(["KG26"], today=date(2027, 2, 28)) == []  # Koganei: 30 days ahead
    (reminder,) = closeout.reminders(["KG26"], today=date(2027, 3, 1))
    assert reminder.days_left == 30 and not reminder.ended
    assert closeout.reminders(["KG26"], today=date(2027, 4, 2))[0].ended


def test_closeout_refused_while_a_medium_is_held_then_accepted_and_the_contractor_locked_out(cast, settings):
    paper = media.register(cast.worker, "KG26", "paper", "申告書", location=cast.cabinet.code)
    usb = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES-256", location=cast.cabinet.code)
    with pytest.raises(NotAllowed):  # the city designates
        closeout.designate(cast.responsible, "KG26", {paper.id: "return"})
    with pytest.raises(InvalidInput):
        closeout.designate(cast.city, "KG26", {paper.id: "keep"})
    closeout.designate(cast.city, "KG26", {paper.id: "return", usb.id: "return"})
    before = (Event.select().count(), Document.select().count())
    with pytest.raises(WrongState) as held:
        closeout.complete(cast.responsible, settings, "KG26")
    assert "保有中の媒体 2 件" in held.value.message_ja and paper.id in held.value.message_ja
    assert "第17条第1項" in held.value.message_ja and "still held" in held.value.message_en
    assert (Event.select().count(), Document.select().count()) == before

    return_all(cast, settings, [paper.id])
    incident = incidents.report_lost(cast.worker, usb.id, "見当たらない")
    with pytest.raises(WrongState) as lost:  # a loss not resolved
        closeout.complete(cast.responsible, settings, "KG26")
    assert "所在不明の媒体 1 件" in lost.value.message_ja and incident.number in lost.value.message_ja
    incidents.medium_found(cast.worker, usb.id, cast.cabinet.code, "書庫の奥")
    incidents.close(cast.responsible, incident.number, "報告前に発見")
    return_all(cast, settings, [usb.id])
    with pytest.raises(NotAllowed):  # the responsible person reports it
        closeout.complete(cast.worker, settings, "KG26")

    report = closeout.complete(cast.responsible, settings, "KG26", note="すべて返還しました")
    assert report.kind == "closeout_report" and Contract.get_by_id("KG26").closed_at
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=papers.content(settings, report), check=True,
                          capture_output=True).stdout.decode()
    assert "完了報告書" in text and paper.id in text and "返還受領書" in text and "契約終了後も" in text
    assert not re.search(r"[/／]\s+[A-Za-z]", text)  # Japanese only: no "ja / en" glosses on the paper
    with pytest.raises(WrongState) as twice:
        closeout.complete(cast.responsible, settings, "KG26")
    assert "終了処理" in twice.value.message_ja and "already closed out" in twice.value.message_en

    # Afterwards: the contractor can neither act nor read; the city reads on.
    with pytest.raises(NotAllowed) as locked:
        media.register(cast.worker, "KG26", "paper", "追加")
    assert "終了処理" in locked.value.message_ja
    with pytest.raises(NotAllowed):
        access.require_read(cast.responsible, "KG26")
    assert "KG26" not in access.readable_contracts(cast.worker)
    access.require_read(cast.city, "KG26")
    assert Medium.get_by_id(paper.id).status == "returned"
    assert ledger.verify(settings.attachments_dir).ok


def test_closed_contract_pages_lock_the_contractor_out_and_the_city_reads(cast, settings, app):
    from tests.conftest import csrf, login

    Contract.update(period_end="2026-12-01").where(Contract.code == "KG26").execute()
    city = login(app.test_client(), "takahashi")
    assert "契約終了" in city.get("/").get_data(as_text=True)
    responsible = login(app.test_client(), "yamada")
    done = responsible.post("/contracts/KG26/closeout/complete", data={"csrf_token": csrf(responsible), "note": ""})
    assert done.status_code == 302 and Contract.get_by_id("KG26").closed_at
    assert responsible.get("/contracts/KG26/closeout").status_code == 403
    page = city.get("/contracts/KG26/closeout").get_data(as_text=True)
    assert "完了報告書" in page
