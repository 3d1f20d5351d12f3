"""Storage checks, incidents and the inspection view over HTTP and the JSON API, as people use
them on their phones — and a scanning station whose offline queue holds the completion back."""

from __future__ import annotations

import io
from datetime import datetime, timezone

from conftest import csrf, login
from labels.payload import location_url, medium_url
from scanner.outbox import RemoteSink
from scanner.station import ConsoleFeedback, Scan, Station
from tracker import ledger
from tracker.models import Incident, Medium
from tracker.timeutil import clock_at
from tracker.workflows import checks, media, places, tokens

BASE = "http://mediatrail.test"


def post(client, url, data=None, **kwargs):
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def usb(cast, title, location=None):
    return media.register(cast.worker, "KG26", "usb", title, encrypted=True, encryption="AES", pi_items=["氏名"],
                          record_count=10, location=location or cast.cabinet.code)


def test_a_check_on_phones_from_the_place_label_to_the_signed_report(app, cast, settings):
    worker, responsible, city = (login(app.test_client(), name) for name in ("sato", "yamada", "takahashi"))
    present, gone = usb(cast, "課税データ 1"), usb(cast, "課税データ 2")
    assert post(responsible, f"/locations/{cast.cabinet.code}/check-interval", {"days": "30"}).status_code == 302
    assert places.get_location(cast.cabinet.code).check_interval_days == 30

    # A work place's label is refused with the reason; the cabinet's label starts the check.
    page = post(worker, "/checks/start", {"codes": location_url(cast.work_room.code, settings.secret, BASE)}, follow_redirects=True)
    assert "作業場所" in page.get_data(as_text=True)
    response = post(worker, "/checks/start", {"codes": location_url(cast.cabinet.code, settings.secret, BASE) + "\n"})
    assert response.headers["Location"].endswith("/checks/CHK-00001")
    page = worker.get("/checks/CHK-00001").get_data(as_text=True)
    assert "checks.js" in page and "check-device" in page and gone.id in page

    # The responsible person's phone holds two codes not yet sent: its heartbeat says so.
    beat = post(responsible, "/checks/CHK-00001/device", {"device": "phone-b", "pending": "2", "device_name": "山田のスマホ"})
    assert beat.get_json() == {"ok": True, "waiting": ["phone-b"]}
    page = post(worker, "/checks/CHK-00001/scan", {"codes": f"{medium_url(present.id, settings.secret, BASE)}\nWIFI:S:office;;",
                                                  "device": "phone-a", "pending": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "所在を確認しました" in page and "当システムのラベルではありません" in page
    refused = post(worker, "/checks/CHK-00001/complete", {"accuracy_method": "抽出確認", "accuracy_result": "一致"},
                   follow_redirects=True).get_data(as_text=True)
    assert "送信待ち" in refused and "山田のスマホ" in refused and checks.get_check("CHK-00001").status == "open"
    post(responsible, "/checks/CHK-00001/device", {"device": "phone-b", "pending": "0"})
    page = post(worker, "/checks/CHK-00001/complete", {"accuracy_method": "抽出確認", "accuracy_result": "一致", "seals_intact": "on"},
                follow_redirects=True).get_data(as_text=True)
    assert "点検を完了しました" in page and "KG26-I0001" in page
    assert Medium.get_by_id(gone.id).status == "lost"

    # The city sees the incident at once, may read the check, and cannot act on it.
    dashboard = city.get("/").get_data(as_text=True)
    assert "KG26-I0001" in dashboard and "未報告" in dashboard
    city_view = city.get("/checks/CHK-00001")
    assert city_view.status_code == 200
    assert "CHK-00001" in city_view.get_data(as_text=True) and gone.id in city_view.get_data(as_text=True)
    refused = post(city, "/checks/CHK-00001/sign-off", follow_redirects=True).get_data(as_text=True)
    assert "委託者（市）の職員は媒体を保管・取扱いしません" in refused and checks.get_check("CHK-00001").status == "completed"

    page = post(responsible, "/checks/CHK-00001/sign-off", follow_redirects=True).get_data(as_text=True)
    assert "保管状況点検報告" in page and "KG26-D00001" in page
    report = city.get("/checks/CHK-00001/report/KG26.pdf")
    assert report.mimetype == "application/pdf" and report.data.startswith(b"%PDF")

    # The inspection page: holdings, the last check, the open incident, the ledger verified.
    inspection = city.get("/contracts/KG26/inspection").get_data(as_text=True)
    for expected in ("台帳の検証: 正常", "施錠キャビネットA", "CHK-00001", "KG26-I0001", present.id, "/contracts/KG26/balance",
                     "/register?contract=KG26"):
        assert expected in inspection, expected
    # The medium's page links its incident; a worker may record it found again.
    assert "KG26-I0001" in city.get(f"/media/{gone.id}").get_data(as_text=True)
    assert "発見を記録する" in worker.get(f"/media/{gone.id}").get_data(as_text=True)
    assert "所在不明として届け出る" in worker.get(f"/media/{present.id}").get_data(as_text=True)
    assert ledger.verify(settings.attachments_dir).ok


def test_an_incident_page_refuses_a_report_without_steps_then_issues_it(app, cast, settings):
    worker, responsible = login(app.test_client(), "sato"), login(app.test_client(), "yamada")
    medium = usb(cast, "課税データ")
    response = post(worker, f"/media/{medium.id}/lost", {"circumstances": "キャビネットに見当たらない"})
    assert response.headers["Location"].endswith("/incidents/KG26-I0001")
    page = post(responsible, "/incidents/KG26-I0001/preliminary", follow_redirects=True).get_data(as_text=True)
    assert "対応計画" in page and Incident.get_by_id("KG26-I0001").status == "draft"
    post(responsible, "/incidents/KG26-I0001", {
        "summary": "USBの所在不明", "circumstances": "点検で発覚", "step_action": ["捜索", ""], "step_owner": ["山田", ""],
        "step_deadline": ["2026-12-01", ""], "step_done": ["", ""]})
    assert Incident.get_by_id("KG26-I0001").response_steps[0]["owner"] == "山田"
    page = post(responsible, "/incidents/KG26-I0001/preliminary", follow_redirects=True).get_data(as_text=True)
    assert "速報を発行しました" in page and "KG26-D00001" in page
    assert "KG26-I0001" in worker.get("/incidents").get_data(as_text=True)


def test_the_dashboard_shows_an_overdue_check_per_place_and_contract(app, cast):
    usb(cast, "課税データ")
    places.set_check_interval(cast.admin, cast.cabinet.code, 30)
    with clock_at(datetime(2099, 1, 1, tzinfo=timezone.utc)):  # logged in then: a session idle for decades ends
        client = login(app.test_client(), "takahashi")
        page = client.get("/").get_data(as_text=True)
    assert "保管状況の点検" in page and "施錠キャビネットA" in page and "KG26" in page and "期限超過" in page


class TestClientSession:
    """``requests.Session`` as far as RemoteSink uses it, answered by the Flask test client."""

    __test__ = False

    def __init__(self, client):
        self.client = client
        self.headers = {}

    def post(self, url, json=None, timeout=None):
        return _Reply(self.client.post(url.removeprefix(BASE), json=json, headers=self.headers))


class _Reply:
    def __init__(self, response):
        self.status_code = response.status_code
        self.json = response.get_json  # requests has a method where werkzeug has a property


def test_a_station_queue_holds_the_completion_back_until_it_is_sent(app, cast, settings, tmp_path):
    present = usb(cast, "課税データ")
    client = app.test_client()
    station_token = tokens.create_token(cast.worker, "station 2F")
    phone = {"Authorization": f"Bearer {tokens.create_token(cast.responsible, 'phone')}"}
    sink = RemoteSink(BASE, station_token, tmp_path / "outbox", session=TestClientSession(client))
    assert sink.report_queue("check", cast.cabinet.code) is True  # no check open there: nothing to wait for

    started = client.post("/api/v1/checks", json={"location": cast.cabinet.code}, headers=phone)
    assert started.status_code == 201 and started.get_json()["expected"] == [present.id]
    number = started.get_json()["number"]

    # Offline: the station's scan waits in its outbox; once it reports, completion waits for it.
    sink._enqueue({"idempotency_key": "k-1", "code": medium_url(present.id, settings.secret, BASE), "action": "check",
                   "location": cast.cabinet.code, "context": None, "scanned_at": "2026-11-25T00:00:00Z"})
    station = Station(sink, settings.secret, "check", feedback=ConsoleFeedback(io.StringIO()))
    station.location_context = cast.cabinet.code
    sink.drain = lambda: None  # still offline while it reports
    station._drain()
    body = {"accuracy_method": "目視", "accuracy_result": "一致"}
    refused = client.post(f"/api/v1/checks/{number}/complete", json=body, headers=phone)
    assert refused.status_code == 409 and "station" in refused.get_json()["message_en"]
    assert client.get(f"/api/v1/checks/{number}", headers=phone).get_json()["waiting_devices"] == [sink.device_id()]

    del sink.drain  # back online: the queue drains, the station reports an empty queue
    station._drain()
    assert sink.pending() == []
    found = client.get(f"/api/v1/checks/{number}", headers=phone).get_json()
    assert found["reconciliation"]["found"] == [present.id] and found["waiting_devices"] == []
    done = client.post(f"/api/v1/checks/{number}/complete", json=body, headers=phone)
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    late = sink.record(Scan(text=medium_url(present.id, settings.secret, BASE), format="qr", medium=present.id, location=None,
                            valid=True, reason=None, action="check", location_context=cast.cabinet.code))
    assert not late.ok and "点検が行われていません" in late.message_ja  # refused: not taken into a closed check
    assert checks.open_check_at(cast.cabinet.code) is None  # nor the start of a new one

    schedule = client.get("/api/v1/checks/schedule", headers=phone).get_json()
    # the place sets no interval: Koganei's provisions' 90 days count from this check
    assert (schedule[0]["last_check"], schedule[0]["state"], schedule[0]["interval_days"]) == (number, "ok", 90)
    overview = client.get("/api/v1/contracts/KG26/inspection", headers=phone).get_json()
    assert overview["ledger"]["ok"] and overview["checks"][0]["last_check"] == number


def test_incidents_over_the_api(app, cast):
    medium = usb(cast, "課税データ")
    client = app.test_client()
    worker = {"Authorization": f"Bearer {tokens.create_token(cast.worker, 'phone')}"}
    responsible = {"Authorization": f"Bearer {tokens.create_token(cast.responsible, 'phone')}"}
    opened = client.post(f"/api/v1/media/{medium.id}/lost", json={"circumstances": "見当たらない"}, headers=worker)
    assert opened.status_code == 201 and opened.get_json()["status"] == "draft"
    number = opened.get_json()["number"]
    refused = client.post(f"/api/v1/incidents/{number}/preliminary", headers=responsible)
    assert refused.status_code == 400 and "response steps" in refused.get_json()["message_en"]
    updated = client.post(f"/api/v1/incidents/{number}", headers=responsible, json={
        "summary": "所在不明", "circumstances": "点検で発覚",
        "response_steps": [{"action": "捜索", "owner": "山田", "deadline": "2026-12-01"}]})
    assert updated.status_code == 200 and len(updated.get_json()["response_steps"]) == 1
    assert client.post(f"/api/v1/incidents/{number}", headers=worker, json={"cause": "x"}).status_code == 403
    found = client.post(f"/api/v1/media/{medium.id}/found", json={"location": cast.cabinet.code}, headers=worker)
    assert found.status_code == 200 and found.get_json()["status"] == "stored"
    assert [row["number"] for row in client.get("/api/v1/incidents", headers=worker).get_json()] == [number]
