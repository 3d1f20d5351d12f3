"""Human-readable IDs for media and locations, with a check character.

An ID looks like ``KG26-00042-7``: a prefix (the contract's for media, ``LOC`` for storage and
work places), a zero-padded serial, and one check character computed with ISO/IEC 7064
MOD 37,36, which catches every single wrong character and every swap of two neighbours — the
mistakes people make when they type an ID from a label.

Look-alike characters. The alphabet stays 0-9A-Z (changing it would make every printed label
unreadable), so O and 0, I and 1 are all real characters of an ID, and what a typed look-alike
stands for is decided where it is certain:

* in the serial, which is digits only, O, I and L (a typed lower-case l) can only mean 0, 1, 1:
  :func:`parse_id` reads them so, and the check character still verifies the result;
* in the prefix and the check character both readings are possible, and reading one as the other
  is a change of one character, so it cannot be taken on the ID alone: ``KG26-00042-0`` may be the
  label ``KG26-00042-O`` typed with a zero, or ``KG26-00342-0`` with one digit wrong. A caller
  that knows which IDs exist asks :func:`near_ids` and takes the look-alike reading only when it is
  the one existing ID within one typing slip (``labels.payload.parse`` with ``known``); otherwise
  the person is shown the nearest IDs to choose from.

Full-width letters, digits and dashes from Japanese input methods are folded by NFKC first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOCATION_PREFIX = "LOC"
SERIAL_DIGITS = 5

_PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
_ID_RE = re.compile(r"^([A-Z][A-Z0-9]{1,7})-(\d{%d,9})-([0-9A-Z])$" % SERIAL_DIGITS)

# Dashes and minus signs that Japanese input methods and fonts produce where a '-' was meant.
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−ーｰ－─━"), "-")
# In the serial (digits only) these can mean one digit only.
_SERIAL_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Pairs people confuse when reading a label; both members are valid in a prefix or check character.
LOOKALIKES = {"O": "0", "0": "O", "I": "1", "1": "I"}


class InvalidId(ValueError):
    """An ID that is malformed or whose check character does not match."""

    def __init__(self, text: str, reason: str, message_ja: str, message_en: str, suggestions: tuple[str, ...] = ()):
        super().__init__(f"{message_ja} / {message_en}")
        self.text = text
        self.reason = reason
        self.message_ja = message_ja
        self.message_en = message_en
        self.suggestions = suggestions  # for bad_check: existing IDs one typing slip away


def check_char(body: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid) check character over ``body``'s letters and digits."""
    modulus = 36
    product = modulus
    for char in body:
        if char == "-":
            continue
        total = (product + ALPHABET.index(char)) % modulus
        product = ((total or modulus) * 2) % (modulus + 1)
    return ALPHABET[(modulus + 1 - product) % modulus]


def format_id(prefix: str, serial: int) -> str:
    """Build the ID for ``serial`` under ``prefix``: ``format_id('KG26', 42) == 'KG26-00042-?'``."""
    prefix = validate_prefix(prefix)
    if serial < 1:
        raise ValueError("serial must be positive")
    body = f"{prefix}-{serial:0{SERIAL_DIGITS}d}"
    return f"{body}-{check_char(body)}"


def location_id(serial: int) -> str:
    return format_id(LOCATION_PREFIX, serial)


def validate_prefix(prefix: str) -> str:
    normalized = normalize(prefix)
    if not _PREFIX_RE.match(normalized):
        raise InvalidId(
            prefix,
            "bad_prefix",
            f"ID接頭辞「{prefix}」は英大文字で始まる2〜8文字の英数字にしてください",
            f"ID prefix {prefix!r} must be 2-8 letters or digits starting with a letter",
        )
    return normalized


def normalize(text: str) -> str:
    """NFKC (full-width digits from IMEs), any dash to '-', upper case, no surrounding space."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES).strip().upper()


def parse_id(text: str) -> str:
    """Return the canonical ID for ``text`` or raise :class:`InvalidId` saying what is wrong."""
    candidate = _read_serial(normalize(text))
    match = _ID_RE.match(candidate)
    if not match:
        raise InvalidId(
            text,
            "malformed",
            f"「{text}」はIDの形式（例: KG26-00042-7）ではありません",
            f"{text!r} is not an ID of the form KG26-00042-7",
        )
    prefix, serial, given = match.groups()
    expected = check_char(f"{prefix}-{serial}")
    if given != expected:
        raise InvalidId(text, "bad_check", *typo_message(candidate))
    return candidate


MAX_SUGGESTIONS = 5


def parse_typed_id(text: str, exists: Callable[[str], bool]) -> str:
    """:func:`parse_id` for an ID a person typed, where ``exists`` says which IDs are real (and
    visible to them). A check character that fails names the existing IDs one slip away; the only
    such ID, when it is a look-alike reading of what was typed, is taken as meant."""
    try:
        return parse_id(text)
    except InvalidId as error:
        if error.reason != "bad_check":
            raise
        existing = [candidate for candidate in near_ids(text) if exists(candidate)]
        if len(existing) == 1 and is_lookalike_reading(text, existing[0]):
            return existing[0]
        suggestions = tuple(existing[:MAX_SUGGESTIONS])
        raise InvalidId(text, "bad_check", *typo_message(typed_form(text), suggestions), suggestions=suggestions) from None


def typo_message(typed: str, suggestions: tuple[str, ...] = ()) -> tuple[str, str]:
    if suggestions:
        return (f"ID「{typed}」は入力に誤りがあります（チェック文字が一致しません）。近いID: {'、'.join(suggestions)}",
                f"the ID {typed} has a typing error (its check character does not match); nearest IDs: {', '.join(suggestions)}")
    return (f"ID「{typed}」は入力に誤りがあります（チェック文字が一致しません）",
            f"the ID {typed} has a typing error (its check character does not match)")


def typed_form(text: str) -> str:
    """``text`` as :func:`parse_id` reads it before checking: NFKC, dashes, upper case, the
    serial's look-alikes read as digits."""
    return _read_serial(normalize(text))


def near_ids(text: str) -> list[str]:
    """Every well-formed ID with a correct check character one typing slip away from ``text``:
    one character changed (anywhere, the check character included) or two neighbours swapped.
    Look-alike readings (O/0, I/1) come first, then swaps, then other changes, each in ID order.
    Pure: callers keep those that exist and that the reader may see."""
    typed = typed_form(text)
    match = _ID_RE.match(typed)
    if not match:
        return []
    segments = [len(part) for part in match.groups()]
    letters = "".join(match.groups())
    found: dict[str, int] = {}
    for position, original in enumerate(letters):
        for replacement in ALPHABET:
            if replacement != original:
                rank = 0 if LOOKALIKES.get(original) == replacement else 2
                _keep_if_valid(letters[:position] + replacement + letters[position + 1:], segments, rank, found)
    for position in range(len(letters) - 1):
        if letters[position] != letters[position + 1]:
            swapped = letters[:position] + letters[position + 1] + letters[position] + letters[position + 2:]
            _keep_if_valid(swapped, segments, 1, found)
    return sorted(found, key=lambda candidate: (found[candidate], candidate))


def is_lookalike_reading(text: str, candidate: str) -> bool:
    """Whether ``candidate`` is ``text`` with exactly one look-alike character read the other way."""
    typed = typed_form(text)
    if len(typed) != len(candidate):
        return False
    differences = [(a, b) for a, b in zip(typed, candidate) if a != b]
    return len(differences) == 1 and LOOKALIKES.get(differences[0][0]) == differences[0][1]


def _keep_if_valid(letters: str, segments: list[int], rank: int, found: dict[str, int]) -> None:
    prefix_end, serial_end = segments[0], segments[0] + segments[1]
    candidate = f"{letters[:prefix_end]}-{letters[prefix_end:serial_end]}-{letters[serial_end:]}"
    match = _ID_RE.match(candidate)
    if match and check_char(f"{match.group(1)}-{match.group(2)}") == match.group(3):
        found[candidate] = min(rank, found.get(candidate, rank))


def _read_serial(candidate: str) -> str:
    parts = candidate.split("-")
    if len(parts) == 3:
        parts[1] = parts[1].translate(_SERIAL_LOOKALIKES)
    return "-".join(parts)


def is_location_id(canonical_id: str) -> bool:
    return canonical_id.startswith(LOCATION_PREFIX + "-")


def prefix_of(canonical_id: str) -> str:
    return canonical_id.split("-", 1)[0]
