"""A city witness at a destruction confirms with their own credentials (issue #11): on the
contractor's phone the official types their own login and password, like a handover's
confirmation; a wrong password, another city's official or a contractor alone records nothing."""

from __future__ import annotations

from conftest import PASSWORD, csrf, login
from test_destruction import DESTROY_HDD, apply_for, signature_url, three  # noqa: F401 - three is a fixture
from tracker.models import Event
from tracker.workflows import destruction, people


def witness_form(client, number, **fields):
    return client.post(f"/destructions/{number}/witness", data={"csrf_token": csrf(client), **fields}, follow_redirects=True)


def test_the_official_types_their_own_password_on_the_contractors_phone(app, cast, three):
    number = destruction.decide(cast.city, apply_for(cast, [three[0]], items=[{"medium": three[0], **DESTROY_HDD}]).number, True).number
    people.create_user(cast.admin, "kobayashi", "小林 健一", "municipality", PASSWORD, organisation="三鷹市 健康推進課")
    phone = login(app.test_client(), "sato")
    page = phone.get(f"/destructions/{number}/execute").get_data(as_text=True)
    assert 'name="password"' in page and 'name="name"' not in page

    before = Event.select().where(Event.kind == "destruction.witnessed").count()
    wrong = witness_form(phone, number, login="takahashi", password="not-the-password", signature=signature_url())
    assert "ログインIDまたはパスワードが違います" in wrong.get_data(as_text=True)
    other_city = witness_form(phone, number, login="kobayashi", password=PASSWORD, signature=signature_url())
    assert "小林 健一 さん（三鷹市 健康推進課）は契約「住民税課税資料入力業務委託」の委託者（小金井市）の職員ではありません" \
        in other_city.get_data(as_text=True)
    contractor = witness_form(phone, number, login="yamada", password=PASSWORD, signature=signature_url())
    assert "承認・立会いは委託者（市）の職員だけが行えます" in contractor.get_data(as_text=True)
    assert Event.select().where(Event.kind == "destruction.witnessed").count() == before
    assert destruction.get_application(number).witnessed_at is None

    done = witness_form(phone, number, login="takahashi", password=PASSWORD, signature=signature_url())
    assert "立会いを記録しました" in done.get_data(as_text=True)
    recorded = destruction.get_application(number)
    assert recorded.witness == "takahashi" and recorded.witnessed_at and recorded.witness_signature


def test_the_api_takes_the_witness_only_from_the_citys_own_token(app, cast, three):
    from tracker.workflows import tokens

    number = destruction.decide(cast.city, apply_for(cast, [three[0]], items=[{"medium": three[0], **DESTROY_HDD}]).number, True).number
    client = app.test_client()
    worker = {"Authorization": f"Bearer {tokens.create_token(cast.worker, 'phone')}"}
    before = Event.select().count()
    response = client.post(f"/api/v1/destructions/{number}/witness", headers=worker, json={"signature": signature_url()})
    assert response.status_code == 403
    assert response.get_json()["message_en"] == "only municipality staff may approve or witness"
    assert response.get_json()["message_ja"] == "承認・立会いは委託者（市）の職員だけが行えます"
    response = client.post(f"/api/v1/destructions/{number}/witness", headers=worker, json={"name": "高橋"})
    assert response.status_code == 403  # who asks is answered before the body
    assert Event.select().count() == before
    city = {"Authorization": f"Bearer {tokens.create_token(cast.city, 'tablet')}"}
    assert client.post(f"/api/v1/destructions/{number}/witness", headers=city, json={"name": "高橋"}).status_code == 400
    answer = client.post(f"/api/v1/destructions/{number}/witness", headers=city, json={})
    assert answer.status_code == 200 and answer.get_json()["witness"] == "takahashi"
