"""Incidents of every kind (Art. 19): opened by hand or automatically, the city told at once by
email through a real SMTP conversation (aiosmtpd on a free port), a server that is down never
losing the notice, the first-report limit from the contract's profile, the city's instructions
each answered, and the emergency response plan named by every incident."""

from __future__ import annotations

import email
import socket
import subprocess
from datetime import datetime, timezone

import pytest
from aiosmtpd.controller import Controller

from tracker import config, ledger
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import Event, Incident, Medium, Notice
from tracker.timeutil import clock_at
from tracker.workflows import (
    checks, incident_instructions, incidents, media, notices, papers, places, response_plans, transfers,
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def mailing(cast, data_dir, smtp_server):
    """Settings with the local SMTP server, and the city's address on KG26."""
    controller, inbox = smtp_server
    config.set_smtp(data_dir, "127.0.0.1", controller.port, "mediatrail@contractor.example")
    notices.set_recipient(cast.admin, "KG26", "shiminzei@city.koganei.example")
    return config.load(data_dir), inbox


def body_of(message) -> str:
    return message.get_payload(decode=True).decode("utf-8")


def test_a_transfer_arriving_with_a_broken_seal_opens_an_incident_and_emails_the_city_once(cast, mailing):
    settings, inbox = mailing
    usb = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES-256",
                         location=cast.cabinet.code, pi_items=["氏名"], record_count=120, seal_number="S-7")
    annex = places.create_location(cast.admin, "別館金庫", "safe", "storage", site="別館")
    transfer = transfers.plan(cast.worker, "KG26", "別館での作業", "本社", annex.code, "社用車", "佐藤 花子", seal_number="S-7")
    transfers.scan_out(cast.worker, transfer.number, usb.id)
    transfers.depart(cast.worker, transfer.number)
    transfers.scan_in(cast.worker, transfer.number, usb.id)
    transfers.arrive(cast.worker, transfer.number, False, settings, note="封印シールが剥がれていた")

    (incident,) = Incident.select()
    assert (incident.kind, incident.source, incident.media, incident.status) == ("seal_broken", transfer.number, [usb.id], "draft")
    assert "封印シールが剥がれていた" in incident.circumstances
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["X-Envelope-To"] == "shiminzei@city.koganei.example"
    assert incident.number in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert "封印の破損" in body_of(message) and usb.id in body_of(message)
    notice = Notice.get_by_id("KG26-N0001")
    assert (notice.status, notice.attempts, notice.subject) == ("sent", 1, incident.number)
    assert incident.city_told_at == notice.sent_at
    assert Medium.get_by_id(usb.id).status == "stored"  # the medium arrived: nothing else changes
    notices.deliver(settings)  # nothing pending: no second email
    assert len(inbox.messages) == 1
    assert ledger.verify(settings.attachments_dir).ok


def test_media_missing_at_arrival_open_a_missing_in_transit_incident(cast, mailing):
    settings, inbox = mailing
    paper = media.register(cast.worker, "KG26", "paper", "申告書 A", location=cast.cabinet.code)
    other = media.register(cast.worker, "KG26", "paper", "申告書 B", location=cast.cabinet.code)
    annex = places.create_location(cast.admin, "別館金庫", "safe", "storage", site="別館")
    transfer = transfers.plan(cast.worker, "KG26", "別館での作業", "本社", annex.code, "社用車", "佐藤 花子")
    for medium in (paper, other):
        transfers.scan_out(cast.worker, transfer.number, medium.id)
    transfers.depart(cast.worker, transfer.number)
    transfers.scan_in(cast.worker, transfer.number, paper.id)
    transfers.arrive(cast.worker, transfer.number, True, settings, accept_missing=True)
    (incident,) = Incident.select()
    assert (incident.kind, incident.media) == ("missing_in_transit", [other.id])
    assert Medium.get_by_id(other.id).status == "lost" and len(inbox.messages) == 1


def test_a_check_noting_a_broken_seal_opens_one_draft(cast, settings):
    sealed = media.register(cast.worker, "KG26", "paper", "封印した箱", location=cast.cabinet.code, seal_number="S-9")
    check = checks.start(cast.worker, cast.cabinet.code, settings.secret)
    checks.scan(cast.worker, check.number, sealed.id, settings.secret, confirmed=True)
    checks.note_seal(cast.worker, check.number, sealed.id, False, "封印番号が異なる")
    checks.note_seal(cast.worker, check.number, sealed.id, False, "封印番号が異なる（再確認）")
    (incident,) = Incident.select()
    assert (incident.kind, incident.source, incident.media) == ("seal_broken", check.number, [sealed.id])
    # No mail server configured: the notice waits, shown as not yet sent, never lost.
    (notice,) = notices.pending(["KG26"])
    assert notice.subject == incident.number and incident.city_told_at is None


def test_a_mail_server_that_is_down_keeps_the_notice_and_a_retry_delivers_it(cast, data_dir, smtp_server):
    controller, inbox = smtp_server
    down = free_port()  # nothing listens here
    config.set_smtp(data_dir, "127.0.0.1", down, "mediatrail@contractor.example")
    notices.set_recipient(cast.admin, "KG26", "shiminzei@city.koganei.example")
    settings = config.load(data_dir)
    incident = incidents.open_by_hand(cast.worker, "KG26", "misdelivered", "課税通知書を別の住所へ誤送付")
    assert notices.deliver(settings) == (0, 1)
    (notice,) = notices.pending(["KG26"])
    assert notice.attempts == 1 and "Connection" in notice.last_error
    assert Incident.get_by_id(incident.number).city_told_at is None
    assert notices.deliver(settings, backoff=True) == (0, 0)  # tried a moment ago: waits its turn
    config.set_smtp(data_dir, "127.0.0.1", controller.port, "mediatrail@contractor.example")
    assert notices.deliver(config.load(data_dir)) == (1, 0)
    assert len(inbox.messages) == 1 and "誤送付" in body_of(inbox.messages[0])
    assert Incident.get_by_id(incident.number).city_told_at is not None
    assert [event.kind for event in Event.select().where(Event.kind.startswith("notice."))] == ["notice.queued", "notice.failed", "notice.sent"]
    assert ledger.verify(settings.attachments_dir).ok


def test_incidents_of_every_kind_by_hand_and_bad_input(cast, settings):
    stick = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES-256", location=cast.cabinet.code)
    damaged = incidents.open_by_hand(cast.worker, "KG26", "damaged", "水濡れ", media_ids=[stick.id])
    assert damaged.kind == "damaged" and Medium.get_by_id(stick.id).status == "stored"
    lost = incidents.open_by_hand(cast.worker, "KG26", "lost", "紛失", media_ids=[stick.id.lower()])
    assert lost.media == [stick.id] and Medium.get_by_id(stick.id).status == "lost"
    for kind in ("leaked", "tampered", "other"):
        assert incidents.open_by_hand(cast.worker, "KG26", kind, "概要").kind == kind
    before = Event.select().count()
    with pytest.raises(InvalidInput):
        incidents.open_by_hand(cast.worker, "KG26", "stolen", "概要")
    with pytest.raises(InvalidInput):
        incidents.open_by_hand(cast.worker, "KG26", "leaked", "  ")
    with pytest.raises(NotAllowed):
        incidents.open_by_hand(cast.admin, "KG26", "leaked", "概要")
    with pytest.raises(WrongState):  # already missing
        incidents.open_by_hand(cast.worker, "KG26", "lost", "また紛失", media_ids=[stick.id])
    assert Event.select().count() == before


def test_first_report_limit_from_the_profile_and_the_overdue_flag(cast, settings):
    # Found at 15:30 JST: Koganei's first report is due the same day, by 23:59:59 JST.
    with clock_at(datetime(2026, 11, 24, 6, 30, tzinfo=timezone.utc)):
        incident = incidents.open_by_hand(cast.worker, "KG26", "leaked", "メール誤送信")
    assert incident.report_due_at == "2026-11-24T14:59:59.999999Z"
    with clock_at(datetime(2026, 11, 24, 14, 0, tzinfo=timezone.utc)):
        assert incidents.first_report_state(incident) == "due"
        assert incidents.overdue(["KG26"]) == []
    with clock_at(datetime(2026, 11, 25, 0, 30, tzinfo=timezone.utc)):  # 09:30 JST the next day
        assert incidents.first_report_state(incident) == "overdue"
        assert [i.number for i in incidents.overdue(["KG26"])] == [incident.number]
        incidents.update(cast.responsible, incident.number, summary="メール誤送信", circumstances="宛先誤り",
                         response_steps=[{"action": "削除依頼", "owner": "山田", "deadline": "2026-11-25"}])
        incidents.issue_preliminary(cast.responsible, incident.number, settings)
    assert incidents.first_report_state(incidents.get_incident(incident.number)) == "late"


def test_city_instructions_each_need_a_response_and_the_plan_is_named_and_printed(cast, settings):
    with pytest.raises(NotAllowed):
        response_plans.record(cast.worker, "KG26", "市民税課 042-000-0000", "作業停止", "取扱責任者")
    plan = response_plans.record(cast.responsible, "KG26", "1. 市民税課 042-000-0000\n2. 社長", "作業を止め、媒体を確保する",
                                 "取扱責任者 山田（本人通知・公表は市が判断）")
    assert plan.key == "KG26/v1"
    assert response_plans.record(cast.responsible, "KG26", plan.contacts, plan.steps, plan.decides).key == "KG26/v1"
    medium = media.register(cast.worker, "KG26", "paper", "申告書", location=cast.cabinet.code)
    incident = incidents.open_by_hand(cast.worker, "KG26", "damaged", "水濡れ", media_ids=[medium.id])
    assert incident.plan == "KG26/v1"
    second = response_plans.record(cast.responsible, "KG26", plan.contacts, "作業を止め、写真を撮る", plan.decides)
    assert second.key == "KG26/v2" and incidents.get_incident(incident.number).plan == "KG26/v1"

    with pytest.raises(NotAllowed):  # instructions are the city's
        incident_instructions.give(cast.responsible, incident.number, "乾燥させて保管")
    instruction = incident_instructions.give(cast.city, incident.number, "乾燥させ、状態を写真で報告すること")
    with pytest.raises(NotAllowed):
        incident_instructions.respond(cast.worker, instruction.key, "対応しました")
    incidents.update(cast.responsible, incident.number, summary="水濡れ", circumstances="雨漏り", cause="屋根",
                     secondary_harm="なし", persons_response="不要", prevention="保管場所の変更",
                     response_steps=[{"action": "乾燥", "owner": "山田", "deadline": "2026-12-01"}])
    incidents.issue_preliminary(cast.responsible, incident.number, settings)
    final = incidents.issue_final(cast.responsible, incident.number, settings)
    with pytest.raises(WrongState) as unanswered:
        incidents.close(cast.responsible, incident.number, "対応完了")
    assert "指示" in unanswered.value.message_ja and "instruction" in unanswered.value.message_en
    incident_instructions.respond(cast.responsible, instruction.key, "乾燥させ、写真を送付しました")
    with pytest.raises(WrongState):
        incident_instructions.respond(cast.responsible, instruction.key, "二度目")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=papers.content(settings, final), check=True,
                          capture_output=True).stdout.decode()
    assert "KG26/v1" in text and "作業を止め、媒体を確保する" in text and "乾燥させ、状態を写真で報告すること" in text
    incidents.close(cast.responsible, incident.number, "対応完了")
    before = Event.select().count()
    with pytest.raises(WrongState) as closed:
        incident_instructions.give(cast.city, incident.number, "追加の指示")
    assert "終了" in closed.value.message_ja and "closed" in closed.value.message_en
    assert Event.select().count() == before
    assert ledger.verify(settings.attachments_dir).ok


def test_pages_report_an_incident_by_hand_show_it_to_the_city_and_take_its_instruction(cast, app):
    from tests.conftest import csrf, login

    worker = login(app.test_client(), "sato")
    assert "事故を報告" in worker.get("/").get_data(as_text=True)
    page = worker.get("/incidents/new").get_data(as_text=True)
    assert "誤送付・誤交付" in page and "封印の破損" in page
    refused = worker.post("/incidents/new", data={"csrf_token": csrf(worker), "contract": "KG26", "kind": "leaked", "summary": ""})
    assert refused.status_code == 400 and Incident.select().count() == 0
    done = worker.post("/incidents/new", data={"csrf_token": csrf(worker), "contract": "KG26", "kind": "leaked",
                                                "summary": "FAXの誤送信", "circumstances": "番号の押し間違い"})
    assert done.status_code == 302 and done.location.endswith("/incidents/KG26-I0001")
    city = login(app.test_client(), "takahashi")
    dashboard = city.get("/").get_data(as_text=True)
    assert "KG26-I0001" in dashboard and "漏えい" in dashboard and "未送信" in dashboard
    city.post("/incidents/KG26-I0001/instructions", data={"csrf_token": csrf(city), "text": "送信先に削除を依頼すること"})
    page = city.get("/incidents/KG26-I0001").get_data(as_text=True)
    assert "送信先に削除を依頼すること" in page and "対応待ち" in page and "緊急時対応計画" in page
    responsible = login(app.test_client(), "yamada")
    key = incident_instructions.of_incident(Incident.get_by_id("KG26-I0001"))[0].key
    responsible.post("/incidents/KG26-I0001/instructions/response",
                     data={"csrf_token": csrf(responsible), "key": key, "response": "削除を確認しました"})
    assert "削除を確認しました" in city.get("/incidents/KG26-I0001").get_data(as_text=True)
    responsible.post("/contracts/KG26/response-plan", data={"csrf_token": csrf(responsible), "contacts": "市民税課",
                                                            "steps": "作業停止", "decides": "取扱責任者"})
    assert "KG26/v1" in city.get("/contracts/KG26/response-plan").get_data(as_text=True)


def test_cli_sets_the_mail_server_and_the_address_and_sends_what_waits(cast, data_dir, smtp_server, monkeypatch):
    from tests.conftest import run_cli

    controller, inbox = smtp_server
    incidents.open_by_hand(cast.worker, "KG26", "leaked", "USBの置き忘れ")
    assert run_cli("--data", str(data_dir), "contract", "notify-email", "KG26", "not-an-address").exit_code == 1  # refused
    assert run_cli("--data", str(data_dir), "contract", "notify-email", "KG26", "shiminzei@city.koganei.example").exit_code == 0
    waiting = run_cli("--data", str(data_dir), "notices", "send")
    assert waiting.exit_code == 5 and "SMTP" in waiting.output  # no server yet: still 未送信, said why
    assert run_cli("--data", str(data_dir), "config", "set-smtp", "127.0.0.1", "--port", str(controller.port),
                   "--sender", "mediatrail@contractor.example").exit_code == 0
    sent = run_cli("--data", str(data_dir), "notices", "send")
    assert sent.exit_code == 0 and "送信 1 件" in sent.output and len(inbox.messages) == 1
