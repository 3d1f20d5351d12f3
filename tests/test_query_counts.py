"""Query-count guard: every list page and API listing runs the same number of SQL statements
whatever the number of rows, and a storage check's reconciliation does not grow with its place.

The data set grows in rounds of the same shapes (media stored, taken out and overdue, received
and held by a person, lost with an incident, a handover, a transfer, a new storage place); each
page is fetched after one round and again after three, and the statements it ran are counted on
the database connection itself. An N+1 (one query per row shown) makes the second count larger.
Statements are counted, never time: the result is the same on any machine.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.conftest import login
from tracker import db, ledger, verification
from tracker.models import Medium
from tracker.timeutil import now_iso
from tracker.workflows import checks, handovers, incidents, media, places, tokens, transfers


@contextmanager
def counted():
    """Count the statements the real database runs inside the block (SQLite and PostgreSQL)."""
    real = db.database.obj
    seen: list[str] = []
    original = real.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return original(sql, params, *args, **kwargs)

    real.execute_sql = execute_sql
    try:
        yield seen
    finally:
        del real.execute_sql


def grow(cast, round_number: int) -> None:
    """One round of every shape a list page shows: each round adds the same kinds of rows."""
    cabinet = places.create_location(cast.admin, f"キャビネット{round_number}", "cabinet", "storage", site="本社")
    for position in range(3):
        media.register(cast.worker, "KG26", "paper", f"課税資料 {round_number}-{position}", location=cabinet.code)
        media.register(cast.worker, "KG26", "usb", f"保管USB {round_number}-{position}", location=cast.cabinet.code,
                       encrypted=True, encryption="AES-256")
    out = media.register(cast.worker, "KG26", "paper", f"作業中 {round_number}", location=cabinet.code)
    media.take_out(cast.worker, out.id, cast.work_room.code, "入力作業")
    with db.writing():  # overdue: expected back yesterday
        ledger.append("medium.taken_out", cast.worker.login, contract="KG26",
                      changes={"medium": {out.id: {"due_back": "2000-01-01", "custodian": cast.worker.login}}})
    media.register(cast.worker, "KG26", "hdd", f"受領のみ {round_number}", encrypted=True, encryption="AES-256")
    lost = media.register(cast.worker, "KG26", "paper", f"所在不明 {round_number}", location=cabinet.code)
    with db.writing():
        ledger.append("medium.lost", cast.worker.login, contract="KG26",
                      changes={"medium": {lost.id: {"status": "lost", "location": None, "updated_at": now_iso()}}})
        incidents.open_draft(cast.worker, "KG26", [Medium.get_by_id(lost.id)], source="test", place=cabinet.name,
                             discovered_at=now_iso(), summary="所在不明")
    handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    transfers.plan(cast.worker, "KG26", "入力作業", "本社", cabinet.code, "社用車", ["佐藤 花子"])


PAGES = (
    "/", "/media", "/media?q=課税", "/media?status=stored", "/register", "/handovers", "/transfers", "/checks",
    "/incidents", "/destructions", "/contracts/KG26/inspection", "/contracts/KG26/balance",
)
API_LISTINGS = (
    "/api/v1/media", "/api/v1/media?q=USB", "/api/v1/handovers", "/api/v1/transfers", "/api/v1/copy-requests",
    "/api/v1/checks", "/api/v1/checks/schedule", "/api/v1/incidents", "/api/v1/destructions",
    "/api/v1/contracts/KG26/inspection",
)


def statements(client, url: str, headers=None) -> int:
    with counted() as seen:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200, (url, response.status_code)
    return len(seen)


def measure(client, token, cabinet_code) -> dict[str, int]:
    found = {url: statements(client, url) for url in PAGES}
    found[f"/locations/{cabinet_code}"] = statements(client, f"/locations/{cabinet_code}")
    found.update({url: statements(client, url, {"Authorization": f"Bearer {token}"}) for url in API_LISTINGS})
    return found


def test_list_pages_and_api_listings_run_a_bounded_number_of_statements(client, cast):
    token = tokens.create_token(cast.responsible, "bench")
    login(client, "yamada")
    verification.current()  # the standing verification exists, as on any installation past its first view
    grow(cast, 1)
    small = measure(client, token, cast.cabinet.code)
    for round_number in (2, 3):
        grow(cast, round_number)
    large = measure(client, token, cast.cabinet.code)
    grown = {url: (small[url], large[url]) for url in small if large[url] != small[url]}
    assert grown == {}, f"statements per page grew with the rows (before, after): {grown}"


def test_storage_check_statements_do_not_grow_with_the_place(client, cast, settings):
    """Starting, scanning into and reading a check cost the same statements at a place of 4 media
    and at one of 16: reconciliation works on sets, never one query (or one list scan) per medium."""
    token = tokens.create_token(cast.worker, "station")
    headers = {"Authorization": f"Bearer {token}"}
    login(client, "sato")
    counts = {}
    for name, size in (("小キャビネット", 4), ("大キャビネット", 16)):
        place = places.create_location(cast.admin, name, "cabinet", "storage")
        stored = [media.register(cast.worker, "KG26", "paper", f"{name} {n}", location=place.code).id for n in range(size)]
        with counted() as started:
            check = checks.start(cast.worker, place.code, settings.secret)
        for medium_id in stored[: size // 2 - 1]:
            checks.scan(cast.worker, check.number, medium_id, settings.secret, confirmed=True)
        with counted() as scanned:
            checks.scan(cast.worker, check.number, stored[size // 2], settings.secret, confirmed=True)
        with counted() as reconciled:
            checks.reconcile(checks.get_check(check.number))
        counts[name] = {
            "start": len(started), "scan": len(scanned), "reconcile": len(reconciled),
            "page": statements(client, f"/checks/{check.number}"),
            "api": statements(client, f"/api/v1/checks/{check.number}", headers),
        }
    assert counts["大キャビネット"] == counts["小キャビネット"]


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of 3 media, so that paging shows with a handful."""
    from tracker import queries

    monkeypatch.setattr(queries, "PAGE_SIZE", 3)


def test_media_pages_follow_a_cursor_both_ways(client, cast, small_pages):
    registered = [media.register(cast.worker, "KG26", "paper", f"資料 {n}").id for n in range(7)]
    login(client, "sato")
    first = client.get("/media").get_data(as_text=True)
    assert registered[0] in first and registered[3] not in first
    assert f"after={registered[2]}" in first and "before=" not in first
    second = client.get(f"/media?after={registered[2]}").get_data(as_text=True)
    assert registered[3] in second and registered[5] in second and registered[2] not in second
    assert f"before={registered[3]}" in second and f"after={registered[5]}" in second
    back = client.get(f"/media?before={registered[3]}").get_data(as_text=True)
    assert registered[0] in back and registered[2] in back and registered[3] not in back and "before=" not in back
    last = client.get(f"/media?after={registered[5]}").get_data(as_text=True)
    assert registered[6] in last and "after=" not in last


def test_api_media_cursor_walks_every_medium_once(client, cast, small_pages):
    registered = [media.register(cast.worker, "KG26", "paper", f"資料 {n}").id for n in range(7)]
    headers = {"Authorization": f"Bearer {tokens.create_token(cast.worker, 'station')}"}
    seen, cursor = [], ""
    while True:
        body = client.get(f"/api/v1/media?after={cursor}", headers=headers).get_json()
        seen += [medium["id"] for medium in body["media"]]
        assert body["total"] == 7 and body["total_is_floor"] is False
        if body["next"] is None:
            break
        cursor = body["next"]
    assert seen == registered


def test_pages_past_the_end_or_negative_answer_at_once(client, cast, small_pages):
    media.register(cast.worker, "KG26", "paper", "資料")
    login(client, "sato")
    assert "資料" in client.get("/media?page=-3").get_data(as_text=True)
    past = client.get("/media?page=999999")
    assert past.status_code == 200 and "このページに媒体はありません" in past.get_data(as_text=True)
    headers = {"Authorization": f"Bearer {tokens.create_token(cast.worker, 'station')}"}
    deep = client.get("/api/v1/media?page=100000", headers=headers)
    assert deep.status_code == 400 and deep.get_json()["field"] == "page" and "after" in deep.get_json()["message_en"]
    assert client.get("/api/v1/handovers?page=51", headers=headers).status_code == 400
    assert client.get("/api/v1/media?page=-1", headers=headers).status_code == 400
    assert client.get("/api/v1/media?page=2", headers=headers).get_json()["media"] == []


def test_api_listings_take_a_cursor(client, cast):
    numbers = [handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋").number
               for _ in range(3)]
    headers = {"Authorization": f"Bearer {tokens.create_token(cast.worker, 'station')}"}
    after = client.get(f"/api/v1/handovers?after={numbers[2]}", headers=headers).get_json()
    assert [record["number"] for record in after] == [numbers[1], numbers[0]]


def test_a_place_lists_its_media_a_page_at_a_time(client, cast, small_pages):
    stored = [media.register(cast.worker, "KG26", "paper", f"資料 {n}", location=cast.cabinet.code).id for n in range(5)]
    login(client, "sato")
    first = client.get(f"/locations/{cast.cabinet.code}").get_data(as_text=True)
    assert stored[2] in first and stored[3] not in first and "(5)" in first and f"after={stored[2]}" in first
    rest = client.get(f"/locations/{cast.cabinet.code}?after={stored[2]}").get_data(as_text=True)
    assert stored[3] in rest and stored[4] in rest and stored[2] not in rest and "after=" not in rest.split("最初から")[1]
