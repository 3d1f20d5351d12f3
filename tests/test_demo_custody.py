"""`mediatrail demo` tells the custody story: every custody page has real data to show, and the
whole story verifies."""

from __future__ import annotations

from conftest import login
from tracker import config, ledger
from tracker.cli import open_database
from tracker.demo import DEMO_PASSWORD
from tracker.models import (
    CopyRequest,
    DestructionApplication,
    Document,
    Evidence,
    Handover,
    HandoverItem,
    Incident,
    Medium,
    StorageCheck,
    Transfer,
)
from tracker.timeutil import to_jst
from tracker.workflows import checks, destruction, handovers, incidents, transfers


def test_the_demo_tells_the_custody_story(demo_dir):
    settings = open_database(demo_dir)
    assert Medium.select().where(Medium.contract == "KG26").count() == 32  # --media 30, as asked, and the two destroyed on top

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

    assert Document.select().count() <= 8  # each issued PDF costs a second or two (one of them: a 再委託承認申請書)
    assert ledger.verify(settings.attachments_dir).ok


def test_the_demo_destroys_checks_and_reports_an_incident(demo_dir):
    settings = open_database(demo_dir)

    # An HDD (H-level) and a box of paper (P-4) destroyed with the city's approval and witness,
    # photographed before and after with the camera's time, and certified.
    done = DestructionApplication.get(DestructionApplication.status == "completed")
    assert done.decided_by == "takahashi" and done.witness == "takahashi" and done.witnessed_at and done.verifier
    methods = {item.medium.kind: (item.category, item.level) for item in done.items}
    assert methods == {"hdd": ("destroy", "H-5"), "paper": ("destroy", "P-4")}
    assert {item.medium.status for item in done.items} == {"destroyed"}
    photos = destruction.evidence_of(done)
    for item in done.items:
        assert {photo.stage for photo in photos if photo.medium == item.medium_id} == {"before", "after"}
    for photo in photos:  # EXIF time of the backdated clock, not of the day the demo ran
        assert photo.taken_at and not destruction.photo_flags(photo).any
        assert to_jst(photo.taken_at).date() == to_jst(done.completed_at).date() < checks.today()
    certificate = Document.get((Document.kind == destruction.CERTIFICATE_KIND) & (Document.subject == done.number))
    assert destruction.destroyed_record(done.items[0].medium_id).certificate.serial == certificate.serial

    # Another application waits for the city.
    waiting = DestructionApplication.get(DestructionApplication.status == "applied", DestructionApplication.contract == "KG26")
    assert waiting.decided_by is None and waiting.number in [found.number for found in destruction.needing_attention(["KG26"]).awaiting_approval]

    # The cabinet was checked and signed off (its report issued); its next check is coming.
    signed = StorageCheck.get(StorageCheck.status == "signed_off")
    assert signed.signed_off_by == "yamada" and checks.reports(signed)
    assert not checks.reconcile(signed).missing and checks.reconcile(signed).found
    schedules = {row.location.code: row for row in checks.schedules(["KG26"])}
    assert schedules[signed.location_id].last_check.number == signed.number and schedules[signed.location_id].next_due
    assert "overdue" in {row.state for row in schedules.values()}

    # The safe's check missed a medium: lost, with an open incident reported preliminarily.
    missed = StorageCheck.get(StorageCheck.status == "completed")
    (incident,) = [found for found in incidents.open_for(["KG26"]) if found.kind == "lost"]
    assert incident.source == missed.number and incident.status == "preliminary" and incident.response_steps
    assert [line.id for line in checks.reconcile(missed).missing] == incident.media
    assert {Medium.get_by_id(medium_id).status for medium_id in incident.media} == {"lost"}
    assert incidents.report_of(incident, "preliminary") is not None
    assert Incident.select().count() == 2  # and the broken seal the city gave an instruction on (test_oversight_demo.py)

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
    # The city sees the destruction waiting for its approval and the open incident.
    applied = DestructionApplication.get(DestructionApplication.status == "applied", DestructionApplication.contract == "KG26").number
    incident = Incident.get(Incident.kind == "lost").number
    assert applied in dashboard and incident in dashboard
    inspection = client.get("/contracts/KG26/inspection")
    assert inspection.status_code == 200 and incident in inspection.get_data(as_text=True)
    # Each page shows what it is about: the papers it lists, or the one paper it is.
    # (takahashi is Koganei's official: Mitaka's papers are not theirs to read)
    applications = [application.number for application in DestructionApplication.select().where(DestructionApplication.contract == "KG26")]
    storage_checks = [check.number for check in StorageCheck.select()]
    pages = {"/destructions": applications, "/checks": storage_checks, "/incidents": [incident], f"/incidents/{incident}": [incident]}
    pages.update({f"/destructions/{number}": [number] for number in applications})
    pages.update({f"/checks/{number}": [number] for number in storage_checks})
    for page, shown in pages.items():
        text = page_text(client, page)
        assert all(number in text for number in shown), (page, shown)
    done = DestructionApplication.get(DestructionApplication.status == "completed")
    for photo in Evidence.select().where(Evidence.paper == done.number):
        assert client.get(f"/destructions/{done.number}/evidence/{photo.attachment_id}").data.startswith(b"\xff\xd8")  # JPEG
    certificate = Document.get(Document.kind == destruction.CERTIFICATE_KIND)
    verification = page_text(client, f"/d/{certificate.serial}")
    assert certificate.serial in verification and "この文書は台帳と一致しています" in verification
    handover_numbers = [handover.number for handover in Handover.select()]
    transfer_numbers = [transfer.number for transfer in Transfer.select()]
    handover_list, transfer_list = page_text(client, "/handovers"), page_text(client, "/transfers")
    assert all(number in handover_list for number in handover_numbers)
    assert all(number in transfer_list for number in transfer_numbers) and "移送中" in transfer_list
    from tracker import register

    register_page = page_text(client, "/register")
    held_or_held_once = [row.id for row in register.register_rows(["KG26"])]
    assert len(held_or_held_once) == 29  # the demo's 32 media less those listed but never handed over
    assert all(medium_id in register_page for medium_id in held_or_held_once)
    balance = register.closeout_balance("KG26")
    balance_page = page_text(client, "/contracts/KG26/balance")
    assert f'id="held">{balance.held}<' in balance_page and f'id="received">{balance.received}<' in balance_page
    for number in handover_numbers:
        assert number in page_text(client, f"/handovers/{number}")
    for number in transfer_numbers:
        assert number in page_text(client, f"/transfers/{number}")
    for document in Document.select():
        assert client.get(f"/d/{document.serial}.pdf").data.startswith(b"%PDF")


def test_the_demo_runs_a_second_contract_under_the_generic_profile(demo_dir):
    from tracker.models import DestructionApplication
    from tracker.workflows import profiles

    open_database(demo_dir)
    assert profiles.for_contract("KG26").key == "koganei@1"
    assert profiles.for_contract("MT26").key == "generic@1"
    assert Medium.select().where(Medium.contract == "MT26").count() == 3
    waiting = DestructionApplication.get(DestructionApplication.contract == "MT26")
    assert waiting.status == "applied" and waiting.witness_requested  # the generic profile demands the witness


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_the_demo_shows_people_waiting_for_the_city(demo_dir):
    from tracker.models import Pledge, RosterApplication
    from tracker.workflows import access, roster, training, workplaces

    open_database(demo_dir)
    waiting = RosterApplication.get(RosterApplication.status == "pending")
    assert (waiting.user_id, waiting.employment_type, waiting.contract_id) == ("ito", "dispatched", "KG26")
    assert access.roster_entry(access.get_user("ito"), access.get_contract("KG26")) is None
    by_hand = Pledge.get(Pledge.user == "suzuki", Pledge.contract == "KG26")
    assert (by_hand.method, by_hand.submitted_on, len(by_hand.sheet)) == ("paper", None, 64)
    assert Pledge.get(Pledge.user == "yamada", Pledge.contract == "KG26").confirmed_by == "takahashi"
    assert Document.get(Document.kind == "roster").contract_id == "KG26"
    assert [entry.user_id for entry in roster.entries("KG26")] == ["yamada", "sato", "suzuki"]
    assert [s.entry.user_id for s in training.lapsed_in(["KG26"])] == ["suzuki"]
    assert workplaces.of_contract("KG26")[0].status == "acknowledged"
