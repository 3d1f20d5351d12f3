"""The demo shows the city's oversight (#15): the response plan, an incident from a broken seal
with the city's instruction answered and its notice waiting (no mail server), a subcontractor
waiting for approval, the electronic media notice consented, and a contract near its end."""

from __future__ import annotations

from conftest import login
from tracker import config
from tracker.cli import open_database
from tracker.demo import DEMO_PASSWORD
from tracker.models import Contract, ElectronicNotice, Incident, Instruction, Subcontract
from tracker.workflows import closeout, notices, response_plans


def test_the_demo_shows_the_citys_oversight(demo_dir):
    from tracker.web import create_app

    open_database(demo_dir)
    seal = Incident.get(Incident.kind == "seal_broken")
    assert seal.plan == "KG26/v1" and response_plans.current("KG26").version == 1
    (instruction,) = Instruction.select().where(Instruction.incident == seal.number)
    assert instruction.responded_at and instruction.given_by == "takahashi"
    assert {notice.subject for notice in notices.pending(["KG26"])} >= {seal.number}  # no SMTP server in the demo
    assert Subcontract.get().status == "applied"
    assert ElectronicNotice.get(ElectronicNotice.contract == "MT26").status == "consented"
    assert [reminder.contract.code for reminder in closeout.reminders(["KG26", "MT26"])] == ["MT26"]
    assert Contract.get_by_id("KG26").notify_email

    client = create_app(config.load(demo_dir), {"TESTING": True}).test_client()
    login(client, "takahashi", DEMO_PASSWORD)
    dashboard = client.get("/").get_data(as_text=True)
    for shown in ("封印の破損", "未送信", "再委託の承認待ち"):
        assert shown in dashboard, shown
    # the contract near its end is Mitaka's: its own official sees the reminder, Koganei's does not
    assert "契約終了" not in dashboard
    login(client, "kobayashi", DEMO_PASSWORD)
    assert "契約終了" in client.get("/").get_data(as_text=True)
