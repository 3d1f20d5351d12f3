"""A whole custody cycle over HTTP, as the contractor's staff and the city official do it on their
phones: import the city's list, scan some labels, reconcile, both sides confirm, read the 預り証;
transfer to another site and back in; return to the city; the 台帳 CSV matches the events; the
ledger verifies."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import subprocess

from conftest import PASSWORD, csrf, login, run_cli
from tracker import ledger
from tracker.models import Event, EventMedium, Handover, Medium
from tracker.workflows import places

LIST_CSV = (
    "管理番号,名称,種類,数量,件数,個人情報項目,製造番号,暗号化,暗号化方式,封印番号\n"
    "R8-001,住民税申告書 第1箱,紙（原票）,1,1200,氏名、住所、個人番号,,無,,S-0001\n"
    "R8-002,課税データ,USBメモリ,1,5400,氏名、住所、個人番号、所得金額,USB-77,有,AES-256 (BitLocker To Go),S-0002\n"
    "R8-003,住民税申告書 第2箱,紙（原票）,2,800,氏名、住所,,無,,S-0003\n"
    "R8-004,課税データ（予備）,光ディスク,1,5400,氏名、住所,DVD-9,有,AES-256,S-0004\n"
).encode("cp932")  # the city's Excel saves Shift_JIS


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def post(client, url, data=None, **kwargs):
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def scan(client, url, *codes, confirm_typed=True):
    """Codes sent as the scan box sends them; typed IDs among them confirmed as present."""
    response = post(client, url, {"codes": "\n".join(codes), **({"confirm_typed": "1"} if confirm_typed else {})}, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_full_custody_cycle_over_http(app, cast, settings, tmp_path):
    worker = login(app.test_client(), "sato")
    city = login(app.test_client(), "takahashi")

    # Open the handover on the city's terms and import its list.
    response = post(worker, "/handovers", {
        "contract": "KG26", "direction": "receive", "handover_at": "2026-11-25T10:00", "place": "市役所第二庁舎 3階 市民税課",
        "means": "手渡し（施錠ケース）", "city_official": "高橋 市役所", "storage_plan": "本社 2F 保管室 施錠キャビネットA",
        "disposition_plan": "令和9年3月31日までに返還"})
    assert response.status_code == 302
    number = response.headers["Location"].rsplit("/", 1)[-1]
    page = f"/handovers/{number}"
    response = post(worker, f"{page}/import", {"list": (io.BytesIO(LIST_CSV), "引渡しリスト.csv")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert "まだ何も登録していません" in response.get_data(as_text=True)  # the preview comes first
    response = post(worker, f"{page}/list-preview/confirm", {"sha256": hashlib.sha256(LIST_CSV).hexdigest()}, follow_redirects=True)
    assert "4件の媒体を登録しました" in response.get_data(as_text=True)
    listed = [m.id for m in Medium.select().order_by(Medium.id)]
    assert len(listed) == 4

    # Scan three of four labels (one twice) as full label URLs and as a typed ID.
    urls = {m: _label_url(app, m) for m in listed}
    answers = scan(worker, f"{page}/scan", urls[listed[0]], listed[1].lower(), urls[listed[0]], urls[listed[3]])
    assert "二重読取り" in answers
    reconciliation = worker.get(page).get_data(as_text=True)
    assert re.search(r"未読取り（不足）\s*\(1\)", reconciliation) and listed[2] in reconciliation

    # Contractor signs; the city official confirms with their own login on their own phone.
    post(worker, f"{page}/sign")
    assert Handover.get_by_id(number).status == "signed"
    assert "市の確認待ち" in city.get("/").get_data(as_text=True)
    post(city, f"{page}/confirm")
    assert Handover.get_by_id(number).status == "confirmed"
    statuses = {m.id: m.status for m in Medium.select()}
    assert [statuses[m] for m in listed] == ["received", "received", "not_received", "received"]

    # The 預り証: every medium handed over, the counts, both names.
    receipt = worker.get(f"{page}/receipt.pdf")
    assert receipt.mimetype == "application/pdf"
    text = pdf_text(receipt.data, tmp_path)
    for medium_id in (listed[0], listed[1], listed[3]):
        assert medium_id in text
    assert "預り証" in text and "高橋 市役所" in text and "佐藤 花子" in text
    assert "1,200" in text and "5,400" in text and "12,000" in text  # per item and the total records
    assert "S-0002" in text and "鍵は別送" in text and listed[2] in text  # seal, encryption, the missing one

    # Put away, then transfer the USB and one box to the annex and scan them in there.
    for medium_id in (listed[0], listed[1], listed[3]):
        post(worker, f"/media/{medium_id}/store", {"location": cast.cabinet.code})
    annex = places.create_location(cast.admin, "別館 金庫", "safe", "storage", site="別館", room="1F")
    response = post(worker, "/transfers", {"contract": "KG26", "purpose": "別館での入力作業", "origin": "本社 2F 保管室",
                                           "destination": annex.code, "means": "社用車・施錠ケース", "custodians": "佐藤 花子, 山田 太郎",
                                           "seal_number": "T-1", "locked_case": "on"})
    transfer_page = response.headers["Location"]
    transfer = transfer_page.rsplit("/", 1)[-1]
    scan(worker, f"/transfers/{transfer}/scan", urls[listed[0]], urls[listed[1]])
    post(worker, f"/transfers/{transfer}/depart")
    assert Medium.get_by_id(listed[1]).status == "in_transit"
    stored_while_away = post(worker, f"/media/{listed[1]}/store", {"location": cast.cabinet.code}, follow_redirects=True)
    assert "移送中" in stored_while_away.get_data(as_text=True)
    answers = scan(worker, f"/transfers/{transfer}/scan", urls[listed[0]], urls[listed[1]], urls[listed[3]])
    assert f"{listed[3]} はこの移送で発送されていません" in answers  # flagged at once
    post(worker, f"/transfers/{transfer}/arrive", {"seal_intact": "yes"})
    assert Medium.get_by_id(listed[1]).location_id == annex.code
    record = pdf_text(worker.get(f"/transfers/{transfer}/record.pdf").data, tmp_path)
    assert "移送記録" in record and listed[0] in record and listed[1] in record and "T-1" in record

    # Return everything still held to the city; the official confirms on the contractor's phone.
    response = post(worker, "/handovers", {"contract": "KG26", "direction": "return", "handover_at": "2027-03-10T15:00",
                                           "place": "市役所第二庁舎 3階", "means": "手渡し", "city_official": "高橋 市役所"})
    giving_back = response.headers["Location"].rsplit("/", 1)[-1]
    refused = scan(worker, f"/handovers/{giving_back}/scan", listed[2])
    assert "引き渡されませんでした" in refused and "never handed over" not in refused  # never received; Japanese only
    scan(worker, f"/handovers/{giving_back}/scan", *(urls[m] for m in (listed[0], listed[1], listed[3])))
    post(worker, f"/handovers/{giving_back}/sign")
    wrong = post(worker, f"/handovers/{giving_back}/confirm", {"login": "takahashi", "password": "nope"}, follow_redirects=True)
    assert "パスワードが違います" in wrong.get_data(as_text=True)
    post(worker, f"/handovers/{giving_back}/confirm", {"login": "takahashi", "password": PASSWORD})
    assert {Medium.get_by_id(m).status for m in (listed[0], listed[1], listed[3])} == {"returned"}
    returned = pdf_text(worker.get(f"/handovers/{giving_back}/receipt.pdf").data, tmp_path)
    assert "返還受領書" in returned and listed[1] in returned and "一覧外" not in returned

    # The 台帳 CSV: one row per medium, matching the projection; opens in Japanese Excel.
    register = worker.get("/register.csv?contract=KG26").data
    assert register.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(register.decode("utf-8-sig"))))
    by_id = {row[0]: row for row in rows[1:]}
    assert set(by_id) == {listed[0], listed[1], listed[3]}  # never-received media are not holdings
    for medium_id in by_id:
        assert "返還済" in by_id[medium_id]
    custody = worker.get("/register/custody.csv?contract=KG26").data.decode("utf-8-sig")
    custody_rows = list(csv.reader(io.StringIO(custody)))[1:]
    linked = EventMedium.select().join(Event).where(Event.contract == "KG26").count()
    assert len(custody_rows) == linked

    # The balance closes and the ledger verifies, from the CLI as an inspector would run it.
    balance = worker.get("/contracts/KG26/balance").get_data(as_text=True)
    assert re.search(r'id="returned">3<', balance) and re.search(r'id="held">0<', balance) and "収支一致" in balance
    from tracker import register

    closeout = register.closeout_balance("KG26")
    assert (closeout.received, closeout.returned, closeout.held, closeout.balanced) == (3, 3, 0, True)
    assert ledger.verify(settings.attachments_dir).ok
    result = run_cli("--data", str(settings.data_dir), "verify")
    assert result.exit_code == 0, result.output


def test_the_verification_page_says_whether_a_paper_still_matches(app, cast, settings, tmp_path):
    from tracker.workflows import handovers

    worker = login(app.test_client(), "sato")
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    (medium,) = handovers.import_list(cast.worker, handover.number, "l.csv", "名称,種類\n申告書,紙\n".encode())
    handovers.scan(cast.worker, handover.number, medium.id)
    handovers.sign(cast.worker, handover.number)
    document = handovers.confirm(cast.city, handover.number, settings)

    page = worker.get(f"/d/{document.serial}").get_data(as_text=True)
    assert "台帳と一致しています" in page
    issued = worker.get(f"/d/{document.serial}.pdf").data
    same = post(worker, f"/d/{document.serial}/compare", {"pdf": (io.BytesIO(issued), "r.pdf")},
                content_type="multipart/form-data", follow_redirects=True)
    assert "一致します" in same.get_data(as_text=True)
    altered = post(worker, f"/d/{document.serial}/compare", {"pdf": (io.BytesIO(issued + b"%"), "r.pdf")},
                   content_type="multipart/form-data", follow_redirects=True)
    assert "一致しません" in altered.get_data(as_text=True)

    path = ledger.attachment_path(settings.attachments_dir, document.attachment_id)
    path.write_bytes(path.read_bytes().replace(b"%%EOF", b"%%EOF\n% edited"))
    assert "台帳と一致しません" in worker.get(f"/d/{document.serial}").get_data(as_text=True)


def test_a_phone_photo_of_a_label_is_read_when_the_camera_is_unavailable(app, cast, settings):
    from labels import render
    from tracker.workflows import handovers, labelling

    worker = login(app.test_client(), "sato")
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    (medium,) = handovers.import_list(cast.worker, handover.number, "l.csv", "名称,種類\n申告書,紙\n".encode())
    photo = render.render_png(labelling.medium_content(medium, settings), "ql-62")
    response = post(worker, f"/handovers/{handover.number}/scan",
                    {"codes": "", "photos": [(io.BytesIO(photo), "label.png"), (io.BytesIO(b"not an image"), "x.png")]},
                    content_type="multipart/form-data", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "画像ファイルではありません" in text
    assert handovers.reconcile(handovers.get_handover(handover.number)).received[0].medium_id == medium.id


def _label_url(app, medium_id):
    from labels.payload import medium_url

    settings = app.config["SETTINGS"]
    return medium_url(medium_id, settings.secret, settings.base_url)


def test_the_page_a_phone_opens_from_a_label_offers_the_scan_that_fits_now(app, cast, settings):
    from tracker.workflows import handovers

    worker = login(app.test_client(), "sato")
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    (medium,) = handovers.import_list(cast.worker, handover.number, "l.csv", "名称,種類\n申告書,紙\n".encode())
    label_path = "/M/" + _label_url(app, medium.id).split("/M/", 1)[1]  # what the phone's camera app opens
    page = worker.get(worker.get(label_path).headers["Location"])
    text = page.get_data(as_text=True)
    assert f"{handover.number}: 受領として読み取る" in text
    assert "受領として読み取る" not in login(app.test_client(), "takahashi").get(f"/media/{medium.id}").get_data(as_text=True)
    post(worker, f"/handovers/{handover.number}/scan", {"codes": medium.id, "confirm_typed": "1"})
    assert handovers.reconcile(handovers.get_handover(handover.number)).received[0].medium_id == medium.id


def test_an_oversized_upload_is_refused_in_the_readers_language_and_records_nothing(app, cast):
    from tracker.models import Event

    worker = login(app.test_client(), "sato")
    token = csrf(worker)
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    before = Event.select().count()
    response = worker.post("/handovers/KG26-H0001/import", data={"csrf_token": token, "list": (io.BytesIO(b"x" * 20_000), "big.csv")},
                           content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert response.status_code == 413 and "大きすぎます" in text and "too large" not in text
    assert Event.select().count() == before


def test_a_medium_not_on_the_list_is_registered_at_the_table_then_scanned(app, cast, settings):
    from tracker.workflows import handovers

    worker = login(app.test_client(), "sato")
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    handovers.import_list(cast.worker, handover.number, "l.csv", "名称,種類\n申告書,紙\n".encode())
    response = post(worker, f"/handovers/{handover.number}/items",
                    {"title": "追加の申告書（箱）", "kind": "paper", "record_count": "120", "pi_items": "氏名、住所", "is_backup": "on"},
                    follow_redirects=True)
    extra = Medium.get(Medium.title == "追加の申告書（箱）")
    assert f"{extra.id} を登録しました" in response.get_data(as_text=True)
    assert extra.status == "expected" and extra.pi_items == ["氏名", "住所"] and extra.is_backup
    assert [i.medium_id for i in handovers.reconcile(handovers.get_handover(handover.number)).missing][-1] == extra.id
    scan(worker, f"/handovers/{handover.number}/scan", _label_url(app, extra.id))
    result = handovers.reconcile(handovers.get_handover(handover.number))
    assert [i.medium_id for i in result.not_on_list] == [extra.id]
    refused = post(worker, f"/handovers/{handover.number}/items", {"title": "", "kind": "paper"}, follow_redirects=True)
    assert "名称を入力してください" in refused.get_data(as_text=True) and "title is required" not in refused.get_data(as_text=True)


def test_a_medium_received_without_a_list_is_registered_from_the_media_page(app, cast):
    worker = login(app.test_client(), "sato")
    assert "媒体を登録する" in worker.get("/media").get_data(as_text=True)
    assert "媒体を登録する" not in login(app.test_client(), "takahashi").get("/media").get_data(as_text=True)
    response = post(worker, "/media", {"contract": "KG26", "title": "郵送で届いたUSB", "kind": "usb", "encrypted": "on",
                                       "encryption": "AES-256", "location": cast.cabinet.code})
    medium = Medium.get(Medium.title == "郵送で届いたUSB")
    assert response.headers["Location"].endswith(f"/media/{medium.id}")
    assert (medium.status, medium.location_id, medium.encrypted) == ("stored", cast.cabinet.code, True)
    refused = post(worker, "/media", {"contract": "KG26", "title": "鍵の方式なし", "kind": "usb", "encrypted": "on"}, follow_redirects=True)
    assert "暗号化の方式" in refused.get_data(as_text=True) and not Medium.select().where(Medium.title == "鍵の方式なし").exists()
