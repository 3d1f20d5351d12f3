"""The roster page: apply, the city's decision with its own login, the roster paper reissued,
pledge forms printed, signed sheets uploaded, handed over and confirmed; refusals on the page."""

from __future__ import annotations

import io

from PIL import Image

from tests.conftest import csrf, login
from tracker import ledger
from tracker.models import Document, Pledge, RosterEntry
from tracker.workflows import media


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 560), "white").save(buffer, "JPEG")
    return buffer.getvalue()


def post(client, url, data, **kwargs):
    response = client.post(url, data={"csrf_token": csrf(client), **data}, **kwargs)
    assert response.status_code == 302, response.data
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_apply_decide_sign_hand_over_confirm(app, cast):
    contractor, city = app.test_client(), app.test_client()
    login(contractor, "yamada")
    login(city, "takahashi")
    page = post(contractor, "/contracts/KG26/roster/applications",
                {"change": "add", "login": "suzuki", "role": "worker", "employment_type": "dispatched",
                 "employer": "株式会社人材派遣", "reason": "繁忙期の増員"})
    assert "申請しました" in page and "KG26-R0003" in page and "市の承認待ち" in page

    before = ledger.head()  # refused before the form is read: a 403 page saying why (tracker/web/authorization.py)
    refused = contractor.post("/roster/KG26-R0003/decision", data={"csrf_token": csrf(contractor), "decision": "approve"})
    assert refused.status_code == 403
    assert "承認・立会いは委託者（市）の職員だけが行えます" in refused.get_data(as_text=True) and ledger.head() == before

    page = post(city, "/roster/KG26-R0003/decision", {"decision": "approve"})
    assert "承認しました" in page and "KG26-R0003-承認" in page
    assert RosterEntry.get_by_id("KG26/suzuki").employment_type == "dispatched"
    assert Document.select().where((Document.kind == "roster") & (Document.contract == "KG26")).count() == 1

    form = contractor.get("/contracts/KG26/pledges/worker.pdf")
    assert form.status_code == 200 and form.mimetype == "application/pdf"

    before = ledger.head()
    page = post(contractor, "/contracts/KG26/pledges/sheets",
                {"signer": "suzuki", "signed_on": "2026-11-20", "file": (io.BytesIO(b"plain text"), "sheet.txt")},
                content_type="multipart/form-data")
    assert "画像（JPEG・PNG など）でもPDFでもありません" in page and ledger.head() == before
    page = post(contractor, "/contracts/KG26/pledges/sheets",
                {"signer": "suzuki", "signed_on": "2026-11-20", "file": (io.BytesIO(jpeg()), "sheet.jpg")},
                content_type="multipart/form-data")
    assert "署名済みの誓約書を登録しました（1 名）" in page and "市へ未提出" in page
    pledge = Pledge.get(Pledge.user == "suzuki")
    page = post(contractor, "/contracts/KG26/pledges/submission",
                {"pledge": pledge.key, "submitted_on": "2026-11-24", "how": "hand", "receiver": "高橋 美咲"})
    assert "市への提出を記録しました" in page and "市の確認待ち" in page

    page = city.get("/contracts/KG26/roster").get_data(as_text=True)
    assert "受領を確認する" in page
    sheet = city.get(f"/contracts/KG26/pledges/sheets/{pledge.sheet}")
    assert sheet.status_code == 200 and sheet.mimetype == "image/jpeg" and sheet.data == jpeg()
    page = post(city, "/contracts/KG26/pledges/confirmation", {"pledge": pledge.key})
    assert "誓約書の受領を確認しました" in page and "市が受領確認" in page
    assert media.register(cast.newcomer, "KG26", "paper", "原票").status == "received"


def test_the_dashboards_show_what_waits(app, cast):
    contractor, city, newcomer = app.test_client(), app.test_client(), app.test_client()
    login(contractor, "yamada")
    login(city, "takahashi")
    login(newcomer, "suzuki")
    post(contractor, "/contracts/KG26/roster/applications", {"change": "add", "login": "suzuki", "role": "worker",
                                                            "employment_type": "regular"})
    assert "名簿への追加は市の承認待ちです" in newcomer.get("/").get_data(as_text=True)
    assert "誓約書（従事者）" in newcomer.get("/pledges/KG26").get_data(as_text=True)
    form = newcomer.get("/contracts/KG26/pledges/worker.pdf?login=sato")
    assert form.status_code == 200 and form.mimetype == "application/pdf"  # their own name only, whatever was asked
    assert newcomer.get("/contracts/KG26/roster").status_code == 403
    page = city.get("/").get_data(as_text=True)
    assert "市の承認・確認待ちの名簿の変更" in page and "鈴木 一郎" in page
    page = post(contractor, "/contracts/KG26/roster/removal", {"login": "sato", "reason": "異動"})
    assert "名簿から外し、市に報告しました" in page
    assert "報告済（市の確認待ち）" in city.get("/").get_data(as_text=True)


def test_work_places_and_training_pages(app, cast):
    from tracker.models import TrainingSession, WorkPlace
    from tracker.workflows import places

    contractor, city = app.test_client(), app.test_client()
    login(contractor, "yamada")
    login(city, "takahashi")
    annex = places.create_location(cast.admin, "別館作業室", "room", "work", site="別館", room="1F")
    page = post(contractor, "/contracts/KG26/work-places", {"action": "report", "location": annex.code, "address": "東京都小金井市本町2-2",
                                                            "security_measures": "施錠、入退室記録"})
    assert "作業場所を市に報告しました" in page and "報告済（市の確認待ち）" in page
    before = ledger.head()
    page = post(contractor, "/contracts/KG26/work-places", {"action": "acknowledge", "location": annex.code})
    assert "承認・立会いは委託者（市）の職員だけが行えます" in page and ledger.head() == before
    page = post(city, "/contracts/KG26/work-places", {"action": "acknowledge", "location": annex.code})
    assert "作業場所を確認しました" in page and WorkPlace.get_by_id(f"KG26/{annex.code}").status == "acknowledged"

    page = post(contractor, "/contracts/KG26/training", {"action": "session", "held_on": "2026-11-02", "content": "個人情報の取扱い研修",
                                                         "trainer": "山田 太郎", "attendee": ["yamada", "suzuki"]})
    assert "名簿にありません" in page and TrainingSession.select().count() == 0
    page = post(contractor, "/contracts/KG26/training", {"action": "session", "held_on": "2026-11-02", "content": "個人情報の取扱い研修",
                                                         "trainer": "山田 太郎", "attendee": ["yamada", "sato"]})
    assert "教育の実施を記録しました" in page and "佐藤 花子（未確認）" in page
    worker = app.test_client()
    login(worker, "sato")
    page = post(worker, "/contracts/KG26/training", {"action": "confirm", "session": "KG26-E0001"})
    assert "受講を確認しました" in page and "佐藤 花子（確認済）" in page

    city_room = places.create_location(cast.admin, "第二庁舎 801", "room", "work", site="小金井市役所")
    post(city, "/contracts/KG26/work-places", {"action": "designate", "location": city_room.code, "address": "小金井市本町6-6-3",
                                              "city_premises": "on"})
    page = post(contractor, "/contracts/KG26/work-places", {"action": "badge", "login": "sato", "number": "MD-0007"})
    assert "身分証明書の発行を記録しました" in page
    assert "身分証明書 MD-0007" in contractor.get("/contracts/KG26/roster").get_data(as_text=True)

    for client in (contractor, city):
        for path in ("/contracts/KG26/roster", "/contracts/KG26/work-places", "/contracts/KG26/training", "/contracts/KG26/inspection", "/"):
            for lang in ("ja", "en"):
                assert client.get(f"{path}?lang={lang}").status_code == 200, (path, lang)
