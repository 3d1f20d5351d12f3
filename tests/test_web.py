"""The web skeleton: login everywhere but the login page, language switch, pages and actions."""

from __future__ import annotations

import re

from conftest import csrf, login, login_csrf
from labels import payload
from tracker.models import Medium
from tracker.web import certificate, custody
from tracker.workflows import media

SAMPLE_ARGUMENTS = {"sha256": "0" * 64, "contract_code": "KG26", "medium_id": "KG26-00001-7", "signature": "AAAAAAAA", "location_id": "LOC-00001-W", "code": "LOC-00001-W", "number": "KG26-H0001", "serial": "KG26-D00001", "role": "worker", "login": "sato", "token_id": "0123456789ab"}


def test_every_page_but_login_requires_login(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        # The certificate page is for phones before they can log in (it shows only the public CA);
        # a paper's verification page is for anyone holding the paper (only its proof: test_public_verification).
        if rule.endpoint in ("static", "auth.login", *certificate.PUBLIC_ENDPOINTS, *custody.PUBLIC_ENDPOINTS) or rule.endpoint.startswith("api."):
            continue
        url = rule.build({name: SAMPLE_ARGUMENTS[name] for name in rule.arguments})[1] if rule.arguments else rule.rule
        for method in rule.methods & {"GET", "POST"}:
            response = client.open(url, method=method)
            # Back to the same page after logging in (a phone that scanned a label lands on the medium).
            assert response.status_code == 302 and response.headers["Location"] == f"/login?next={url}", (rule.rule, method)
            checked += 1
    assert checked >= 8


def test_login_page_is_public_and_wrong_password_refused(client):
    assert client.get("/login").status_code == 200
    response = client.post("/login", data={"login": "sato", "password": "wrong-password", "csrf_token": login_csrf(client)})
    assert response.status_code == 401
    assert "ログインIDまたはパスワードが違います" in response.get_data(as_text=True)
    assert "wrong login or password" not in response.get_data(as_text=True)  # the reader's language only
    client.get("/login?lang=en")
    response = client.post("/login", data={"login": "sato", "password": "wrong-password", "csrf_token": login_csrf(client)})
    assert "wrong login or password" in response.get_data(as_text=True)
    assert "ログインIDまたはパスワードが違います" not in response.get_data(as_text=True)
    client.get("/login?lang=ja")


def test_dashboard_in_japanese_then_english(client, cast):
    media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    login(client, "sato")
    page = client.get("/").get_data(as_text=True)
    assert "ダッシュボード" in page and "受領後まだ保管されていない媒体" in page
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Dashboard" in page and "Received, not yet stored" in page
    assert "No media match" not in client.get("/media").get_data(as_text=True)
    assert "Labels for ticked media" in client.get("/media").get_data(as_text=True)


def test_media_search_and_filters(client, cast):
    first = media.register(cast.worker, "KG26", "usb", "課税データ", serial_number="SN-777", encrypted=True, encryption="AES")
    media.register(cast.worker, "KG26", "paper", "給与支払報告書")
    media.store(cast.worker, first.id, cast.cabinet.code)
    login(client, "sato")
    assert first.id in client.get("/media?q=SN-777").get_data(as_text=True)
    page = client.get("/media?status=received").get_data(as_text=True)
    assert "給与支払報告書" in page and first.id not in page
    page = client.get(f"/media?location={cast.cabinet.code}").get_data(as_text=True)
    assert first.id in page


def test_medium_page_shows_history_and_allowed_actions(client, cast):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    login(client, "sato")
    page = client.get(f"/media/{medium.id}").get_data(as_text=True)
    assert "媒体受領・登録" in page and "保管する" in page and "持ち出す" not in page
    token = csrf(client)
    response = client.post(f"/media/{medium.id}/store", data={"location": cast.cabinet.code, "csrf_token": token})
    assert response.status_code == 302
    page = client.get(f"/media/{medium.id}").get_data(as_text=True)
    assert "保管（第7条第1号）" in page and "持ち出す" in page
    assert Medium.get_by_id(medium.id).status == "stored"


def test_municipality_reads_but_gets_no_custody_buttons(client, cast):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    login(client, "takahashi")
    page = client.get(f"/media/{medium.id}").get_data(as_text=True)
    assert medium.id in page and "保管する" not in page


def test_post_without_csrf_token_is_refused_and_writes_nothing(client, cast):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    login(client, "sato")
    response = client.post(f"/media/{medium.id}/store", data={"location": cast.cabinet.code})
    assert response.status_code == 400
    assert "有効期限" in response.get_data(as_text=True) and "the form expired" not in response.get_data(as_text=True)
    assert Medium.get_by_id(medium.id).status == "received"


def test_label_url_opens_the_medium_in_any_letter_case(client, cast, settings):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    url = payload.medium_url(medium.id, settings.secret, settings.base_url)
    path = re.sub(r"^HTTPS?://[^/]+", "", url)
    login(client, "sato")
    for variant in (path, path.lower()):
        response = client.get(variant)
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/media/{medium.id}")


def test_forged_label_url_is_refused_with_reason(client, cast, settings):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    foreign = payload.medium_url(medium.id, b"another installation's secret....", settings.base_url)
    path = re.sub(r"^HTTPS?://[^/]+", "", foreign)
    login(client, "sato")
    response = client.get(path)
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "偽造" in text and medium.id in text


def test_anonymous_label_scan_goes_to_login_then_back(client, cast, settings):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    response = client.get(f"/media/{medium.id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/login?next=/media/{medium.id}"
    response = client.post("/login?next=/media/" + medium.id, data={"login": "sato", "password": "correct-horse-9",
                                                                   "csrf_token": login_csrf(client)})
    assert response.headers["Location"].endswith(f"/media/{medium.id}")


def test_login_does_not_redirect_off_site(client, cast):
    response = client.post("/login?next=//evil.example/", data={"login": "sato", "password": "correct-horse-9",
                                                               "csrf_token": login_csrf(client)})
    assert response.headers["Location"] == "/"


def test_a_new_worker_signs_the_pledge_in_the_app_and_may_then_act(client, cast):
    from tracker.workflows import pledges

    cast.rostered(cast.responsible, "KG26", "suzuki", "worker")
    login(client, "suzuki")
    page = client.get("/").get_data(as_text=True)
    assert "誓約書が未提出" in page
    page = client.get("/pledges/KG26").get_data(as_text=True)
    assert "誓約書（従事者）" in page and pledges.form_for("KG26", "worker")[2] in page and "小金井市長 様" in page
    response = client.post("/pledges/KG26", data={"csrf_token": csrf(client)})
    assert response.status_code == 302
    assert "誓約書が未提出" not in client.get("/").get_data(as_text=True)
    assert media.register(cast.newcomer, "KG26", "paper", "原票").status == "received"


def test_medium_page_shows_the_label_and_reprint_records_an_event(client, cast):
    from tracker import ledger

    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    login(client, "sato")
    page = client.get(f"/media/{medium.id}").get_data(as_text=True)
    assert "ラベルを再印刷" in page
    svg = client.get(f"/media/{medium.id}/label.svg")
    assert svg.mimetype == "image/svg+xml" and medium.id in svg.get_data(as_text=True)
    response = client.post("/labels", data={"csrf_token": csrf(client), "medium": medium.id, "scope": "selected", "layout": "ql-62"})
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert ledger.timeline(medium.id)[-1].kind == "label.printed"
    assert Medium.get_by_id(medium.id).labels_printed == 1


def test_labels_for_a_whole_search_result(client, cast):
    wanted = [media.register(cast.worker, "KG26", "paper", f"原票{n}").id for n in range(3)]
    media.register(cast.worker, "KG26", "usb", "別の媒体", encrypted=True, encryption="AES")
    login(client, "sato")
    response = client.post("/labels", data={"csrf_token": csrf(client), "scope": "search", "q": "原票", "layout": "a4-24"})
    assert response.mimetype == "application/pdf"
    assert all(Medium.get_by_id(medium_id).labels_printed == 1 for medium_id in wanted)
    assert Medium.select().where(Medium.title == "別の媒体").get().labels_printed == 0


def test_bad_label_requests_say_why_and_record_nothing(client, cast):
    from tracker import ledger

    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    login(client, "sato")
    before = ledger.head()
    for form in ({"medium": medium.id, "layout": "no-such"}, {"medium": medium.id, "layout": "a4-24", "start": "99"}, {"layout": "a4-24"}):
        response = client.post("/labels", data={"csrf_token": csrf(client), "scope": "selected", **form}, follow_redirects=True)
        assert response.mimetype == "text/html" and "flash error" in response.get_data(as_text=True)
    assert ledger.head() == before


def test_municipality_cannot_print_labels(client, cast):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES")
    login(client, "takahashi")
    assert "ラベルを再印刷" not in client.get(f"/media/{medium.id}").get_data(as_text=True)
    response = client.post("/labels", data={"csrf_token": csrf(client), "medium": medium.id, "scope": "selected"}, follow_redirects=True)
    assert "flash error" in response.get_data(as_text=True)
    assert Medium.get_by_id(medium.id).labels_printed == 0
