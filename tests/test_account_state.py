"""Account and roster state: a deactivated account and a person removed from a contract's roster
are stopped everywhere — custody actions, reading (pages, API, the register CSV) and, for a
deactivated account, login — and nothing is written by any refused attempt.

Deactivation is ``people.set_active`` (the workflow that the CLI and admin pages call); these
tests call it directly. On SQLite and PostgreSQL (the ``database`` fixture).
"""

from __future__ import annotations

import pytest

from conftest import PASSWORD, csrf, login, login_csrf
from tracker import ledger
from tracker.errors import NotAllowed, NotAuthenticated, WrongState
from tracker.models import Event, Medium, User
from tracker.workflows import access, media, people, roster, tokens

DISABLED = "sato's account is disabled"
REMOVED = "sato was removed from the roster of contract KG26 (Koganei City special provisions, Art. 8)"
NO_READ = "no access to the records of contract KG26"


@pytest.fixture
def usb(cast):
    medium = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES-256")
    return media.store(cast.worker, medium.id, cast.cabinet.code)


@pytest.fixture
def token(cast):
    """A token made while the account was in good standing, as a scanning station holds one."""
    return tokens.create_token(cast.worker, "station-1")


@pytest.fixture
def session(app, cast):
    """sato's browser, logged in while the account was in good standing."""
    return login(app.test_client(), "sato")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def sato() -> User:
    """The account as the database has it now (the cast's object is the one from before)."""
    return User.get_by_id("sato")


def events() -> int:
    return Event.select().count()


def refused(call, message_en, kind=NotAllowed):
    with pytest.raises(kind) as caught:
        call()
    assert caught.value.message_en == message_en
    assert caught.value.message_ja
    return caught.value


# ---- a deactivated account -------------------------------------------------------------------


def test_deactivation_is_a_ledger_event_only_an_admin_records(cast):
    refused(lambda: people.set_active(cast.responsible, "sato", False), "only a system administrator may do this")
    before = events()
    people.set_active(cast.admin, "sato", False)
    newest = Event.select().order_by(Event.seq.desc()).first()
    assert (newest.kind, newest.actor, newest.data_dict) == ("user.deactivated", "admin", {"login": "sato"})
    assert events() == before + 1 and sato().active is False
    assert ledger.verify().ok


def test_a_deactivated_account_takes_no_custody_action(cast, usb):
    people.set_active(cast.admin, "sato", False)
    before = events()
    refused(lambda: media.register(sato(), "KG26", "paper", "原票"), DISABLED)
    refused(lambda: media.take_out(sato(), usb.id, cast.work_room.code, "入力作業"), DISABLED)
    refused(lambda: people.sign_pledge(sato(), "KG26"), DISABLED)
    refused(lambda: tokens.create_token(sato(), "station-2"), DISABLED)
    assert events() == before
    assert Medium.get_by_id(usb.id).status == "stored"


def test_a_deactivated_account_reads_nothing(cast, usb):
    people.set_active(cast.admin, "sato", False)
    refused(lambda: access.require_read(sato(), "KG26"), DISABLED)


def test_a_deactivated_account_cannot_log_in(cast, client):
    people.set_active(cast.admin, "sato", False)
    refused(lambda: people.check_password("sato", PASSWORD), "wrong login or password", NotAuthenticated)
    response = client.post("/login", data={"login": "sato", "password": PASSWORD, "csrf_token": login_csrf(client)})
    assert response.status_code == 401 and "ログインIDまたはパスワードが違います" in response.get_data(as_text=True)
    with client.session_transaction() as stored:
        assert "login" not in stored


def test_a_deactivated_accounts_open_session_reaches_nothing(cast, usb, session):
    assert session.get(f"/media/{usb.id}").status_code == 200
    people.set_active(cast.admin, "sato", False)
    before = events()
    for url in (f"/media/{usb.id}", "/media", "/register", "/register.csv?contract=KG26", "/register/custody.csv?contract=KG26", "/"):
        response = session.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next="), url
    response = session.post(f"/media/{usb.id}/take-out", data={"location": cast.work_room.code, "purpose": "作業", "csrf_token": "x"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert events() == before and Medium.get_by_id(usb.id).status == "stored"


def test_a_deactivated_accounts_token_is_refused(cast, usb, token, client, settings):
    assert client.get(f"/api/v1/media/{usb.id}", headers=bearer(token)).status_code == 200
    people.set_active(cast.admin, "sato", False)
    before = events()
    for response in (
        client.get(f"/api/v1/media/{usb.id}", headers=bearer(token)),
        client.get("/api/v1/media", headers=bearer(token)),
        client.get("/api/v1/register.csv?contract=KG26", headers=bearer(token)),
        client.post("/api/v1/media", headers=bearer(token), json={"contract": "KG26", "kind": "paper", "title": "原票"}),
        client.post("/api/v1/scans", headers=bearer(token), json={"idempotency_key": "k-1", "code": usb.id, "action": "lookup"}),
    ):
        assert response.status_code == 403
        assert response.get_json() == {"error": "not_allowed", "message_ja": "佐藤 花子 さんのアカウントは無効です", "message_en": DISABLED}
    assert events() == before


def test_a_reactivated_account_may_act_again(cast, usb):
    people.set_active(cast.admin, "sato", False)
    people.set_active(cast.admin, "sato", True)
    assert Event.select().order_by(Event.seq.desc()).first().kind == "user.activated"
    assert media.take_out(sato(), usb.id, cast.work_room.code, "入力作業").status == "in_use"
    assert people.check_password("sato", PASSWORD).login == "sato"


# ---- a person removed from the roster --------------------------------------------------------


@pytest.fixture
def removed(cast, usb):
    roster.remove(cast.responsible, "KG26", "sato", reason="異動")
    return usb


def test_a_removed_member_takes_no_custody_action(cast, removed):
    before = events()
    refused(lambda: media.register(sato(), "KG26", "paper", "原票"), REMOVED)
    refused(lambda: media.take_out(sato(), removed.id, cast.work_room.code, "入力作業"), REMOVED)
    refused(lambda: people.sign_pledge(sato(), "KG26"),
            "sato is not on the roster of KG26; no pledge can be recorded", kind=WrongState)
    assert events() == before and Medium.get_by_id(removed.id).status == "stored"


def test_a_removed_member_reads_nothing_of_the_contract(cast, removed):
    refused(lambda: access.require_read(sato(), "KG26"), NO_READ)
    assert access.readable_contracts(sato()) == []


def test_a_removed_members_pages_and_register_are_refused(cast, removed, session):
    before = events()
    for url in (f"/media/{removed.id}", f"/media/{removed.id}/label.svg", "/register.csv?contract=KG26",
                "/register/custody.csv?contract=KG26", "/register?contract=KG26", "/contracts/KG26/balance"):
        response = session.get(url)
        assert response.status_code == 403, url
        assert "契約「住民税課税資料入力業務委託」の記録を閲覧する権限がありません" in response.get_data(as_text=True), url
    listing = session.get("/media").get_data(as_text=True)
    assert removed.id not in listing and "課税データ" not in listing
    register_page = session.get("/register").get_data(as_text=True)
    assert removed.id not in register_page
    response = session.post(f"/media/{removed.id}/take-out", data={
        "location": cast.work_room.code, "purpose": "作業", "csrf_token": csrf(session)}, follow_redirects=True)
    assert "取扱者名簿から外されています" in response.get_data(as_text=True)
    assert events() == before and Medium.get_by_id(removed.id).status == "stored"


def test_a_removed_members_token_reads_nothing_of_the_contract(cast, removed, token, client):
    before = events()
    response = client.get(f"/api/v1/media/{removed.id}", headers=bearer(token))
    assert response.status_code == 403 and response.get_json()["message_en"] == NO_READ
    assert client.get(f"/api/v1/media/{removed.id}/events", headers=bearer(token)).status_code == 403
    assert client.get("/api/v1/register.csv?contract=KG26", headers=bearer(token)).status_code == 403
    listing = client.get("/api/v1/media", headers=bearer(token)).get_json()
    assert (listing["total"], listing["media"]) == (0, [])
    response = client.post("/api/v1/media", headers=bearer(token), json={"contract": "KG26", "kind": "paper", "title": "原票"})
    assert response.status_code == 403 and response.get_json()["message_en"] == REMOVED
    assert events() == before


def test_a_removed_member_still_logs_in_but_sees_none_of_the_contract(cast, removed, client):
    """Removal is from one contract's roster (Art. 8); the account stays usable for others."""
    login(client, "sato")
    dashboard = client.get("/").get_data(as_text=True)
    assert removed.id not in dashboard


def test_a_member_added_back_needs_a_new_roster_entry_and_may_act(cast, removed):
    cast.rostered(cast.responsible, "KG26", "sato", "worker")
    assert media.take_out(sato(), removed.id, cast.work_room.code, "入力作業").status == "in_use"

