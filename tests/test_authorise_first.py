"""Authorise first, then work (issue #11), for the pages as for the API: a worker removed from the
roster who posts photos, a frame, an evidence photo or a handover list gets a 403 in both
languages before anything is decoded, parsed or stored, and nothing is written."""

from __future__ import annotations

import io

import pytest

from conftest import csrf, login
from test_destruction import apply_for, three  # noqa: F401 - three is a fixture
from tracker.models import Event
from tracker.workflows import checks, handovers, roster

REMOVED_JA = "佐藤 花子 さんは契約「住民税課税資料入力業務委託」の取扱者名簿から外されています（小金井市個人情報取扱特記事項 第8条）"


def png_header(width: int, height: int) -> bytes:
    """The start of a PNG that claims to be ``width`` × ``height``: enough for a decoder to try."""
    import struct
    import zlib

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))


@pytest.fixture
def removed(app, cast, monkeypatch):
    """sato's browser, logged in while on the roster; then removed from it. Every decoder and
    reader behind the upload routes fails the test if it is reached."""
    browser = login(app.test_client(), "sato")
    token = csrf(browser)
    roster.remove(cast.responsible, "KG26", "sato", reason="異動")
    for target in ("tracker.workflows.scans.decode_photos", "scanner.images.load_image",
                   "tracker.workflows.destruction.add_evidence", "tracker.workflows.handovers.stage_list"):
        monkeypatch.setattr(target, lambda *_a, _target=target, **_k: pytest.fail(f"{_target} ran before the permission check"))
    return browser, token


def refused(response):
    assert response.status_code == 403
    assert REMOVED_JA in response.get_data(as_text=True)


def test_photos_posted_by_a_removed_worker_are_refused_unread(cast, settings, removed):
    browser, token = removed
    handover = handovers.start(cast.responsible, "KG26", "receive", "2026-11-25T10:00", "市役所", "手渡し", "高橋 市役所")
    before = Event.select().count()
    photos = [(io.BytesIO(png_header(7000, 7000)), f"p{n}.png") for n in range(4)]
    refused(browser.post(f"/handovers/{handover.number}/scan", data={"csrf_token": token, "photos": photos},
                         content_type="multipart/form-data"))
    refused(browser.post("/checks/start", data={"csrf_token": token, "photos": [(io.BytesIO(png_header(7000, 7000)), "place.png")]},
                         content_type="multipart/form-data"))
    assert Event.select().count() == before
    assert checks.open_check_at(cast.cabinet.code) is None


def test_a_list_and_an_evidence_photo_posted_by_a_removed_worker_are_refused_unread(cast, settings, three, removed):
    browser, token = removed
    application = apply_for(cast, three)
    handover = handovers.start(cast.responsible, "KG26", "receive", "2026-11-25T10:00", "市役所", "手渡し", "高橋 市役所")
    before = Event.select().count()
    big_sheet = io.BytesIO(b"PK\x03\x04" + b"\x00" * 4096)
    refused(browser.post(f"/handovers/{handover.number}/import", data={"csrf_token": token, "list": (big_sheet, "list.xlsx")},
                         content_type="multipart/form-data"))
    refused(browser.post(f"/destructions/{application.number}/evidence",
                         data={"csrf_token": token, "stage": "before", "file": (io.BytesIO(png_header(7000, 7000)), "b.png")},
                         content_type="multipart/form-data"))
    assert Event.select().count() == before


def test_a_camera_frame_from_someone_who_reads_no_contract_is_not_decoded(cast, removed):
    browser, token = removed
    response = browser.post("/scan/decode", data={"csrf_token": token, "frame": (io.BytesIO(png_header(7000, 7000)), "f.png")},
                            content_type="multipart/form-data")
    assert response.status_code == 403
    assert response.get_json()["message_en"] == "no access to the records of contract KG26"
    assert response.get_json()["message_ja"] == "契約「住民税課税資料入力業務委託」の記録を閲覧する権限がありません"
