"""decode(): the library cascade, its failure modes, 1-D codes; image loading; resolve()."""

import io
import logging
import struct
import sys
import zlib

import barcode
import cv2
import numpy as np
import pytest
import qrcode
from PIL import Image

from labels.ids import format_id, location_id
from labels.payload import location_url, medium_url
from scanner import Hit, decode
from scanner.decode import BACKENDS, STAGES, BackendUnavailable, Stage, parse_formats
from scanner.images import ImageRejected, load_image
from scanner.resolve import decode_files, resolve

SECRET = b"s" * 32
BASE = "https://mediatrail.example.jp"


def medium_text(serial: int, secret: bytes = SECRET) -> str:
    return medium_url(format_id("KG26", serial), secret, BASE)


def qr(text: str, module: int = 4) -> np.ndarray:
    code = qrcode.QRCode(border=4, box_size=module)
    code.add_data(text)
    return np.array(code.make_image().convert("L"), dtype=np.uint8)


def code128(text: str, bar: int = 3, height: int = 80) -> np.ndarray:
    pattern = barcode.Code128(text).build()[0]
    row = np.array([0 if bit == "1" else 255 for bit in pattern], dtype=np.uint8).repeat(bar)
    row = np.concatenate([np.full(10 * bar, 255, np.uint8), row, np.full(10 * bar, 255, np.uint8)])
    return np.tile(row, (height, 1))


def paste(canvas: np.ndarray, image: np.ndarray, x: int, y: int) -> np.ndarray:
    canvas[y : y + image.shape[0], x : x + image.shape[1]] = image
    return canvas


def scene(*placed, size=(720, 1280)) -> np.ndarray:
    canvas = np.full(size, 235, dtype=np.uint8)
    for image, x, y in placed:
        paste(canvas, image, x, y)
    return canvas


def tilt(image: np.ndarray) -> np.ndarray:
    """A perspective view, as from a hand-held phone."""
    h, w = image.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[w * 0.08, h * 0.05], [w * 0.95, 0], [w, h], [0, h * 0.93]])
    return cv2.warpPerspective(image, cv2.getPerspectiveTransform(src, dst), (w, h), borderValue=235)


class Absent:
    name = "absent"

    def read(self, gray, formats):
        raise BackendUnavailable("not installed")


class Raising:
    name = "raising"
    calls = 0

    def read(self, gray, formats):
        Raising.calls += 1
        raise RuntimeError("decoder crashed")


# --- decode ----------------------------------------------------------------------------------


def test_plain_label_is_read_with_its_corners():
    text = medium_text(42)
    hits = decode(scene((qr(text), 300, 200)))
    assert [hit.text for hit in hits] == [text]
    hit = hits[0]
    assert hit.format == "QRCode"
    size = qr(text).shape[0]
    xs, ys = zip(*hit.points)
    assert 300 < min(xs) < max(xs) < 300 + size
    assert 200 < min(ys) < max(ys) < 200 + size


def test_accepts_bgr_and_pil_images():
    gray = scene((qr(medium_text(1)), 100, 100))
    bgr = cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)
    assert decode(bgr)[0].text == medium_text(1)
    assert decode(Image.fromarray(gray).convert("RGB"))[0].text == medium_text(1)


LIBRARIES = {"zxing-cpp": ["zxing", "zxing-histogram"], "pyzbar": ["zbar"], "opencv": ["opencv-aruco", "opencv"]}


@pytest.mark.parametrize("library", LIBRARIES)
def test_each_library_absent_the_others_still_decode(monkeypatch, library):
    for name in LIBRARIES[library]:
        monkeypatch.setitem(BACKENDS, name, Absent())
    stages = STAGES + [Stage("opencv-aruco")]  # the default cascade plus every library
    text = medium_text(7)
    hits = decode(tilt(scene((qr(text), 400, 200))), stages=stages)
    assert [hit.text for hit in hits] == [text]
    assert hits[0].backend not in LIBRARIES[library]


@pytest.mark.parametrize("only", ["zxing", "zbar", "opencv-aruco", "opencv"])
def test_every_backend_reads_a_label_on_its_own(only):
    text = medium_text(8)
    hits = decode(scene((qr(text), 400, 200)), stages=[Stage(only)])
    assert [(hit.text, hit.backend) for hit in hits] == [(text, only)]


def test_a_raising_backend_is_skipped_and_logged_once(monkeypatch, caplog):
    monkeypatch.setitem(BACKENDS, "zxing", Raising())
    monkeypatch.setattr(sys.modules["scanner.decode"], "_warned", set())  # the package's "decode" is the function
    image = scene((qr(medium_text(9)), 400, 200))
    with caplog.at_level(logging.WARNING, logger="scanner.decode"):
        first, second = decode(image), decode(image)
    assert first and second and first[0].backend != "zxing"
    assert Raising.calls >= 2
    assert len([r for r in caplog.records if "decoder crashed" in r.getMessage()]) == 1


def test_pyzbar_without_its_library_is_skipped(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyzbar", None)  # makes "from pyzbar import pyzbar" fail
    monkeypatch.setitem(sys.modules, "pyzbar.pyzbar", None)
    image = scene((qr(medium_text(10)), 400, 200))
    assert decode(image, stages=[Stage("zbar")]) == []
    assert decode(image, stages=[Stage("zbar"), Stage("opencv-aruco")])[0].backend == "opencv-aruco"


def test_all_backends_missing_finds_nothing_without_error(monkeypatch):
    for name in list(BACKENDS):
        monkeypatch.setitem(BACKENDS, name, Absent())
    assert decode(scene((qr(medium_text(11)), 400, 200))) == []


def test_six_labels_in_one_photo_are_all_found():
    texts = [medium_text(serial) for serial in range(20, 26)]
    placed = [(qr(text, 3), 60 + (i % 3) * 420, 40 + (i // 3) * 340) for i, text in enumerate(texts)]
    hits = decode(tilt(scene(*placed)))
    assert sorted(hit.text for hit in hits) == sorted(texts)


def test_code128_only_on_request():
    text = format_id("KG26", 42)
    image = scene((code128(text), 200, 300), (qr(medium_text(42)), 900, 250))
    assert {hit.format for hit in decode(image)} == {"QRCode"}
    found = {(hit.format, hit.text) for hit in decode(image, ("qr", "code128"))}
    assert found == {("Code128", text), ("QRCode", medium_text(42))}
    only_1d = decode(image, "code128", stages=[Stage("zbar")])
    assert [(hit.format, hit.text) for hit in only_1d] == [("Code128", text)]


def test_duplicates_from_a_backend_are_merged_but_twin_labels_are_not(monkeypatch):
    square = ((10.0, 10.0), (110.0, 10.0), (110.0, 110.0), (10.0, 110.0))
    moved = tuple((x + 4, y + 3) for x, y in square)
    far = tuple((x + 500, y) for x, y in square)

    class Repeating:
        name = "repeating"

        def read(self, gray, formats):
            return [Hit("A", "QRCode", square), Hit("A", "QRCode", moved), Hit("A", "QRCode", far), Hit("", "QRCode", far)]

    monkeypatch.setitem(BACKENDS, "repeating", Repeating())
    hits = decode(np.zeros((200, 700), np.uint8), stages=[Stage("repeating")])
    assert [hit.points for hit in hits] == [square, far]


def test_unrequested_formats_are_dropped(monkeypatch):
    class Loose:
        def read(self, gray, formats):
            return [Hit("X", "EAN13", ((0, 0), (1, 0), (1, 1), (0, 1)))]

    monkeypatch.setitem(BACKENDS, "loose", Loose())
    assert decode(np.zeros((10, 10), np.uint8), "qr", stages=[Stage("loose")]) == []


def test_preprocessing_stage_points_are_in_original_coordinates():
    text = medium_text(12)
    small = cv2.resize(qr(text, 2), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    image = scene((small, 500, 300))
    from scanner.decode import upscale

    hits = decode(image, stages=[Stage("zxing", upscale)])
    assert hits and hits[0].text == text
    xs, ys = zip(*hits[0].points)
    assert 495 < min(xs) and max(xs) < 505 + small.shape[1]
    assert 295 < min(ys) and max(ys) < 305 + small.shape[0]


def test_default_cascade_starts_with_zxing():
    assert STAGES[0] == Stage("zxing")


def test_format_names():
    assert parse_formats("qr") == {"QRCode"}
    assert parse_formats(["QR", "code_128"]) == {"QRCode", "Code128"}
    assert "EAN13" in parse_formats("all")
    with pytest.raises(ValueError):
        parse_formats("qr-ish")


# --- images ----------------------------------------------------------------------------------


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG file that claims a huge size: what a decompression bomb looks like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("orientation, turn", [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)])
def test_exif_rotated_phone_photo_is_read_upright(tmp_path, orientation, turn):
    text = medium_text(13)
    upright = scene((qr(text), 150, 100), size=(600, 900))  # label near the top left
    stored = Image.fromarray(upright).convert("RGB").transpose(turn)  # as the sensor saw it
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "phone.jpg"
    stored.save(path, "JPEG", quality=92, exif=exif)

    image = load_image(path)
    assert image.shape == (600, 900, 3)
    hits = decode(image)
    assert [hit.text for hit in hits] == [text]
    xs, ys = zip(*hits[0].points)
    assert 150 < min(xs) < max(xs) < 150 + qr(text).shape[1]
    assert 100 < min(ys) < max(ys) < 100 + qr(text).shape[0]


def test_not_an_image_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("媒体一覧\n")
    with pytest.raises(ImageRejected) as refused:
        load_image(path)
    assert refused.value.reason == "not_an_image"
    assert "画像" in refused.value.message_ja and "not an image" in refused.value.message_en


def test_truncated_jpeg_is_refused():
    buffer = io.BytesIO()
    Image.fromarray(scene((qr(medium_text(14)), 100, 100), size=(400, 400))).save(buffer, "JPEG")
    with pytest.raises(ImageRejected) as refused:
        load_image(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    assert refused.value.reason == "corrupt"


@pytest.mark.parametrize("width, height", [(20_000, 20_000), (8_000, 7_000)])
def test_huge_image_is_refused_before_decoding(width, height):
    with pytest.raises(ImageRejected) as refused:
        load_image(png_header(width, height))
    assert refused.value.reason == "too_large"
    assert "40" in refused.value.message_ja and "too large" in refused.value.message_en


def test_huge_image_message_names_its_size_when_known():
    with pytest.raises(ImageRejected) as refused:
        load_image(png_header(8_000, 7_000))
    assert "8000x7000" in refused.value.message_en


# --- resolve ---------------------------------------------------------------------------------


def test_resolve_valid_medium_and_location():
    medium = resolve(Hit(medium_text(15), "QRCode", ((0, 0), (1, 0), (1, 1), (0, 1))), SECRET)
    assert medium["medium"] == format_id("KG26", 15) and medium["location"] is None
    assert medium["valid"] and medium["reason"] is None and medium["format"] == "QRCode"
    place = resolve(location_url(location_id(3), SECRET, BASE), SECRET)
    assert place["location"] == location_id(3) and place["medium"] is None and place["format"] is None


def test_forged_and_foreign_labels_from_images():
    forged = medium_text(16, secret=b"x" * 32)
    foreign = "https://example.com/products/4901234567894"
    image = scene((qr(forged), 100, 100), (qr(foreign), 700, 100))
    results = {r["text"]: r for r in (resolve(hit, SECRET) for hit in decode(image))}
    assert results[forged]["reason"] == "forged" and results[forged]["medium"] is None
    assert results[forged]["id"] == format_id("KG26", 16) and not results[forged]["valid"]
    assert results[foreign]["reason"] == "not_ours" and results[foreign]["medium"] is None
    assert results[foreign]["message_en"]


def test_known_hook_reports_unknown_ids():
    asked = []

    def known(kind, canonical):
        asked.append((kind, canonical))
        return False

    result = resolve(medium_text(17), SECRET, known)
    assert asked == [("medium", format_id("KG26", 17))]
    assert result["reason"] == "unknown" and not result["valid"] and result["medium"] is None
    assert resolve(medium_text(17), SECRET, lambda kind, id: True)["valid"]


def test_decode_files_reports_each_file_and_goes_on(tmp_path):
    good = tmp_path / "a.png"
    Image.fromarray(scene((qr(medium_text(18)), 100, 100), (qr(medium_text(19)), 600, 100))).save(good)
    text = tmp_path / "b.txt"
    text.write_text("hello")
    blank = tmp_path / "c.png"
    Image.new("L", (300, 200), 255).save(blank)
    missing = tmp_path / "d.jpg"

    results = list(decode_files([good, text, blank, missing], SECRET))
    assert [(r["file"], r.get("error")) for r in results] == [
        (str(good), None), (str(good), None), (str(text), "not_an_image"), (str(blank), "no_code"), (str(missing), "unreadable"),
    ]
    assert {r["medium"] for r in results[:2]} == {format_id("KG26", 18), format_id("KG26", 19)}
    assert all(r["message_ja"] and r["message_en"] for r in results[2:])


def test_fallbacks_read_a_crop_around_a_code_zxing_saw_but_could_not_read(monkeypatch):
    text = medium_text(20)
    image = scene((qr(text), 700, 300))
    box = ((700.0, 300.0), (760.0, 300.0), (760.0, 360.0), (700.0, 360.0))  # part of the code
    crops = []

    class Seeing:  # detects the code, never decodes it
        name = "seeing"

        def read(self, gray, formats):
            return []

        def locate(self, gray, formats):
            return [], [box]

    class Recording:
        name = "recording"

        def read(self, gray, formats):
            crops.append(gray.shape)
            return BACKENDS["zxing"].read(gray, formats)

    monkeypatch.setitem(BACKENDS, "seeing", Seeing())
    monkeypatch.setitem(BACKENDS, "recording", Recording())
    hits = decode(image, stages=[Stage("seeing"), Stage("recording")])
    assert [hit.text for hit in hits] == [text]
    assert crops and all(h * w < image.size / 4 for h, w in crops)  # a crop, not the frame
    xs, ys = zip(*hits[0].points)  # in the frame's coordinates
    assert 700 < min(xs) < max(xs) < 700 + qr(text).shape[1]
    assert 300 < min(ys) < max(ys) < 300 + qr(text).shape[0]


def test_crop_only_stages_never_run_on_the_whole_frame(monkeypatch):
    calls = []

    class Counting:
        name = "counting"

        def read(self, gray, formats):
            calls.append(gray.shape)
            return []

    monkeypatch.setitem(BACKENDS, "counting", Counting())
    decode(np.full((720, 1280), 200, np.uint8), stages=[Stage("zxing"), Stage("counting", whole_frame=False)])
    assert calls == []
