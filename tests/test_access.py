"""Who may act: roster, pledge, roles (Art. 8, 11); every refusal bilingual and writes nothing."""

from __future__ import annotations

import pytest

from tracker import ledger
from tracker.errors import NotAllowed
from tracker.workflows import media, people, pledges, roster


def refused(call):
    before = ledger.head()
    with pytest.raises(NotAllowed) as caught:
        call()
    assert ledger.head() == before, "a refusal must write nothing"
    assert caught.value.message_ja and caught.value.message_en
    return caught.value


def register(actor):
    return media.register(actor, "KG26", "paper", "給与支払報告書", record_count=10)


def test_a_rostered_worker_with_a_pledge_may_act(cast):
    assert register(cast.worker).status == "received"


def test_a_person_not_on_the_roster_is_refused(cast):
    error = refused(lambda: register(cast.newcomer))
    assert "Art. 8" in error.message_en and "第8条" in error.message_ja


def test_a_rostered_worker_without_a_pledge_is_refused(cast):
    cast.rostered(cast.responsible, "KG26", "suzuki", "worker")
    error = refused(lambda: register(cast.newcomer))
    assert "Art. 11" in error.message_en
    people.sign_pledge(cast.newcomer, "KG26")
    assert register(cast.newcomer).status == "received"


def test_a_removed_worker_is_refused(cast):
    roster.remove(cast.responsible, "KG26", "sato", reason="異動")
    error = refused(lambda: register(cast.worker))
    assert "removed" in error.message_en


def test_municipality_and_admin_hold_no_custody(cast):
    refused(lambda: register(cast.city))
    refused(lambda: register(cast.admin))


def test_only_the_responsible_person_manages_workers(cast):
    refused(lambda: cast.rostered(cast.worker, "KG26", "suzuki", "worker"))
    refused(lambda: cast.rostered(cast.responsible, "KG26", "suzuki", "responsible"))
    refused(lambda: cast.rostered(cast.city, "KG26", "suzuki", "worker"))


def test_only_admins_create_users(cast):
    refused(lambda: people.create_user(cast.responsible, "tanaka", "田中", "contractor", "long-password"))


def test_pledge_records_the_exact_text_hash(cast):
    pledge = cast.worker.pledges.get()
    form, text, sha256 = pledges.form_for("KG26", "worker")
    assert (pledge.text_sha256, pledge.text_version, pledge.method) == (sha256, "koganei-worker-1", "electronic")
    assert "誓約いたします" in text
