"""Medium IDs (check character, normalisation) and signed label payloads."""

from __future__ import annotations

import random

import pytest

from labels import ids, payload

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))
BASE = "https://mediatrail.example.jp"

SAMPLE_IDS = [ids.format_id(prefix, serial) for prefix in ("KG26", "AB", "Z9X8Y7W6") for serial in (1, 42, 999, 12345, 99999)] + [
    ids.location_id(3)
]


def _alphanumeric_positions(text: str):
    return [i for i, char in enumerate(text) if char != "-"]


def _is_rejected(text: str) -> bool:
    try:
        ids.parse_id(text)
    except ids.InvalidId:
        return True
    return False


@pytest.mark.parametrize("canonical", SAMPLE_IDS)
def test_every_single_character_substitution_is_caught(canonical):
    for position in _alphanumeric_positions(canonical):
        for char in ids.ALPHABET:
            if char != canonical[position]:
                altered = canonical[:position] + char + canonical[position + 1 :]
                if ids.typed_form(altered) == canonical:  # a look-alike in the serial: the same ID
                    assert (canonical[position], char) in {("0", "O"), ("1", "I"), ("1", "L")}, altered
                    assert ids.parse_id(altered) == canonical
                    continue
                assert _is_rejected(altered), altered


@pytest.mark.parametrize("canonical", SAMPLE_IDS)
def test_every_adjacent_transposition_is_caught(canonical):
    positions = _alphanumeric_positions(canonical)
    # Neighbours as a person reads them: the dash between two groups does not separate them.
    for left, right in zip(positions, positions[1:]):
        if canonical[left] != canonical[right]:
            chars = list(canonical)
            chars[left], chars[right] = chars[right], chars[left]
            assert _is_rejected("".join(chars)), "".join(chars)


def test_random_ids_round_trip():
    rng = random.Random(7)
    for _ in range(200):
        canonical = ids.format_id("KG26", rng.randint(1, 999_999))
        assert ids.parse_id(canonical) == canonical


@pytest.mark.parametrize("dash", list("‐‑‒–—―−ーｰ－─━"))
def test_ime_dashes_and_full_width_characters_normalise(dash):
    canonical = ids.format_id("KG26", 42)
    full_width = canonical.translate(str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"))
    assert ids.parse_id(canonical.replace("-", dash)) == canonical
    assert ids.parse_id(full_width.replace("-", dash)) == canonical
    assert ids.parse_id(f"  {canonical.lower()}\u3000") == canonical


def test_invalid_ids_say_why_in_both_languages():
    with pytest.raises(ids.InvalidId) as malformed:
        ids.parse_id("USB-STICK")
    assert malformed.value.reason == "malformed"
    canonical = ids.format_id("KG26", 42)
    wrong_check = canonical[:-1] + ("0" if canonical[-1] != "0" else "1")
    with pytest.raises(ids.InvalidId) as bad_check:
        ids.parse_id(wrong_check)
    assert bad_check.value.reason == "bad_check"
    for error in (malformed.value, bad_check.value):
        assert error.message_ja and error.message_en and error.message_ja != error.message_en
        assert any(ord(char) > 0x3000 for char in error.message_ja)


def test_payload_round_trip():
    canonical = ids.format_id("KG26", 42)
    url = payload.medium_url(canonical, SECRET, BASE)
    assert url == url.upper() and url.startswith("HTTPS://MEDIATRAIL.EXAMPLE.JP/M/")
    parsed = payload.parse(url, SECRET)
    assert (parsed.valid, parsed.signed, parsed.kind, parsed.medium, parsed.location) == (True, True, "medium", canonical, None)
    assert parsed.reason is None


def test_location_payload_round_trip():
    canonical = ids.location_id(7)
    parsed = payload.parse(payload.location_url(canonical, SECRET, BASE), SECRET)
    assert (parsed.valid, parsed.signed, parsed.location, parsed.medium) == (True, True, canonical, None)


def test_payload_is_read_in_any_letter_case():
    canonical = ids.format_id("KG26", 42)
    url = payload.medium_url(canonical, SECRET, BASE)
    rng = random.Random(3)
    for variant in (url.lower(), url.title(), "".join(c.lower() if rng.random() < 0.5 else c for c in url)):
        assert payload.parse(variant, SECRET).medium == canonical, variant


def test_one_changed_id_character_is_never_a_medium():
    canonical = ids.format_id("KG26", 42)
    url = payload.medium_url(canonical, SECRET, BASE)
    start = url.index(canonical)
    for offset in _alphanumeric_positions(canonical):
        for char in ids.ALPHABET:
            if char == canonical[offset]:
                continue
            position = start + offset
            altered = url[:position] + char + url[position + 1 :]
            parsed = payload.parse(altered, SECRET)
            assert not parsed.valid and parsed.medium is None and parsed.location is None, altered
            assert parsed.reason in ("malformed_id", "forged")


def test_label_of_another_installation_is_forged():
    canonical = ids.format_id("KG26", 42)
    parsed = payload.parse(payload.medium_url(canonical, OTHER_SECRET, BASE), SECRET)
    assert parsed.reason == "forged" and parsed.medium is None and not parsed.valid
    assert parsed.claimed_id == canonical  # reported by the ID it pretends to be
    assert parsed.message_ja and parsed.message_en


def test_location_signature_does_not_make_a_medium():
    canonical = ids.format_id("KG26", 42)
    url = payload.location_url(canonical, SECRET, BASE).replace("/L/", "/M/")
    assert payload.parse(url, SECRET).medium is None


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/",
        "https://www.city.koganei.lg.jp/kurashi/index.html",
        "HTTPS://EXAMPLE.COM/X/KG26-00042-Q/ABCDEFGH",
        "ftp://mediatrail.example.jp/M/KG26-00042-Q/ABCDEFGH",
        "hello world",
        "4901234567894",
        "",
        "WIFI:S:office;T:WPA;P:secret;;",
    ],
)
def test_other_sites_and_arbitrary_text_are_not_ours(text):
    parsed = payload.parse(text, SECRET)
    assert parsed.reason == "not_ours" and not parsed.valid and parsed.medium is None


@pytest.mark.parametrize("typed", ["KG26-00042-{c}", "kg26-00042-{c}", "ＫＧ２６ー０００４２ー{c}", " KG26－00042－{c} "])
def test_bare_typed_id_is_valid_but_unsigned(typed):
    canonical = ids.format_id("KG26", 42)
    parsed = payload.parse(typed.format(c=canonical[-1]), SECRET)
    assert (parsed.valid, parsed.signed, parsed.medium, parsed.reason) == (True, False, canonical, "unsigned")


def test_bare_id_with_wrong_check_character_is_refused():
    canonical = ids.format_id("KG26", 42)
    wrong = canonical[:-1] + ("0" if canonical[-1] != "0" else "1")
    parsed = payload.parse(wrong, SECRET)
    assert parsed.reason == "typo" and parsed.medium is None and not parsed.valid
    assert parsed.message_en == f"the ID {wrong} has a typing error (its check character does not match)"
