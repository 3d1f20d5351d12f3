"""The bulk writer (``ledger.append_many``), the generated history it fills for the scale
benchmark, and the streamed exports."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.conftest import login
from tracker import ledger, register
from tracker.ledger import Pending
from tracker.models import Event, EventMedium, Medium
from tracker.workflows import media


def test_append_many_leaves_what_append_would(cast):
    first = media.register(cast.worker, "KG26", "paper", "資料")
    row = media.new_medium_row("KG26", "usb", "一括", status="stored", location=cast.cabinet.code, encrypted=True, encryption="AES")
    written = ledger.append_many([
        Pending("medium.registered", "sato", {}, {"medium": {"KG26-09999-X": row}}, contract="KG26"),
        Pending("medium.taken_out", "sato", {"purpose": "入力"}, {"medium": {first.id: {"status": "in_use", "custodian": "sato"}}},
                contract="KG26"),
        Pending("medium.stored", "sato", {}, {"medium": {first.id: {"status": "stored", "location": cast.cabinet.code,
                                                                     "custodian": None}}}, contract="KG26"),
        Pending("label.printed", "sato", {"count": 1}, {}, media=[first.id, "KG26-09999-X"], contract="KG26"),
    ])
    assert written == 4
    assert ledger.verify().ok
    stored = Medium.get_by_id(first.id)
    assert (stored.status, stored.location_id, stored.custodian_id) == ("stored", cast.cabinet.code, None)
    assert Medium.get_by_id("KG26-09999-X").encrypted is True
    head = Event.select().order_by(Event.seq.desc()).first()
    assert head.kind == "label.printed" and sorted(link.medium for link in head.media_links) == sorted([first.id, "KG26-09999-X"])
    media.register(cast.worker, "KG26", "paper", "後から")  # append continues the chain
    assert ledger.verify().ok and EventMedium.select().where(EventMedium.medium == first.id).count() == 4


def _generator():
    path = Path(__file__).resolve().parent.parent / "bench" / "generate.py"
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_generated_history_verifies(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = _generator().generate(tmp_path / "data", "tiny", quiet=True)
    assert result["events"] > 4_000 and result["big_place_media"] > 100
    report = ledger.verify()
    assert report.ok, report.problems[:3]
    statuses = {status for (status,) in Medium.select(Medium.status).distinct().tuples()}
    assert {"stored", "returned", "destroyed"} <= statuses


def test_the_custody_csv_streams_the_same_bytes(client, cast):
    for n in range(3):
        media.register(cast.worker, "KG26", "paper", f"資料 {n}")
    login(client, "yamada")
    response = client.get("/register/custody.csv?contract=KG26")
    assert response.is_streamed and response.status_code == 200
    assert response.data == register.custody_csv(["KG26"]) and response.data.startswith("\ufeff".encode())
    register_response = client.get("/register.csv?contract=KG26")
    assert register_response.is_streamed and register_response.data == register.register_csv(["KG26"])
