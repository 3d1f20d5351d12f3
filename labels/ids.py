"""Human-readable IDs for media and locations, with a check character.

An ID looks like ``KG26-00042-7``: a prefix (the contract's for media, ``LOC`` for storage and
work places), a zero-padded serial, and one check character computed with ISO/IEC 7064
MOD 37,36, which catches every single wrong character and every swap of two neighbours — the
mistakes people make when they type an ID from a label.
"""

from __future__ import annotations

import re
import unicodedata

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOCATION_PREFIX = "LOC"
SERIAL_DIGITS = 5

_PREFIX_RE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
_ID_RE = re.compile(r"^([A-Z][A-Z0-9]{1,7})-(\d{%d,9})-([0-9A-Z])$" % SERIAL_DIGITS)

# Dashes and minus signs that Japanese input methods and fonts produce where a '-' was meant.
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−ーｰ－─━"), "-")


class InvalidId(ValueError):
    """An ID that is malformed or whose check character does not match."""

    def __init__(self, text: str, reason: str, message_ja: str, message_en: str):
        super().__init__(f"{message_ja} / {message_en}")
        self.text = text
        self.reason = reason
        self.message_ja = message_ja
        self.message_en = message_en


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
    candidate = normalize(text)
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
        raise InvalidId(
            text,
            "bad_check",
            f"ID「{candidate}」のチェック文字が一致しません（読み間違いか改ざんの可能性）",
            f"check character of {candidate} does not match (misread or altered)",
        )
    return candidate


def is_location_id(canonical_id: str) -> bool:
    return canonical_id.startswith(LOCATION_PREFIX + "-")


def prefix_of(canonical_id: str) -> str:
    return canonical_id.split("-", 1)[0]
