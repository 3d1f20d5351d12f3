"""Checks that always end (issue #11): a code of another contract or not of the place is noted and
never blocks completion; each contract completes and signs off its own part of a shared place's
check; an open check can be abandoned with a reason by the responsible person or an admin, and
the place is free again. Refusals say why in Japanese and English and write nothing."""

from __future__ import annotations

import json

import pytest

from conftest import PASSWORD, csrf, login
from tracker import ledger
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import Event, Incident, Medium
from tracker.workflows import checks, media, people, places, tokens

CHECK_DONE = {"accuracy_method": "抽出5件を原票と照合", "accuracy_result": "相違なし"}


@pytest.fixture
def mitaka(cast):
    """MT26 of Mitaka City: ito its responsible person, kudo its worker, a medium in another cabinet."""
    people.create_contract(None, "MT26", "健康診査データ入力業務委託", "三鷹市")
    ito = people.create_user(cast.admin, "ito", "伊藤 次郎", "contractor", PASSWORD)
    kudo = people.create_user(cast.admin, "kudo", "工藤 五郎", "contractor", PASSWORD)
    cast.rostered(cast.admin, "MT26", "ito", "responsible")
    people.sign_pledge(ito, "MT26")
    cast.rostered(ito, "MT26", "kudo", "worker")
    people.sign_pledge(kudo, "MT26")
    safe = places.create_location(cast.admin, "金庫B", "safe", "storage", site="別館")
    elsewhere = media.register(kudo, "MT26", "paper", "健診結果票", location=safe.code)
    return {"responsible": ito, "worker": kudo, "elsewhere": elsewhere}


def stored(actor, contract, title, place):
    return media.register(actor, contract, "paper", title, location=place).id


def refused(call, kind, message_en):
    before = Event.select().count()
    with pytest.raises(kind) as caught:
        call()
    assert caught.value.message_en == message_en
    assert caught.value.message_ja
    assert Event.select().count() == before
    return caught.value


def test_a_typed_id_of_another_contract_is_noted_and_does_not_block_completion(cast, settings, mitaka):
    ours = stored(cast.worker, "KG26", "原票", cast.cabinet.code)
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    checks.scan(cast.worker, check.number, ours, settings.secret, source="typed", confirmed=True)
    foreign = checks.scan(cast.worker, check.number, mitaka["elsewhere"].id, settings.secret, source="typed", confirmed=True)
    unknown = checks.scan(cast.worker, check.number, "ZZ99-00001-1", settings.secret, source="typed", confirmed=True)
    assert (foreign.scan.finding, unknown.scan.finding) == ("unexpected", "unknown")

    done = checks.complete(cast.worker, check.number, **CHECK_DONE)
    assert done.status == "completed" and done.completed_by == "sato"
    assert set(done.parts) == {"KG26"}
    assert Medium.get_by_id(mitaka["elsewhere"].id).status == "stored"  # another contract's medium: noted only
    completed = json.loads(Event.select().where(Event.kind == "check.completed").get().data)
    assert (completed["unexpected"], completed["unknown"]) == (1, 1)
    reports = checks.sign_off(cast.responsible, check.number, settings)
    assert [document.contract_id for document in reports] == ["KG26"]
    assert checks.get_check(check.number).status == "signed_off"
    assert ledger.verify().ok


def test_each_contract_completes_and_signs_off_its_own_part_of_a_shared_cabinet(cast, settings, mitaka):
    kg26 = [stored(cast.worker, "KG26", f"原票{n}", cast.cabinet.code) for n in range(2)]
    mt26 = [stored(mitaka["worker"], "MT26", f"健診票{n}", cast.cabinet.code) for n in range(2)]
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    assert checks.parts_of(check) == ["KG26", "MT26"]
    for medium_id in kg26:
        checks.scan(cast.worker, check.number, medium_id, settings.secret, source="typed", confirmed=True)
    checks.scan(mitaka["worker"], check.number, mt26[0], settings.secret, source="typed", confirmed=True)

    half = checks.complete(cast.worker, check.number, **CHECK_DONE)
    assert half.status == "open" and set(half.parts) == {"KG26"} and half.parts["KG26"]["completed_by"] == "sato"
    assert Medium.get_by_id(mt26[1]).status == "stored"  # MT26's part is MT26's to complete
    refused(lambda: checks.complete(cast.worker, check.number, **CHECK_DONE), WrongState,
            f"every part of {check.number} that you may complete is completed")

    done = checks.complete(mitaka["worker"], check.number, **CHECK_DONE)
    assert done.status == "completed" and set(done.parts) == {"KG26", "MT26"}
    assert Medium.get_by_id(mt26[1]).status == "lost"
    assert [(incident.contract_id, incident.media) for incident in Incident.select()] == [("MT26", [mt26[1]])]

    first = checks.sign_off(cast.responsible, check.number, settings)
    assert [document.contract_id for document in first] == ["KG26"]
    assert checks.get_check(check.number).status == "completed"
    refused(lambda: checks.sign_off(cast.responsible, check.number, settings), WrongState,
            f"every part of {check.number} that you may sign off is signed off")
    refused(lambda: checks.sign_off(cast.worker, check.number, settings), NotAllowed,
            "sato is not on the roster of contract MT26 (Koganei City special provisions, Art. 8)")
    second = checks.sign_off(mitaka["responsible"], check.number, settings)
    assert [document.contract_id for document in second] == ["MT26"]
    assert checks.get_check(check.number).status == "signed_off"
    assert ledger.verify().ok


def test_the_responsible_person_abandons_a_check_saying_why_and_the_place_is_free(cast, settings, mitaka):
    stored(cast.worker, "KG26", "原票", cast.cabinet.code)
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    refused(lambda: checks.abandon(cast.worker, check.number, "やり直し"), NotAllowed,
            "only the responsible person (取扱責任者) may do this")
    refused(lambda: checks.abandon(mitaka["responsible"], check.number, "やり直し"), NotAllowed,
            "ito is not on the roster of contract KG26 (Koganei City special provisions, Art. 8)")
    refused(lambda: checks.abandon(cast.city, check.number, "やり直し"), NotAllowed,
            "municipality staff do not hold media; a contractor's worker must do this")
    refused(lambda: checks.abandon(cast.responsible, check.number, " "), InvalidInput, "reason for abandoning is required")

    ended = checks.abandon(cast.responsible, check.number, "担当者の急病により中断")
    assert (ended.status, ended.abandoned_by, ended.abandon_reason) == ("abandoned", "yamada", "担当者の急病により中断")
    event = Event.select().order_by(Event.seq.desc()).first()
    assert event.kind == "check.abandoned" and json.loads(event.data)["reason"] == "担当者の急病により中断"
    assert checks.open_check_at(cast.cabinet.code) is None
    assert checks.last_check(cast.cabinet.code) is None  # an abandoned check is no check for the schedule
    late = refused(lambda: checks.scan(cast.worker, check.number, "KG26-00001-7", settings.secret, source="typed", confirmed=True), WrongState,
                   f"{check.number} was abandoned at {checks.format_jst(ended.abandoned_at)} (担当者の急病により中断); "
                   "this can no longer be part of it")
    assert "中止されました" in late.message_ja
    refused(lambda: checks.abandon(cast.responsible, check.number, "もう一度"), WrongState,
            f"{check.number} was abandoned at {checks.format_jst(ended.abandoned_at)} (担当者の急病により中断); "
            "this can no longer be part of it")
    again = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    assert again.number != check.number and again.status == "open"
    assert ledger.verify().ok


def test_an_admin_frees_a_place_nobody_can_reach(cast, settings):
    stored(cast.worker, "KG26", "原票", cast.cabinet.code)
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    assert checks.abandon(cast.admin, check.number, "担当者が全員異動したため").status == "abandoned"


def test_abandoning_on_the_page_and_through_the_api(app, cast, settings):
    stored(cast.worker, "KG26", "原票", cast.cabinet.code)
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    worker = {"Authorization": f"Bearer {tokens.create_token(cast.worker, 'phone')}"}
    responsible = {"Authorization": f"Bearer {tokens.create_token(cast.responsible, 'laptop')}"}
    client = app.test_client()
    before = Event.select().count()
    response = client.post(f"/api/v1/checks/{check.number}/abandon", headers=worker, json={"reason": "やり直し"})
    assert response.status_code == 403
    assert response.get_json()["message_en"] == "only the responsible person (取扱責任者) may do this"
    assert response.get_json()["message_ja"] == "この操作は取扱責任者だけが行えます"
    assert client.post(f"/api/v1/checks/{check.number}/abandon", headers=responsible, json={}).status_code == 400
    assert Event.select().count() == before

    page = login(app.test_client(), "yamada")
    shown = page.get(f"/checks/{check.number}").get_data(as_text=True)
    assert "点検を中止する" in shown
    assert "点検を中止する" not in login(app.test_client(), "sato").get(f"/checks/{check.number}").get_data(as_text=True)
    response = page.post(f"/checks/{check.number}/abandon", data={"csrf_token": csrf(page), "reason": "棚の鍵が見つからない"},
                         follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "点検を中止しました" in text and "棚の鍵が見つからない" in text
    assert checks.get_check(check.number).status == "abandoned"
    answer = client.get(f"/api/v1/checks/{check.number}", headers=responsible).get_json()
    assert (answer["status"], answer["abandon_reason"]) == ("abandoned", "棚の鍵が見つからない")
