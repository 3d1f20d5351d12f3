"""The scanning station: frame sources, repeat suppression, actions, refusals, feedback."""

import io

import cv2
import numpy as np
import pytest
import qrcode
from PIL import Image

from labels.ids import format_id, location_id
from labels.payload import location_url, medium_url
from scanner.station import (
    ACTIONS, Action, ConsoleFeedback, Frame, Outcome, Scan, SourceError, Station,
    camera_frames, folder_frames, open_source, video_frames,
)

SECRET = b"s" * 32
BASE = "https://mediatrail.example.jp"
SIZE = (480, 640)


def medium(serial: int) -> str:
    return format_id("KG26", serial)


def label(text: str, size=SIZE, x: int = 200, y: int = 100) -> np.ndarray:
    code = qrcode.QRCode(border=4, box_size=4)
    code.add_data(text)
    image = np.array(code.make_image().convert("L"), dtype=np.uint8)
    canvas = np.full(size, 225, dtype=np.uint8)
    canvas[y : y + image.shape[0], x : x + image.shape[1]] = image
    return cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)


def medium_frame(serial: int) -> np.ndarray:
    return label(medium_url(medium(serial), SECRET, BASE))


def location_frame(serial: int) -> np.ndarray:
    return label(location_url(location_id(serial), SECRET, BASE))


BLANK = np.full((*SIZE, 3), 225, dtype=np.uint8)


class RecordingSink:
    def __init__(self):
        self.scans: list[Scan] = []
        self.drains = 0

    def record(self, scan):
        self.scans.append(scan)
        return Outcome(True, "記録しました", "recorded")

    def drain(self):
        self.drains += 1


def station(sink, action="lookup", **options) -> Station:
    return Station(sink, SECRET, action, feedback=ConsoleFeedback(io.StringIO()), **options)


def timed(images, step=0.1):
    return [Frame(image, i * step) for i, image in enumerate(images)]


def test_video_with_three_labels_records_each_medium_once(tmp_path):
    path = tmp_path / "desk.avi"
    fps = 10
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (SIZE[1], SIZE[0]))
    assert writer.isOpened()
    for serial in (1, 2, 3):
        for image in [BLANK] * fps + [medium_frame(serial)] * (2 * fps):  # 1 s gap, 2 s label
            writer.write(image)
    writer.release()

    sink = RecordingSink()
    events = station(sink).run(video_frames(path))
    assert [scan.medium for scan in sink.scans] == [medium(1), medium(2), medium(3)]
    assert all(scan.action == "lookup" and scan.valid for scan in sink.scans)
    assert len(events) == 3
    assert len({scan.idempotency_key for scan in sink.scans}) == 3
    assert all(scan.scanned_at.endswith("+00:00") for scan in sink.scans)


def test_same_label_is_reported_again_after_the_window():
    frames = [Frame(medium_frame(1), t) for t in (0.0, 1.0, 2.5, 4.0, 7.5, 8.0)]
    sink = RecordingSink()
    station(sink, repeat_seconds=3.0).run(frames)
    # 0 -> new; 1, 2.5, 4 each within 3 s of the last sighting; 7.5 is 3.5 s later -> new
    assert [scan.medium for scan in sink.scans] == [medium(1), medium(1)]


def test_store_needs_a_location_first_then_stores_there():
    images = [medium_frame(1), location_frame(5), medium_frame(2), medium_frame(3), location_frame(6), medium_frame(4)]
    sink = RecordingSink()
    events = station(sink, "store").run(timed(images, step=1.0))
    assert [(s.medium, s.location_context, s.action) for s in sink.scans] == [
        (medium(2), location_id(5), "store"),
        (medium(3), location_id(5), "store"),
        (medium(4), location_id(6), "store"),
    ]
    assert events[0].scan is None and "location" in events[0].message_en
    assert events[1].scan is None and location_id(5) in events[1].message_ja


def test_lookup_of_a_location_is_passed_to_the_sink():
    sink = RecordingSink()
    station(sink).run(timed([location_frame(7)]))
    assert [(s.location, s.medium, s.location_context) for s in sink.scans] == [(location_id(7), None, location_id(7))]


def test_forged_and_foreign_codes_are_shown_never_recorded():
    forged = label(medium_url(medium(9), b"x" * 32, BASE))
    foreign = label("https://example.com/shop/item/42")
    out = io.StringIO()
    sink = RecordingSink()
    events = Station(sink, SECRET, "store", feedback=ConsoleFeedback(out)).run(
        timed([location_frame(1), forged, foreign, medium_frame(3)], step=1.0)
    )
    assert [s.medium for s in sink.scans] == [medium(3)]
    assert [e.resolved["reason"] for e in events] == [None, "forged", "not_ours", None]
    assert [e.ok for e in events] == [True, False, False, True]
    printed = out.getvalue()
    assert "forged" in printed and "not a mediatrail label" in printed and "署名が一致しません" in printed


def test_unknown_ids_are_not_recorded():
    sink = RecordingSink()
    events = station(sink, known=lambda kind, id: id != medium(2)).run(timed([medium_frame(1), medium_frame(2)], step=5))
    assert [s.medium for s in sink.scans] == [medium(1)]
    assert events[1].resolved["reason"] == "unknown"


def test_new_actions_are_added_by_name(monkeypatch):
    monkeypatch.setitem(ACTIONS, "check", Action("check", needs_location=True, label_ja="点検"))
    sink = RecordingSink()
    station(sink, "check").run(timed([location_frame(2), medium_frame(1)], step=1.0))
    assert [(s.action, s.location_context) for s in sink.scans] == [("check", location_id(2))]
    with pytest.raises(ValueError):
        station(sink, "teleport")


def test_sink_is_drained_before_each_scan_and_periodically():
    sink = RecordingSink()
    clock = iter(range(0, 1000, 10))
    images = [BLANK] * 5 + [medium_frame(1)]
    Station(sink, SECRET, feedback=ConsoleFeedback(io.StringIO()), drain_seconds=25, clock=lambda: next(clock)).run(timed(images))
    # periodic drains every ~25 s of clock plus the one before the scan
    assert sink.drains >= 3 and len(sink.scans) == 1


def test_a_failing_sink_gives_a_message_not_a_traceback():
    class Broken:
        def record(self, scan):
            raise ConnectionError("database locked")

    events = station(Broken()).run(timed([medium_frame(1)]))
    assert not events[0].ok and "database locked" in events[0].message_en


def test_camera_that_disappears_is_retried_then_given_up():
    class FakeCamera:
        opened = 0

        def __init__(self, index):
            FakeCamera.opened += 1
            self.frames = [medium_frame(1)] * 3 if FakeCamera.opened == 1 else []

        def isOpened(self):
            return FakeCamera.opened <= 2  # works once, reopens once, then is gone

        def read(self):
            return (True, self.frames.pop()) if self.frames else (False, None)

        def release(self):
            pass

    said = []
    out = io.StringIO()
    sink = RecordingSink()
    frames = camera_frames(0, reconnects=2, say=lambda ja, en: said.append(en), sleep=lambda s: None, capture=FakeCamera)
    events = Station(sink, SECRET, feedback=ConsoleFeedback(out)).run(frames)
    assert len(events) == 1 and len(sink.scans) == 1
    assert said == [
        "camera 0 is not delivering frames; reconnecting (1/2)",
        "camera 0 is not delivering frames; reconnecting (2/2)",
    ]
    assert "camera 0 is unavailable" in out.getvalue()
    assert FakeCamera.opened == 3


def test_folder_source_reads_images_in_name_order_and_skips_others(tmp_path):
    for name, serial in (("02.png", 2), ("01.jpg", 1)):
        Image.fromarray(medium_frame(serial)[:, :, ::-1]).save(tmp_path / name)
    (tmp_path / "03.txt").write_text("not an image")
    said = []
    frames = list(folder_frames(tmp_path, say=lambda ja, en: said.append(en)))
    assert [f.source.rsplit("/", 1)[-1] for f in frames] == ["01.jpg", "02.png"]
    assert len(said) == 1 and "not an image" in said[0]
    sink = RecordingSink()
    station(sink).run(iter(frames))
    assert [s.medium for s in sink.scans] == [medium(1), medium(2)]


def test_open_source_dispatch_and_bad_sources(tmp_path):
    with pytest.raises(SourceError):
        open_source(tmp_path / "missing.avi")
    bogus = tmp_path / "bogus.avi"
    bogus.write_bytes(b"not a video at all")
    out = io.StringIO()
    events = Station(RecordingSink(), SECRET, feedback=ConsoleFeedback(out)).run(open_source(bogus))
    assert events == [] and "cannot open" in out.getvalue()
