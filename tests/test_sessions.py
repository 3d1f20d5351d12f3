"""Sessions, passwords and tokens (issue #11, "Login and sessions" and "Outside the chain, inside
the proof"): sessions end on a password change and after inactivity; everyone changes their own
password; accounts are disabled and tokens revoked from the CLI; password changes, token issue
and revocation, and deactivation are ledger events, and ``verify`` catches a hash swapped or a
token inserted or un-revoked in the database. An older data folder's passwords and tokens are
taken into the ledger once, visibly."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

from conftest import PASSWORD, csrf, login, run_cli
from tracker import config, ledger
from tracker.cli import EXIT_REFUSED
from tracker.errors import NotAllowed, NotAuthenticated, WrongState
from tracker.models import SECRETS_IN_LEDGER, ApiToken, Event, Meta, User, secret_fingerprint
from tracker.timeutil import clock_at, utc_now
from tracker.workflows import adoption, people, tokens

NEW_PASSWORD = "battery-staple-42"


def newest(kind: str | None = None) -> Event:
    query = Event.select().order_by(Event.seq.desc())
    return (query.where(Event.kind == kind) if kind else query).first()


def problems() -> list[str]:
    return [problem.message_en for problem in ledger.verify().problems]


def change_own(client, current=PASSWORD, new=NEW_PASSWORD, again=None):
    return client.post("/account/password", data={
        "csrf_token": csrf(client), "current_password": current, "new_password": new,
        "new_password_again": new if again is None else again})


# ---- password changes end sessions ------------------------------------------------------------


def test_changing_ones_own_password_ends_every_other_session(app, cast):
    here, elsewhere = login(app.test_client(), "sato"), login(app.test_client(), "sato")
    assert here.get("/account/password").status_code == 200
    response = change_own(here)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert here.get("/").status_code == 200  # the session that changed it goes on
    ended = elsewhere.get("/")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/login")
    page = elsewhere.get(ended.headers["Location"]).get_data(as_text=True)
    assert "パスワードが変更されたため、ログアウトしました" in page
    event = newest("user.password_changed")
    assert (event.actor, event.data_dict) == ("sato", {"login": "sato", "by": "self"})
    stored = User.get_by_id("sato")
    assert event.changes_dict == {"user": {"sato": {"password_fingerprint": secret_fingerprint(stored.password_hash)}}}
    assert stored.password_hash not in event.changes and stored.password_hash not in event.data
    with pytest.raises(NotAuthenticated):
        people.check_password("sato", PASSWORD)
    assert people.check_password("sato", NEW_PASSWORD).login == "sato"
    assert ledger.verify().ok


def test_a_wrong_current_password_or_two_different_new_ones_change_nothing(app, cast):
    client = login(app.test_client(), "sato")
    before = User.get_by_id("sato").password_hash
    wrong = change_own(client, current="not-it")
    assert wrong.status_code == 401 and "ログインIDまたはパスワードが違います" in wrong.get_data(as_text=True)
    assert newest().kind == "login.failed" and newest().data_dict["purpose"] == "password_change"
    differing = change_own(client, again="battery-staple-43")
    assert differing.status_code == 400
    assert "新しいパスワードが2回とも同じではありません" in differing.get_data(as_text=True)
    client.get("/?lang=en")
    short = change_own(client, new="short")
    assert short.status_code == 400 and "password must be at least 8 characters" in short.get_data(as_text=True)
    assert User.get_by_id("sato").password_hash == before
    assert Event.select().where(Event.kind == "user.password_changed").count() == 0
    assert client.get("/").status_code == 200


def test_who_may_set_whose_password(cast):
    with pytest.raises(NotAllowed):
        people.change_password(cast.responsible, "sato", NEW_PASSWORD)
    people.change_password(cast.admin, "sato", NEW_PASSWORD)
    assert newest().data_dict == {"login": "sato", "by": "admin"} and newest().actor == "admin"
    people.change_password(None, "sato", PASSWORD)
    assert newest().data_dict == {"login": "sato", "by": "installation"} and newest().actor is None
    assert ledger.verify().ok


# ---- idle sessions ---------------------------------------------------------------------------


def test_a_session_unused_for_the_idle_time_ends(app, cast, settings):
    assert settings.session_idle_minutes == 480
    client = login(app.test_client(), "sato")
    with clock_at(utc_now() + timedelta(minutes=479)):
        assert client.get("/").status_code == 200  # used: the idle time starts again from here
    with clock_at(utc_now() + timedelta(minutes=479 + 479)):
        assert client.get("/").status_code == 200
    with clock_at(utc_now() + timedelta(minutes=479 + 479 + 481)):
        ended = client.get("/")
        assert ended.status_code == 302 and ended.headers["Location"].startswith("/login")
        page = client.get("/login").get_data(as_text=True)
        assert "しばらく操作がなかったため、ログアウトしました" in page
        assert client.get("/").status_code == 302


def test_the_idle_time_is_set_in_config_json(data_dir):
    path = data_dir / config.CONFIG_FILE
    stored = json.loads(path.read_text(encoding="utf-8"))
    for value, expected in ((30, 30), (0, 480), ("30", 480), (True, 480)):
        path.write_text(json.dumps({**stored, "session_idle_minutes": value}), encoding="utf-8")
        assert config.load(data_dir).session_idle_minutes == expected


# ---- secrets outside the chain are covered by verify -----------------------------------------


def test_a_password_hash_swapped_in_the_database_is_caught(cast):
    assert ledger.verify().ok
    User.update(password_hash=generate_password_hash("attacker-knows-this")).where(User.login == "takahashi").execute()
    assert problems() == ["the password of user takahashi does not match the ledger (changed directly)"]
    assert ledger.verify().problems[0].message_ja == "利用者 takahashi のパスワードが台帳の記録と一致しません（直接変更の疑い）"


def test_issuing_and_revoking_tokens_are_events_and_a_token_row_cannot_be_slipped_in(app, cast):
    token = tokens.create_token(cast.worker, "station-1")
    issued = newest("token.issued")
    [row] = tokens.tokens(cast.worker)
    assert issued.data_dict == {"login": "sato", "token": row.short_id} and issued.actor is None
    assert token not in issued.data and token not in issued.changes
    client = app.test_client()
    assert client.get("/api/v1/media", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    with pytest.raises(NotAllowed):
        tokens.revoke(cast.responsible, row.short_id)
    tokens.revoke(cast.worker, row.short_id, reason="lost phone")
    assert newest().kind == "token.revoked" and newest().data_dict == {"login": "sato", "token": row.short_id, "reason": "lost phone"}
    with pytest.raises(WrongState):
        tokens.revoke(cast.admin, row.short_id)
    refused = client.get("/api/v1/media", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.get_json()["message_en"] == "invalid or revoked API token"
    assert ledger.verify().ok

    ApiToken.update(revoked=False).execute()  # un-revoked behind the ledger's back
    assert problems() == [f"api_token {row.token_sha256}: revoked differ from the ledger (edited directly)"]
    ApiToken.update(revoked=True).execute()
    ApiToken.create(token_sha256="ab" * 32, user="takahashi", name="slipped in", created_at="2026-11-30T00:00:00.000000Z")
    assert problems() == [f"api_token {'ab' * 32} exists without any ledger event"]


def test_an_admin_issues_for_others_a_worker_only_for_themself(cast):
    with pytest.raises(NotAllowed):
        tokens.create_token(cast.responsible, "phone", actor=cast.worker)
    tokens.create_token(cast.responsible, "phone", actor=cast.admin)
    assert newest().actor == "admin" and newest().data_dict["login"] == "yamada"


# ---- the CLI ---------------------------------------------------------------------------------


def test_cli_disables_and_enables_accounts_revokes_tokens_and_sets_passwords(app, cast, data_dir):
    session = login(app.test_client(), "sato")
    token = tokens.create_token(cast.worker, "station-1", None)
    short_id = tokens.tokens(cast.worker)[0].short_id

    listed = run_cli("--data", str(data_dir), "token", "list")
    assert listed.exit_code == 0
    assert listed.output.splitlines()[0].split("\t")[:3] + [listed.output.splitlines()[0].split("\t")[-1]] == \
        [short_id, "sato", "station-1", "active"]
    assert token not in listed.output

    result = run_cli("--data", str(data_dir), "user", "deactivate", "sato")
    assert result.exit_code == 0 and "disabled: sato" in result.output
    assert newest().kind == "user.deactivated" and newest().actor is None
    assert session.get("/").status_code == 302
    again = run_cli("--data", str(data_dir), "user", "deactivate", "sato")
    assert again.exit_code == EXIT_REFUSED and "sato is already disabled" in again.output
    assert run_cli("--data", str(data_dir), "user", "activate", "sato").exit_code == 0
    assert User.get_by_id("sato").active is True

    revoked = run_cli("--data", str(data_dir), "token", "revoke", short_id, "--reason", "station replaced")
    assert revoked.exit_code == 0 and f"revoked: {short_id} (sato, station-1)" in revoked.output
    assert run_cli("--data", str(data_dir), "token", "list", "--user", "sato").output.rstrip().endswith("revoked")
    for bad, message in (("zz", "give the token's ID as listed"), ("00000000", "no API token 00000000")):
        refused = run_cli("--data", str(data_dir), "token", "revoke", bad)
        assert refused.exit_code == EXIT_REFUSED and message in refused.output

    changed = run_cli("--data", str(data_dir), "user", "password", "sato", "--password", NEW_PASSWORD)
    assert changed.exit_code == 0, changed.output
    assert newest().kind == "user.password_changed" and newest().data_dict == {"login": "sato", "by": "installation"}
    assert session.get("/").status_code == 302
    assert ledger.verify().ok


# ---- an older data folder --------------------------------------------------------------------


def test_an_older_folders_passwords_and_tokens_are_adopted_once_and_visibly(cast):
    """As an older version left it: a user whose creation recorded no fingerprint, and a token
    row written beside the ledger."""
    from tracker import db

    with db.writing():
        ledger.append("user.created", None, data={"login": "old"},
                      changes={"user": {"old": {"name": "旧利用者", "role": "contractor", "organisation": "", "title": "", "active": True}}})
    User.update(password_hash=generate_password_hash(PASSWORD)).where(User.login == "old").execute()
    ApiToken.create(token_sha256="cd" * 32, user="sato", name="old station", created_at="2026-01-01T00:00:00.000000Z")
    Meta.delete().where(Meta.key == SECRETS_IN_LEDGER).execute()
    assert sorted(problems()) == [f"api_token {'cd' * 32} exists without any ledger event",
                                  "the password of user old does not match the ledger (changed directly)"]

    assert adoption.record_secrets_kept_outside() == 1
    adopted = newest()
    assert adopted.kind == "security.adopted" and adopted.actor is None
    assert adopted.data_dict["users"] == ["admin", "old", "sato", "suzuki", "takahashi", "yamada"]
    assert adopted.data_dict["tokens"] == 1
    assert ledger.verify().ok
    assert adoption.record_secrets_kept_outside() == 0 and newest().seq == adopted.seq


def test_a_new_database_needs_no_adoption(cast):
    assert Meta.get_by_id(SECRETS_IN_LEDGER).value == "1"
    before = newest().seq
    assert adoption.record_secrets_kept_outside() == 0 and newest().seq == before


# ---- the administrator's page ----------------------------------------------------------------


def test_an_admin_disables_accounts_and_revokes_tokens_on_the_accounts_page(app, cast):
    token = tokens.create_token(cast.worker, "station-1")
    short_id = tokens.tokens(cast.worker)[0].short_id
    worker = login(app.test_client(), "sato")
    admin = login(app.test_client(), "admin")
    page = admin.get("/admin/accounts").get_data(as_text=True)
    assert "利用者とAPIトークン" in page and "佐藤 花子" in page and short_id in page and token not in page

    before = Event.select().count()
    assert worker.get("/admin/accounts").status_code == 403
    refused = worker.post(f"/admin/tokens/{short_id}/revoke", data={"csrf_token": csrf(worker)})
    assert refused.status_code == 403
    assert Event.select().count() == before

    done = admin.post(f"/admin/tokens/{short_id}/revoke", data={"csrf_token": csrf(admin), "reason": "紛失"}, follow_redirects=True)
    assert "APIトークンを取り消しました" in done.get_data(as_text=True)
    assert (newest().kind, newest().actor, newest().data_dict["reason"]) == ("token.revoked", "admin", "紛失")
    again = admin.post(f"/admin/tokens/{short_id}/revoke", data={"csrf_token": csrf(admin)}, follow_redirects=True)
    assert f"APIトークン {short_id} は既に取り消されています" in again.get_data(as_text=True)

    admin.post("/admin/accounts/sato/active", data={"csrf_token": csrf(admin), "active": "0"})
    assert (newest().kind, newest().actor) == ("user.deactivated", "admin")
    assert worker.get("/").status_code == 302
    admin.post("/admin/accounts/sato/active", data={"csrf_token": csrf(admin), "active": "1"})
    assert newest().kind == "user.activated" and User.get_by_id("sato").active
    assert ledger.verify().ok
