"""Subcontracting (Art. 14): the application with every Art. 14(2) item, only the city decides,
and subcontracted work — a destruction line naming the subcontractor, custody by its people —
refused until approved and allowed after; supervision reports; the 再委託承認申請書 issued."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.test_destruction import items_for, apply_for, today
from tracker import ledger, provisions
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import Document, Event
from tracker.workflows import destruction, media, papers, people, profiles, subcontracting

ITEMS = {
    "name": "株式会社クリーンシュレッド", "address": "東京都小金井市本町1-2-3", "reason": "大型の破砕機を自社で持たないため",
    "work": "HDD・紙の物理破壊（破砕）", "personal_information": "住民税課税資料（氏名・住所・所得）",
    "safety_measures": "施錠された破砕室、入退室記録、従業員の誓約書", "supervision": "受託者の取扱責任者が破砕に立ち会い、作業報告書を受領する",
}


def pdf_text(settings, document) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=papers.content(settings, document), check=True,
                          capture_output=True).stdout.decode()


@pytest.fixture
def hdd(cast):
    return media.register(cast.worker, "KG26", "hdd", "課税データHDD", encrypted=True, encryption="AES-256", location=cast.cabinet.code)


def shredded_by(medium_id: str, who: str) -> list[dict]:
    return [{**items_for([medium_id])[0], "subcontractor": who}]


def test_unapproved_subcontracted_destruction_refused_then_allowed_after_approval(cast, settings, hdd):
    before = Event.select().count()
    with pytest.raises(WrongState) as unknown:  # the application names each medium it refuses, with why
        apply_for(cast, [hdd.id], items=shredded_by(hdd.id, "株式会社クリーンシュレッド"))
    assert "再委託" in unknown.value.message_ja and "小金井市個人情報取扱特記事項 第14条第2項" in unknown.value.message_ja
    assert Event.select().count() == before

    application = subcontracting.apply(cast.responsible, settings, "KG26", **ITEMS)
    assert (application.number, application.status) == ("KG26-S0001", "applied")
    paper = subcontracting.application_paper(application)
    text = pdf_text(settings, paper)
    assert "再委託承認申請書" in text and "大型の破砕機" in text and "受託者の取扱責任者が破砕に立ち会い" in text
    assert not re.search(r"[/／]\s+[A-Za-z]", text)  # Japanese only: no "ja / en" glosses on the paper
    with pytest.raises(WrongState) as waiting:  # applied, not yet approved
        apply_for(cast, [hdd.id], items=shredded_by(hdd.id, "株式会社 クリーンシュレッド"))
    assert "承認待ち" in waiting.value.message_ja

    with pytest.raises(NotAllowed):  # the contractor cannot approve its own subcontracting
        subcontracting.decide(cast.responsible, application.number, True)
    with pytest.raises(NotAllowed):
        subcontracting.decide(cast.admin, application.number, True)
    subcontracting.decide(cast.city, application.number, True, "作業報告書を提出すること")
    with pytest.raises(WrongState):
        subcontracting.decide(cast.city, application.number, False, "二重")
    done = apply_for(cast, [hdd.id], items=shredded_by(hdd.id, "KG26-S0001"))
    (item,) = done.items
    assert item.subcontractor == "株式会社クリーンシュレッド（KG26-S0001-承認）"
    assert ledger.verify(settings.attachments_dir).ok


def test_an_application_missing_an_item_is_refused_naming_each(cast, settings):
    before = (Event.select().count(), Document.select().count())
    with pytest.raises(InvalidInput) as refused:
        subcontracting.apply(cast.responsible, settings, "KG26", **{**ITEMS, "safety_measures": " ", "supervision": ""})
    assert "安全管理措置" in refused.value.message_ja and "監督の方法" in refused.value.message_ja
    assert "safety measures" in refused.value.message_en and refused.value.details["missing"] == ["safety_measures", "supervision"]
    with pytest.raises(NotAllowed):  # the responsible person applies
        subcontracting.apply(cast.worker, settings, "KG26", **ITEMS)
    assert (Event.select().count(), Document.select().count()) == before


def test_the_subcontractors_people_act_only_once_it_is_approved(cast, settings, hdd):
    shredder = people.create_user(cast.admin, "kimura", "木村 次郎", "contractor", "correct-horse-9", organisation="株式会社クリーンシュレッド")
    cast.rostered(cast.responsible, "KG26", "kimura", "worker", employer="株式会社クリーンシュレッド", employment_type="subcontractor")
    people.sign_pledge(shredder, "KG26")
    application = subcontracting.apply(cast.responsible, settings, "KG26", **ITEMS)
    with pytest.raises(NotAllowed) as refused:
        media.take_out(shredder, hdd.id, cast.work_room.code, "破砕の準備")
    assert "再委託先" in refused.value.message_ja and "Art. 14(2)" in refused.value.message_en
    subcontracting.decide(cast.city, application.number, True)
    assert media.take_out(shredder, hdd.id, cast.work_room.code, "破砕の準備").custodian_id == "kimura"


def test_supervision_reports_and_a_rejection(cast, settings):
    application = subcontracting.apply(cast.responsible, settings, "KG26", **ITEMS)
    with pytest.raises(WrongState):  # nothing to supervise before approval
        subcontracting.record_supervision(cast.responsible, application.number, "2026-12-01", "立会い", "問題なし")
    subcontracting.decide(cast.city, application.number, True)
    report = subcontracting.record_supervision(cast.responsible, application.number, "2026-12-01", "破砕への立会い",
                                               "破砕片の大きさを確認、問題なし")
    assert report.key == "KG26-S0001/1" and subcontracting.supervision_of(application)[0].findings.startswith("破砕片")
    with pytest.raises(InvalidInput):
        subcontracting.record_supervision(cast.responsible, application.number, "2026-12-01", "", "")
    other = subcontracting.apply(cast.responsible, settings, "KG26", **{**ITEMS, "name": "有限会社ほか"})
    with pytest.raises(InvalidInput):  # a rejection says why
        subcontracting.decide(cast.city, other.number, False, "")
    assert subcontracting.decide(cast.city, other.number, False, "安全管理措置が不十分").status == "rejected"


def test_a_profile_that_forbids_subcontracting_refuses_the_application(cast, settings, hdd):
    text = provisions.builtin_texts()["koganei@1"].replace('id = "koganei"', 'id = "strict"', 1)
    text = text.replace('[subcontracting]\nrule = "with_approval"', '[subcontracting]\nrule = "forbidden"', 1)
    profiles.register(cast.admin, text)
    people.create_contract(None, "ST26", "委託", "試験市", contractor="株式会社サンプル", profile="strict@1")
    cast.rostered(cast.admin, "ST26", "yamada", "responsible")
    people.sign_pledge(cast.responsible, "ST26")
    before = Event.select().count()
    with pytest.raises(NotAllowed) as refused:
        subcontracting.apply(cast.responsible, settings, "ST26", **ITEMS)
    assert "再委託を認めていません" in refused.value.message_ja and "第14条第2項" in refused.value.message_ja
    assert "forbid subcontracting" in refused.value.message_en and Event.select().count() == before


def test_pages_apply_decide_and_show_the_register(cast, app):
    from tests.conftest import csrf, login

    responsible = login(app.test_client(), "yamada")
    refused = responsible.post("/subcontracts", data={"csrf_token": csrf(responsible), "contract": "KG26", **{**ITEMS, "reason": ""}})
    assert refused.status_code == 400 and "再委託する理由" in refused.get_data(as_text=True)
    done = responsible.post("/subcontracts", data={"csrf_token": csrf(responsible), "contract": "KG26", **ITEMS})
    assert done.status_code == 302 and done.location.endswith("/subcontracts/KG26-S0001")
    city = login(app.test_client(), "takahashi")
    assert "再委託の承認待ち" in city.get("/").get_data(as_text=True)
    page = city.get("/subcontracts/KG26-S0001").get_data(as_text=True)
    assert "大型の破砕機" in page and "承認する" in page and "再委託承認申請書" in page
    city.post("/subcontracts/KG26-S0001/decision", data={"csrf_token": csrf(city), "decision": "approve", "note": ""})
    assert "KG26-S0001-承認" in city.get("/subcontracts").get_data(as_text=True)
    responsible.post("/subcontracts/KG26-S0001/supervision", data={"csrf_token": csrf(responsible), "supervised_on": "2026-12-01",
                                                                   "method": "立会い", "findings": "問題なし"})
    assert "問題なし" in city.get("/subcontracts/KG26-S0001").get_data(as_text=True)
