"""Destruction end to end over HTTP, as the responsible person, a worker at the shredder with a
phone, the scanning station and the city official do it: apply, a contractor cannot approve, the
city approves, the station stops a medium that is not on the application, photos and the witness,
completion; the certificate names everything and verifies until a photo or an event is altered."""

from __future__ import annotations

import io
import subprocess
import uuid
from datetime import timedelta

from conftest import csrf, login, run_cli
from labels.payload import medium_url
from tracker import ledger, register
from tracker.models import Event, Evidence, Medium
from tracker.timeutil import JST, utc_now
from tracker.workflows import destruction, media, tokens

from test_destruction import jpeg, now_photo


def post(client, url, data=None, **kwargs):
    return client.post(url, data={"csrf_token": csrf(client), **(data or {})}, **kwargs)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "paper.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def register_four(cast) -> list[str]:
    register_medium = media.register
    return [
        register_medium(cast.responsible, "KG26", "hdd", "旧サーバHDD", serial_number="WX-1001", manufacturer="WD",
                        model="WD10EZEX", record_count=5400, pi_items=["氏名", "住所", "個人番号"], location=cast.cabinet.code).id,
        register_medium(cast.responsible, "KG26", "usb", "課税データ", serial_number="USB-77", manufacturer="BUFFALO",
                        model="RUF3", encrypted=True, encryption="AES-256", record_count=1200, location=cast.cabinet.code).id,
        register_medium(cast.responsible, "KG26", "paper", "申告書原票", record_count=250, location=cast.cabinet.code).id,
        register_medium(cast.responsible, "KG26", "hdd", "まだ使うHDD", serial_number="WX-2002", location=cast.cabinet.code).id,
    ]


def apply_form(ids, scheduled_at, settings) -> dict:
    hdd, usb, paper = ids
    return {
        "contract": "KG26", "reason": "契約期間満了に伴う廃棄", "scheduled_at": scheduled_at, "place": "本社 2F 保管室",
        "witness_requested": "on", "copies_statement": "複製・バックアップは作成していないことを台帳で確認済み",
        "verification_plan": "破砕片の目視確認、消去ログの確認",
        "category": "destroy", "technique": "shred", "level": "", "tool": "HSM Powerline", "tool_version": "2.1",
        "medium": [hdd, usb], f"level-{hdd}": "H-5", f"category-{usb}": "purge", f"technique-{usb}": "block_erase",
        "codes": medium_url(paper, settings.secret, settings.base_url), f"level-{paper}": "P-4",  # the box was scanned
    }


def upload(client, number, stage, content, name, medium=""):
    return post(client, f"/destructions/{number}/evidence", {"stage": stage, "medium": medium, "file": (io.BytesIO(content), name)},
                content_type="multipart/form-data", follow_redirects=True)


def test_destruction_end_to_end_over_http(app, cast, settings, tmp_path):
    ids = register_four(cast)
    three, fourth = ids[:3], ids[3]
    labels = {medium_id: medium_url(medium_id, settings.secret, settings.base_url) for medium_id in ids}
    responsible, worker = login(app.test_client(), "yamada"), login(app.test_client(), "sato")
    city = login(app.test_client(), "takahashi")

    # Apply for three media: two ticked in the list, one scanned into the box; a level per row.
    assert fourth in text_of(responsible.get("/destructions"))
    response = post(responsible, "/destructions", apply_form(three, utc_now().astimezone(JST).strftime("%Y-%m-%dT08:00"), settings))
    assert response.status_code == 302, text_of(response)
    number = response.headers["Location"].rsplit("/", 1)[-1]
    page = text_of(responsible.get(f"/destructions/{number}"))
    assert all(medium_id in page for medium_id in three) and "H-5" in page and "P-4" in page and "ブロック消去" in page
    assert "市の承認待ち" in text_of(city.get("/"))

    # A contractor's attempt to approve is refused, on the page and through the API.
    refused = text_of(post(responsible, f"/destructions/{number}/decide", {"decision": "approve"}, follow_redirects=True))
    assert "承認・立会いは委託者（市）の職員だけが行えます" in refused and "only municipality staff may approve" not in refused
    contractor_token = tokens.create_token(cast.responsible, "laptop")
    response = app.test_client().post(f"/api/v1/destructions/{number}/decision", json={"approve": True},
                                      headers={"Authorization": f"Bearer {contractor_token}"})
    assert response.status_code == 403 and response.get_json()["message_ja"]
    assert destruction.get_application(number).status == "applied"

    # The city approves.
    post(city, f"/destructions/{number}/decide", {"decision": "approve", "note": "市民税課職員の立会いのもとで実施すること"})
    approval = destruction.get_application(number).approval_number
    assert approval == f"{number}-承認" and approval in text_of(worker.get(f"/destructions/{number}"))
    assert "本日実施" in text_of(worker.get("/"))

    # At the shredder: the station refuses the fourth medium on the spot; the phone scans the three.
    station_token = tokens.create_token(cast.worker, "shredder-station")
    response = app.test_client().post("/api/v1/scans", headers={"Authorization": f"Bearer {station_token}"},
                                      json={"idempotency_key": str(uuid.uuid4()), "code": labels[fourth], "action": "destroy", "context": number})
    body = response.get_json()
    assert response.status_code == 409 and "承認された廃棄申請" in body["message_ja"] and "not on the approved" in body["message_en"]
    answers = text_of(post(worker, f"/destructions/{number}/scan", {"codes": "\n".join(labels[m] for m in three)}, follow_redirects=True))
    assert "H-5" in answers and "P-4" in answers
    post(worker, f"/destructions/{number}/destroyed", {"medium": three, "verification_method": "破砕片の目視確認・消去ログ",
                                                       "verification_result": "判読不可能を確認", "destination": "産業廃棄物処理業者（マニフェスト M-001）"})
    assert all(item.destroyed_at for item in destruction.get_application(number).items)

    # Photos from the phone: before (per medium) and after (batch); a photo without EXIF is flagged.
    for seed, medium_id in enumerate(three):
        assert "登録しました" in text_of(upload(worker, number, "before", now_photo(seed), f"before-{seed}.jpg", medium_id))
    assert "要確認" in text_of(upload(worker, number, "during", jpeg(seed=7), "during.jpg"))
    upload(worker, number, "after", now_photo(9), "after.jpg")
    report = upload(worker, number, "report", b"%PDF-1.4 BlockWipe 4.2 report: PASS", "blockwipe.pdf", three[1])
    assert "登録しました" in text_of(report)

    # The witness confirms with their own login; then the worker completes, naming the verifier.
    execute = text_of(city.get(f"/destructions/{number}/execute"))
    assert "立会いを確認する" in execute and "撮影日時（EXIF）なし" in execute
    post(city, f"/destructions/{number}/witness")
    done = text_of(post(worker, f"/destructions/{number}/complete", {"verifier": "yamada"}, follow_redirects=True))
    assert "消去・廃棄証明書" in done and "を発行しました" in done
    certificate = destruction.destroyed_record(three[0]).certificate
    assert {Medium.get_by_id(medium_id).status for medium_id in three} == {"destroyed"}
    assert Medium.get_by_id(fourth).status == "stored"

    # The certificate names every medium, method, level, photo hash and the approval number.
    text = pdf_text(worker.get(f"/destructions/{number}/certificate.pdf").data, tmp_path)
    for words in (*three, "WD10EZEX", "WX-1001", "USB-77", "破砕・裁断", "ブロック消去", "H-5", "P-4", "HSM Powerline 2.1",
                  approval, certificate.serial, "判読不可能を確認", "M-001", "高橋 市役所", "山田 太郎", "佐藤 花子",
                  "要確認: 撮影日時（EXIF）なし", "blockwipe.pdf", "複製・バックアップは作成していない"):
        assert words in text, words
    hashes = [evidence.attachment_id for evidence in Evidence.select().where(Evidence.paper == number)]
    assert len(hashes) == 6 and all(sha256 in text for sha256 in hashes)
    assert fourth not in text

    # The issued application carries the city's decision.
    response = post(city, f"/destructions/{number}/issue")
    serial = response.headers["Location"].rsplit("/", 1)[-1]
    issued = pdf_text(city.get(f"/d/{serial}.pdf").data, tmp_path)
    assert "消去・廃棄申請書" in issued and approval in issued and "市民税課職員の立会いのもとで実施すること" in issued

    # Verification: the page says it matches, until a photo or an event is altered.
    assert "この文書は台帳と一致しています" in text_of(city.get(f"/d/{certificate.serial}"))
    assert run_cli("--data", str(settings.data_dir), "verify").exit_code == 0
    photo = ledger.attachment_path(settings.attachments_dir, hashes[0])
    original = photo.read_bytes()
    photo.write_bytes(original[:-2] + b"\x00\x00")
    assert "この文書は台帳と一致しません" in text_of(city.get(f"/d/{certificate.serial}"))
    result = run_cli("--data", str(settings.data_dir), "verify")
    assert result.exit_code == 3 and hashes[0][:12] in result.output
    photo.write_bytes(original)
    assert "この文書は台帳と一致しています" in text_of(city.get(f"/d/{certificate.serial}"))
    event = Event.get(Event.kind == "destruction.destroyed")
    Event.update(data=event.data.replace("判読不可能を確認", "未確認")).where(Event.seq == event.seq).execute()
    assert "この文書は台帳と一致しません" in text_of(city.get(f"/d/{certificate.serial}"))
    result = run_cli("--data", str(settings.data_dir), "verify")
    assert result.exit_code == 3 and f"event #{event.seq}" in result.output
    Event.update(data=event.data).where(Event.seq == event.seq).execute()

    # The closeout balance counts the three as destroyed, with their certificate.
    balance = register.closeout_balance("KG26")
    assert (balance.destroyed, balance.held, balance.balanced) == (3, 1, True)
    api_balance = app.test_client().get("/api/v1/contracts/KG26/balance", headers={"Authorization": f"Bearer {station_token}"}).get_json()
    assert api_balance["destroyed"] == 3

    # A destroyed medium is terminal: any later scan of its label, and its page, say when and by which certificate.
    again = text_of(post(worker, f"/destructions/{number}/scan", {"codes": labels[three[0]]}, follow_redirects=True))
    assert certificate.serial in again
    response = app.test_client().post("/api/v1/scans", headers={"Authorization": f"Bearer {station_token}"},
                                      json={"idempotency_key": str(uuid.uuid4()), "code": labels[three[1]], "action": "lookup"})
    assert response.status_code == 200 and certificate.serial in response.get_json()["message_ja"] and response.get_json()["destroyed"]
    assert certificate.serial in text_of(worker.get(f"/media/{three[2]}"))


def test_bad_photos_and_early_or_withdrawn_execution_are_refused_over_http(app, cast, settings):
    ids = register_four(cast)
    labels = {medium_id: medium_url(medium_id, settings.secret, settings.base_url) for medium_id in ids}
    responsible, worker, city = (login(app.test_client(), name) for name in ("yamada", "sato", "takahashi"))
    tomorrow = (utc_now().astimezone(JST) + timedelta(days=1)).strftime("%Y-%m-%dT10:00")

    # A form with a wrong level comes back filled in, with the reason in the reader's language.
    form = apply_form(ids[:3], tomorrow, settings)
    response = post(responsible, "/destructions", {**form, f"level-{ids[0]}": "H-2"})
    page = text_of(response)
    assert response.status_code == 400 and "保護クラス2以上" in page and "protection class 2" not in page and "契約期間満了に伴う廃棄" in page
    number = post(responsible, "/destructions", form).headers["Location"].rsplit("/", 1)[-1]
    post(city, f"/destructions/{number}/decide", {"decision": "approve"})

    # Before the scheduled day nothing is carried out.
    before = ledger.head()
    answers = text_of(post(worker, f"/destructions/{number}/scan", {"codes": labels[ids[0]]}, follow_redirects=True))
    assert "処理予定日" in answers and "scheduled day" not in answers
    assert "処理予定日" in text_of(upload(worker, number, "before", now_photo(), "before.jpg"))
    assert ledger.head() == before

    # Bad photos on the day (a second application scheduled today): not an image, too large, a 200 MB upload.
    today = apply_form([ids[3], ids[1], ids[2]], utc_now().astimezone(JST).strftime("%Y-%m-%dT08:00"), settings)
    today.update({"medium": [ids[3]], "codes": "", f"level-{ids[3]}": "H-5"})
    other = post(responsible, "/destructions", today).headers["Location"].rsplit("/", 1)[-1]
    post(city, f"/destructions/{other}/decide", {"decision": "approve"})
    before = ledger.head()
    refused = text_of(upload(worker, other, "before", b"GIF89a? no, a text file", "photo.jpg"))
    assert "画像ファイルではありません" in refused and "not an image file" not in refused and "何も記録していません" in refused
    app.config["EVIDENCE_MAX_BYTES"] = 2000
    refused = text_of(upload(worker, other, "before", now_photo() + b"\x00" * 3000, "large.jpg"))
    assert "大きすぎます" in refused and "too large" not in refused
    token = csrf(worker)
    response = worker.post(f"/destructions/{other}/evidence", data={"csrf_token": token, "stage": "before", "file": (io.BytesIO(b"x"), "huge.jpg")},
                           content_type="multipart/form-data", environ_overrides={"CONTENT_LENGTH": str(200 * 1024 * 1024)})
    assert response.status_code == 413 and "大きすぎます" in text_of(response) and "too large" not in text_of(response)
    assert ledger.head() == before and not Evidence.select().exists()

    # A photo with a wrong camera clock is taken but flagged for the reader.
    wrong = jpeg((utc_now().astimezone(JST) - timedelta(hours=5)).replace(tzinfo=None), seed=3)
    app.config["EVIDENCE_MAX_BYTES"] = destruction.MAX_EVIDENCE_BYTES
    assert "サーバ時刻との差が10分超" in text_of(upload(worker, other, "before", wrong, "wrong-clock.jpg"))
    assert "サーバ時刻との差が10分超" in text_of(worker.get(f"/destructions/{other}"))

    # After the city withdraws its approval, nothing more is carried out under it.
    assert "承認を撤回する" not in text_of(worker.get(f"/destructions/{other}"))
    post(city, f"/destructions/{other}/withdraw", {"reason": "対象媒体の確認が必要なため"})
    before = ledger.head()
    answers = text_of(post(worker, f"/destructions/{other}/scan", {"codes": labels[ids[3]]}, follow_redirects=True))
    assert "承認を撤回しました" in answers and "withdrew its approval" not in answers
    assert ledger.head() == before


def test_the_json_api_carries_out_a_destruction(app, cast, settings):
    ids = register_four(cast)
    client = app.test_client()
    auth = {name: {"Authorization": f"Bearer {tokens.create_token(user, name)}"}
            for name, user in (("yamada", cast.responsible), ("sato", cast.worker), ("takahashi", cast.city))}
    body = {"contract": "KG26", "reason": "契約終了", "scheduled_at": utc_now().astimezone(JST).strftime("%Y-%m-%dT08:00"),
            "place": "本社", "copies_statement": "複製なし", "verification_plan": "目視", "witness_requested": True,
            "items": [{"medium": ids[0], "category": "destroy", "technique": "shred", "level": "h5"},
                      {"medium": ids[1], "category": "purge", "technique": "block_erase", "tool": "BlockWipe", "tool_version": "4.2"}]}
    assert client.post("/api/v1/destructions", json={**body, "witness_requested": "yes"}, headers=auth["yamada"]).status_code == 400
    response = client.post("/api/v1/destructions", json=body, headers=auth["yamada"])
    assert response.status_code == 201, response.get_json()
    number = response.get_json()["number"]
    assert [item["level"] for item in response.get_json()["items"]] == ["H-5", ""]
    assert client.post(f"/api/v1/destructions/{number}/decision", json={"approve": True}, headers=auth["sato"]).status_code == 403
    assert client.post(f"/api/v1/destructions/{number}/decision", json={"approve": True}, headers=auth["takahashi"]).get_json()["status"] == "approved"

    codes = [medium_url(medium_id, settings.secret, settings.base_url) for medium_id in ids]
    scanned = client.post(f"/api/v1/destructions/{number}/scans", json={"codes": codes[:3]}, headers=auth["sato"]).get_json()
    assert [answer["ok"] for answer in scanned["answers"]] == [True, True, False] and scanned["answers"][2]["status"] == 409
    client.post(f"/api/v1/destructions/{number}/destroyed", headers=auth["sato"],
                json={"verification_method": "目視", "verification_result": "判読不可", "destination": "産廃業者"})
    for stage, seed in (("before", 1), ("after", 2)):
        response = client.post(f"/api/v1/destructions/{number}/evidence", headers=auth["sato"], content_type="multipart/form-data",
                               data={"stage": stage, "file": (io.BytesIO(now_photo(seed)), f"{stage}.jpg")})
        assert response.status_code == 201 and response.get_json()["flags"]["clock_off"] is False
    raw = client.post(f"/api/v1/destructions/{number}/evidence?filename=no-exif.jpg&stage=during&medium={ids[0]}",
                      headers={**auth["sato"], "Content-Type": "image/jpeg"}, data=jpeg(seed=5))
    assert raw.status_code == 201 and raw.get_json()["flags"]["no_exif_time"] is True and raw.get_json()["medium"] == ids[0]
    still = client.get(f"/api/v1/destructions/{number}", headers=auth["takahashi"]).get_json()["still_needed"]
    assert [entry["message_en"] for entry in still] == ["the city asked to witness; the witness is not recorded yet"]
    assert client.post(f"/api/v1/destructions/{number}/witness", headers=auth["takahashi"]).status_code == 200
    done = client.post(f"/api/v1/destructions/{number}/complete", json={"verifier": "yamada"}, headers=auth["sato"]).get_json()
    assert done["application"]["status"] == "completed" and done["application"]["certificate"] == done["serial"]
    assert client.get(f"/api/v1/destructions/{number}/certificate.pdf", headers=auth["takahashi"]).data.startswith(b"%PDF")
    assert client.get("/api/v1/destructions?status=completed", headers=auth["takahashi"]).get_json()[0]["number"] == number
