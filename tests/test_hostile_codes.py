"""Hostile and malformed codes (issue #11): the label parser, the typed-ID normaliser, photos,
`mediatrail decode` and the scanning station refuse them with a reason and carry on — never a
traceback, never a crash that a sticker left in front of the camera repeats on every start."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
import qrcode
from hypothesis import given, settings as hypothesis_settings, strategies as st
from PIL import Image

from labels import ids, payload
from scanner.images import ImageRejected, load_image
from scanner.station import ConsoleFeedback, Outcome, Station, folder_frames
from tracker.models import canonical_json
from tracker.workflows import scans

from conftest import run_cli
from test_scanner_decode import png_header

SECRET = b"s" * 32
GOOD_ID = ids.format_id("KG26", 3)
GOOD = payload.medium_url(GOOD_ID, SECRET, "http://mediatrail.test")
NON_ASCII_SIGNATURES = ["ＡＢＣＤＥＦＧＨ", "ÀBCDÉFGH", "AB😀CDEFG", "ABCD\u202eEFG", "ＡＢ", "é"]


# ---- the label parser ------------------------------------------------------------------------


@pytest.mark.parametrize("signature", NON_ASCII_SIGNATURES)
def test_a_non_ascii_signature_is_a_forgery_not_a_crash(signature):
    # hmac.compare_digest raised TypeError on these: a 500 on every scan path.
    parsed = payload.parse(f"HTTP://MEDIATRAIL.TEST/M/{GOOD_ID}/{signature}", SECRET)
    assert (parsed.valid, parsed.reason, parsed.claimed_id) == (False, "forged", GOOD_ID)


@pytest.mark.parametrize("text, reason", [
    ("A" * 5000, "unreadable"),
    (f"HTTP://X/M/{GOOD_ID}/\x00\x01", "unreadable"),
    ("\ud800broken", "unreadable"),
    ("\x7fELF\x02\x01", "unreadable"),
    ("HTTP://[::1/M/X/Y", "not_ours"),
    (f"HTTP://X/M/{GOOD_ID}\u202e/ABCDEFGH", "malformed_id"),
])
def test_hostile_texts_are_refused_with_a_reason(text, reason):
    assert payload.parse(text, SECRET).reason == reason


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_the_label_parser_never_raises(text):
    parsed = payload.parse(text, SECRET)
    assert parsed.valid is (parsed.reason in (None, "unsigned"))
    if parsed.valid:
        assert ids.parse_id(parsed.claimed_id) == parsed.claimed_id


@hypothesis_settings(max_examples=200, deadline=None)
@given(prefix=st.from_regex(r"[A-Z][A-Z0-9]{1,7}", fullmatch=True), serial=st.integers(1, 99_999),
       host=st.sampled_from(["http://192.168.1.5:8000", "https://mediatrail.example.jp", "http://localhost"]))
def test_every_signed_label_reads_back_and_any_changed_signature_is_refused(prefix, serial, host):
    medium_id = ids.format_id(prefix, serial)
    url = payload.medium_url(medium_id, SECRET, host)
    assert payload.parse(url, SECRET).medium == medium_id
    assert payload.parse(url.lower(), SECRET).medium == medium_id  # phones lower-case URLs
    tampered = url[:-1] + ("A" if url[-1] != "A" else "B")
    assert payload.parse(tampered, SECRET).reason == "forged"


# ---- typed IDs -------------------------------------------------------------------------------


def _full_width(text: str) -> str:
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


@hypothesis_settings(max_examples=200, deadline=None)
@given(prefix=st.from_regex(r"[A-Z][A-Z0-9]{1,7}", fullmatch=True), serial=st.integers(1, 99_999),
       dash=st.sampled_from(["-", "－", "ー", "−", "‐"]), style=st.sampled_from(["plain", "lower", "full", "padded"]))
def test_the_typed_id_normaliser_reads_what_people_type(prefix, serial, dash, style):
    medium_id = ids.format_id(prefix, serial)
    typed = medium_id.replace("-", dash)
    typed = {"plain": typed, "lower": typed.lower(), "full": _full_width(typed), "padded": f"  {typed}\t"}[style]
    assert ids.parse_id(typed) == medium_id


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_the_typed_id_normaliser_only_ever_refuses_with_invalid_id(text):
    try:
        canonical = ids.parse_id(text)
    except ids.InvalidId as error:
        assert error.reason in ("malformed", "bad_check") and error.message_ja and error.message_en
    else:
        assert canonical == ids.normalize(canonical) and ids.check_char(canonical[:-2]) == canonical[-1]


# ---- canonical JSON --------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@hypothesis_settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_canonical_json_is_one_text_per_value(value):
    text = canonical_json(value)
    assert canonical_json(json.loads(text)) == text


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, {"a": [1, math.nan]}])
def test_canonical_json_refuses_nan_and_infinity(value):
    with pytest.raises(ValueError):
        canonical_json(value)


# ---- photos ----------------------------------------------------------------------------------


def blank_png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (width, height), 1).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def test_a_49_megapixel_blank_png_is_refused_before_it_is_decoded(monkeypatch):
    content = blank_png(7000, 7000)
    assert len(content) < 200_000  # tiny on the wire...
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("decoded"))
    with pytest.raises(ImageRejected) as refused:
        load_image(content)
    assert refused.value.reason == "too_large" and "7000x7000" in refused.value.message_en


def test_a_30000_square_png_and_an_oversized_file_are_refused():
    with pytest.raises(ImageRejected) as refused:
        load_image(png_header(30_000, 30_000))
    assert refused.value.reason == "too_large"
    with pytest.raises(ImageRejected) as refused:
        load_image(b"\x89PNG" + b"\x00" * 100, max_bytes=50)
    assert refused.value.reason == "too_large" and "MB" in refused.value.message_en


def test_photos_per_request_are_capped_and_each_refused_photo_says_why():
    label = io.BytesIO()
    Image.fromarray(np.pad(qr_matrix(GOOD), 40, constant_values=255)).save(label, "PNG")
    photos = [("label.png", label.getvalue()), ("junk.txt", b"not an image")] + [("blank.png", blank_png(50, 50))] * 10
    codes, problems = scans.decode_photos(photos)
    assert codes == [GOOD]
    assert "10" in problems[0]["message_en"] and "12" in problems[0]["message_en"]
    assert problems[1]["code"] == "junk.txt" and "junk.txt" in problems[1]["message_en"]
    assert len(problems) == 1 + 1 + 8  # the cap, the non-image, eight blank photos without a code


# ---- a folder of hostile QR codes: decode and the station ----------------------------------


def qr_matrix(data) -> np.ndarray:
    code = qrcode.QRCode(border=4, box_size=6)
    code.add_data(data)
    return np.array(code.make_image().convert("L"), dtype=np.uint8)


def hostile_codes(good: str) -> dict:
    return {
        "01-good.png": good,
        "02-fullwidth-signature.png": f"HTTP://MEDIATRAIL.TEST/M/{GOOD_ID}/ＡＢＣＤＥＦＧＨ",
        "03-accents.png": f"HTTP://MEDIATRAIL.TEST/M/{GOOD_ID}/ÀÉÎÕÜÇÑØ",
        "04-emoji.png": f"HTTP://MEDIATRAIL.TEST/M/{GOOD_ID}/😀😀😀😀",
        "05-rlo.png": f"HTTP://MEDIATRAIL.TEST/M/{GOOD_ID}/\u202eHGFEDCBA",
        "06-control.png": f"HTTP://MEDIATRAIL.TEST/M/{GOOD_ID}/\x07\x08\x1b[2J",
        "07-huge.png": "HTTP://MEDIATRAIL.TEST/M/" + "9" * 2500,
        "08-binary.png": bytes(range(256)),
    }


def hostile_folder(folder, good: str):
    folder.mkdir()
    for name, data in hostile_codes(good).items():
        Image.fromarray(qr_matrix(data)).save(folder / name)
    (folder / "09-not-an-image.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    return folder


def test_decode_reports_every_hostile_code_and_carries_on(cast, settings, data_dir, tmp_path):
    from tracker.workflows import media

    for n in range(3):
        media.register(cast.worker, "KG26", "usb", f"u{n}", encrypted=True, encryption="AES")
    folder = hostile_folder(tmp_path / "hostile", payload.medium_url(GOOD_ID, settings.secret, settings.base_url))

    result = run_cli("--data", str(data_dir), "decode", *sorted(str(path) for path in folder.iterdir()))
    assert result.exit_code == 0, result.output
    by_file = {line["file"].rsplit("/", 1)[-1]: line for line in map(json.loads, result.output.splitlines())}
    assert by_file["01-good.png"]["valid"] is True and by_file["01-good.png"]["medium"] == GOOD_ID
    for name in ("02-fullwidth-signature.png", "03-accents.png", "04-emoji.png", "05-rlo.png"):
        assert (by_file[name]["valid"], by_file[name]["reason"]) == (False, "forged"), name
    # zxing-cpp writes control characters as <BEL>, <ESC>...: the signature is then simply wrong.
    assert by_file["06-control.png"]["reason"] == "forged" and "<ESC>" in by_file["06-control.png"]["text"]
    assert by_file["07-huge.png"]["reason"] == "unreadable"
    assert by_file["08-binary.png"]["reason"] == "not_ours"
    assert by_file["09-not-an-image.png"]["error"] == "not_an_image"
    assert "\u202e" not in result.output and "\\u202e" in result.output  # shown, not obeyed by the terminal


class RecordingSink:
    def __init__(self):
        self.scans = []

    def record(self, scan):
        self.scans.append(scan.text)
        return Outcome(True, "記録しました", "recorded")


def test_the_station_reports_every_hostile_code_and_records_only_the_label(tmp_path):
    folder = hostile_folder(tmp_path / "hostile", GOOD)
    sink, out = RecordingSink(), io.StringIO()
    events = Station(sink, SECRET, feedback=ConsoleFeedback(out)).run(folder_frames(folder, say=lambda *_: None))
    assert sink.scans == [GOOD]
    assert [event.ok for event in events] == [True] + [False] * 7
    printed = out.getvalue()
    assert "\u202e" not in printed and "\x1b" not in printed and printed.count("NG ") == 7
