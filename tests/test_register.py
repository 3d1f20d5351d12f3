"""The 台帳 (Art. 7(5)): register rows, CSV downloads, chain of custody, close-out balance, pages, PDF.

Expected values are computed independently of ``tracker.register``: from the Medium rows, from
``ledger.timeline`` and from the events themselves, so a register that drifts from the ledger fails.
"""

from __future__ import annotations

import csv
import io
import subprocess
from contextlib import contextmanager

import pytest

from conftest import csrf, login
from labels import ids
from tracker import ledger, register, vocabulary
from tracker.documents.paper import Issue
from tracker.documents.register import register_pdf
from tracker.models import Contract, Event, EventMedium, Medium, User
from tracker.timeutil import JST, now_iso, utc_now
from tracker.workflows import copies, destruction, handovers, media

from test_destruction import now_photo

BOM = b"\xef\xbb\xbf"


def set_status(medium_id: str, kind: str, status: str, **extra) -> None:
    """Write a status change no workflow made (lost has no workflow yet; or a write-off)."""
    ledger.append(kind, "yamada", contract="KG26", changes={"medium": {medium_id: {
        "status": status, "location": None, "custodian": None, **extra}}})


def destroy(cast, settings, medium_id: str) -> None:
    """Through the destruction workflow: applied, approved, scanned, destroyed, photographed, certified."""
    application = destruction.apply(cast.responsible, "KG26", [{"medium": medium_id, "category": "destroy", "technique": "shred",
                                                                "level": "H-5"}],
                                    reason="契約終了", scheduled_at=utc_now().astimezone(JST).strftime("%Y-%m-%d 09:00"), place="本社",
                                    copies_statement="複製なし", verification_plan="目視")
    destruction.decide(cast.city, application.number, True)
    destruction.scan(cast.worker, application.number, medium_id)
    destruction.record_destroyed(cast.worker, application.number, [], "目視", "判読不可", "産廃業者")
    for stage, seed in (("before", 1), ("after", 2)):
        destruction.add_evidence(cast.worker, settings, application.number, stage, now_photo(seed), f"{stage}.jpg")
    destruction.complete(cast.worker, settings, application.number, "yamada")


def return_to_city(cast, settings, medium_id: str) -> None:
    handover = handovers.start(cast.worker, "KG26", "return", "2026-12-01 10:00", "市役所", "手渡し", "高橋 市役所")
    handovers.scan(cast.worker, handover.number, medium_id)
    handovers.sign(cast.worker, handover.number)
    handovers.confirm(cast.city, handover.number, settings)


@pytest.fixture
def stock(cast, settings):
    """Held, returned, destroyed, lost, a copy, and one listed but never handed over."""
    register_medium = media.register
    usb = register_medium(cast.responsible, "KG26", "usb", "課税データ", record_count=1200, pi_items=["氏名", "住所"],
                          encrypted=True, encryption="AES-256", seal_number="S-0001", location=cast.cabinet.code)
    media.take_out(cast.worker, usb.id, cast.work_room.code, "入力作業", "2026-12-01")
    paper = register_medium(cast.worker, "KG26", "paper", "申告書原票", record_count=250, quantity=250)
    media.store(cast.responsible, paper.id, cast.cabinet.code)
    # encrypted: an electronic medium goes back to the city only encrypted (Art. 6(1))
    returned = register_medium(cast.responsible, "KG26", "optical", "控えディスク", record_count=40, location=cast.cabinet.code,
                               encrypted=True, encryption="AES-256")
    destroyed = register_medium(cast.worker, "KG26", "hdd", "旧データ", record_count=30, location=cast.cabinet.code)
    destroy(cast, settings, destroyed.id)
    lost = register_medium(cast.worker, "KG26", "usb", "作業用データ", record_count=10, encrypted=True, encryption="AES")
    set_status(lost.id, "medium.lost", "lost")
    approval = copies.request(cast.worker, returned.id, 1, "usb", "作業用")
    copies.decide(cast.city, approval.number, True)
    copy = copies.make_copy(cast.worker, approval.number, location=cast.cabinet.code, title="課税データ（複製）",
                            encrypted=True, encryption="AES-256")
    return_to_city(cast, settings, returned.id)
    expected_id = ids.format_id("KG26", 7)
    ledger.append("handover.listed", "yamada", contract="KG26", changes={"medium": {expected_id: {
        "contract": "KG26", "kind": "paper", "title": "未着の原票", "status": "expected",
        "registered_at": now_iso(), "updated_at": now_iso()}}})
    return {"usb": usb.id, "paper": paper.id, "returned": returned.id, "destroyed": destroyed.id,
            "lost": lost.id, "copy": copy.id, "expected": expected_id}


def handled_by(medium_id: str) -> list[str]:
    names = dict(User.select(User.login, User.name).tuples())
    people: list[str] = []
    for event in ledger.timeline(medium_id):
        if event.actor and names[event.actor] not in people:
            people.append(names[event.actor])
    return people


def read_csv(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    return lines[0], [dict(zip(lines[0], line)) for line in lines[1:]]


# ---- register rows and CSV ---------------------------------------------------------------------


def test_register_rows_follow_the_projection_and_the_timeline(stock, cast):
    rows = {row.id: row for row in register.register_rows(["KG26"])}
    assert stock["expected"] not in rows, "never handed over: not in the register by default"
    assert set(rows) == {medium_id for name, medium_id in stock.items() if name != "expected"}
    assert stock["expected"] in {row.id for row in register.register_rows(["KG26"], include_never_received=True)}

    usb = rows[stock["usb"]]
    assert usb.handled_by == ["山田 太郎", "佐藤 花子"]  # registered by yamada, taken out by sato
    assert (usb.status, usb.location_code, usb.location_name, usb.custodian_name) == ("in_use", cast.work_room.code, "作業室1", "佐藤 花子")
    assert (usb.pi_items, usb.record_count, usb.encrypted, usb.seal_number) == (["氏名", "住所"], 1200, True, "S-0001")
    assert rows[stock["paper"]].handled_by == ["佐藤 花子", "山田 太郎"]
    assert rows[stock["copy"]].parent == stock["returned"]
    for medium_id, row in rows.items():
        medium = Medium.get_by_id(medium_id)
        assert (row.status, row.title, row.quantity, row.location_code) == (medium.status, medium.title, medium.quantity, medium.location_id)
        assert row.handled_by == handled_by(medium_id)
        assert row.last_event_at == ledger.timeline(medium_id)[-1].at
    assert register.register_rows(["NOPE"]) == []


@contextmanager
def counting_queries(database):
    executed: list[str] = []
    real_execute = database.execute_sql
    database.execute_sql = lambda sql, *args, **kwargs: executed.append(sql) or real_execute(sql, *args, **kwargs)
    try:
        yield executed
    finally:
        del database.execute_sql  # the instance attribute hid the method; removing it restores it


def test_register_rows_cost_the_same_few_queries_for_any_number_of_media(stock, cast, database):
    with counting_queries(database) as few:
        register.register_rows(["KG26"])
    for number in range(20):
        media.register(cast.worker, "KG26", "paper", f"原票 {number}", location=cast.cabinet.code)
    with counting_queries(database) as more:
        assert len(register.register_rows(["KG26"])) == 26
    assert len(more) == len(few) <= 4, "one query per medium would not scale to 10,000 media"


def test_register_csv_is_excel_ready_japanese_and_matches_the_ledger(stock, cast):
    content = register.register_csv(["KG26"])
    assert content.startswith(BOM)
    text = content.decode("utf-8-sig")
    assert text.count("\r\n") == text.count("\n") == 7, "CRLF line ends: a header and six media"
    header, rows = read_csv(content)
    assert header[:4] == ["媒体ID", "契約", "種類", "名称"] and "取扱者" in header and "個人情報の項目" in header
    assert [row["媒体ID"] for row in rows] == sorted(medium_id for name, medium_id in stock.items() if name != "expected")
    for row in rows:
        medium = Medium.get_by_id(row["媒体ID"])
        assert row["名称"] == medium.title
        assert row["件数"] == str(medium.record_count)
        assert row["状態"] == vocabulary.STATUSES[medium.status][0]
        assert row["場所コード"] == (medium.location_id or "")
        assert row["複製元"] == (medium.parent_id or "")
        assert row["取扱者"] == "、".join(handled_by(medium.id))
        assert row["最終記録日時（JST）"] == register.csv_time(ledger.timeline(medium.id)[-1].at)
    usb = next(row for row in rows if row["媒体ID"] == stock["usb"])
    assert (usb["個人情報の項目"], usb["暗号化"], usb["場所"], usb["保持者"]) == ("氏名、住所", "あり", "作業室1", "佐藤 花子")
    assert usb["取扱者"] == "山田 太郎、佐藤 花子"
    assert register.csv_time("2026-11-25T13:45:00.000000Z") == "2026-11-25 22:45:00", "JST, a form Excel reads as a time"


def test_register_csv_in_english(stock):
    header, rows = read_csv(register.register_csv(["KG26"], lang="en"))
    assert header[0] == "Medium ID" and "Handled by" in header and "媒体ID" not in header
    paper = next(row for row in rows if row["Medium ID"] == stock["paper"])
    assert (paper["Status"], paper["Kind"], paper["Handled by"]) == ("stored", "paper originals", "佐藤 花子; 山田 太郎")


def test_csv_cells_cannot_become_spreadsheet_formulas(cast):
    media.register(cast.worker, "KG26", "paper", "=HYPERLINK(\"http://evil\")")
    _header, rows = read_csv(register.register_csv(["KG26"]))
    assert rows[0]["名称"] == "'=HYPERLINK(\"http://evil\")"


# ---- chain of custody --------------------------------------------------------------------------


def test_chain_of_custody_of_one_medium(stock, cast):
    steps = register.chain_of_custody(stock["usb"])
    events = ledger.timeline(stock["usb"])
    assert [step.seq for step in steps] == [event.seq for event in events]
    assert [step.event_name[0] for step in steps] == ["媒体受領・登録", "作業場所へ持出し（第9条）"]
    assert [step.actor_name for step in steps] == ["山田 太郎", "佐藤 花子"]
    registered, taken_out = steps
    assert (registered.location_code, registered.status) == (cast.cabinet.code, "stored")
    assert (taken_out.location_code, taken_out.location_name, taken_out.status) == (cast.work_room.code, "作業室1", "in_use")
    assert taken_out.details == {"purpose": "入力作業", "due_back": "2026-12-01"}
    assert taken_out.hash == events[-1].hash


def test_custody_csv_has_one_line_per_event_and_medium(stock, cast):
    content = register.custody_csv(["KG26"])
    assert content.startswith(BOM) and b"\r\n" in content
    header, rows = read_csv(content)
    assert header[:4] == ["記録番号", "日時（JST）", "記録", "媒体ID"] and "ハッシュ" in header
    # Two events for each of three media; one for the copy (made) and one for the expected one; the
    # returned disc's seven: registered, copy asked / approved / made, scanned at the return, the
    # city's confirmation, the receipt; the destroyed disk's seven: registered, applied, approved,
    # scanned, destroyed, completed, the certificate (the batch photos name no medium).
    assert len(rows) == EventMedium.select().count() == 22
    events = {event.seq: event for event in Event.select()}
    for row in rows:
        event = events[int(row["記録番号"])]
        assert row["ハッシュ"] == event.hash
        assert row["日時（JST）"] == register.csv_time(event.at)
        assert row["記録"] == vocabulary.event_name(event.kind)[0]
        assert EventMedium.select().where((EventMedium.event == event.seq) & (EventMedium.medium == row["媒体ID"])).exists()
    usb = [row for row in rows if row["媒体ID"] == stock["usb"]]
    assert [row["取扱者"] for row in usb] == ["山田 太郎", "佐藤 花子"]
    assert [row["場所"] for row in usb] == [f"施錠キャビネットA ({cast.cabinet.code})", f"作業室1 ({cast.work_room.code})"]
    returned = [row for row in rows if row["媒体ID"] == stock["returned"]]
    assert [row["記録"] for row in returned][-3:] == ["引渡し時の読取り", "市の確認（引渡し完了）", "文書の発行"]
    assert (returned[-1]["場所"], returned[-1]["状態"]) == ("", "返還済")


# ---- close-out balance -------------------------------------------------------------------------


def test_closeout_balance_accounts_for_every_medium(stock):
    balance = register.closeout_balance("KG26")
    assert (balance.received, balance.copies) == (5, 1)
    assert (balance.returned, balance.destroyed, balance.held) == (1, 1, 4), "a lost medium is still held"
    assert balance.balanced and balance.came_in == balance.went_out_or_held == 6
    assert balance.never_received == 1, "listed but never handed over: outside the equation"
    assert balance.by_status == {"in_use": 1, "stored": 2, "returned": 1, "destroyed": 1, "lost": 1, "expected": 1}
    held = {row.id: row.status for row in balance.held_media}
    assert held == {stock["usb"]: "in_use", stock["paper"]: "stored", stock["copy"]: "stored", stock["lost"]: "lost"}


def test_returned_counts_only_what_the_city_confirmed_on_a_return_receipt(stock):
    # A medium written off as "returned" by an event that is not a confirmed return: the ledger
    # is intact, but no receipt covers it, so the balance does not close and names it.
    set_status(stock["paper"], "medium.returned", "returned")
    assert ledger.verify().ok
    balance = register.closeout_balance("KG26")
    assert balance.returned == 1 and balance.received_by_receipt == 0 and balance.registered_directly == 5
    assert not balance.balanced
    assert [row.id for row in balance.unaccounted_media] == [stock["paper"]]


def test_destroyed_counts_only_media_on_an_issued_destruction_certificate(stock):
    # Likewise a medium written off as "destroyed" by an event that is not a completed,
    # certified destruction: the balance names it.
    set_status(stock["paper"], "medium.destroyed", "destroyed")
    assert ledger.verify().ok
    balance = register.closeout_balance("KG26")
    assert balance.destroyed == 1 and not balance.balanced
    assert [row.id for row in balance.unaccounted_media] == [stock["paper"]]


def test_balance_breaks_when_a_row_is_edited_outside_the_ledger(stock):
    # Someone "fixes" the lost stick by writing a status no workflow knows: it has left the held
    # media without being returned or destroyed, so the equation no longer holds.
    Medium.update(status="found_later").where(Medium.id == stock["lost"]).execute()
    balance = register.closeout_balance("KG26")
    assert not balance.balanced
    assert (balance.came_in, balance.went_out_or_held) == (6, 5)
    assert [row.id for row in balance.unaccounted_media] == [stock["lost"]]
    assert not ledger.verify().ok, "the same edit is what verify() reports as tampering"


# ---- pages -------------------------------------------------------------------------------------


def register_ids(stock) -> list[str]:
    return [medium_id for name, medium_id in stock.items() if name != "expected"]


@pytest.mark.parametrize("reader", ["yamada", "takahashi"])
def test_register_page_in_both_languages(app, stock, reader):
    client = login(app.test_client(), reader)
    page = client.get("/register").get_data(as_text=True)
    assert "媒体管理台帳" in page and "取扱者" in page and "山田 太郎、佐藤 花子" in page
    for medium_id in register_ids(stock):
        assert f'href="/media/{medium_id}"' in page
    assert stock["expected"] not in page
    assert "/register.csv?contract=KG26" in page and "/register/custody.csv?contract=KG26" in page
    assert "/contracts/KG26/balance" in page
    page = client.get("/register?contract=KG26&lang=en").get_data(as_text=True)
    assert "Media register" in page and "Handled by" in page and "in use" in page


@pytest.mark.parametrize("reader", ["yamada", "takahashi"])
def test_csv_downloads(app, stock, reader):
    client = login(app.test_client(), reader)
    response = client.get("/register.csv?contract=KG26")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data == register.register_csv(["KG26"])
    response = client.get("/register/custody.csv?contract=KG26&lang=en")
    assert response.data.startswith(BOM) and response.data == register.custody_csv(["KG26"], lang="en")


@pytest.mark.parametrize("reader", ["yamada", "takahashi"])
def test_balance_page(app, stock, reader):
    client = login(app.test_client(), reader)
    page = client.get("/contracts/KG26/balance").get_data(as_text=True)
    assert "収支一致" in page and "5 + 1 = 6" in page and "1 + 1 + 4 = 6" in page
    assert "≠" not in page
    for name in ("usb", "paper", "copy", "lost"):
        assert f'href="/media/{stock[name]}"' in page
    assert "所在不明" in page and "作業室1" in page
    Medium.update(status="found_later").where(Medium.id == stock["lost"]).execute()
    page = client.get("/contracts/KG26/balance?lang=en").get_data(as_text=True)
    assert "does not balance" in page and "≠" in page and "found_later" in page


def test_a_contractor_off_the_roster_sees_nothing(app, stock):
    client = login(app.test_client(), "suzuki")
    page = client.get("/register").get_data(as_text=True)
    assert "閲覧できる契約はありません" in page
    assert not any(medium_id in page for medium_id in stock.values())
    for url in ("/register?contract=KG26", "/register.csv?contract=KG26", "/register/custody.csv?contract=KG26",
                "/contracts/KG26/balance"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert stock["usb"].encode() not in response.data
    assert client.get("/contracts/NOPE/balance").status_code == 404


# ---- the paper ---------------------------------------------------------------------------------


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "register.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def squeezed(text: str) -> str:
    # pdftotext drops or adds spaces around "+" and "=" depending on the glyph spacing.
    return "".join(text.split())


def line_number(text: str, medium_id: str) -> int:
    return next(number for number, line in enumerate(text.splitlines()) if line.startswith(medium_id))


def make_issue() -> Issue:
    seq, head_hash = ledger.head()
    return Issue(serial="KG26-D00009", head_seq=seq, head_hash=head_hash, verify_url="http://mediatrail.test/verify/KG26-D00009",
                 issued_at="2026-11-25T13:45:00.000000Z", issued_by="山田 太郎")


def test_register_pdf_lists_every_medium_and_the_balance(stock, tmp_path):
    contract = Contract.get_by_id("KG26")
    rows = register.register_rows(["KG26"])
    text = pdf_text(register_pdf(contract, rows, register.closeout_balance("KG26"), make_issue()), tmp_path)
    assert "個人情報管理台帳" in text and "KG26-D00009" in text
    for medium_id in register_ids(stock):
        assert medium_id in text
    assert stock["expected"] not in text
    assert "5+1=6=1+1+4=6" in squeezed(text) and "一致" in text and "balanced" not in text and "収支不一致" not in text
    usb = text.splitlines()[line_number(text, stock["usb"])]
    assert "使用中" in usb and "作業室1" in usb and usb.rstrip().endswith("山田 太郎")
    assert text.splitlines()[line_number(text, stock["usb"]) + 1].rstrip().endswith("佐藤 花子"), "handled by, one name a line"


def test_register_pdf_says_when_the_media_do_not_balance(stock, tmp_path):
    Medium.update(status="found_later").where(Medium.id == stock["lost"]).execute()
    contract = Contract.get_by_id("KG26")
    text = pdf_text(register_pdf(contract, register.register_rows(["KG26"]), register.closeout_balance("KG26"), make_issue()), tmp_path)
    assert "収支不一致" in text and "5+1=6≠1+1+3=5" in squeezed(text)
    assert "DOES NOT BALANCE" not in text and stock["lost"] in text  # Japanese only


def test_the_register_is_issued_as_a_numbered_pdf_that_verifies(app, stock, cast, tmp_path):
    client = login(app.test_client(), "takahashi")
    response = client.post("/register.pdf", data={"csrf_token": csrf(client), "contract": "KG26"})
    assert response.status_code == 302 and "/d/KG26-D" in response.headers["Location"]
    serial = response.headers["Location"].split("/d/")[1].removesuffix(".pdf")
    text = pdf_text(client.get(f"/d/{serial}.pdf").data, tmp_path)
    assert serial in text and all(stock[name] in text for name in ("usb", "paper", "copy"))
    assert "台帳と一致しています" in client.get(f"/d/{serial}").get_data(as_text=True)
