"""Login and every form that takes a password (issue #11, "Login and sessions"): throttling and a
temporary lockout per account and per client address, each failure and lockout a ledger event
that ``verify`` replays; CSRF on the login form; ``next=`` only to this site."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conftest import PASSWORD, login_csrf
from tracker import ledger
from tracker.errors import NotAuthenticated, TooManyAttempts
from tracker.models import Event, LoginThrottle
from tracker.timeutil import clock_at, utc_now
from tracker.workflows import logins, people

HOME = "192.0.2.7"
ELSEWHERE = "198.51.100.9"
WRONG = "wrong login or password"


def events(kind: str) -> list[Event]:
    return list(Event.select().where(Event.kind == kind).order_by(Event.seq))


def wrong(login="sato", address=HOME, purpose="login"):
    with pytest.raises(NotAuthenticated) as caught:
        people.check_password(login, "not-the-password", address=address, purpose=purpose)
    return caught.value


def test_each_wrong_password_is_recorded_and_the_fifth_locks_the_account(cast):
    for attempt in range(1, logins.ACCOUNT_LIMIT):
        refusal = wrong()
        assert type(refusal) is NotAuthenticated and refusal.message_en == WRONG and refusal.status == 401
        assert LoginThrottle.get_by_id("account:sato").failures == attempt
    locking = wrong()
    assert isinstance(locking, TooManyAttempts) and locking.status == 429 and locking.code == "too_many_attempts"
    assert locking.message_en.startswith("too many wrong passwords: refused until ")
    assert locking.message_ja.startswith("パスワードの誤りが続いたため、")
    failed = events("login.failed")
    assert len(failed) == logins.ACCOUNT_LIMIT
    assert failed[0].actor is None
    assert failed[0].data_dict == {"login": "sato", "address": HOME, "purpose": "login"}
    [locked] = events("login.locked")
    assert locked.data_dict == {"keys": ["account:sato"], "purpose": "login"}
    assert LoginThrottle.get_by_id("account:sato").locked_until > LoginThrottle.get_by_id("account:sato").window_start
    # While locked, even the right password is refused, from any address, and not counted again.
    with pytest.raises(TooManyAttempts):
        people.check_password("sato", PASSWORD, address=ELSEWHERE)
    assert len(events("login.failed")) == logins.ACCOUNT_LIMIT
    # Other accounts are not affected.
    assert people.check_password("yamada", PASSWORD, address=ELSEWHERE).login == "yamada"
    assert ledger.verify().ok
    # After the lockout the right password works again.
    with clock_at(utc_now() + logins.LOCKOUT + timedelta(seconds=1)):
        assert people.check_password("sato", PASSWORD, address=HOME).login == "sato"


def test_failures_outside_the_window_start_counting_again(cast):
    for _ in range(logins.ACCOUNT_LIMIT - 1):
        wrong()
    with clock_at(utc_now() + logins.WINDOW + timedelta(seconds=1)):
        assert type(wrong()) is NotAuthenticated
        assert LoginThrottle.get_by_id("account:sato").failures == 1
    assert events("login.locked") == []


def test_one_address_trying_many_logins_is_locked_and_typed_unknown_logins_are_not_written(cast):
    typed = [f"guess{n}-secret" for n in range(logins.ADDRESS_LIMIT)]
    for name in typed[:-1]:
        assert type(wrong(login=name)) is NotAuthenticated
    assert isinstance(wrong(login=typed[-1]), TooManyAttempts)
    [locked] = events("login.locked")
    assert locked.data_dict["keys"] == [f"address:{HOME}"]
    # Unknown logins count for the address only: no row per name, and the typed text is nowhere.
    assert [row.key for row in LoginThrottle.select()] == [f"address:{HOME}"]
    assert all(event.data_dict["login"] is None for event in events("login.failed"))
    assert not any("secret" in event.data or "secret" in event.changes for event in Event.select())
    # From that address nobody gets in for now; from another, the same person does.
    with pytest.raises(TooManyAttempts):
        people.check_password("sato", PASSWORD, address=HOME)
    assert people.check_password("sato", PASSWORD, address=ELSEWHERE).login == "sato"
    assert ledger.verify().ok


def test_a_lockout_lifted_by_editing_the_database_is_caught_by_verify(cast):
    for _ in range(logins.ACCOUNT_LIMIT):
        wrong()
    LoginThrottle.update(locked_until=None, failures=0).where(LoginThrottle.key == "account:sato").execute()
    report = ledger.verify()
    assert not report.ok
    assert any("login_throttle account:sato" in problem.message_en and "edited directly" in problem.message_en
               for problem in report.problems)


def test_the_login_page_answers_401_then_429_in_both_languages(client):
    client.environ_base["REMOTE_ADDR"] = HOME
    for _ in range(logins.ACCOUNT_LIMIT - 1):
        response = client.post("/login", data={"login": "sato", "password": "x", "csrf_token": login_csrf(client)})
        assert response.status_code == 401 and "ログインIDまたはパスワードが違います" in response.get_data(as_text=True)
    response = client.post("/login", data={"login": "sato", "password": "x", "csrf_token": login_csrf(client)})
    assert response.status_code == 429
    assert "パスワードの誤りが続いたため" in response.get_data(as_text=True)
    client.get("/login?lang=en")
    response = client.post("/login", data={"login": "sato", "password": "x", "csrf_token": login_csrf(client)})
    assert response.status_code == 429 and "too many wrong passwords: refused until" in response.get_data(as_text=True)
    response = client.post("/login", data={"login": "sato", "password": PASSWORD, "csrf_token": login_csrf(client)})
    assert response.status_code == 429
    with client.session_transaction() as stored:
        assert "login" not in stored
    assert {event.data_dict["address"] for event in events("login.failed")} == {HOME}


def test_the_city_officials_password_on_the_contractors_device_is_throttled_too(client, cast):
    from conftest import csrf, login
    from tracker.workflows import handovers

    # a real handover: the route asks who may act on its contract before any password is read
    number = handovers.start(cast.worker, "KG26", "receive", "2026-11-25T10:00", "市役所", "手渡し", "高橋 市役所").number
    login(client, "sato")
    client.environ_base["REMOTE_ADDR"] = HOME
    for _ in range(logins.ACCOUNT_LIMIT):
        client.post(f"/handovers/{number}/confirm", data={"login": "takahashi", "password": "guess", "csrf_token": csrf(client)})
    failed = events("login.failed")
    assert [event.data_dict for event in failed] == [{"login": "takahashi", "address": HOME, "purpose": "handover_confirm"}] * 5
    assert events("login.locked")[0].data_dict == {"keys": ["account:takahashi"], "purpose": "handover_confirm"}
    with pytest.raises(TooManyAttempts):
        people.check_password("takahashi", PASSWORD, address=ELSEWHERE)


def test_the_login_form_needs_its_csrf_token(client, cast):
    for token in (None, "forged"):
        data = {"login": "sato", "password": PASSWORD} | ({"csrf_token": token} if token else {})
        response = client.post("/login", data=data)
        assert response.status_code == 400
        assert "フォームの有効期限が切れました" in response.get_data(as_text=True)
        with client.session_transaction() as stored:
            assert "login" not in stored
    client.get("/login?lang=en")
    english = client.post("/login", data={"login": "sato", "password": PASSWORD})
    assert english.status_code == 400 and "the form expired" in english.get_data(as_text=True)
    assert events("login.failed") == []


@pytest.mark.parametrize("target", [
    "//evil.example/", "https://evil.example/", "http:evil.example", "/\\evil.example", "/\\/evil.example",
    "/%09/evil.example/path", "/\t/evil.example/path", "/\n/evil.example", " /evil", "javascript:alert(1)",
    "JavaScript:alert(1)", "evil.example", "", "/media\\..\\evil", "/%2F/evil.example", "/%5Cevil.example",
])
def test_login_never_sends_anyone_off_site(client, cast, target):
    from urllib.parse import quote

    response = client.post("/login?next=" + quote(target, safe=""), data={"login": "sato", "password": PASSWORD,
                                                                         "csrf_token": login_csrf(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/media/KG26-00001-3", "/media?q=%E5%8E%9F%E7%A5%A8&status=stored", "/media?q=a%20b", "/checks"])
def test_login_returns_to_a_page_on_this_site(client, cast, target):
    from urllib.parse import quote

    response = client.post("/login?next=" + quote(target, safe=""), data={"login": "sato", "password": PASSWORD,
                                                                         "csrf_token": login_csrf(client)})
    assert response.headers["Location"] == target
