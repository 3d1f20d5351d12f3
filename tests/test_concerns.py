"""Complaints (Art. 18) and the city's improvement instructions (Art. 12(2)(3)): one register,
the city told of a complaint at once, progress, the contractor's response, closure by the right
side, and the 苦情・指示の記録 issued and verifiable; on the dashboard and the inspection page."""

from __future__ import annotations

import re
import subprocess

import pytest

from tracker import ledger
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import Event
from tracker.workflows import concerns, notices, papers


def test_a_complaint_is_told_to_the_city_followed_and_closed(cast, settings):
    complaint = concerns.receive_complaint(cast.worker, "KG26", "電話での苦情", "通知書の宛名が旧姓だった", source="市民（匿名）")
    assert (complaint.number, complaint.kind, complaint.status) == ("KG26-C0001", "complaint", "open")
    (notice,) = notices.pending(["KG26"])
    assert notice.subject == complaint.number and "苦情" in notice.title
    concerns.add_progress(cast.worker, complaint.number, "市民税課へ電話で報告、入力元データを確認中")
    with pytest.raises(WrongState):  # a complaint is not "answered" like an instruction
        concerns.respond(cast.responsible, complaint.number, "対応")
    with pytest.raises(NotAllowed):
        concerns.close(cast.worker, complaint.number, "解決")
    concerns.close(cast.responsible, complaint.number, "入力元の誤りを市が訂正、再発送済み")
    with pytest.raises(WrongState):
        concerns.add_progress(cast.worker, complaint.number, "追記")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=papers.content(settings, concerns.issue_record(cast.city, complaint.number, settings)),
                          check=True, capture_output=True).stdout.decode()
    assert "苦情処理の記録" in text and "旧姓" in text and "入力元データを確認中" in text
    assert not re.search(r"[/／]\s+[A-Za-z]", text)  # Japanese only: no "ja / en" glosses on the paper
    assert ledger.verify(settings.attachments_dir).ok


def test_an_improvement_instruction_is_answered_then_closed_by_the_city(cast, settings):
    with pytest.raises(NotAllowed):
        concerns.give_instruction(cast.responsible, "KG26", "鍵の管理", "保管庫の鍵の貸出記録をつけること", "2026-12-15")
    before = Event.select().count()
    with pytest.raises(InvalidInput):
        concerns.give_instruction(cast.city, "KG26", "鍵の管理", "", "2026-12-15")
    assert Event.select().count() == before
    instruction = concerns.give_instruction(cast.city, "KG26", "鍵の管理", "保管庫の鍵の貸出記録をつけること", "2026-12-15",
                                            source="令和8年11月の立入調査")
    with pytest.raises(WrongState):  # not answered yet
        concerns.close(cast.city, instruction.number, "確認")
    with pytest.raises(NotAllowed):
        concerns.respond(cast.worker, instruction.number, "記録を開始")
    concerns.respond(cast.responsible, instruction.number, "鍵の貸出簿を備え、12月1日から記録を開始")
    with pytest.raises(NotAllowed):  # the city closes its own instruction
        concerns.close(cast.responsible, instruction.number, "完了")
    assert concerns.close(cast.city, instruction.number, "貸出簿を確認した").status == "closed"
    with pytest.raises(WrongState):
        concerns.close(cast.city, instruction.number, "二重")
    assert concerns.open_for(["KG26"]) == []


def test_the_register_on_the_dashboard_and_the_inspection_page(cast, app):
    from tests.conftest import csrf, login

    worker = login(app.test_client(), "sato")
    worker.post("/concerns", data={"csrf_token": csrf(worker), "contract": "KG26", "title": "窓口での苦情", "detail": "待ち時間"})
    city = login(app.test_client(), "takahashi")
    city.post("/concerns", data={"csrf_token": csrf(city), "contract": "KG26", "title": "記録の改善", "detail": "点検記録に押印",
                                 "due": "2026-12-20"})
    dashboard = city.get("/").get_data(as_text=True)
    assert "KG26-C0001" in dashboard and "KG26-C0002" in dashboard and "改善指示" in dashboard
    inspection = city.get("/contracts/KG26/inspection").get_data(as_text=True)
    assert "窓口での苦情" in inspection and "記録の改善" in inspection
    page = city.get("/concerns/KG26-C0002").get_data(as_text=True)
    assert "点検記録に押印" in page and "2026-12-20" in page
    worker.post("/concerns/KG26-C0001", data={"csrf_token": csrf(worker), "do": "progress", "text": "窓口の増員を検討中"})
    assert "窓口の増員を検討中" in city.get("/concerns/KG26-C0001").get_data(as_text=True)
