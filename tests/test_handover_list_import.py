"""Importing the city's list end to end (issue #20): a preview before anything is written, the
mapping made once and remembered for the contract, the stored hash of the file as uploaded, the
receipt naming the sheet and rows — in the workflow, the page and the API."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess

import msoffcrypto.format.ooxml
import openpyxl
import pytest

from conftest import csrf, login
from listfiles import city_workbook, saved
from tracker import ledger
from tracker.errors import InvalidInput, NotAllowed
from tracker.models import Event, Handover, HandoverItem, ListColumnMapping, Medium
from tracker.workflows import attachments, handovers
from tracker.workflows.handover_list import NeedsMapping

OWN_LAYOUT = "受付番号,資料の名前,媒体のかたち,枚\nA-1,申告書,紙,3\nA-2,課税データ,USB,1\n".encode("cp932")
OWN_MAPPING = {"受付番号": "city_reference", "資料の名前": "title", "媒体のかたち": "kind", "枚": "quantity"}


def open_handover(cast):
    return handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所").number


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


# --- The workflow -------------------------------------------------------------------------------

def test_the_preview_says_what_will_be_registered_and_writes_nothing(cast):
    number = open_handover(cast)
    before = ledger.head()
    content = city_workbook()

    preview = handovers.preview_list(cast.worker, number, "R8引渡しリスト.xlsx", content)

    assert ledger.head() == before and Medium.select().count() == 0
    assert preview.sha256 == hashlib.sha256(content).hexdigest() and preview.size == len(content)
    assert preview.kinds == [("paper", 2, 2, 2180), ("usb", 1, 1, 152340), ("optical", 1, 2, 48210)]
    assert (preview.records, preview.encrypted, preview.electronic_unencrypted) == (202730, 2, 0)
    answer = preview.as_dict()
    assert (answer["media"], answer["not_encrypted"], answer["sheet"], answer["header_line"]) == (4, 2, "引渡しリスト", 4)
    assert [(entry["first_line"], entry["reason"], entry["reason_ja"]) for entry in answer["skipped"]] == [
        (1, "title", "見出しより上（表題・注記）"), (2, "title", "見出しより上（表題・注記）"), (3, "blank", "空行"),
        (9, "totals", "合計・小計の行"), (10, "blank", "空行"), (11, "note", "注記")]


def test_the_import_keeps_the_file_as_uploaded_and_names_sheet_and_rows(cast, settings, tmp_path):
    number = open_handover(cast)
    content = city_workbook()

    registered = handovers.import_list(cast.worker, number, "R8引渡しリスト.xlsx", content, settings=settings)

    handover = Handover.get_by_id(number)
    assert handover.list_sha256 == hashlib.sha256(content).hexdigest()  # the bytes as uploaded, never a copy
    assert attachments.read(settings.attachments_dir, handover.list_sha256) == content
    assert handover.list_sheet == "引渡しリスト" and handover.list_name == "R8引渡しリスト.xlsx"
    assert [item.line for item in HandoverItem.select().order_by(HandoverItem.line)] == [5, 6, 7, 8]
    assert [medium.title for medium in registered][:2] == ["住民税申告書（原票） 第1箱", "住民税申告書（原票） 第2箱"]
    event = Event.select().where(Event.kind == "handover.list_imported").get()
    data = json.loads(event.data)
    assert (data["sheet"], data["header_line"], data["skipped"][3]) == ("引渡しリスト", 4, [9, 9, "totals"])
    assert ledger.verify(settings.attachments_dir).ok

    text = pdf_text(handovers.preview_receipt(cast.worker, number, settings), tmp_path)
    assert "引渡しリスト" in text and "5–8" in text and handover.list_sha256 in text


def test_the_preview_refuses_what_the_import_would_refuse(cast):
    number = open_handover(cast)
    handovers.import_list(cast.worker, number, "first.csv", "名称,種類,製造番号\nUSB,USB,SN-1\n".encode())
    other = open_handover(cast)
    with pytest.raises(InvalidInput) as caught:
        handovers.preview_list(cast.worker, other, "second.csv", "名称,種類,製造番号\nUSB,USB,SN-1\n".encode())
    assert "製造番号 SN-1 は KG26-" in caught.value.message_ja


def test_a_mapping_made_once_is_remembered_for_the_contract(cast, settings):
    first = open_handover(cast)
    with pytest.raises(NeedsMapping):
        handovers.preview_list(cast.worker, first, "list.csv", OWN_LAYOUT)
    before = ledger.head()
    with pytest.raises(InvalidInput):
        handovers.import_list(cast.worker, first, "list.csv", OWN_LAYOUT, mapping={"資料の名前": "title", "媒体のかたち": "colour"})
    assert ledger.head() == before and ListColumnMapping.select().count() == 0  # a refused mapping is not remembered

    handovers.import_list(cast.worker, first, "list.csv", OWN_LAYOUT, mapping=OWN_MAPPING, settings=settings)
    assert {row.name: row.field for row in ListColumnMapping.select()} == OWN_MAPPING
    assert {row.saved_by for row in ListColumnMapping.select()} == {"sato"}

    second = open_handover(cast)
    registered = handovers.import_list(cast.worker, second, "next.csv", OWN_LAYOUT.replace(b"A-1", b"B-1").replace(b"A-2", b"B-2"))
    assert [(medium.title, medium.kind, medium.quantity) for medium in registered] == [("申告書", "paper", 3), ("課税データ", "usb", 1)]
    assert ledger.verify(settings.attachments_dir).ok


def test_a_worker_of_another_contract_cannot_stage_or_preview(cast, settings):
    number = open_handover(cast)
    with pytest.raises(NotAllowed):
        handovers.stage_list(cast.newcomer, number, city_workbook(), settings.staging_dir)
    with pytest.raises(NotAllowed):
        handovers.preview_list(cast.city, number, "list.xlsx", city_workbook())
    assert not settings.staging_dir.exists() or not any(settings.staging_dir.iterdir())


def test_a_staged_file_is_checked_against_its_hash(settings):
    sha256 = attachments.stage(settings.staging_dir, b"list")
    assert attachments.staged(settings.staging_dir, sha256) == b"list"
    (settings.staging_dir / sha256).write_bytes(b"edited")
    with pytest.raises(InvalidInput) as caught:
        attachments.staged(settings.staging_dir, sha256)
    assert "変わっています" in caught.value.message_ja
    with pytest.raises(InvalidInput):
        attachments.staged(settings.staging_dir, "../../secret.key")


# --- The page -----------------------------------------------------------------------------------

def post(client, url, data=None, **kwargs):
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def upload(client, number, content, filename):
    return post(client, f"/handovers/{number}/import", {"list": (io.BytesIO(content), filename)},
                content_type="multipart/form-data", follow_redirects=True)


def test_upload_preview_confirm_in_the_page(app, cast, settings):
    worker = login(app.test_client(), "sato")
    number = open_handover(cast)
    content = city_workbook()

    page = upload(worker, number, content, "R8引渡しリスト.xlsx").get_data(as_text=True)

    assert "まだ何も登録していません" in page and Medium.select().count() == 0
    assert "シート「引渡しリスト」" in page and "合計・小計の行" in page and "注記" in page and "202,730" in page
    assert "「媒体名」→ 名称" in page
    assert (settings.staging_dir / hashlib.sha256(content).hexdigest()).read_bytes() == content

    refused = post(worker, f"/handovers/{number}/list-preview/confirm", {"sha256": "0" * 64}, follow_redirects=True)
    assert "別のファイルが選ばれています" in refused.get_data(as_text=True) and Medium.select().count() == 0

    done = post(worker, f"/handovers/{number}/list-preview/confirm", {"sha256": hashlib.sha256(content).hexdigest()},
                follow_redirects=True).get_data(as_text=True)
    assert "4件の媒体を登録しました" in done and Medium.select().count() == 4
    assert Handover.get_by_id(number).list_sha256 == hashlib.sha256(content).hexdigest()
    assert not (settings.staging_dir / hashlib.sha256(content).hexdigest()).exists()


def test_the_mapping_step_in_the_page_then_the_same_layout_in_one_step(app, cast):
    worker = login(app.test_client(), "sato")
    first = open_handover(cast)

    page = upload(worker, first, OWN_LAYOUT, "list.csv").get_data(as_text=True)
    assert "必須の列がありません" in page and 'name="field-1"' in page and "申告書" in page  # the first rows shown
    mapping = {f"name-{index}": name for index, name in enumerate(OWN_MAPPING)}
    mapping.update({f"field-{index}": field for index, field in enumerate(OWN_MAPPING.values())})
    page = post(worker, f"/handovers/{first}/list-preview/mapping", mapping, follow_redirects=True).get_data(as_text=True)
    assert "まだ何も登録していません" in page and "「資料の名前」→ 名称" in page
    post(worker, f"/handovers/{first}/list-preview/confirm", {"sha256": hashlib.sha256(OWN_LAYOUT).hexdigest()})
    assert Medium.select().count() == 2

    second = open_handover(cast)
    page = upload(worker, second, OWN_LAYOUT.replace(b"A-", b"B-"), "next.csv").get_data(as_text=True)
    assert "まだ何も登録していません" in page and "必須の列がありません" not in page


def test_the_sheet_question_in_the_page(app, cast):
    workbook = openpyxl.Workbook()
    workbook.active.title = "今回分"
    workbook.active.append(["名称", "種類"])
    workbook.active.append(["今回の申告書", "紙"])
    previous = workbook.create_sheet("前回分")
    previous.append(["名称", "種類"])
    previous.append(["前回の申告書", "紙"])
    worker = login(app.test_client(), "sato")
    number = open_handover(cast)

    page = upload(worker, number, saved(workbook), "list.xlsx").get_data(as_text=True)
    assert "複数のシートにあります" in page and 'value="前回分"' in page
    page = post(worker, f"/handovers/{number}/list-preview/sheet", {"sheet": "今回分"}, follow_redirects=True).get_data(as_text=True)
    assert "今回の申告書" in page and "前回の申告書" not in page


def test_a_bad_file_in_the_page_says_why_and_registers_nothing(app, cast):
    workbook = openpyxl.Workbook()
    workbook.active.append(["名称", "種類"])
    workbook.active.append(["申告書", "紙"])
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(saved(workbook))).encrypt("pw", encrypted)
    worker = login(app.test_client(), "sato")
    number = open_handover(cast)
    before = ledger.head()

    page = upload(worker, number, encrypted.getvalue(), "list.xlsx").get_data(as_text=True)
    assert "パスワードで暗号化された Excel ブックです" in page and "何も登録していません" in page
    post(worker, f"/handovers/{number}/list-preview/cancel")
    assert ledger.head() == before and Medium.select().count() == 0
    page = worker.get(f"/handovers/{number}/list-preview", follow_redirects=True).get_data(as_text=True)
    assert "取り込むリストのファイルを選んでください" in page


def test_another_persons_pending_list_is_not_theirs(app, cast):
    worker = login(app.test_client(), "sato")
    number = open_handover(cast)
    upload(worker, number, city_workbook(), "list.xlsx")
    responsible = login(app.test_client(), "yamada")
    page = responsible.get(f"/handovers/{number}/list-preview", follow_redirects=True).get_data(as_text=True)
    assert "取り込むリストのファイルを選んでください" in page


# --- The API ------------------------------------------------------------------------------------

@pytest.fixture
def token(cast):
    from tracker.workflows import tokens

    return {"Authorization": f"Bearer {tokens.create_token(cast.worker, 'phone')}"}


def test_the_api_takes_a_mapping_a_sheet_and_a_preview(client, cast, token):
    number = open_handover(cast)
    url = f"/api/v1/handovers/{number}/list"

    asked = client.post(url, headers=token, data={"list": (io.BytesIO(OWN_LAYOUT), "list.csv")}, content_type="multipart/form-data")
    body = asked.get_json()
    assert asked.status_code == 400 and body["error"] == "invalid_input" and "mapping" in body["message_en"]
    assert [column["name"] for column in body["columns"]] == list(OWN_MAPPING) and body["header_line"] == 1

    preview = client.post(f"{url}?preview=true", headers=token, content_type="multipart/form-data",
                          data={"list": (io.BytesIO(OWN_LAYOUT), "list.csv"), "mapping": json.dumps(OWN_MAPPING, ensure_ascii=False)})
    assert preview.status_code == 200 and preview.get_json()["media"] == 2 and Medium.select().count() == 0

    bad = client.post(f"{url}?mapping=not-json", headers=token, data={"list": (io.BytesIO(OWN_LAYOUT), "list.csv")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and bad.get_json()["field"] == "mapping"

    done = client.post(url, headers=token, content_type="multipart/form-data",
                       data={"list": (io.BytesIO(OWN_LAYOUT), "list.csv"), "mapping": json.dumps(OWN_MAPPING)})
    assert done.status_code == 201 and len(done.get_json()["media"]) == 2
    assert Handover.get_by_id(number).list_sha256 == hashlib.sha256(OWN_LAYOUT).hexdigest()


def test_the_api_chooses_the_sheet(client, cast, token):
    workbook = openpyxl.Workbook()
    for title in ("A", "B"):
        sheet = workbook.active if title == "A" else workbook.create_sheet(title)
        sheet.title = title
        sheet.append(["名称", "種類"])
        sheet.append([f"{title}の申告書", "紙"])
    number = open_handover(cast)
    url = f"/api/v1/handovers/{number}/list"
    asked = client.post(url, headers=token, data={"list": (io.BytesIO(saved(workbook)), "l.xlsx")}, content_type="multipart/form-data")
    assert asked.status_code == 400 and asked.get_json()["sheets"] == [{"name": "A", "header_line": 1}, {"name": "B", "header_line": 1}]
    done = client.post(f"{url}?sheet=B&filename=l.xlsx", headers=token, data=saved(workbook),
                       content_type="application/octet-stream")
    assert done.status_code == 201 and Medium.get().title == "Bの申告書"
