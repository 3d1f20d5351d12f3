"""Work places of a contract (Art. 9): reported, acknowledged or designated by the city; take-out
only to an acknowledged one, the refusal naming the article; the 作業場所届; ID badges (9(2))."""

from __future__ import annotations

import subprocess

import pytest

from tracker import ledger
from tracker.errors import AlreadyExists, DomainError, InvalidInput, NotAllowed, WrongState
from tracker.workflows import media, papers, places, workplaces
from tests.conftest import refused


def stored_usb(cast):
    return media.register(cast.worker, "KG26", "usb", "作業用USB", encrypted=True, encryption="AES-256", location=cast.cabinet.code)


def test_take_out_only_to_a_work_place_the_city_acknowledged(cast):
    annex = places.create_location(cast.admin, "別館作業室", "room", "work", site="別館", room="1F")
    usb = stored_usb(cast)
    error = refused(lambda: media.take_out(cast.worker, usb.id, annex.code, "入力作業"), NotAllowed)
    assert "報告されていません" in error.message_ja and "（小金井市個人情報取扱特記事項 第9条）" in error.message_ja
    assert error.message_en.endswith("(Koganei City special provisions, Art. 9)")

    reported = workplaces.report(cast.responsible, "KG26", annex.code, "東京都小金井市本町2-2", "施錠、監視カメラ")
    assert reported.status == "reported"
    error = refused(lambda: media.take_out(cast.worker, usb.id, annex.code, "入力作業"), NotAllowed)
    assert "まだ市の確認を受けていません" in error.message_ja and "第9条" in error.message_ja

    refused(lambda: workplaces.acknowledge(cast.responsible, "KG26", annex.code), NotAllowed)
    assert workplaces.acknowledge(cast.city, "KG26", annex.code).decided_by == "takahashi"
    assert media.take_out(cast.worker, usb.id, annex.code, "入力作業").status == "in_use"


def test_the_city_designates_a_room_of_its_own_and_badges_are_recorded(cast, settings):
    city_room = places.create_location(cast.admin, "市役所 第二庁舎 会議室", "room", "work", site="小金井市役所", room="第二庁舎 801")
    refused(lambda: workplaces.issue_badge(cast.responsible, "KG26", "sato", "B-001"), WrongState)  # no room in city premises yet
    designated = workplaces.designate(cast.city, "KG26", city_room.code, "東京都小金井市本町6-6-3", "市の入退室管理", city_premises=True)
    assert (designated.status, designated.city_premises) == ("designated", True)
    badge = workplaces.issue_badge(cast.responsible, "KG26", "sato", "B-001", "2026-11-02")
    refused(lambda: workplaces.issue_badge(cast.responsible, "KG26", "sato", "B-002"), AlreadyExists)
    refused(lambda: workplaces.issue_badge(cast.responsible, "KG26", "suzuki", "B-003"), WrongState)  # not on the roster
    refused(lambda: workplaces.return_badge(cast.responsible, "KG26", "B-001", "2026-11-01"), InvalidInput)
    assert workplaces.return_badge(cast.responsible, "KG26", badge.number, "2026-11-30").returned_on == "2026-11-30"

    document = workplaces.issue_paper(cast.responsible, settings, "KG26")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=papers.content(settings, document),
                          capture_output=True, check=True).stdout.decode()
    assert "作業場所届" in text and "小金井市長 様" in text and "市が指定" in text and "市が確認済" in text
    assert "B-001" in text and "第9条" in text


def test_bad_reports_are_refused(cast):
    refused(lambda: workplaces.report(cast.worker, "KG26", cast.work_room.code, "住所", "施錠"), NotAllowed)
    refused(lambda: workplaces.report(cast.responsible, "KG26", cast.cabinet.code, "住所", "施錠"), InvalidInput)
    refused(lambda: workplaces.report(cast.responsible, "KG26", cast.work_room.code, "住所", "施錠"), AlreadyExists)
    annex = places.create_location(cast.admin, "別館", "room", "work")
    refused(lambda: workplaces.report(cast.responsible, "KG26", annex.code, "", "施錠"), InvalidInput)
    refused(lambda: workplaces.acknowledge(cast.city, "KG26", annex.code), WrongState)
    workplaces.withdraw(cast.responsible, "KG26", cast.work_room.code, "移転")
    usb = stored_usb(cast)
    error = refused(lambda: media.take_out(cast.worker, usb.id, cast.work_room.code, "入力作業"), NotAllowed)
    assert "報告されていません" in error.message_ja
