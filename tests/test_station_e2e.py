"""The scanning station against the real ledger: a recorded video through `mediatrail scan`, and
the offline queue draining into the real API exactly once after the server comes back."""

from __future__ import annotations

import socket
import threading

import cv2
import numpy as np
import pytest
import qrcode
from click.testing import CliRunner
from waitress.server import create_server

from pathlib import Path

from labels.payload import location_url, medium_url
from scanner import station as scanner_station
from scanner.outbox import RemoteSink
from scanner.station import Scan
from tracker import ledger
from tracker.cli import EXIT_REFUSED, cli
from tracker.models import Event, Handover, Medium
from tracker.workflows import handovers, media, tokens

SAMPLE_LIST = Path(__file__).resolve().parents[1] / "tracker" / "samples" / "handover-list-sample.csv"

SIZE = (480, 640)
BLANK = np.full((*SIZE, 3), 225, dtype=np.uint8)


def label_frame(text: str) -> np.ndarray:
    code = qrcode.QRCode(border=4, box_size=4)
    code.add_data(text)
    image = np.array(code.make_image().convert("L"), dtype=np.uint8)
    canvas = np.full(SIZE, 225, dtype=np.uint8)
    canvas[100 : 100 + image.shape[0], 200 : 200 + image.shape[1]] = image
    return cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)


def write_video(path, texts, fps=10):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (SIZE[1], SIZE[0]))
    for text in texts:
        for image in [BLANK] * fps + [label_frame(text)] * (2 * fps):
            writer.write(image)
    writer.release()


@pytest.fixture
def usb_sticks(cast):
    return [media.register(cast.worker, "KG26", "usb", f"課税データ{n}", encrypted=True, encryption="AES").id for n in range(3)]


def test_scan_video_stores_each_medium_once(cast, usb_sticks, settings, data_dir, tmp_path):
    # The CLI finds the same database as the fixtures: the data folder, or DATABASE_URL.
    video = tmp_path / "cabinet.avi"
    texts = [location_url(cast.cabinet.code, settings.secret, settings.base_url)]
    texts += [medium_url(medium_id, settings.secret, settings.base_url) for medium_id in usb_sticks]
    write_video(video, texts)
    result = CliRunner().invoke(cli, ["--data", str(data_dir), "scan", "--video", str(video), "--action", "store", "--user", "sato"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for medium_id in usb_sticks:
        assert Medium.get_by_id(medium_id).status == "stored"
        stored = [event for event in ledger.timeline(medium_id) if event.kind == "medium.stored"]
        assert len(stored) == 1
        assert result.output.count(f"OK {medium_id}") == 1
    assert ledger.verify().ok


def test_scan_needs_exactly_one_source(data_dir, cast):
    result = CliRunner().invoke(cli, ["--data", str(data_dir), "scan", "--user", "sato"])
    assert result.exit_code == 1 and "exactly one" in result.output


@pytest.fixture
def open_handover(cast):
    """A receiving handover with the city's sample list imported: five expected media."""
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所第二庁舎 市民税課", "手渡し", "高橋 市役所")
    listed = handovers.import_list(cast.worker, handover.number, SAMPLE_LIST.name, SAMPLE_LIST.read_bytes())
    return handover, [medium.id for medium in listed]


def test_receive_station_over_a_folder_of_labels_scans_into_the_handover(cast, open_handover, settings, data_dir, tmp_path):
    handover, listed = open_handover
    folder = tmp_path / "photos"
    folder.mkdir()
    handed_over = listed[:-1]  # the city keeps the last line back
    for number, medium_id in enumerate(handed_over + handed_over[:1]):  # one label photographed twice
        cv2.imwrite(str(folder / f"{number:02d}.png"), label_frame(medium_url(medium_id, settings.secret, settings.base_url)))
    result = CliRunner().invoke(cli, ["--data", str(data_dir), "scan", "--images", str(folder), "--action", "receive",
                                      "--context", handover.number.lower(), "--user", "sato"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    reconciliation = handovers.reconcile(Handover.get_by_id(handover.number))
    assert [item.medium_id for item in reconciliation.received] == handed_over
    assert [item.medium_id for item in reconciliation.missing] == listed[-1:]
    assert not reconciliation.not_on_list
    assert all(item.scanned_by == "sato" for item in reconciliation.received)
    assert "二重読取り" in result.output and "duplicate" in result.output  # the second photo records nothing
    assert Medium.get_by_id(handed_over[0]).status == "expected"  # changes hands only when the city confirms
    assert ledger.verify().ok


@pytest.mark.parametrize("action, paper", [("receive", "引渡し番号"), ("return", "引渡し番号"), ("send", "移送番号"), ("arrive", "移送番号"),
                                          ("destroy", "廃棄申請番号")])
def test_an_action_on_a_paper_without_context_is_refused_in_both_languages(cast, data_dir, tmp_path, action, paper):
    folder = tmp_path / "photos"
    folder.mkdir()
    events_before = Event.select().count()
    result = CliRunner().invoke(cli, ["--data", str(data_dir), "scan", "--images", str(folder), "--action", action, "--user", "sato"])
    assert result.exit_code == EXIT_REFUSED
    assert paper in result.output and "--context" in result.output and f"{action} needs the" in result.output
    assert Event.select().count() == events_before


def test_scan_actions_are_the_stations(monkeypatch, data_dir):
    monkeypatch.setitem(scanner_station.ACTIONS, "check", scanner_station.Action("check", label_ja="点検"))
    help_text = CliRunner().invoke(cli, ["scan", "--help"]).output
    assert "lookup|store|receive|return|send|arrive|destroy|check" in help_text
    refused = CliRunner().invoke(cli, ["--data", str(data_dir), "scan", "--images", str(data_dir), "--action", "shred"])
    assert refused.exit_code == 2 and "shred" in refused.output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_offline_queue_drains_into_the_api_exactly_once(app, cast, usb_sticks, settings, tmp_path):
    token = tokens.create_token(cast.worker, "station")
    port = free_port()
    sink = RemoteSink(f"http://127.0.0.1:{port}", token, tmp_path / "outbox", timeout=(0.5, 5))
    scans = [
        Scan(text=medium_url(medium_id, settings.secret, settings.base_url), format="QRCode", medium=medium_id, location=None,
             valid=True, reason=None, action="store", location_context=cast.cabinet.code)
        for medium_id in usb_sticks
    ]
    for scan in scans:  # the server is down: nothing listens on the port
        outcome = sink.record(scan)
        assert outcome.queued and not outcome.ok
    assert len(sink.pending()) == 3
    events_before = Event.select().count()

    server = create_server(app, host="127.0.0.1", port=port, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        result = sink.drain()
        again = sink.drain()
        resent = sink.record(scans[0])  # a station that lost its reply resends the same key
    finally:
        server.close()
    assert (result.sent, result.remaining) == (3, 0)
    assert again.sent == 0 and not sink.pending()
    assert resent.ok
    assert Event.select().count() == events_before + 3
    for medium_id in usb_sticks:
        assert [event.kind for event in ledger.timeline(medium_id)].count("medium.stored") == 1
    assert ledger.verify().ok
