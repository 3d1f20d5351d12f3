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

from labels.payload import location_url, medium_url
from scanner.outbox import RemoteSink
from scanner.station import Scan
from tracker import ledger
from tracker.cli import cli
from tracker.models import Event, Medium
from tracker.workflows import media, tokens

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
