"""Labels at their edges: contract prefixes refused at every door (ids, payload, CLI, web, API),
base URLs as people type them (``http://``, upper case, trailing slashes), typed location IDs,
and each refusal's exact reason and words.
"""

from __future__ import annotations

import re

import pytest

from conftest import login, run_cli
from labels import ids, payload
from tracker import ledger
from tracker.cli import EXIT_REFUSED
from tracker.errors import InvalidInput, NotFound
from tracker.models import Contract
from tracker.workflows import media, people

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))
MEDIUM = "KG26-00042-Q"  # ids.format_id("KG26", 42)
LOCATION = "LOC-00001-W"  # ids.location_id(1)
# HMAC-SHA256 of "M:KG26-00042-Q" / "L:LOC-00001-W" under SECRET, base32, 8 characters: pinned so
# that a change to what is signed (which would make every printed label look forged) fails here.
MEDIUM_SIGNATURE = "6DOQHRGQ"
LOCATION_SIGNATURE = "SSNENPA4"

BAD_PREFIXES = ["", "K", "1KG", "KG-26", "KG_26", "ABCDEFGHI", "KG 26", "こがね", "K.G"]


def prefix_refusal(prefix: str) -> tuple[str, str]:
    return (f"ID接頭辞「{prefix}」は英大文字で始まる2〜8文字の英数字にしてください",
            f"ID prefix {prefix!r} must be 2-8 letters or digits starting with a letter")


# ---- IDs ---------------------------------------------------------------------------------------


def test_pinned_ids_and_signatures():
    assert ids.format_id("KG26", 42) == MEDIUM and ids.location_id(1) == LOCATION
    assert ids.format_id("KG26", 1) == "KG26-00001-7"
    assert ids.format_id("AB", 123456789) == "AB-123456789-" + ids.check_char("AB-123456789")
    assert payload.signature(payload.KIND_MEDIUM, MEDIUM, SECRET) == MEDIUM_SIGNATURE
    assert payload.signature(payload.KIND_LOCATION, LOCATION, SECRET) == LOCATION_SIGNATURE


@pytest.mark.parametrize("prefix", BAD_PREFIXES)
def test_a_bad_prefix_is_refused_with_its_reason(prefix):
    with pytest.raises(ids.InvalidId) as refused:
        ids.validate_prefix(prefix)
    error = refused.value
    assert (error.text, error.reason, (error.message_ja, error.message_en)) == (prefix, "bad_prefix", prefix_refusal(prefix))
    assert str(error) == " / ".join(prefix_refusal(prefix))
    with pytest.raises(ids.InvalidId) as refused:
        ids.format_id(prefix, 1)
    assert refused.value.reason == "bad_prefix"


@pytest.mark.parametrize("typed, canonical", [("ab", "AB"), ("ＫＧ２６", "KG26"), (" kg26 ", "KG26"), ("Z9X8Y7W6", "Z9X8Y7W6"), ("LOC", "LOC")])
def test_good_prefixes_are_normalised(typed, canonical):
    assert ids.validate_prefix(typed) == canonical


@pytest.mark.parametrize("serial", [0, -1])
def test_a_serial_below_one_is_refused(serial):
    with pytest.raises(ValueError, match="^serial must be positive$"):
        ids.format_id("KG26", serial)


@pytest.mark.parametrize("text", ["K-00042-Q", "1KG-00042-Q", "ABCDEFGHI-00042-Q", "KG26-0042-Q", "KG26-0000000042-Q", "KG26-00042", "KG26-00042-QQ", "KG26:00042:Q"])
def test_malformed_ids_say_so_and_keep_what_was_typed(text):
    with pytest.raises(ids.InvalidId) as refused:
        ids.parse_id(text)
    error = refused.value
    assert (error.text, error.reason) == (text, "malformed")
    assert (error.message_ja, error.message_en) == (
        f"「{text}」はIDの形式（例: KG26-00042-7）ではありません", f"{text!r} is not an ID of the form KG26-00042-7")
    assert str(error) == f"{error.message_ja} / {error.message_en}"


def test_a_wrong_check_character_says_so_with_the_normalised_id():
    typed = "kg26－00042－r"
    with pytest.raises(ids.InvalidId) as refused:
        ids.parse_id(typed)
    error = refused.value
    assert (error.text, error.reason) == (typed, "bad_check")
    assert error.message_en == "the ID KG26-00042-R has a typing error (its check character does not match)"
    assert error.message_ja == "ID「KG26-00042-R」は入力に誤りがあります（チェック文字が一致しません）"


def test_location_ids_are_told_apart_from_media_ids():
    assert ids.is_location_id(LOCATION) and not ids.is_location_id(MEDIUM)
    assert not ids.is_location_id(ids.format_id("LOCA", 1))  # a contract whose code begins with LOC
    assert (ids.prefix_of(MEDIUM), ids.prefix_of(LOCATION), ids.prefix_of("Z9X8Y7W6-00001-" + ids.check_char("Z9X8Y7W6-00001"))) == (
        "KG26", "LOC", "Z9X8Y7W6")


def test_a_new_secret_is_32_random_bytes():
    secrets = {payload.new_secret() for _ in range(3)}
    assert len(secrets) == 3 and {len(secret) for secret in secrets} == {32}


# ---- payloads: base URLs -----------------------------------------------------------------------


@pytest.mark.parametrize("base, printed", [
    ("http://192.168.1.5:8000", "HTTP://192.168.1.5:8000"),
    ("HTTP://HOST:8000/", "HTTP://HOST:8000"),
    ("https://mediatrail.example.jp/", "HTTPS://MEDIATRAIL.EXAMPLE.JP"),
    ("http://host.local:8000//", "HTTP://HOST.LOCAL:8000"),
    ("HTTP://MEDIATRAIL.BOX/", "HTTP://MEDIATRAIL.BOX"),  # only slashes are trimmed, never the host's letters
])
def test_base_urls_as_typed_print_one_slash_and_read_back(base, printed):
    medium_url = payload.medium_url(MEDIUM, SECRET, base)
    location_url = payload.location_url(LOCATION, SECRET, base)
    assert medium_url == f"{printed}/M/{MEDIUM}/{MEDIUM_SIGNATURE}"
    assert location_url == f"{printed}/L/{LOCATION}/{LOCATION_SIGNATURE}"
    assert "//M/" not in medium_url and "//L/" not in location_url
    assert payload.parse(medium_url, SECRET) == payload.Payload(medium_url, "medium", MEDIUM, valid=True, signed=True, reason=None)
    assert payload.parse(location_url, SECRET) == payload.Payload(location_url, "location", LOCATION, valid=True, signed=True, reason=None)


def test_a_trailing_slash_base_url_round_trips_through_the_app(tmp_path, monkeypatch):
    """``mediatrail init --base-url HTTP://HOST:8000/``: the medium page shows the label text with
    one slash, and following that label opens the medium."""
    from tracker import config, db
    from tracker.models import create_schema
    from tracker.web import create_app

    from conftest import Cast

    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = config.initialise(tmp_path / "data", base_url="HTTP://HOST:8000/")
    real = db.connect(settings.database_url)
    create_schema()
    try:
        cast = Cast()
        medium = media.register(cast.worker, "KG26", "paper", "原票")
        client = login(create_app(settings, {"TESTING": True}).test_client(), "sato")
        label = f"HTTP://HOST:8000/M/{medium.id}/{payload.signature('medium', medium.id, settings.secret)}"
        # The label as printed (the page no longer shows it as copyable text: a pasted URL is no proof of presence).
        assert payload.medium_url(medium.id, settings.secret, settings.base_url) == label
        response = client.get(label.removeprefix("HTTP://HOST:8000"))
        assert response.status_code == 302 and response.headers["Location"] == f"/media/{medium.id}"
    finally:
        real.close()


# ---- payloads: typed IDs -------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [LOCATION, "loc-00001-w", "ＬＯＣ－００００１－Ｗ", " LOC‐00001‐W\u3000"])
def test_typed_location_ids_come_back_as_locations(typed):
    parsed = payload.parse(typed, SECRET)
    assert parsed == payload.Payload(typed, "location", LOCATION, valid=True, signed=False, reason="unsigned")
    assert (parsed.location, parsed.medium) == (LOCATION, None)


def test_a_typed_medium_id_comes_back_as_a_medium():
    parsed = payload.parse(" kg26-00042-q ", SECRET)
    assert parsed == payload.Payload(" kg26-00042-q ", "medium", MEDIUM, valid=True, signed=False, reason="unsigned")
    assert (parsed.medium, parsed.location) == (MEDIUM, None)
    assert (parsed.message_ja, parsed.message_en) == payload.REASONS["unsigned"]


# ---- payloads: every refusal, exactly ------------------------------------------------------------


def url(path: str) -> str:
    return "HTTPS://MEDIATRAIL.EXAMPLE.JP" + path


REFUSALS = [
    # text, kind, claimed ID, reason
    (url(f"/M/K-00042-Q/{MEDIUM_SIGNATURE}"), "medium", "K-00042-Q", "malformed_id"),  # a one-letter prefix
    (url(f"/M/KG_26-00042-Q/{MEDIUM_SIGNATURE}"), "medium", "KG_26-00042-Q", "malformed_id"),
    (url(f"/M/kg26-00042-r/{MEDIUM_SIGNATURE}"), "medium", "KG26-00042-R", "forged"),  # a QR is not misread: made
    (url(f"/M/{MEDIUM}/AAAAAAAA"), "medium", MEDIUM, "forged"),
    (url(f"/M/{MEDIUM}/"), "medium", MEDIUM, "forged"),  # the signature torn off
    (url(f"/M/{MEDIUM}/{payload.signature('medium', MEDIUM, OTHER_SECRET)}"), "medium", MEDIUM, "forged"),
    (url(f"/M/{LOCATION}/{payload.signature('medium', LOCATION, SECRET)}"), "medium", LOCATION, "forged"),  # a place as a medium
    (url(f"/L/{MEDIUM}/{payload.signature('location', MEDIUM, SECRET)}"), "location", MEDIUM, "forged"),  # a medium as a place
    (url(f"/L/{LOCATION}/{MEDIUM_SIGNATURE}"), "location", LOCATION, "forged"),
    (url(f"/X/{MEDIUM}/{MEDIUM_SIGNATURE}"), None, None, "not_ours"),
    (url(f"/M/{MEDIUM}/{MEDIUM_SIGNATURE}/EXTRA"), None, None, "not_ours"),
    (url(f"/PREFIX/M/{MEDIUM}/{MEDIUM_SIGNATURE}"), None, None, "not_ours"),
    (f"FTP://MEDIATRAIL.EXAMPLE.JP/M/{MEDIUM}/{MEDIUM_SIGNATURE}", None, None, "not_ours"),
    (f"/M/{MEDIUM}/{MEDIUM_SIGNATURE}", None, None, "not_ours"),  # no scheme, no host
    ("http://[::1/M/KG26-00042-Q/AAAAAAAA", None, None, "not_ours"),  # not even a URL
    ("K-00042-Q", None, None, "not_ours"),  # a typed ID with a bad prefix
    ("ABCDEFGHI-00042-Q", None, None, "not_ours"),
    ("kg26-00042-r", "medium", "KG26-00042-R", "typo"),
    ("4901234567894", None, None, "not_ours"),
]


@pytest.mark.parametrize("text, kind, claimed, reason", REFUSALS)
def test_each_refusal_names_its_reason_and_never_claims_a_signature(text, kind, claimed, reason):
    parsed = payload.parse(text, SECRET)
    assert parsed == payload.Payload(text, kind, claimed, valid=False, signed=False, reason=reason)
    assert (parsed.medium, parsed.location) == (None, None)
    words = ids.typo_message(claimed) if reason == "typo" else payload.REASONS[reason]
    assert (parsed.message_ja, parsed.message_en) == words
    assert parsed.as_dict() == {
        "text": text, "kind": kind, "id": claimed, "medium": None, "location": None, "valid": False, "signed": False,
        "reason": reason, "message_ja": words[0], "message_en": words[1], "suggestions": [],
    }


def test_the_reasons_read_as_people_need_them():
    assert payload.REASONS == {
        "not_ours": ("mediatrailのラベルではありません", "not a mediatrail label"),
        "malformed_id": ("ラベルのIDが読み取れません", "the label's ID cannot be read"),
        "typo": ("IDの入力に誤りがあります（チェック文字が一致しません）", "this ID has a typing error (its check character does not match)"),
        "forged": ("署名が一致しません（改ざんの疑い：偽造ラベルか、別のシステムのラベルです）",
                   "signature does not match (possibly altered: a forged label, or a label of another installation)"),
        "unsigned": ("署名のないID（手入力）です", "an ID without signature (typed by hand)"),
        "unreadable": ("読み取った内容に制御文字や壊れた文字が含まれているか、長すぎます（ラベルではありません）",
                       "the scanned text contains control or broken characters, or is too long (not a label)"),
    }


def test_a_valid_signed_payload_as_a_dict():
    text = url(f"/M/{MEDIUM}/{MEDIUM_SIGNATURE}").lower() + "/"  # lower case and a trailing slash
    assert payload.parse(text, SECRET).as_dict() == {
        "text": text, "kind": "medium", "id": MEDIUM, "medium": MEDIUM, "location": None, "valid": True, "signed": True,
        "reason": None, "message_ja": None, "message_en": None, "suggestions": [],
    }
    location = payload.parse(url(f"/L/{LOCATION}/{LOCATION_SIGNATURE}"), SECRET)
    assert (location.medium, location.location, location.message_en) == (None, LOCATION, None)


def test_one_changed_id_character_in_a_label_is_refused_with_the_exact_reason():
    """Each single-character change of the ID in a signed label: malformed when it breaks the
    form, forged otherwise: MOD 37,36 catches every substitution, and a camera does not misread
    one character of a QR code, so a wrong check character in a label URL was made."""
    text = url(f"/M/{MEDIUM}/{MEDIUM_SIGNATURE}")
    start = text.index(MEDIUM)
    well_formed = re.compile(r"^[A-Z][A-Z0-9]{1,7}-\d{5,9}-[0-9A-Z]$")
    for offset, original in enumerate(MEDIUM):
        if original == "-":
            continue
        for char in ids.ALPHABET:
            if char == original:
                continue
            changed = MEDIUM[:offset] + char + MEDIUM[offset + 1:]
            parsed = payload.parse(text[:start + offset] + char + text[start + offset + 1:], SECRET)
            prefix, serial, check = changed.split("-")
            read = f"{prefix}-{serial.translate(str.maketrans('OIL', '011'))}-{check}"  # serial look-alikes
            expected = "forged" if well_formed.match(read) else "malformed_id"
            # A look-alike that reads back as the printed ID itself is named by that ID.
            claimed = read if read == MEDIUM else changed
            assert (parsed.valid, parsed.signed, parsed.reason, parsed.claimed_id) == (False, False, expected, claimed), changed


# ---- the doors: CLI, workflows, web, API -----------------------------------------------------------


@pytest.mark.parametrize("code", ["K", "1KG", "KG-26", "ABCDEFGHI"])
def test_the_cli_refuses_a_bad_contract_code_and_records_nothing(tmp_path, monkeypatch, code):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = tmp_path / "data"
    assert run_cli("--data", str(folder), "init", "--base-url", "http://host:8000/").exit_code == 0
    result = run_cli("--data", str(folder), "contract", "add", code, "--title", "件名", "--client", "小金井市")
    ja, en = prefix_refusal(code)
    assert (result.exit_code, result.output) == (EXIT_REFUSED, f"エラー: {ja}\nerror: {en}\n")
    result = run_cli("--data", str(folder), "contract", "add", "LOC", "--title", "件名", "--client", "小金井市")
    assert result.exit_code == EXIT_REFUSED and "contract code LOC is reserved for locations" in result.output
    assert Contract.select().count() == 0 and ledger.head()[0] == 0


@pytest.mark.parametrize("code", BAD_PREFIXES)
def test_the_workflow_refuses_a_bad_contract_code(database, code):
    with pytest.raises(InvalidInput) as refused:
        people.create_contract(None, code, "件名", "小金井市")
    assert (refused.value.message_ja, refused.value.message_en) == prefix_refusal(code)
    assert ledger.head()[0] == 0


def test_a_typed_id_with_a_bad_prefix_is_not_found_with_the_reason(cast):
    with pytest.raises(NotFound) as refused:
        media.get_medium("K-00042-Q")
    assert refused.value.message_en == "'K-00042-Q' is not an ID of the form KG26-00042-7"


def test_the_web_refuses_bad_prefixes_with_the_reason(client, cast, settings):
    login(client, "sato")
    before = ledger.head()
    page = client.get("/media/K-00042-Q")
    assert page.status_code == 404 and "「K-00042-Q」はIDの形式（例: KG26-00042-7）ではありません" in page.get_data(as_text=True)
    label = client.get(f"/M/K-00042-Q/{MEDIUM_SIGNATURE}")
    assert label.status_code == 400 and "ラベルのIDが読み取れません" in label.get_data(as_text=True)
    placed = client.get(f"/L/{MEDIUM}/{payload.signature('location', MEDIUM, settings.secret)}")
    assert placed.status_code == 400 and "署名が一致しません" in placed.get_data(as_text=True)
    english = client.get("/media/K-00042-Q?lang=en")  # the language switch sticks: asked last
    assert english.status_code == 404 and "&#39;K-00042-Q&#39; is not an ID of the form KG26-00042-7" in english.get_data(as_text=True)
    assert ledger.head() == before


def test_the_api_refuses_bad_prefixes_with_the_reason(client, cast, settings):
    from tracker.workflows import tokens

    headers = {"Authorization": f"Bearer {tokens.create_token(cast.worker, 'station')}"}
    before = ledger.head()
    answer = client.post("/api/v1/scans", headers=headers, json={"idempotency_key": "k1", "code": "K-00042-Q", "action": "lookup"})
    assert answer.status_code == 400 and answer.get_json()["reason"] == "not_ours"
    answer = client.post("/api/v1/scans", headers=headers, json={
        "idempotency_key": "k2", "code": f"http://mediatrail.test/M/K-00042-Q/{MEDIUM_SIGNATURE}", "action": "lookup"})
    assert answer.status_code == 400 and answer.get_json()["reason"] == "malformed_id"
    assert answer.get_json()["message_en"] == "the label's ID cannot be read"
    answer = client.get("/api/v1/media/K-00042-Q", headers=headers)
    assert answer.status_code == 404 and answer.get_json()["message_en"] == "'K-00042-Q' is not an ID of the form KG26-00042-7"
    assert ledger.head() == before
