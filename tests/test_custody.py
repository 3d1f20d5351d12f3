"""Custody workflows: handovers with a list and scans, transfers, copies, returns — and the
refusals the special provisions require, each writing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker import ledger
from tracker.errors import AlreadyExists, InvalidInput, NeedsApproval, NotAllowed, WrongState
from tracker.models import Document, Event, Medium
from tracker.workflows import copies, handovers, media, people, transfers

SAMPLE = Path(__file__).parent.parent / "tracker" / "samples" / "handover-list-sample.csv"

LIST_CSV = (
    "管理番号,名称,種類,数量,件数,個人情報項目,製造番号,暗号化,暗号化方式,封印番号\n"
    "A-1,住民税申告書 第1箱,紙,1,1200,氏名、住所,,無,,S-1\n"
    "A-2,課税データ,USB,1,5400,氏名、個人番号,USB-001,有,AES-256,S-2\n"
    "A-3,住民税申告書 第2箱,紙,1,800,氏名、住所,,無,,S-3\n"
).encode("utf-8-sig")


def open_receiving(cast, content=LIST_CSV):
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所第二庁舎 3F 市民税課",
                               "手渡し（施錠ケース）", "高橋 市役所", storage_plan="本社 施錠キャビネットA", disposition_plan="令和9年3月 返還")
    listed = handovers.import_list(cast.worker, handover.number, "list.csv", content)
    return handover, listed


def events_now() -> int:
    return Event.select().count()


def test_receiving_handover_reconciles_confirms_and_issues_the_receipt(cast, settings):
    handover, listed = open_receiving(cast)
    assert [m.status for m in listed] == ["expected"] * 3
    assert handover.number == "KG26-H0001"

    first = handovers.scan(cast.worker, handover.number, listed[0].id)
    again = handovers.scan(cast.worker, handover.number, listed[0].id)
    assert first.fresh and not again.fresh
    handovers.scan(cast.worker, handover.number, listed[1].id)
    # A medium registered on another list of this contract, brought along: not on this list.
    other = handovers.start(cast.worker, "KG26", "receive", "2026-11-26 10:00", "市役所", "手渡し", "高橋")
    (extra,) = handovers.import_list(cast.worker, other.number, "other.csv",
                                     "名称,種類\n追加の申告書,紙\n".encode("utf-8"))
    unlisted = handovers.scan(cast.worker, handover.number, extra.id)
    assert not unlisted.item.listed

    result = handovers.reconcile(handovers.get_handover(handover.number))
    assert [i.medium_id for i in result.received] == [listed[0].id, listed[1].id]
    assert [i.medium_id for i in result.missing] == [listed[2].id]
    assert [i.medium_id for i in result.not_on_list] == [extra.id]

    with pytest.raises(NotAllowed):  # the contractor cannot confirm for the city
        handovers.confirm(cast.worker, handover.number, settings)
    handovers.sign(cast.worker, handover.number)
    with pytest.raises(WrongState):  # signed: no more scans
        handovers.scan(cast.worker, handover.number, listed[2].id)
    document = handovers.confirm(cast.city, handover.number, settings)

    statuses = {m.id: m.status for m in Medium.select()}
    assert statuses[listed[0].id] == statuses[listed[1].id] == statuses[extra.id] == "received"
    assert statuses[listed[2].id] == "not_received"
    assert Medium.get_by_id(listed[0].id).custodian_id == "sato"
    assert document.kind == "handover_receipt" and document.subject == handover.number
    assert Document.select().count() == 1
    assert ledger.verify(settings.attachments_dir).ok


def test_the_sample_list_imports(cast):
    _, listed = open_receiving(cast, SAMPLE.read_bytes())
    assert len(listed) == 5 and all(m.status == "expected" for m in listed)


def test_a_second_list_or_a_list_with_a_known_serial_is_refused_whole(cast):
    handover, listed = open_receiving(cast)
    before = events_now()
    with pytest.raises(AlreadyExists) as second:
        handovers.import_list(cast.worker, handover.number, "again.csv", LIST_CSV)
    assert "取込み済み" in second.value.message_ja and "already" in second.value.message_en
    other = handovers.start(cast.worker, "KG26", "receive", "2026-11-26 10:00", "市役所", "手渡し", "高橋")
    before = events_now()
    with pytest.raises(InvalidInput) as clash:
        handovers.import_list(cast.worker, other.number, "dup.csv", "名称,種類,製造番号\nX,USB,USB-001\n".encode())
    assert "2行目" in clash.value.message_ja and "line 2" in clash.value.message_en and listed[1].id in clash.value.message_en
    assert events_now() == before


def test_a_label_of_another_contract_is_refused_during_a_handover(cast):
    people.create_contract(None, "KG27", "別の業務", "小金井市")
    cast.rostered(cast.admin, "KG27", "sato", "worker")
    people.sign_pledge(cast.worker, "KG27")
    foreign = media.register(cast.worker, "KG27", "usb", "別契約のUSB", encrypted=True, encryption="AES")
    handover, _ = open_receiving(cast)
    before = events_now()
    with pytest.raises(WrongState) as refused:
        handovers.scan(cast.worker, handover.number, foreign.id)
    assert foreign.id in refused.value.message_ja and "another contract" in refused.value.message_en
    assert events_now() == before


def received_and_stored(cast, settings, count=3):
    handover, listed = open_receiving(cast)
    for medium in listed[:count]:
        handovers.scan(cast.worker, handover.number, medium.id)
    handovers.sign(cast.worker, handover.number)
    handovers.confirm(cast.city, handover.number, settings)
    return [media.store(cast.worker, medium.id, cast.cabinet.code) for medium in listed[:count]]


def second_site(cast):
    from tracker.workflows import places

    return places.create_location(cast.admin, "別館 金庫", "safe", "storage", site="別館", room="1F")


def test_transfer_out_and_in_flags_the_unexpected_and_refuses_unencrypted_media(cast, settings):
    paper, usb, paper2 = received_and_stored(cast, settings)
    plain = media.register(cast.worker, "KG26", "hdd", "暗号化していないHDD", location=cast.cabinet.code)
    safe = second_site(cast)
    transfer = transfers.plan(cast.worker, "KG26", "別館での入力作業", "本社", safe.code, "社用車（施錠ケース）",
                              "佐藤 花子, 山田 太郎", seal_number="S-100", route="本社→別館")
    before = events_now()
    with pytest.raises(WrongState) as refused:
        transfers.scan_out(cast.worker, transfer.number, plain.id)
    assert "暗号化" in refused.value.message_ja and "encrypt" in refused.value.message_en and "Art. 6(1)" in refused.value.message_en
    assert events_now() == before

    transfers.scan_out(cast.worker, transfer.number, paper.id)
    transfers.scan_out(cast.worker, transfer.number, usb.id)
    transfers.depart(cast.worker, transfer.number)
    assert Medium.get_by_id(usb.id).status == "in_transit"
    with pytest.raises(WrongState) as storing:  # storing a medium that is out on transfer
        media.store(cast.worker, usb.id, cast.cabinet.code)
    assert "移送中" in storing.value.message_ja and "transfer" in storing.value.message_en

    transfers.scan_in(cast.worker, transfer.number, paper.id)
    unexpected = transfers.scan_in(cast.worker, transfer.number, paper2.id)
    assert unexpected.unexpected and "not sent" in unexpected.message[1]
    with pytest.raises(WrongState) as incomplete:
        transfers.arrive(cast.worker, transfer.number, True, settings)
    assert usb.id in incomplete.value.message_ja
    transfers.scan_in(cast.worker, transfer.number, usb.id)
    document = transfers.arrive(cast.worker, transfer.number, True, settings)
    assert document.kind == "transfer_record"
    assert {Medium.get_by_id(m.id).location_id for m in (paper, usb)} == {safe.code}
    assert Medium.get_by_id(paper2.id).location_id == cast.cabinet.code  # not moved by a stray scan
    assert transfers.tally(transfers.get_transfer(transfer.number)).as_dict()["not_sent"] == [paper2.id]
    assert ledger.verify(settings.attachments_dir).ok


def test_a_copy_needs_the_citys_approval_which_a_contractor_cannot_give(cast, settings):
    _, usb, _ = received_and_stored(cast, settings)
    asked = copies.request(cast.worker, usb.id, 1, "usb", "作業用の複製")
    before = events_now()
    with pytest.raises(NeedsApproval) as unapproved:
        copies.make_copy(cast.worker, asked.number, encrypted=True, encryption="AES-256")
    assert "承認" in unapproved.value.message_ja and "approved" in unapproved.value.message_en
    for contractor in (cast.responsible, cast.admin):
        with pytest.raises(NotAllowed):
            copies.decide(contractor, asked.number, True)
    assert events_now() == before
    copies.decide(cast.city, asked.number, True, "作業終了後に消去すること")
    copy = copies.make_copy(cast.worker, asked.number, encrypted=True, encryption="AES-256")
    assert copy.parent_id == usb.id and copy.id != usb.id and copy.record_count == usb.record_count
    with pytest.raises(NeedsApproval):  # the approval covered one copy
        copies.make_copy(cast.worker, asked.number, encrypted=True, encryption="AES-256")


def test_return_of_received_media_and_refusal_of_a_never_received_one(cast, settings):
    paper, usb, _ = received_and_stored(cast, settings, count=3)
    giving_back = handovers.start(cast.worker, "KG26", "return", "2027-03-10 15:00", "市役所", "手渡し", "高橋 市役所")
    handovers.scan(cast.worker, giving_back.number, paper.id)
    handovers.scan(cast.worker, giving_back.number, usb.id)
    _, still_expected = open_receiving(cast, "名称,種類\n次回分の申告書,紙\n".encode())  # listed, not handed over
    before = events_now()
    with pytest.raises(WrongState) as refused:
        handovers.scan(cast.worker, giving_back.number, still_expected[0].id)
    assert "引き渡されていません" in refused.value.message_ja and "not been handed over" in refused.value.message_en
    assert events_now() == before
    handovers.sign(cast.worker, giving_back.number)
    document = handovers.confirm(cast.city, giving_back.number, settings, method="same_device", device_user=cast.worker)
    assert document.kind == "return_receipt"
    returned = Medium.get_by_id(paper.id)
    assert returned.status == "returned" and returned.location_id is None and returned.custodian_id is None
    assert ledger.verify(settings.attachments_dir).ok


def test_an_unencrypted_electronic_medium_is_not_returned_to_the_city(cast, settings):
    """Returning is a journey like a transfer: Koganei's 第6条第1号 has electronic media travel
    only encrypted, and the refusal names it; nothing is written."""
    plain = media.register(cast.responsible, "KG26", "usb", "暗号化していないUSB", location=cast.cabinet.code)
    sealed = media.register(cast.responsible, "KG26", "usb", "暗号化USB", encrypted=True, encryption="AES-256",
                            location=cast.cabinet.code)
    giving_back = handovers.start(cast.worker, "KG26", "return", "2027-03-10 15:00", "市役所", "手渡し", "高橋 市役所")
    before = events_now()
    with pytest.raises(WrongState) as refused:
        handovers.scan(cast.worker, giving_back.number, plain.id)
    assert "暗号化の記録がありません" in refused.value.message_ja and "返還して" in refused.value.message_ja
    assert "小金井市個人情報取扱特記事項 第6条第1号" in refused.value.message_ja
    assert "Art. 6(1)" in refused.value.message_en and "returned to the city" in refused.value.message_en
    assert events_now() == before and handovers.reconcile(handovers.get_handover(giving_back.number)).scanned == []
    assert handovers.scan(cast.worker, giving_back.number, sealed.id).fresh
