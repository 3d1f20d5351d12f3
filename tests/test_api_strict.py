"""The JSON API against hostile and careless input (issue #11): every body is checked against its
declared schema before any workflow runs, so what is not what the ledger stores is a 400 naming
the field — never a 201 that breaks `verify` for good, never a 500; idempotency keys belong to
their sender; a permission is checked before an upload is read."""

from __future__ import annotations

import base64
import io
import json
import uuid

import pytest

from labels import payload
from tracker import ledger
from tracker.models import Medium, ScanReceipt
from tracker.workflows import media, people, roster, tokens

from test_scanner_decode import png_header

NEW_MEDIUM = {"contract": "KG26", "kind": "paper", "title": "申告書 第1箱"}


def bearer(user):
    return {"Authorization": f"Bearer {tokens.create_token(user, 'phone')}"}


@pytest.fixture
def worker(cast):
    return bearer(cast.worker)


def refused(response, status=400, field=None):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] and body["message_ja"] and body["message_en"]
    if field is not None:
        assert body["field"] == field
        assert field in body["message_ja"] and field in body["message_en"]
    return body


def assert_verifies():
    report = ledger.verify()
    assert report.ok, [str(problem) for problem in report.problems]


def scan(client, headers, code, key=None, **fields):
    return client.post("/api/v1/scans", headers=headers, json={"idempotency_key": key or str(uuid.uuid4()), "code": code, **fields})


# ---- types, lengths, enumerations: refused before anything is written ----------------------


@pytest.mark.parametrize("field, value, wanted_ja", [
    ("serial_number", 12345, "文字列"),
    ("serial_number", 1.5, "文字列"),
    ("title", {"ja": "x"}, "文字列"),
    ("location", 3, "文字列"),
    ("encryption", ["AES"], "文字列"),
    ("pi_items", 5, "リスト"),
    ("pi_items", ["氏名", 7], "文字列"),  # named as pi_items[1]
    ("record_count", "42", "整数"),
    ("record_count", 4.2, "整数"),
    ("record_count", True, "整数"),
    ("quantity", 0, "1以上"),
    ("kind", "floppy", "paper"),
    ("encrypted", "true", "true または false"),
])
def test_a_wrong_json_type_is_a_400_naming_the_field_and_the_ledger_still_verifies(client, cast, worker, field, value, wanted_ja):
    # On main, serial_number 12345 answered 201 and `verify` failed from then on, for good.
    before = ledger.head()
    named = "pi_items[1]" if value == ["氏名", 7] else field
    body = refused(client.post("/api/v1/media", headers=worker, json={**NEW_MEDIUM, field: value}), 400, named)
    assert wanted_ja in body["message_ja"]
    assert ledger.head() == before and Medium.select().count() == 0
    assert_verifies()


def test_null_is_the_same_as_leaving_a_field_out(client, cast, worker):
    response = client.post("/api/v1/media", headers=worker, json={**NEW_MEDIUM, "model": None, "serial_number": None})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert Medium.get_by_id(response.get_json()["id"]).model == ""
    assert_verifies()


def test_text_has_a_length_and_no_control_characters(client, cast, worker):
    body = refused(client.post("/api/v1/media", headers=worker, json={**NEW_MEDIUM, "title": "箱" * 201}), 400, "title")
    assert "200文字以内" in body["message_ja"] and "201" in body["message_en"]
    refused(client.post("/api/v1/media", headers=worker, json={**NEW_MEDIUM, "seal_number": "S-1\x00"}), 400, "seal_number")
    lone_surrogate = json.dumps({**NEW_MEDIUM, "manufacturer": "ok\ud800"})  # "\\ud800" in the JSON text
    refused(client.post("/api/v1/media", headers={**worker, "Content-Type": "application/json"}, data=lone_surrogate), 400, "manufacturer")
    # 5 MB of text (accepted on main) is refused before it is read.
    huge = client.post("/api/v1/media", headers=worker, json={**NEW_MEDIUM, "description": "x" * (5 * 1024 * 1024)})
    assert refused(huge, 413)["message_en"].startswith("the request body is too large")
    assert Medium.select().count() == 0


def test_an_unknown_field_is_refused_not_silently_dropped(client, cast, worker):
    body = refused(client.post("/api/v1/media", headers=worker, json={**NEW_MEDIUM, "encripted": True}), 400, "encripted")
    assert "知らない項目" in body["message_ja"] and "unknown fields are refused" in body["message_en"]


def test_every_problem_is_listed_the_first_is_the_message(client, cast, worker):
    body = refused(client.post("/api/v1/media", headers=worker, json={"kind": 3, "title": ""}), 400)
    assert {problem["field"] for problem in body["problems"]} == {"contract", "kind", "title"}
    assert body["field"] == body["problems"][0]["field"]


@pytest.mark.parametrize("field, value", [("code", 12345), ("idempotency_key", ["k"]), ("context", {"a": 1}), ("action", "burn"),
                                          ("source", "carrier-pigeon")])
def test_a_scan_with_a_wrong_type_is_a_400_naming_the_field(client, cast, worker, field, value):
    body = {"idempotency_key": "k-1", "code": "KG26-00001-X", field: value}
    refused(client.post("/api/v1/scans", headers=worker, json=body), 400, field)
    assert ScanReceipt.select().count() == 0


@pytest.mark.parametrize("raw, why", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"contract": "KG26", "kind": "paper", "title": NaN}', "NaN"),
    ('{"contract": "KG26", "kind": "paper", "title": "a", "title": "b"}', "twice"),
    (b'{"contract": "\xff"}', "not valid JSON"),
    ('"a string"', "JSON object"),
])
def test_json_that_two_readers_could_read_differently_is_refused(client, cast, worker, raw, why):
    response = client.post("/api/v1/media", headers={**worker, "Content-Type": "application/json"}, data=raw)
    assert why in refused(response, 400)["message_en"]


def test_a_path_or_query_value_with_control_characters_is_a_400(client, cast, worker):
    refused(client.get("/api/v1/media/KG26%00", headers=worker), 400, "medium_id")
    refused(client.get("/api/v1/handovers/" + "H" * 300, headers=worker), 400, "number")
    body = refused(client.get("/api/v1/media?q=%00", headers=worker), 400, "q")
    assert body["message_en"].startswith("URL parameter")
    refused(client.get("/api/v1/media?page=0", headers=worker), 400, "page")


# ---- labels that are not ours: a refusal per code, never a 500 -----------------------------


@pytest.mark.parametrize("signature", ["ＡＢＣＤＥＦＧＨ", "ÀBCDÉFGH", "AB😀CDEFG", "ABCD\u202eEFG"])
def test_a_non_ascii_signature_is_refused_as_forged_on_every_scan_path(client, cast, worker, settings, signature):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    poison = f"{settings.base_url.upper()}/M/{medium.id}/{signature}"
    assert refused(scan(client, worker, poison), 400)["reason"] == "forged"
    number = client.post("/api/v1/handovers", headers=worker, json={
        "contract": "KG26", "direction": "return", "handover_at": "2027-03-10T15:00", "place": "市役所", "means": "手渡し",
        "city_official": "高橋"}).get_json()["number"]
    answers = refused(client.post(f"/api/v1/handovers/{number}/scans", headers=worker, json={"codes": [poison]}), 400)["answers"]
    assert answers[0]["reason"] == "forged" and answers[0]["code"] == poison


def test_a_batch_answers_each_code_and_records_the_good_ones_around_a_poisoned_one(client, cast, worker, settings):
    sticks = [media.register(cast.worker, "KG26", "usb", f"データ{n}", encrypted=True, encryption="AES").id for n in range(2)]
    labels = [payload.medium_url(medium_id, settings.secret, settings.base_url) for medium_id in sticks]
    number = client.post("/api/v1/handovers", headers=worker, json={
        "contract": "KG26", "direction": "return", "handover_at": "2027-03-10T15:00", "place": "市役所", "means": "手渡し",
        "city_official": "高橋"}).get_json()["number"]
    poison = labels[0].rsplit("/", 1)[0] + "/ＡＢＣＤＥＦＧＨ"
    response = client.post(f"/api/v1/handovers/{number}/scans", headers=worker,
                           json={"codes": [labels[0], poison, "\x00\x01binary", labels[1]], "source": "camera"})
    assert response.status_code == 200
    answers = response.get_json()["answers"]
    assert [(answer["ok"], answer["status"]) for answer in answers] == [(True, 200), (False, 400), (False, 400), (True, 200)]
    assert answers[1]["reason"] == "forged" and answers[2]["reason"] == "unreadable"
    handover = client.get(f"/api/v1/handovers/{number}", headers=worker).get_json()
    assert handover["reconciliation"]["not_on_list"] == sorted(sticks)
    assert_verifies()


# ---- idempotency keys belong to their sender ------------------------------------------------


@pytest.fixture
def second_worker(cast):
    other = people.create_user(cast.admin, "ito", "伊藤 次郎", "contractor", "correct-horse-9")
    cast.rostered(cast.responsible, "KG26", "ito", "worker")
    people.sign_pledge(other, "KG26")
    return bearer(other)


def test_the_same_key_from_another_user_is_another_scan(client, cast, worker, second_worker, settings):
    first, second = (media.register(cast.worker, "KG26", "usb", f"u{n}", encrypted=True, encryption="AES") for n in range(2))
    label = lambda medium: payload.medium_url(medium.id, settings.secret, settings.base_url)  # noqa: E731
    mine = scan(client, worker, label(first), key="shared-key", action="store", context=cast.cabinet.code)
    assert mine.status_code == 200 and mine.get_json()["medium"]["id"] == first.id
    # On main, this answered with the first user's medium and stored nothing.
    theirs = scan(client, second_worker, label(second), key="shared-key", action="store", context=cast.cabinet.code)
    assert theirs.status_code == 200 and "replayed" not in theirs.get_json()
    assert theirs.get_json()["medium"]["id"] == second.id
    assert Medium.get_by_id(second.id).status == "stored"
    assert_verifies()


def test_the_same_key_and_request_replays_a_different_request_is_a_409(client, cast, worker, settings):
    medium = media.register(cast.worker, "KG26", "usb", "u", encrypted=True, encryption="AES")
    code = payload.medium_url(medium.id, settings.secret, settings.base_url)
    assert scan(client, worker, code, key="k1", action="store", context=cast.cabinet.code).status_code == 200
    events = ledger.head()
    again = scan(client, worker, code, key="k1", action="store", context=cast.cabinet.code, scanned_at="2026-11-25T01:00:00Z",
                 source="wedge")
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    other = media.register(cast.worker, "KG26", "usb", "v", encrypted=True, encryption="AES")
    events = ledger.head()
    body = refused(scan(client, worker, payload.medium_url(other.id, settings.secret, settings.base_url), key="k1",
                        action="store", context=cast.cabinet.code), 409)
    assert body["error"] == "idempotency_key_reused" and "冪等キー" in body["message_ja"] and "idempotency_key" in body["message_en"]
    assert ledger.head() == events and Medium.get_by_id(other.id).status == "received"


def test_verify_matches_scan_receipts_with_their_events(client, cast, worker, settings):
    medium = media.register(cast.worker, "KG26", "usb", "u", encrypted=True, encryption="AES")
    code = payload.medium_url(medium.id, settings.secret, settings.base_url)
    assert scan(client, worker, code, key="k1", action="store", context=cast.cabinet.code).status_code == 200
    assert scan(client, worker, code, key="k2").status_code == 200  # a lookup writes no event
    receipt = ScanReceipt.get(ScanReceipt.event_seq.is_null(False))
    stored = ledger.timeline(medium.id)[-1]
    assert receipt.event_seq == stored.seq and stored.data_dict["receipt"] == receipt.idempotency_key
    assert_verifies()

    ScanReceipt.update(event_seq=stored.seq - 1).where(ScanReceipt.idempotency_key == receipt.idempotency_key).execute()
    assert "scan receipt" in str(ledger.verify().problems[0])
    ScanReceipt.delete().where(ScanReceipt.idempotency_key == receipt.idempotency_key).execute()
    problems = ledger.verify().problems
    assert len(problems) == 1 and problems[0].event_seq == stored.seq and "missing" in problems[0].message_en


# ---- authorise first, then work --------------------------------------------------------------


def test_a_removed_worker_is_refused_before_any_upload_is_read(client, cast, worker, monkeypatch):
    number = client.post("/api/v1/handovers", headers=worker, json={
        "contract": "KG26", "direction": "receive", "handover_at": "2026-11-25T10:00", "place": "市役所", "means": "手渡し",
        "city_official": "高橋"}).get_json()["number"]
    roster.remove(cast.responsible, "KG26", "sato")
    from tracker.workflows import handover_list

    monkeypatch.setattr(handover_list, "parse", lambda *_: pytest.fail("the list was parsed before the permission check"))
    monkeypatch.setattr("flask.Request.files", property(lambda self: pytest.fail("the upload was read before the permission check")))
    bomb = png_header(7000, 7000)
    response = client.post(f"/api/v1/handovers/{number}/list", headers=worker,
                           data={"list": (io.BytesIO(bomb * 4), "list.xlsx")}, content_type="multipart/form-data")
    assert refused(response, 403)["error"] == "not_allowed"


def test_a_removed_worker_posting_huge_photos_as_evidence_gets_a_403_at_once(client, cast, worker, monkeypatch):
    from tracker.workflows import destruction

    monkeypatch.setattr(destruction, "get_application", lambda number: type("A", (), {"contract": "KG26", "number": number})())
    roster.remove(cast.responsible, "KG26", "sato")
    monkeypatch.setattr("scanner.images.load_image", lambda *_a, **_k: pytest.fail("a photo was decoded before the permission check"))
    monkeypatch.setattr("flask.Request.files", property(lambda self: pytest.fail("the upload was read before the permission check")))
    response = client.post("/api/v1/destructions/KG26-A0001/evidence", headers=worker,
                           data={"file": (io.BytesIO(png_header(7000, 7000)), "before.png"), "stage": "before"},
                           content_type="multipart/form-data")
    assert refused(response, 403)["error"] == "not_allowed"


def test_a_30000_square_signature_is_a_400_not_a_500(cast, settings):
    from tracker.errors import InvalidInput
    from tracker.workflows import destruction

    drawn = "data:image/png;base64," + base64.b64encode(png_header(30_000, 30_000)).decode()
    with pytest.raises(InvalidInput) as error:
        destruction.signature_png(drawn)
    assert "signature" in error.value.message_en


# ---- the OpenAPI document is the same declaration as the checks -----------------------------


def test_the_openapi_document_declares_what_is_checked(client):
    document = client.get("/api/v1/openapi.json").get_json()
    new_medium = document["components"]["schemas"]["NewMedium"]
    assert new_medium["additionalProperties"] is False
    assert set(new_medium["required"]) == {"contract", "kind", "title"}
    serial = new_medium["properties"]["serial_number"]["anyOf"][0]
    assert serial["type"] == "string" and serial["maxLength"] == 200
    scan_schema = document["components"]["schemas"]["Scan"]["properties"]
    assert scan_schema["source"]["enum"] == ["camera", "station", "wedge", "photo", "typed"] and scan_schema["source"]["default"] == "station"
    parameters = {parameter["name"]: parameter for parameter in document["paths"]["/api/v1/media"]["get"]["parameters"]}
    assert set(parameters) == {"q", "status", "kind", "contract", "location", "page", "after", "lang"}
    assert parameters["page"]["schema"]["minimum"] == 1
    json.dumps(document)  # serialisable as it is served


def test_an_undeclared_query_parameter_is_refused_like_an_unknown_field(client, cast, worker):
    body = refused(client.get("/api/v1/media?colour=red", headers=worker), 400, "colour")
    assert body["message_en"].startswith("URL parameter") and "unknown fields are refused" in body["message_en"]
    refused(client.get("/api/v1/verify?x=1", headers=worker), 400, "x")
    assert client.get("/api/v1/media?lang=en&page=1", headers=worker).status_code == 200
