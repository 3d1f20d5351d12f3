"""The JSON API: tokens, bilingual 4xx errors, idempotent scans, and an OpenAPI document that
describes every route."""

from __future__ import annotations

import uuid

import pytest

from labels import payload
from tracker import ledger
from tracker.models import ApiToken, Medium
from tracker.workflows import media, tokens


@pytest.fixture
def worker_token(cast):
    return tokens.create_token(cast.worker, "station-1")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def scan(client, token, code, action="lookup", location=None, key=None):
    return client.post("/api/v1/scans", headers=bearer(token),
                       json={"idempotency_key": key or str(uuid.uuid4()), "code": code, "action": action, "location": location})


def assert_bilingual_error(response, status):
    assert response.status_code == status
    body = response.get_json()
    assert body["error"] and body["message_ja"] and body["message_en"]
    return body


def test_missing_invalid_and_expired_tokens_are_401(client, cast, worker_token):
    assert_bilingual_error(client.get("/api/v1/media"), 401)
    assert_bilingual_error(client.get("/api/v1/media", headers=bearer("mt_nonsense")), 401)
    ApiToken.update(expires_at="2000-01-01T00:00:00.000000Z").execute()
    body = assert_bilingual_error(client.get("/api/v1/media", headers=bearer(worker_token)), 401)
    assert "expired" in body["message_en"]


def test_malformed_json_is_400_and_writes_nothing(client, cast, worker_token):
    before = ledger.head()
    response = client.post("/api/v1/media", headers={**bearer(worker_token), "Content-Type": "application/json"}, data="{not json")
    assert_bilingual_error(response, 400)
    assert_bilingual_error(client.post("/api/v1/scans", headers=bearer(worker_token), json=["a list"]), 400)
    assert ledger.head() == before


def test_register_and_read_a_medium(client, cast, worker_token):
    response = client.post("/api/v1/media", headers=bearer(worker_token),
                           json={"contract": "KG26", "kind": "usb", "title": "課税データ", "encrypted": True, "encryption": "AES-256", "record_count": 42})
    assert response.status_code == 201
    medium_id = response.get_json()["id"]
    assert client.get(f"/api/v1/media/{medium_id}", headers=bearer(worker_token)).get_json()["record_count"] == 42
    events = client.get(f"/api/v1/media/{medium_id}/events", headers=bearer(worker_token)).get_json()
    assert [event["kind"] for event in events] == ["medium.registered"]


def test_unknown_id_and_wrong_role_are_4xx(client, cast, worker_token):
    assert_bilingual_error(client.get("/api/v1/media/KG26-09999-Z", headers=bearer(worker_token)), 404)
    city_token = tokens.create_token(cast.city, "city")
    body = assert_bilingual_error(client.post("/api/v1/media", headers=bearer(city_token), json={"contract": "KG26", "kind": "usb", "title": "x"}), 403)
    assert "municipality" in body["message_en"]


def test_scan_store_is_recorded_once_per_idempotency_key(client, cast, worker_token, settings):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    code = payload.medium_url(medium.id, settings.secret, settings.base_url)
    key = str(uuid.uuid4())
    first = scan(client, worker_token, code, "store", cast.cabinet.code, key)
    assert first.status_code == 200 and first.get_json()["medium"]["status"] == "stored"
    events = ledger.head()[0]
    again = scan(client, worker_token, code, "store", cast.cabinet.code, key)
    assert again.status_code == 200 and again.get_json()["replayed"] is True
    assert ledger.head()[0] == events
    assert Medium.get_by_id(medium.id).status == "stored"


def test_scan_of_forged_or_foreign_labels_is_refused(client, cast, worker_token, settings):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    forged = payload.medium_url(medium.id, b"x" * 32, settings.base_url)
    body = assert_bilingual_error(scan(client, worker_token, forged), 400)
    assert body["reason"] == "forged"
    body = assert_bilingual_error(scan(client, worker_token, "https://example.com/some/page"), 400)
    assert body["reason"] == "not_ours"


def test_store_without_a_location_context_is_refused(client, cast, worker_token, settings):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    code = payload.medium_url(medium.id, settings.secret, settings.base_url)
    assert_bilingual_error(scan(client, worker_token, code, "store"), 400)
    assert Medium.get_by_id(medium.id).status == "received"


def test_openapi_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    described = {(path, method) for path, operations in document["paths"].items() for method in operations}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in described, f"{method} {path} is not in openapi.json"


def test_verify_endpoint(client, cast, worker_token):
    body = client.get("/api/v1/verify", headers=bearer(worker_token)).get_json()
    assert body == {"ok": True, "events": ledger.head()[0], "head": ledger.head()[1], "problems": []}


def test_verify_endpoint_on_a_tampered_ledger_names_each_problem(client, cast, worker_token, database):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    media.store(cast.worker, medium.id, cast.cabinet.code)
    stored = ledger.timeline(medium.id)[-1]
    from tracker.models import Event

    Event.update(data='{"location":"LOC-09999-X"}').where(Event.seq == stored.seq).execute()
    Medium.update(status="destroyed").where(Medium.id == medium.id).execute()
    response = client.get("/api/v1/verify", headers=bearer(worker_token))
    assert response.status_code == 200
    assert response.get_json() == {
        "ok": False, "events": stored.seq, "head": stored.hash,
        "problems": [
            {"event": stored.seq, "message_ja": "イベント「medium.stored」の内容がハッシュと一致しません（改ざんの疑い）",
             "message_en": "event 'medium.stored' does not match its hash (altered)"},
            {"event": stored.seq, "message_ja": f"medium {medium.id} の status が台帳の記録と一致しません（直接編集の疑い）",
             "message_en": f"medium {medium.id}: status differ from the ledger (edited directly)"},
        ],
    }
