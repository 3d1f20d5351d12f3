"""Roster changes put to the city (Art. 8, 15): applied for by the responsible person, decided by
the city with its own login; removals at once and reported. Every refusal writes nothing."""

from __future__ import annotations

import pytest

from tracker import ledger, provisions
from tracker.errors import AlreadyExists, DomainError, InvalidInput, NotAllowed, WrongState
from tracker.models import Event, RosterApplication, RosterEntry
from tracker.workflows import media, people, profiles, roster
from tests.conftest import refused


def kinds():
    return [kind for (kind,) in Event.select(Event.kind).order_by(Event.seq).tuples()]


def register(actor, contract="KG26"):
    return media.register(actor, contract, "paper", "給与支払報告書", record_count=10)


def test_an_added_worker_acts_only_after_the_city_approves(cast):
    application = roster.apply_add(cast.responsible, "KG26", "suzuki", "worker", employer="株式会社派遣元",
                                   employment_type="派遣", effective_from="2026-12-01", reason="繁忙期の増員")
    assert (application.number, application.status, application.employment_type) == ("KG26-R0003", "pending", "dispatched")
    error = refused(lambda: register(cast.newcomer), NotAllowed)
    assert "市の承認待ち" in error.message_ja and "waiting for the city's approval (Koganei City special provisions, Art. 8)" in error.message_en

    decided = roster.decide(cast.city, application.number, True, "")
    assert (decided.status, decided.decided_by) == ("approved", "takahashi")
    entry = RosterEntry.get_by_id("KG26/suzuki")
    assert (entry.role, entry.employer, entry.employment_type, entry.approval) == ("worker", "株式会社派遣元", "dispatched", "KG26-R0003")
    assert roster.approval_number(entry.approval) == "KG26-R0003-承認"
    people.sign_pledge(cast.newcomer, "KG26")
    assert register(cast.newcomer).status == "received"
    assert kinds()[-4:-1] == ["roster.applied", "roster.approved", "pledge.signed"]
    assert ledger.verify().ok


def test_only_the_city_decides_and_a_rejection_says_why(cast):
    application = roster.apply_add(cast.responsible, "KG26", "suzuki", "worker")
    for contractor in (cast.responsible, cast.worker, cast.admin):
        refused(lambda: roster.decide(contractor, application.number, True), NotAllowed)
    refused(lambda: roster.decide(cast.city, application.number, False, ""), InvalidInput)
    rejected = roster.decide(cast.city, application.number, False, "派遣契約書の写しを添付してください")
    assert (rejected.status, rejected.decision_note) == ("rejected", "派遣契約書の写しを添付してください")
    assert RosterEntry.get_or_none(RosterEntry.key == "KG26/suzuki") is None
    refused(lambda: roster.decide(cast.city, application.number, True), WrongState)


def test_bad_applications_are_refused_and_record_nothing(cast):
    error = refused(lambda: roster.apply_add(cast.responsible, "KG26", "sato", "worker"), AlreadyExists)
    assert "既に名簿に登録" in error.message_ja
    roster.apply_add(cast.responsible, "KG26", "suzuki", "worker")
    error = refused(lambda: roster.apply_add(cast.responsible, "KG26", "suzuki", "worker"), AlreadyExists)
    assert "市の承認待ち" in error.message_ja
    error = refused(lambda: roster.apply_add(cast.admin, "KG26", "takahashi", "worker"), InvalidInput)
    assert "受託者の職員ではない" in error.message_ja
    people.create_user(cast.admin, "ito", "伊藤 三郎", "contractor", "correct-horse-9")
    error = refused(lambda: roster.apply_add(cast.responsible, "KG26", "ito", "worker", employment_type="アルバイト派遣"), InvalidInput)
    assert "正社員" in error.message_ja and "subcontractor" in error.message_en
    refused(lambda: roster.apply_add(cast.responsible, "KG26", "ito", "worker", effective_from="12/1"), InvalidInput)
    refused(lambda: roster.apply_add(cast.worker, "KG26", "ito", "worker"), NotAllowed)
    refused(lambda: roster.apply_add(cast.responsible, "KG26", "ito", "responsible"), NotAllowed)


def test_a_removal_takes_effect_at_once_and_the_city_acknowledges_it(cast):
    removal = roster.remove(cast.responsible, "KG26", "sato", reason="異動")
    assert (removal.change, removal.status) == ("remove", "reported")
    refused(lambda: register(cast.worker), NotAllowed)
    assert [a.number for a in roster.waiting("KG26")] == [removal.number]
    refused(lambda: roster.decide(cast.city, removal.number, False, "認めない"), WrongState)
    assert roster.decide(cast.city, removal.number, True).status == "acknowledged"
    assert roster.waiting("KG26") == []


def test_a_role_change_holds_the_old_role_until_approved(cast):
    roster.apply_add(cast.responsible, "KG26", "suzuki", "worker")  # unrelated pending application
    refused(lambda: roster.apply_role_change(cast.responsible, "KG26", "sato", "responsible", reason="昇格"), NotAllowed)
    refused(lambda: roster.apply_role_change(cast.admin, "KG26", "sato", "worker", reason="同じ"), WrongState)
    refused(lambda: roster.apply_role_change(cast.admin, "KG26", "sato", "responsible", reason=""), InvalidInput)
    change = roster.apply_role_change(cast.admin, "KG26", "sato", "responsible", reason="取扱責任者の交代")
    assert RosterEntry.get_by_id("KG26/sato").role == "worker"
    assert register(cast.worker).status == "received"  # still a worker meanwhile
    roster.decide(cast.city, change.number, True)
    entry = RosterEntry.get_by_id("KG26/sato")
    assert (entry.role, entry.approval) == ("responsible", change.number)


def test_under_a_notification_profile_an_addition_takes_effect_at_once(cast):
    text = provisions.builtin_texts()["generic@1"].replace('id = "generic"', 'id = "notify"', 1) \
        .replace('changes = "prior_approval"', 'changes = "notification"', 1)
    profiles.register(cast.admin, text)
    people.create_contract(cast.admin, "NT26", "届出制の契約", "試験市", profile="notify@1")
    first = roster.apply_add(cast.admin, "NT26", "yamada", "responsible")
    assert first.status == "notified"
    assert RosterEntry.get_by_id("NT26/yamada").approval == first.number
    assert kinds()[-1] == "roster.added"
    official = cast.official_for("NT26")  # 試験市's, not Koganei's: a city acts on its own contracts
    assert roster.decide(official, first.number, True).status == "acknowledged"
    assert RosterApplication.get_by_id(first.number).decided_by == official.login
