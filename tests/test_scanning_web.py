"""What the page's scanning component talks to (tracker/web/scanning.py): the warning for each code
as it is read (/scan/identify), the server's decoder for frames the page cannot read
(/scan/decode), and recording one reviewed code exactly once (/scan/record)."""

from __future__ import annotations

import io
import json

import qrcode
from PIL import Image

from conftest import csrf, login
from labels.payload import location_url, medium_url
from tracker.models import Event, ScanReceipt
from tracker.workflows import handovers, media, people


def receiving(cast, count=2):
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    rows = "".join(f"申告書 第{n}箱,紙\n" for n in range(1, count + 1))
    listed = handovers.import_list(cast.worker, handover.number, "list.csv", f"名称,種類\n{rows}".encode())
    return handover.number, [medium.id for medium in listed]


def other_contract_medium(cast):
    people.create_contract(None, "KG27", "別の業務", "小金井市")
    cast.rostered(cast.admin, "KG27", "yamada", "responsible")
    people.sign_pledge(cast.responsible, "KG27")
    return media.register(cast.responsible, "KG27", "paper", "別契約の原票", location=cast.cabinet.code)


def identify(client, code, action="lookup", context="", token=None):
    response = client.post("/scan/identify", data={"csrf_token": token or csrf(client), "code": code, "action": action, "context": context})
    assert response.status_code == 200, response.data
    return response.get_json()


def test_each_code_gets_its_own_verdict_before_anything_is_recorded(client, cast, settings):
    number, listed = receiving(cast)
    stored = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES", pi_items=["氏名"],
                            record_count=10, location=cast.cabinet.code)
    foreign = other_contract_medium(cast)
    login(client, "yamada")
    token = csrf(client)
    label = medium_url(listed[0], settings.secret, settings.base_url)
    before = Event.select().count()

    fits = identify(client, label, "receive", number, token)
    assert fits["verdict"] == "fits" and not fits["warning"]
    assert fits["medium"]["id"] == listed[0] and fits["medium"]["status_ja"] == "受領予定"
    assert fits["medium"]["url"] == f"/media/{listed[0]}"
    assert fits["next"][0]["label"] == f"受領として読み取る（{number}）"

    other = identify(client, medium_url(foreign.id, settings.secret, settings.base_url), "receive", number, token)
    assert other["verdict"] == "other_contract" and other["warning"] and "別の契約（KG27）" in other["message"]

    flow = identify(client, medium_url(stored.id, settings.secret, settings.base_url), "receive", number, token)
    assert flow["verdict"] == "other_flow" and "この作業の対象ではありません（保管中）" in flow["message"]

    forged = identify(client, label[:-3] + ("AAA" if not label.endswith("AAA") else "BBB"), "receive", number, token)
    assert forged["verdict"] == "forged" and "改ざん" in forged["message"]

    typo = identify(client, listed[0][:-1] + ("0" if not listed[0].endswith("0") else "2"), "receive", number, token)
    assert typo["verdict"] == "typo" and listed[0] in typo["suggestions"]

    unknown = identify(client, "https://example.com/not-ours", "receive", number, token)
    assert unknown["verdict"] == "unknown" and unknown["warning"]

    place = identify(client, location_url(cast.cabinet.code, settings.secret, settings.base_url), "lookup", "", token)
    assert place["verdict"] == "location" and place["location"] == cast.cabinet.code

    assert Event.select().count() == before and not ScanReceipt.select().exists()


def test_a_medium_of_a_contract_the_reader_cannot_see_says_only_that(client, cast, settings):
    foreign = other_contract_medium(cast)
    login(client, "sato")  # KG26 only
    answer = identify(client, medium_url(foreign.id, settings.secret, settings.base_url))
    assert answer["verdict"] == "other_contract" and "medium" not in answer and "別契約" not in json.dumps(answer, ensure_ascii=False)


def test_the_scan_page_is_there_and_records_nothing(client, cast):
    login(client, "sato")
    page = client.get("/scan").get_data(as_text=True)
    assert "ラベルを読み取る" in page and 'data-scan-action="lookup"' in page
    assert "読取りを記録する" not in page and 'name="photos"' not in page


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_frame_the_page_cannot_read_is_decoded_by_the_server(client, cast, settings):
    login(client, "sato")
    label = medium_url("KG26-00001-7", settings.secret, settings.base_url)
    frame = Image.new("RGB", (640, 480), (118, 112, 104))
    frame.paste(qrcode.make(label, border=4, box_size=5).convert("RGB"), (200, 120))
    answer = client.post("/scan/decode", data={"csrf_token": csrf(client), "frame": (io.BytesIO(png(frame)), "frame.png")})
    assert answer.status_code == 200 and answer.get_json() == {"codes": [label]}

    empty = client.post("/scan/decode", data={"csrf_token": csrf(client), "frame": (io.BytesIO(png(Image.new("RGB", (64, 64)))), "f.png")})
    assert empty.get_json() == {"codes": []}


def test_a_frame_that_is_not_an_image_or_too_large_is_refused_in_both_languages(client, cast):
    login(client, "sato")
    token = csrf(client)
    not_image = client.post("/scan/decode", data={"csrf_token": token, "frame": (io.BytesIO(b"%PDF-1.4 not a picture"), "f.jpg")})
    assert not_image.status_code == 400 and not_image.get_json()["message_ja"] and not_image.get_json()["message_en"]
    huge = client.post("/scan/decode", data={"csrf_token": token, "frame": (io.BytesIO(b"\xff" * (4 * 1024 * 1024 + 1)), "f.jpg")})
    assert huge.status_code == 400 and "4 MB" in huge.get_json()["message_en"]
    missing = client.post("/scan/decode", data={"csrf_token": token})
    assert missing.status_code == 400 and missing.get_json()["message_en"] == "no image was sent"


def test_a_reviewed_code_is_recorded_once_per_key_with_how_it_arrived(client, cast, settings):
    number, listed = receiving(cast)
    login(client, "sato")
    token = csrf(client)
    form = {"csrf_token": token, "key": "k-1", "code": medium_url(listed[0], settings.secret, settings.base_url),
            "action": "receive", "context": number, "source": "camera"}
    first = client.post("/scan/record", data=form)
    assert first.status_code == 200 and first.get_json()["ok"] and first.get_json()["status"] == 200
    again = client.post("/scan/record", data=form)  # the page resending after a lost answer
    assert again.get_json()["replayed"] is True
    events = [json.loads(e.data) for e in Event.select().where(Event.kind == "handover.scanned")]
    assert len(events) == 1 and events[0]["source"] == "camera"
    with client.session_transaction() as session:  # shown on the page it reloads
        assert [answer["ok"] for answer in session["scan_answers"]] == [True, True]

    refused = client.post("/scan/record", data={**form, "key": "k-2", "source": "telepathy"})
    assert refused.status_code == 200 and refused.get_json()["status"] == 400 and refused.get_json()["ok"] is False
    assert Event.select().where(Event.kind == "handover.scanned").count() == 1


def test_an_expired_session_is_a_redirect_the_page_can_tell_from_an_answer(client, cast):
    response = client.post("/scan/record", data={"key": "k", "code": "x", "action": "lookup"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(client, "sato")
    stale = client.post("/scan/record", data={"csrf_token": "stale", "key": "k", "code": "x", "action": "lookup"})
    assert stale.status_code == 400 and "status" not in stale.get_json()  # a stale form: the page asks for a new login


def test_someone_on_no_contract_gets_no_decoding_and_the_upload_is_not_read(client, cast, monkeypatch):
    import importlib

    def must_not_run(*_args, **_kwargs):
        raise AssertionError("decoded for someone who may not scan")

    monkeypatch.setattr(importlib.import_module("scanner.decode"), "decode", must_not_run)
    login(client, "suzuki")  # a contractor account on no roster
    refused = client.post("/scan/decode", data={"csrf_token": csrf(client), "frame": (io.BytesIO(b"x" * 1000), "f.jpg")})
    assert refused.status_code == 403 and refused.get_json()["message_ja"] and refused.get_json()["message_en"]
