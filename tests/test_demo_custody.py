"""`mediatrail demo` tells the custody story: every custody page has real data to show, and the
whole story verifies."""

from __future__ import annotations

from conftest import login
from tracker import config, ledger
from tracker.cli import open_database
from tracker.demo import DEMO_PASSWORD
from tracker.models import CopyRequest, Document, Handover, HandoverItem, Medium, Transfer
from tracker.workflows import handovers, transfers


def test_the_demo_tells_the_custody_story(demo_dir):
    settings = open_database(demo_dir)
    assert Medium.select().count() == 30  # --media 30, as asked

    # Received through a confirmed handover of the city's list, one line never handed over.
    receipt_of = {document.subject: document for document in Document.select()}
    received = Handover.get(Handover.direction == "receive", Handover.status == "confirmed")
    assert received.confirmed_by == "takahashi" and received.signed_by in ("sato", "suzuki")
    assert received.list_name
    result = handovers.reconcile(received)
    assert len(result.missing) == 1 and result.missing[0].medium.status == "not_received"
    assert all(item.medium.status not in ("expected", "not_received") for item in result.received)
    assert receipt_of[received.number].kind == "handover_receipt"

    # One transfer completed to the second storage site, one still on its way.
    arrived = Transfer.get(Transfer.status == "arrived")
    assert arrived.destination.site != "本社 東小金井" and receipt_of[arrived.number].kind == "transfer_record"
    assert all(item.medium.location_id == arrived.destination_id for item in transfers.tally(arrived).arrived)
    departed = Transfer.get(Transfer.status == "departed")
    assert [item.medium.status for item in departed.items] == ["in_transit"]

    # A copy approved by the city and made; another request waiting for its decision.
    made = CopyRequest.get(CopyRequest.status.in_(("approved", "used")))
    assert made.decided_by == "takahashi" and made.copies_made == 1
    (copy,) = Medium.select().where(Medium.parent == made.medium_id)
    assert copy.status == "stored"
    assert CopyRequest.get(CopyRequest.status == "requested").decided_by is None

    # A receiving handover signed and waiting for the city; media returned through a confirmed return.
    waiting = Handover.get(Handover.status == "signed")
    assert waiting.direction == "receive" and waiting.confirmed_by is None
    assert {item.medium.status for item in waiting.items} == {"expected"}
    returned = Handover.get(Handover.direction == "return", Handover.status == "confirmed")
    returned_media = [item.medium for item in HandoverItem.select().where(HandoverItem.handover == returned)]
    assert len(returned_media) >= 2 and {medium.status for medium in returned_media} == {"returned"}
    assert receipt_of[returned.number].kind == "return_receipt"

    assert Document.select().count() <= 5  # each issued PDF costs a second or two
    assert ledger.verify(settings.attachments_dir).ok


def test_the_demo_fills_the_custody_pages(demo_dir):
    from tracker.web import create_app

    open_database(demo_dir)
    client = create_app(config.load(demo_dir), {"TESTING": True}).test_client()
    login(client, "takahashi", DEMO_PASSWORD)
    dashboard = client.get("/").get_data(as_text=True)
    waiting = Handover.get(Handover.status == "signed").number
    requested = CopyRequest.get(CopyRequest.status == "requested").number
    assert waiting in dashboard and requested in dashboard
    numbers = [handover.number for handover in Handover.select()] + [transfer.number for transfer in Transfer.select()]
    for page in ["/handovers", "/transfers", "/register", "/contracts/KG26/balance"]:
        response = client.get(page)
        assert response.status_code == 200, page
    assert all(number in client.get("/handovers").get_data(as_text=True) + client.get("/transfers").get_data(as_text=True)
               for number in numbers)
    for handover in Handover.select():
        assert client.get(f"/handovers/{handover.number}").status_code == 200
    for transfer in Transfer.select():
        assert client.get(f"/transfers/{transfer.number}").status_code == 200
    assert "移送中" in client.get("/transfers").get_data(as_text=True)
    for document in Document.select():
        assert client.get(f"/d/{document.serial}.pdf").data.startswith(b"%PDF")
