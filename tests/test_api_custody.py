"""Custody over the JSON API, as a scanning station, an integration or a phone app does it:
handovers from the city's list to the receipt, transfers, copies under approval, returns, the
register and balance, issued papers; and the bad input each route refuses, saying why."""

from __future__ import annotations

import csv
import io
import subprocess
from types import SimpleNamespace

import pytest

from labels import payload
from tracker import ledger
from tracker.models import Handover, Medium, Transfer
from tracker.workflows import places, tokens

LIST_CSV = (
    "管理番号,名称,種類,数量,件数,個人情報項目,製造番号,暗号化,暗号化方式,封印番号\n"
    "R8-001,住民税申告書 第1箱,紙（原票）,1,1200,氏名、住所、個人番号,,無,,S-0001\n"
    "R8-002,課税データ,USBメモリ,1,5400,氏名、住所、個人番号,USB-77,有,AES-256,S-0002\n"
    "R8-003,住民税申告書 第2箱,紙（原票）,2,800,氏名、住所,,無,,S-0003\n"
).encode("cp932")  # as the city's Excel saves it

HANDOVER = {"contract": "KG26", "direction": "receive", "handover_at": "2026-11-25T10:00", "place": "市役所第二庁舎 3階 市民税課",
            "means": "手渡し（施錠ケース）", "city_official": "高橋 市役所"}


def bearer(user, name="phone"):
    return {"Authorization": f"Bearer {tokens.create_token(user, name)}"}


@pytest.fixture
def auth(cast):
    return SimpleNamespace(worker=bearer(cast.worker), city=bearer(cast.city), outsider=bearer(cast.newcomer))


@pytest.fixture
def label(settings):
    return lambda medium_id: payload.medium_url(medium_id, settings.secret, settings.base_url)


def assert_error(response, status, error=None):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] and body["message_ja"] and body["message_en"]
    if error:
        assert body["error"] == error
    return body


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def start(client, headers, **fields):
    response = client.post("/api/v1/handovers", headers=headers, json={**HANDOVER, **fields})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["number"]


def upload_list(client, headers, number, content=LIST_CSV, filename="引渡しリスト.csv"):
    return client.post(f"/api/v1/handovers/{number}/list", headers=headers,
                       data={"list": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def scan(client, headers, url, *codes, confirmed=None):
    """``confirmed``: the person confirms the media of typed IDs are there (else those are refused)."""
    return client.post(url, headers=headers, json={"codes": list(codes), **({"confirmed": confirmed} if confirmed is not None else {})})


def hand_over(client, auth, label, codes_of=None, **fields) -> tuple[str, list[str]]:
    """A handover done over the API: opened, (list imported,) labels scanned, signed, confirmed."""
    number = start(client, auth.worker, **fields)
    if codes_of is None:
        medium_ids = [medium["id"] for medium in upload_list(client, auth.worker, number).get_json()["media"]]
    else:
        medium_ids = codes_of
    assert scan(client, auth.worker, f"/api/v1/handovers/{number}/scans", *map(label, medium_ids)).status_code == 200
    assert client.post(f"/api/v1/handovers/{number}/sign", headers=auth.worker).status_code == 200
    assert client.post(f"/api/v1/handovers/{number}/confirm", headers=auth.city).status_code == 200
    return number, medium_ids


def test_a_whole_handover_over_the_api(client, cast, auth, label, tmp_path):
    response = client.post("/api/v1/handovers", headers=auth.worker,
                           json={**HANDOVER, "storage_plan": "本社 2F 保管室", "disposition_plan": "令和9年3月31日までに返還"})
    assert response.status_code == 201
    handover = response.get_json()
    number = handover["number"]
    assert handover["status"] == "open" and handover["direction"] == "receive" and handover["contract"] == "KG26"
    assert handover["handover_at"].startswith("2026-11-25T01:00")  # 10:00 JST, stored as UTC
    assert handover["receipt"] is None

    imported = upload_list(client, auth.worker, number)
    assert imported.status_code == 201
    listed = [medium["id"] for medium in imported.get_json()["media"]]
    assert len(listed) == 3 and {medium["status"] for medium in imported.get_json()["media"]} == {"expected"}

    # Two of three labels: a label URL, a typed ID (its medium confirmed present), and the first one again.
    response = scan(client, auth.worker, f"/api/v1/handovers/{number}/scans", label(listed[0]), listed[1].lower(), label(listed[0]),
                    confirmed=True)
    assert response.status_code == 200
    answers = response.get_json()["answers"]
    assert [answer["ok"] for answer in answers] == [True, True, True]
    assert answers[2]["duplicate"] is True and answers[0]["listed"] is True
    reconciliation = client.get(f"/api/v1/handovers/{number}", headers=auth.worker).get_json()["reconciliation"]
    assert reconciliation == {"expected": listed, "received": listed[:2], "missing": [listed[2]], "not_on_list": []}
    preview = client.get(f"/api/v1/handovers/{number}/receipt.pdf", headers=auth.worker)
    assert preview.mimetype == "application/pdf" and "preview" in preview.headers["Content-Disposition"]

    assert client.post(f"/api/v1/handovers/{number}/sign", headers=auth.worker).get_json()["status"] == "signed"
    body = assert_error(client.post(f"/api/v1/handovers/{number}/confirm", headers=auth.worker), 403, "not_allowed")
    assert "municipality" in body["message_en"]
    assert Handover.get_by_id(number).status == "signed"

    confirmed = client.post(f"/api/v1/handovers/{number}/confirm", headers=auth.city)
    assert confirmed.status_code == 200
    serial = confirmed.get_json()["serial"]
    assert confirmed.get_json()["handover"]["status"] == "confirmed" and confirmed.get_json()["handover"]["receipt"] == serial
    assert [Medium.get_by_id(m).status for m in listed] == ["received", "received", "not_received"]

    receipt = client.get(f"/api/v1/handovers/{number}/receipt.pdf", headers=auth.worker)
    assert receipt.mimetype == "application/pdf"
    text = pdf_text(receipt.data, tmp_path)
    assert "預り証" in text and all(medium_id in text for medium_id in listed)

    document = client.get(f"/api/v1/documents/{serial}", headers=auth.city).get_json()
    assert document["kind"] == "handover_receipt" and document["subject"] == number
    assert document["check"] == {**document["check"], "ok": True, "chain_holds_head": True, "file_intact": True, "ledger_ok": True}
    issued = client.get(f"/api/v1/documents/{serial}.pdf", headers=auth.city)
    assert issued.mimetype == "application/pdf" and issued.data == receipt.data
    compare = f"/api/v1/documents/{serial}/compare"
    assert client.post(compare, headers=auth.city, data=issued.data, content_type="application/pdf").get_json()["matches"] is True
    assert client.post(compare, headers=auth.city, data=issued.data + b"%", content_type="application/pdf").get_json()["matches"] is False


def test_a_signed_handover_can_be_reopened_with_a_reason(client, cast, auth, label):
    number = start(client, auth.worker)
    medium_id = upload_list(client, auth.worker, number).get_json()["media"][0]["id"]
    scan(client, auth.worker, f"/api/v1/handovers/{number}/scans", label(medium_id))
    client.post(f"/api/v1/handovers/{number}/sign", headers=auth.worker)
    assert_error(scan(client, auth.worker, f"/api/v1/handovers/{number}/scans", label(medium_id)), 409, "wrong_state")
    assert_error(client.post(f"/api/v1/handovers/{number}/reopen", headers=auth.worker, json={}), 400)
    reopened = client.post(f"/api/v1/handovers/{number}/reopen", headers=auth.worker, json={"reason": "1箱足りない"})
    assert reopened.get_json()["status"] == "open"
    assert_error(client.get(f"/api/v1/handovers/{number}", headers=auth.outsider), 403)


def test_a_transfer_refuses_an_unencrypted_usb_and_records_the_arrival(client, cast, auth, label, tmp_path):
    def register(**fields):
        response = client.post("/api/v1/media", headers=auth.worker, json={"contract": "KG26", **fields})
        assert response.status_code == 201
        return response.get_json()["id"]

    plain = register(kind="usb", title="作業用データ（暗号化なし）", encrypted=False)
    locked = register(kind="usb", title="課税データ", encrypted=True, encryption="AES-256")
    box = register(kind="paper", title="申告書 第1箱")
    annex = places.create_location(cast.admin, "別館 金庫", "safe", "storage", site="別館", room="1F")
    response = client.post("/api/v1/transfers", headers=auth.worker, json={
        "contract": "KG26", "purpose": "別館での入力作業", "origin": "本社 2F 保管室", "destination": annex.code,
        "means": "社用車・施錠ケース", "custodians": ["佐藤 花子", "山田 太郎"], "seal_number": "T-1", "locked_case": True})
    assert response.status_code == 201
    number = response.get_json()["number"]
    assert response.get_json()["custodians"] == ["佐藤 花子", "山田 太郎"] and response.get_json()["status"] == "preparing"
    scans_url = f"/api/v1/transfers/{number}/scans"

    body = assert_error(scan(client, auth.worker, scans_url, label(plain)), 409, "wrong_state")
    assert "暗号化" in body["message_ja"] and "encrypt" in body["message_en"]
    assert body["answers"][0]["status"] == 409
    assert scan(client, auth.worker, scans_url, label(locked), label(box)).status_code == 200
    assert client.post(f"/api/v1/transfers/{number}/depart", headers=auth.worker).get_json()["status"] == "departed"
    assert Medium.get_by_id(locked).status == "in_transit" and Medium.get_by_id(plain).status == "received"

    assert scan(client, auth.worker, scans_url, label(locked)).status_code == 200
    before = ledger.head()
    body = assert_error(client.post(f"/api/v1/transfers/{number}/arrive", headers=auth.worker, json={"seal_intact": "yes"}), 400)
    assert "seal_intact" in body["message_ja"] and "seal_intact" in body["message_en"] and body["field"] == "seal_intact"
    body = assert_error(client.post(f"/api/v1/transfers/{number}/arrive", headers=auth.worker, json={"seal_intact": True}), 409)
    assert body["not_arrived"] == [box]
    assert ledger.head() == before

    scan(client, auth.worker, scans_url, label(box))
    arrived = client.post(f"/api/v1/transfers/{number}/arrive", headers=auth.worker, json={"seal_intact": True, "note": ""})
    assert arrived.status_code == 200
    serial = arrived.get_json()["serial"]
    transfer = client.get(f"/api/v1/transfers/{number}", headers=auth.worker).get_json()
    assert transfer["status"] == "arrived" and transfer["seal_intact"] is True and transfer["record"] == serial
    assert transfer["tally"] == {"sent": sorted([locked, box]), "arrived": sorted([locked, box]), "not_arrived": [], "not_sent": []}
    assert Medium.get_by_id(box).location_id == annex.code
    record = client.get(f"/api/v1/transfers/{number}/record.pdf", headers=auth.worker)
    assert record.mimetype == "application/pdf"
    text = pdf_text(record.data, tmp_path)
    assert "移送記録" in text and locked in text and box in text


def test_a_copy_needs_the_citys_approval(client, cast, auth):
    original = client.post("/api/v1/media", headers=auth.worker,
                           json={"contract": "KG26", "kind": "usb", "title": "課税データ", "encrypted": True, "encryption": "AES-256"}).get_json()["id"]
    response = client.post(f"/api/v1/media/{original}/copy-requests", headers=auth.worker,
                           json={"copies": 1, "copy_kind": "usb", "purpose": "入力作業用"})
    assert response.status_code == 201
    number = response.get_json()["number"]
    assert response.get_json()["status"] == "requested" and response.get_json()["medium"] == original

    make = f"/api/v1/copy-requests/{number}/copies"
    assert_error(client.post(make, headers=auth.worker), 409, "needs_approval")
    decision = f"/api/v1/copy-requests/{number}/decision"
    assert_error(client.post(decision, headers=auth.worker, json={"approve": True}), 403, "not_allowed")
    body = assert_error(client.post(decision, headers=auth.city, json={"approve": "yes"}), 400, "invalid_input")
    assert "approve" in body["message_en"]
    approved = client.post(decision, headers=auth.city, json={"approve": True, "note": "作業終了後に消去すること"})
    assert approved.get_json()["status"] == "approved" and approved.get_json()["decided_by"] == "takahashi"
    assert [found["number"] for found in client.get("/api/v1/copy-requests?status=approved", headers=auth.city).get_json()] == [number]

    made = client.post(make, headers=auth.worker, json={"encrypted": True, "encryption": "AES-256", "location": cast.cabinet.code})
    assert made.status_code == 201
    copy = made.get_json()
    assert copy["parent"] == original and copy["status"] == "stored" and copy["encrypted"] is True and copy["id"] != original
    assert_error(client.post(make, headers=auth.worker, json={}), 409, "needs_approval")  # the one approved copy is made


def test_a_return_closes_the_balance_and_the_register_opens_in_excel(client, cast, auth, label):
    _received, medium_ids = hand_over(client, auth, label)
    number, _ = hand_over(client, auth, label, codes_of=medium_ids, direction="return", handover_at="2027-03-10T15:00")
    returned = client.get(f"/api/v1/handovers/{number}", headers=auth.worker).get_json()
    assert returned["direction"] == "return" and returned["receipt"]
    assert {Medium.get_by_id(m).status for m in medium_ids} == {"returned"}

    register = client.get("/api/v1/register.csv?contract=KG26", headers=auth.worker)
    assert register.data.startswith(b"\xef\xbb\xbf") and register.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(register.data.decode("utf-8-sig"))))
    assert rows[0][0] == "媒体ID" and sorted(row[0] for row in rows[1:]) == medium_ids
    custody = client.get("/api/v1/register/custody.csv?contract=KG26&lang=en", headers=auth.city)
    assert custody.data.startswith(b"\xef\xbb\xbf") and custody.data.decode("utf-8-sig").startswith("Seq,")
    assert_error(client.get("/api/v1/register.csv", headers=auth.worker), 400)
    assert_error(client.get("/api/v1/register.csv?contract=KG26", headers=auth.outsider), 403)

    balance = client.get("/api/v1/contracts/KG26/balance", headers=auth.city).get_json()
    assert balance["balanced"] is True and balance["received"] == 3 and balance["returned"] == 3
    assert balance["held"] == 0 and balance["held_media"] == [] and balance["never_received"] == 0
    assert_error(client.get("/api/v1/contracts/KG26/balance", headers=auth.outsider), 403)
    assert_error(client.get("/api/v1/contracts/XX99/balance", headers=auth.city), 404)


def test_bad_input_is_refused_saying_why_and_records_nothing(client, cast, auth):
    before = ledger.head()
    assert_error(client.post("/api/v1/handovers", headers={**auth.worker, "Content-Type": "application/json"}, data="{not json"), 400)
    assert_error(client.post("/api/v1/transfers", headers=auth.worker, data="contract=KG26"), 400)
    body = assert_error(client.post("/api/v1/handovers", headers=auth.worker, json={**HANDOVER, "place": 3}), 400)
    assert "place" in body["message_en"]
    body = assert_error(client.post("/api/v1/transfers", headers=auth.worker, json={
        "contract": "KG26", "purpose": "p", "origin": "o", "destination": cast.cabinet.code, "means": "m",
        "custodians": "佐藤 花子", "locked_case": "yes"}), 400, "invalid_input")
    assert "locked_case" in body["message_ja"] and "locked_case" in body["message_en"]
    body = assert_error(client.post("/api/v1/media", headers=auth.worker,
                                    json={"contract": "KG26", "kind": "usb", "title": "x", "encrypted": "true", "encryption": "AES"}), 400)
    assert "encrypted" in body["message_en"]
    assert ledger.head() == before and Transfer.select().count() == 0

    number = start(client, auth.worker)
    garbled = "名称,種類\r\na,usb\r\n".encode("cp932") + b"b\x81,usb\r\n"
    body = assert_error(upload_list(client, auth.worker, number, garbled), 400, "invalid_input")
    assert "UTF-8" in body["message_en"] and "Shift_JIS" in body["message_en"] and "文字コード" in body["message_ja"]
    assert Medium.select().count() == 0 and Handover.get_by_id(number).list_name == ""
    assert_error(client.post(f"/api/v1/handovers/{number}/list", headers=auth.worker), 400)
    assert_error(client.post(f"/api/v1/handovers/{number}/scans", headers=auth.worker, json={"codes": "KG26-00001"}), 400)
    assert_error(client.post(f"/api/v1/handovers/{number}/scans", headers=auth.worker, json={"codes": []}), 400)
    assert_error(client.post("/api/v1/handovers/KG26-H0099/sign", headers=auth.worker), 404)

    # The same list sent as the raw body, named by ?filename=, is taken.
    raw = client.post(f"/api/v1/handovers/{number}/list?filename=list.csv", headers=auth.worker, data=LIST_CSV,
                      content_type="text/csv")
    assert raw.status_code == 201 and len(raw.get_json()["media"]) == 3
    assert Handover.get_by_id(number).list_name == "list.csv"


def test_lists_show_only_readable_contracts(client, cast, auth):
    number = start(client, auth.worker)
    assert [found["number"] for found in client.get("/api/v1/handovers", headers=auth.city).get_json()] == [number]
    assert client.get("/api/v1/handovers?status=open", headers=auth.worker).get_json()[0]["number"] == number
    assert client.get("/api/v1/handovers", headers=auth.outsider).get_json() == []
    assert client.get("/api/v1/transfers", headers=auth.worker).get_json() == []
