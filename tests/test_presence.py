"""Proof of presence (issue #11): every scan records how its code arrived, and where presence
matters — a storage check's "found", a destruction, a handover's receipt — a typed ID (or a label
URL pasted as text) counts only when the person confirms the medium is in front of them; it is
then recorded and shown as typed, and the papers say how each medium was identified."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import csrf, login
from labels.payload import location_url, medium_url
from test_destruction import DESTROY_HDD, SHRED_PAPER, apply_for
from tracker import ledger
from tracker.models import CheckScan, DestructionItem, Event, HandoverItem
from tracker.workflows import checks, destruction, handovers, media, scans

TYPED = "typed_unconfirmed"


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return "".join(text.split())  # a paragraph wraps where the page ends: compare without spaces


def label(settings, medium_id: str) -> str:
    return medium_url(medium_id, settings.secret, settings.base_url)


def record(cast, settings, key, code, action, context, source, confirmed=False):
    return scans.record(cast.worker, key, code, action, context, settings.secret, source=source, confirmed=confirmed)


def events_now() -> int:
    return Event.select().count()


# ---- storage check: typed IDs were counted as found ---------------------------------------------


@pytest.fixture
def stored(cast):
    return [media.register(cast.worker, "KG26", "paper", f"原票 第{n}箱", location=cast.cabinet.code) for n in (1, 2, 3)]


def test_a_typed_id_is_not_found_in_a_check_without_the_persons_confirmation(cast, settings, stored, tmp_path):
    check = checks.start(cast.worker, location_url(cast.cabinet.code, settings.secret, settings.base_url), settings.secret)
    before = events_now()
    status, answer = record(cast, settings, "c1", stored[0].id, "check", check.number, "typed")
    assert status == 400 and answer["reason"] == TYPED and "目の前" in answer["message_ja"] and "in front of you" in answer["message_en"]
    # The label URL pasted as text (the page marks it typed) is no better than the ID.
    status, answer = record(cast, settings, "c2", label(settings, stored[0].id), "check", check.number, "typed")
    assert status == 400 and answer["reason"] == TYPED
    assert events_now() == before and not CheckScan.select().exists()

    assert record(cast, settings, "c3", stored[0].id, "check", check.number, "typed", confirmed=True)[0] == 200
    assert record(cast, settings, "c4", label(settings, stored[1].id), "check", check.number, "camera")[0] == 200
    ways = {scan.medium: scan.identified_by for scan in CheckScan.select()}
    assert ways == {stored[0].id: "typed", stored[1].id: "camera"}
    scanned = [json.loads(e.data) for e in Event.select().where(Event.kind == "check.scanned").order_by(Event.seq)]
    assert [data["source"] for data in scanned] == ["typed", "camera"]

    report = pdf_text(checks.preview_report(cast.worker, check.number, "KG26", settings), tmp_path)
    assert "確認の方法" in report and "カメラでラベル読取り1点" in report and "手入力（現物を本人が確認）1点" in report
    assert f"手入力の媒体（ラベルは読み取っていません）:{stored[0].id}" in report
    assert ledger.verify().ok


# ---- destruction: a typed ID was refused outright; now it needs the confirmation ---------------


def test_a_typed_id_at_the_shredder_counts_only_when_confirmed_and_the_certificate_says_so(cast, settings, tmp_path):
    hdd = media.register(cast.responsible, "KG26", "hdd", "旧サーバHDD", serial_number="WX-1", location=cast.cabinet.code)
    paper = media.register(cast.responsible, "KG26", "paper", "申告書原票", record_count=250, location=cast.cabinet.code)
    application = apply_for(cast, [hdd.id, paper.id], witness=False,
                            items=[{"medium": hdd.id, **DESTROY_HDD}, {"medium": paper.id, **SHRED_PAPER}])
    destruction.decide(cast.city, application.number, True, "")
    before = events_now()
    for code, source in ((hdd.id, "typed"), (label(settings, hdd.id), "typed"), (hdd.id, None)):
        status, answer = record(cast, settings, f"d-{source}-{len(code)}", code, "destroy", application.number, source or "station")
        assert status == 400 and hdd.id in answer["message_en"], (code, source)
    assert events_now() == before

    assert record(cast, settings, "d1", hdd.id, "destroy", application.number, "typed", confirmed=True)[0] == 200
    assert record(cast, settings, "d2", label(settings, paper.id), "destroy", application.number, "wedge")[0] == 200
    ways = {item.medium_id: item.identified_by for item in DestructionItem.select()}
    assert ways == {hdd.id: "typed", paper.id: "wedge"}
    text = pdf_text(destruction.preview_certificate(cast.responsible, application.number, settings), tmp_path)
    assert "ハンディスキャナでラベル読取り1点" in text and f"手入力の媒体（ラベルは読み取っていません）:{hdd.id}" in text


# ---- handover receipt ------------------------------------------------------------------------------


def receiving(cast, count=3):
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    rows = "".join(f"申告書 第{n}箱,紙\n" for n in range(1, count + 1))
    listed = handovers.import_list(cast.worker, handover.number, "list.csv", f"名称,種類\n{rows}".encode())
    return handover.number, [medium.id for medium in listed]


def test_a_handover_receives_a_typed_id_only_when_confirmed_and_the_receipt_says_how_each_was_identified(cast, settings, tmp_path):
    number, listed = receiving(cast)
    before = events_now()
    status, answer = record(cast, settings, "h1", listed[0].lower(), "receive", number, "typed")
    assert status == 400 and answer["reason"] == TYPED and events_now() == before
    assert record(cast, settings, "h2", listed[0], "receive", number, "typed", confirmed=True)[0] == 200
    assert record(cast, settings, "h3", label(settings, listed[1]), "receive", number, "camera")[0] == 200
    assert record(cast, settings, "h4", label(settings, listed[2]), "receive", number, "photo")[0] == 200
    ways = {item.medium_id: item.identified_by for item in HandoverItem.select().where(HandoverItem.scanned_at.is_null(False))}
    assert ways == {listed[0]: "typed", listed[1]: "camera", listed[2]: "photo"}
    receipt = pdf_text(handovers.preview_receipt(cast.worker, number, settings), tmp_path)
    assert "カメラでラベル読取り1点" in receipt and "写真からラベル読取り1点" in receipt
    assert "手入力（現物を本人が確認）1点" in receipt and f"手入力の媒体（ラベルは読み取っていません）:{listed[0]}" in receipt


def test_the_scan_box_form_marks_each_code_as_the_page_says_it_arrived(app, cast, settings):
    number, listed = receiving(cast)
    client = login(app.test_client(), "sato")
    codes = [label(settings, listed[0]), label(settings, listed[1])]
    client.post(f"/handovers/{number}/scan", data={"csrf_token": csrf(client), "codes": "\n".join(codes),
                                                   "sources": json.dumps({codes[0]: "camera", codes[1]: "typed"})})
    ways = {item.medium_id: item.identified_by for item in HandoverItem.select().where(HandoverItem.scanned_at.is_null(False))}
    assert ways == {listed[0]: "camera"}  # the pasted URL was refused: not confirmed
    page = client.get(f"/handovers/{number}").get_data(as_text=True)
    assert "カメラでラベル読取り" in page and "目の前" in page
    client.post(f"/handovers/{number}/scan", data={"csrf_token": csrf(client), "codes": codes[1], "confirm_typed": "1",
                                                   "sources": json.dumps({codes[1]: "typed"})})
    page = client.get(f"/handovers/{number}").get_data(as_text=True)
    assert "手入力（現物を本人が確認）" in page


def test_the_api_records_how_a_scan_arrived_and_holds_typed_ids_to_the_same_rule(app, cast, settings):
    from tracker.workflows import tokens

    number, listed = receiving(cast, 2)
    token = tokens.create_token(cast.worker, "test")
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    typed = client.post("/api/v1/scans", headers=headers, json={"idempotency_key": "a1", "code": label(settings, listed[0]),
                                                                "action": "receive", "context": number, "source": "typed"})
    assert typed.status_code == 400 and typed.get_json()["reason"] == TYPED
    read = client.post("/api/v1/scans", headers=headers, json={"idempotency_key": "a2", "code": label(settings, listed[0]),
                                                               "action": "receive", "context": number, "source": "camera"})
    assert read.status_code == 200 and read.get_json()["identified_by"] == "camera"
    batch = client.post(f"/api/v1/handovers/{number}/scans", headers=headers, json={"codes": [listed[1]], "confirmed": True})
    assert batch.status_code == 200 and batch.get_json()["answers"][0]["identified_by"] == "typed"


def test_the_medium_page_does_not_show_the_label_url_as_text(app, cast, settings):
    medium = media.register(cast.worker, "KG26", "paper", "原票", location=cast.cabinet.code)
    page = login(app.test_client(), "sato").get(f"/media/{medium.id}").get_data(as_text=True)
    url = label(settings, medium.id)
    assert url.rsplit("/", 1)[-1] not in page and url not in page
    assert medium.id in page
