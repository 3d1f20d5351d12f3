"""The rules of access.ACTIONS as the workflows (and so the CLI) apply them, for issue #11's
authorisation findings: a municipality account acts only for its own city, a responsible person
of another contract does not set a place's check interval, and nothing is written when refused.
On SQLite and PostgreSQL (the ``database`` fixture)."""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from tracker.errors import NotAllowed
from tracker.models import Event, Location
from tracker.workflows import access, copies, destruction, media, people, places, roster


@pytest.fixture
def mitaka(cast):
    """Mitaka City's contract with its own responsible person, and a Mitaka official."""
    people.create_contract(None, "MT26", "健康診査データ入力業務委託", "三鷹市")
    other = people.create_user(cast.admin, "ito", "伊藤 次郎", "contractor", PASSWORD)
    official = people.create_user(cast.admin, "kobayashi", "小林 健一", "municipality", PASSWORD, organisation="三鷹市　健康推進課")
    rostered(official, cast.admin, "MT26", "ito", "responsible")
    people.sign_pledge(other, "MT26")
    return {"responsible": other, "official": official}


def rostered(city_user, applicant, contract_code, login, role="worker"):
    """On the roster as Art. 8 has it: applied for, approved by that contract's city."""
    application = roster.apply_add(applicant, contract_code, login, role)
    if application.status == "pending":
        roster.decide(city_user, application.number, True)


def refused(call, message_en: str):
    before = Event.select().count()
    with pytest.raises(NotAllowed) as caught:
        call()
    assert caught.value.message_en == message_en
    assert caught.value.message_ja
    assert Event.select().count() == before


def test_a_responsible_person_of_another_contract_cannot_set_the_interval_of_a_place_holding_only_kg26_media(cast, mitaka):
    media.register(cast.worker, "KG26", "paper", "原票", location=cast.cabinet.code)
    refused(lambda: places.set_check_interval(mitaka["responsible"], cast.cabinet.code, 30),
            "ito is not on the roster of contract KG26 (Koganei City special provisions, Art. 8)")
    assert Location.get_by_id(cast.cabinet.code).check_interval_days is None
    assert places.set_check_interval(cast.responsible, cast.cabinet.code, 30).check_interval_days == 30
    assert places.set_check_interval(cast.admin, cast.cabinet.code, 60).check_interval_days == 60


def test_an_empty_place_takes_any_responsible_persons_interval(cast, mitaka):
    assert places.set_check_interval(mitaka["responsible"], cast.cabinet.code, 14).check_interval_days == 14
    refused(lambda: places.set_check_interval(cast.worker, cast.cabinet.code, 7),
            "only an administrator or a responsible person registers locations")


def test_a_municipality_account_reads_and_approves_only_its_own_citys_contracts(cast, mitaka):
    official = mitaka["official"]
    assert access.readable_contracts(official) == ["MT26"]
    assert access.readable_contracts(cast.city) == ["KG26"]
    assert sorted(access.readable_contracts(cast.admin)) == ["KG26", "MT26"]
    not_staff = "kobayashi (三鷹市　健康推進課) is not staff of 小金井市, the client of contract KG26"
    refused(lambda: access.require_read(official, "KG26"), not_staff)

    usb = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES-256", location=cast.cabinet.code)
    asked = copies.request(cast.worker, usb.id, 1, "usb", "作業用")
    refused(lambda: copies.decide(official, asked.number, True), not_staff)
    assert copies.get_request(asked.number).status == "requested"

    application = destruction.apply(
        cast.responsible, "KG26", [{"medium": usb.id, "category": "purge", "technique": "block_erase", "tool": "BlockWipe",
                                    "tool_version": "4.2"}],
        reason="契約終了", scheduled_at="2026-12-01T09:00", place="本社", copies_statement="複製なし", verification_plan="消去ログの確認")
    refused(lambda: destruction.decide(official, application.number, True), not_staff)
    assert destruction.decide(cast.city, application.number, True).status == "approved"
    refused(lambda: destruction.withdraw(official, application.number, "誤り"), not_staff)


def test_another_citys_official_cannot_approve_a_roster_addition(cast, mitaka):
    newcomer = roster.apply_add(cast.responsible, "KG26", "suzuki", "worker")
    assert newcomer.status == "pending"
    refused(lambda: roster.decide(mitaka["official"], newcomer.number, True),
            "kobayashi (三鷹市　健康推進課) is not staff of 小金井市, the client of contract KG26")
    assert roster.decide(cast.city, newcomer.number, True).status == "approved"


def test_a_municipality_account_without_a_city_in_its_organisation_reads_nothing(cast):
    nobody = people.create_user(cast.admin, "kimura", "木村 誠", "municipality", PASSWORD, organisation="市民税課")
    assert access.readable_contracts(nobody) == []
    refused(lambda: access.require_read(nobody, "KG26"),
            "kimura (市民税課) is not staff of 小金井市, the client of contract KG26")


def test_every_action_of_the_table_names_a_rule_and_a_scope():
    scopes = {access.NONE, access.CONTRACT, access.PLACE, access.EVERY_AT_PLACE}
    for name, rule in access.ACTIONS.items():
        assert rule.scope in scopes, name
        assert rule.who.__module__ == "tracker.workflows.access" and rule.who.__name__.startswith("require_"), name
        assert rule.description, name


def test_an_action_without_a_contract_yet_needs_the_rule_on_one_of_ones_own(cast, mitaka):
    access.authorize(cast.worker, "custody")  # KG26
    access.authorize(mitaka["responsible"], "responsible")  # MT26
    refused(lambda: access.authorize(cast.city, "custody"), "municipality staff do not hold media; a contractor's worker must do this")
    roster.remove(cast.responsible, "KG26", "sato", reason="異動")
    refused(lambda: access.authorize(cast.worker, "custody"), "sato was removed from the roster of contract KG26 (Koganei City special provisions, Art. 8)")
