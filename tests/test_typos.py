"""Typos are not forgeries: a typed or wedge-scanned ID whose check character fails is a typing
error naming the nearest existing IDs; "forged / 改ざんの疑い" is kept for label URLs that do not
verify; look-alike characters are read as the ID they stand for only where that is certain."""

from __future__ import annotations

import pytest

from labels import ids, payload
from tracker.errors import NotFound
from tracker.workflows import media, people, scans


@pytest.fixture
def twenty_media(cast):
    """KG26-00001-7 … KG26-00020-1, in the order registered."""
    registered = [media.register(cast.worker, "KG26", "paper", f"原票 {n}").id for n in range(1, 21)]
    assert registered == [ids.format_id("KG26", n) for n in range(1, 21)]
    return registered


def lookup(cast, settings, typed, key):
    return scans.record(cast.worker, key, typed, "lookup", None, settings.secret)


def test_near_ids_are_one_substitution_or_one_swap_away():
    canonical = ids.format_id("KG26", 42)  # KG26-00042-Q
    swapped = "KG26-00024-Q"
    assert canonical in ids.near_ids(swapped)
    assert ids.near_ids(swapped)[0] == canonical  # a swap ranks before other single changes
    wrong_digit = "KG26-00043-Q"
    near = ids.near_ids(wrong_digit)
    assert canonical in near
    for candidate in near:
        assert ids.parse_id(candidate) == candidate  # every one is a well-formed ID with its check character
        differing = sum(a != b for a, b in zip(candidate, wrong_digit))
        assert differing == 1 or sorted(candidate) == sorted(wrong_digit)
    assert ids.near_ids("not an id") == []


def test_a_typed_id_with_one_wrong_digit_is_a_typing_error_with_the_nearest_ids(cast, settings, twenty_media):
    meant = twenty_media[11]  # KG26-00012-1
    typed = "KG26-00017-1"  # one digit wrong
    status, answer = lookup(cast, settings, typed, "typo-1")

    # The medium meant (one digit), and the medium whose serial was typed (its check character).
    assert status == 400 and answer["reason"] == "typo"
    assert answer["suggestions"] == [meant, "KG26-00017-S"]
    assert answer["message_ja"] == (f"ID「{typed}」は入力に誤りがあります（チェック文字が一致しません）。"
                                    f"近いID: {meant}、KG26-00017-S")
    assert answer["message_en"] == (f"the ID {typed} has a typing error (its check character does not match); "
                                    f"nearest IDs: {meant}, KG26-00017-S")
    assert "改ざん" not in answer["message_ja"] and "altered" not in answer["message_en"]


def test_swapped_neighbours_in_a_wedge_scanned_id_suggest_the_medium(cast, settings, twenty_media):
    meant = twenty_media[15]  # KG26-00016-?
    typed = meant[:8] + meant[9] + meant[8] + meant[10:]  # KG26-00061-…
    answers = scans.scan_batch(cast.worker, [typed], "lookup", None, settings.secret)
    assert answers[0]["reason"] == "typo" and answers[0]["suggestions"][0] == meant


def test_a_typing_error_with_nothing_near_says_so(cast, settings, twenty_media):
    status, answer = lookup(cast, settings, "KG26-00900-1", "typo-far")
    assert status == 400 and answer["reason"] == "typo" and answer["suggestions"] == []
    assert answer["message_en"] == "the ID KG26-00900-1 has a typing error (its check character does not match)"


def test_a_label_url_that_does_not_verify_is_forged_not_a_typo(cast, settings, twenty_media):
    genuine = payload.medium_url(twenty_media[0], settings.secret, settings.base_url)
    wrong_signature = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")
    wrong_check = genuine.replace(twenty_media[0], twenty_media[0][:-1] + "X")
    look_alike_in_url = genuine.replace(twenty_media[0], twenty_media[0].replace("00001", "OOOO1"))
    for number, url in enumerate((wrong_signature, wrong_check, look_alike_in_url)):
        status, answer = lookup(cast, settings, url, f"forged-{number}")
        assert status == 400 and answer["reason"] == "forged", url
        assert "改ざんの疑い" in answer["message_ja"] and "possibly altered" in answer["message_en"]
        assert answer["suggestions"] == []


def test_look_alikes_in_the_serial_and_full_width_input_are_the_id(cast, settings, twenty_media):
    meant = twenty_media[9]  # KG26-00010-?
    check = meant[-1]
    for number, typed in enumerate((f"KG26-OOO1O-{check}", f"kg26-0oo1o-{check.lower()}", f"ＫＧ２６ー００Ｏ１０ー{check}",
                                    f"KG26-000I0-{check}", f"kg26-000l0-{check}")):
        status, answer = lookup(cast, settings, typed, f"serial-{number}")
        assert status == 200 and answer["medium"]["id"] == meant, typed


def test_a_look_alike_check_character_is_taken_only_when_it_is_the_one_near_id(cast, settings, twenty_media):
    # KG26-00004-1 typed with the letter I: no other existing ID is one slip from "KG26-00004-I".
    assert twenty_media[3] == "KG26-00004-1"
    status, answer = lookup(cast, settings, "KG26-00004-I", "check-lookalike")
    assert status == 200 and answer["medium"]["id"] == "KG26-00004-1"

    # KG26-00013-0 typed with the letter O could as well be KG26-00019-O with one digit wrong:
    # both are shown, the look-alike reading first, and nothing is taken.
    assert {"KG26-00013-0", "KG26-00019-O"} <= set(twenty_media)
    status, answer = lookup(cast, settings, "KG26-00013-O", "check-ambiguous")
    assert status == 400 and answer["reason"] == "typo"
    assert answer["suggestions"] == ["KG26-00013-0", "KG26-00019-O"]


def test_suggestions_name_only_media_the_reader_may_see(cast, settings, twenty_media):
    people.create_contract(cast.admin, "KH26", "別の契約", "小金井市")
    other = media.register(_responsible_of(cast, "KH26"), "KH26", "paper", "別の契約の原票").id  # KH26-00001-…
    typed = "KG26" + other[4:]  # one letter from the other contract's ID, and a wrong check for ours
    assert other in ids.near_ids(typed)

    status, answer = lookup(cast, settings, typed, "hidden")  # sato works on KG26 only
    assert status == 400 and answer["suggestions"] == ["KG26-00001-7"]
    status, answer = scans.record(cast.city, "hidden-city", typed, "lookup", None, settings.secret)  # the city reads all
    assert status == 400 and answer["suggestions"] == sorted(["KG26-00001-7", other])


def test_a_typed_id_on_a_form_names_the_nearest_ids_too(cast, twenty_media):
    with pytest.raises(NotFound) as refused:
        media.get_medium("KG26-00017-1")
    assert refused.value.details == {"reason": "bad_check", "suggestions": ["KG26-00012-1", "KG26-00017-S"]}
    assert "近いID: KG26-00012-1、KG26-00017-S" in refused.value.message_ja
    assert media.get_medium("KG26-00004-I").id == "KG26-00004-1"


def _responsible_of(cast, contract_code):
    """A responsible person on another contract, with a signed pledge."""
    from conftest import PASSWORD

    person = people.create_user(cast.admin, "kimura", "木村 次郎", "contractor", PASSWORD)
    cast.rostered(cast.admin, contract_code, "kimura", "responsible")
    people.sign_pledge(person, contract_code)
    return person
