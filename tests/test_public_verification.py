"""Verification anyone can do (issue #13): an auditor or the city's records office holding a paper
opens /d/<serial> without an account and sees only the paper's proof — serial, kind, issue time,
contract number, the PDF's SHA-256, the ledger head it printed, whether it is still the issued
paper and whether the chain still holds it — never who handled what. Uploading the PDF compares
it; the QR on the paper follows the configured public address, and a paper printed before that
address changed verifies at the new one."""

from __future__ import annotations

import io

import pytest

from tracker import config, ledger
from tracker.models import Event, Medium
from tracker.web import create_app
from tracker.workflows import contracts, handovers, papers


@pytest.fixture
def issued(cast, settings):
    """A confirmed receiving handover and its 預り証."""
    contracts.update_contract(cast.admin, "KG26", contract_number="小金井市契約第2026-118号")
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    (medium,) = handovers.import_list(cast.worker, handover.number, "l.csv", "名称,種類\n申告書 山田様分,紙\n".encode())
    handovers.scan(cast.worker, handover.number, medium.id)
    handovers.sign(cast.worker, handover.number)
    return handovers.confirm(cast.city, handover.number, settings)


def anonymous_csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf_token"]


def test_anyone_sees_only_the_papers_proof_without_logging_in(app, cast, issued):
    client = app.test_client()
    response = client.get(f"/d/{issued.serial}")
    assert response.status_code == 200  # no redirect to the login page
    page = response.get_data(as_text=True)
    for proof in (issued.serial, "預り証", "小金井市契約第2026-118号", issued.attachment_id, issued.head_hash, f"#{issued.head_seq}",
                  "令和8年", "この文書は台帳と一致しています"):
        assert proof in page, proof
    assert 'id="still-issued"' in page and "はい（保存されたPDFは発行時のまま）" in page
    assert "はい（台帳全体を検証済み）" in page
    # Nothing about people or media: not the issuer, the city's official, the medium or the handover.
    medium = Medium.get()
    for private in ("佐藤 花子", "高橋 市役所", "山田様分", medium.id, issued.subject, "発行されたPDFを開く"):
        assert private not in page, private
    assert client.get(f"/d/{issued.serial}.pdf").status_code == 302  # the PDF itself needs a login


def test_a_reader_of_the_contract_also_sees_what_it_concerns(client, cast, issued):
    from conftest import login

    login(client, "takahashi")
    page = client.get(f"/d/{issued.serial}").get_data(as_text=True)
    assert issued.subject in page and "高橋 市役所" in page and "発行されたPDFを開く" in page


def test_uploading_the_pdf_compares_it_and_records_nothing(app, settings, issued):
    client = app.test_client()
    client.get(f"/d/{issued.serial}")
    before = Event.select().count()
    content = papers.content(settings, issued)
    same = client.post(f"/d/{issued.serial}/compare", data={"csrf_token": anonymous_csrf(client), "pdf": (io.BytesIO(content), "r.pdf")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "このPDFは発行された文書と一致します" in same.get_data(as_text=True)
    altered = client.post(f"/d/{issued.serial}/compare",
                          data={"csrf_token": anonymous_csrf(client), "pdf": (io.BytesIO(content + b"%"), "r.pdf")},
                          content_type="multipart/form-data", follow_redirects=True)
    assert "このPDFは発行された文書と一致しません" in altered.get_data(as_text=True)
    forged = client.post(f"/d/{issued.serial}/compare", data={"pdf": (io.BytesIO(content), "r.pdf")}, content_type="multipart/form-data")
    assert forged.status_code == 400  # another site's form: no token
    assert Event.select().count() == before


def test_an_unknown_serial_is_a_clear_404_page(app, cast):
    response = app.test_client().get("/d/KG26-D99999")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "文書番号 KG26-D99999 は登録されていません" in page and "no document" not in page
    assert app.test_client().get("/d/" + "X" * 5000).status_code == 404


def test_a_changed_paper_or_ledger_says_so(app, settings, issued):
    client = app.test_client()
    path = ledger.attachment_path(settings.attachments_dir, issued.attachment_id)
    path.write_bytes(path.read_bytes() + b"\n% edited")
    page = client.get(f"/d/{issued.serial}").get_data(as_text=True)
    assert "この文書は台帳と一致しません" in page and "いいえ（保存されたPDFが発行時から変更されています）" in page


def test_the_qr_follows_the_public_address_and_an_older_paper_verifies_at_the_new_one(cast, settings, issued, data_dir):
    assert papers.verify_url(settings, issued.serial) == f"http://mediatrail.test/d/{issued.serial}"
    config.set_base_url(data_dir, "https://mediatrail.city.example.jp")
    moved = config.load(data_dir)
    assert papers.verify_url(moved, issued.serial) == f"https://mediatrail.city.example.jp/d/{issued.serial}"
    app = create_app(moved, {"TESTING": True})
    page = app.test_client().get(f"/d/{issued.serial}", base_url="https://mediatrail.city.example.jp")
    assert page.status_code == 200 and "この文書は台帳と一致しています" in page.get_data(as_text=True)
    # The QR is upper case (alphanumeric mode); the page answers that spelling too.
    assert app.test_client().get(f"/D/{issued.serial}").status_code == 200
