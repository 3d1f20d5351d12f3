"""What a label's QR code says, and how to read it back.

A label carries an upper-case absolute URL, ``HTTPS://HOST/M/KG26-00042-7/3F7KQ2M9``. Upper case
keeps the QR in alphanumeric mode (smaller modules at the same label size); the URL lets a
phone's own camera app open the medium's page; the last part is a truncated HMAC of the ID under
the installation's secret, so that a label cannot be made for an ID by anyone without the secret,
nor an existing label be altered into another ID.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from labels import ids

SIGNATURE_LENGTH = 8  # base32 characters = 40 bits: forging one label takes ~10^12 tries online
MAX_TEXT_LENGTH = 2000  # a label URL is under 100 characters; a QR code holds at most ~7,000
KIND_MEDIUM = "medium"
KIND_LOCATION = "location"
_PATH_LETTER = {KIND_MEDIUM: "M", KIND_LOCATION: "L"}
_KIND_OF_LETTER = {letter: kind for kind, letter in _PATH_LETTER.items()}
_PATH_RE = re.compile(r"^/([ML])/([^/]+)/([^/]*)/?$")

# Why a payload was not accepted; the scanner and the web app show the matching message.
# A typed or wedge-scanned ID whose check character fails is a typing error ("typo"); "forged" is
# kept for a label URL that does not verify — a QR code's own error correction means a camera
# does not misread one character of it, so a wrong check character or signature there was made.
REASONS = {
    "not_ours": ("mediatrailのラベルではありません", "not a mediatrail label"),
    "malformed_id": ("ラベルのIDが読み取れません", "the label's ID cannot be read"),
    "typo": ("IDの入力に誤りがあります（チェック文字が一致しません）", "this ID has a typing error (its check character does not match)"),
    "forged": ("署名が一致しません（改ざんの疑い：偽造ラベルか、別のシステムのラベルです）",
               "signature does not match (possibly altered: a forged label, or a label of another installation)"),
    "unsigned": ("署名のないID（手入力）です", "an ID without signature (typed by hand)"),
    "unreadable": ("読み取った内容に制御文字や壊れた文字が含まれているか、長すぎます（ラベルではありません）",
                   "the scanned text contains control or broken characters, or is too long (not a label)"),
}
Known = Callable[[str, str], bool]  # known(kind, canonical_id): does this ID exist (for this reader)?


def new_secret() -> bytes:
    return secrets.token_bytes(32)


def signature(kind: str, canonical_id: str, secret: bytes) -> str:
    message = f"{_PATH_LETTER[kind]}:{canonical_id}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:SIGNATURE_LENGTH]


def label_url(kind: str, canonical_id: str, secret: bytes, base_url: str) -> str:
    """The text to put in the QR code, e.g. ``HTTP://192.168.1.5:8000/M/KG26-00042-7/3F7KQ2M9``."""
    base = base_url.rstrip("/")
    return f"{base}/{_PATH_LETTER[kind]}/{canonical_id}/{signature(kind, canonical_id, secret)}".upper()


def medium_url(canonical_id: str, secret: bytes, base_url: str) -> str:
    return label_url(KIND_MEDIUM, canonical_id, secret, base_url)


def location_url(canonical_id: str, secret: bytes, base_url: str) -> str:
    return label_url(KIND_LOCATION, canonical_id, secret, base_url)


@dataclass(frozen=True)
class Payload:
    """A decoded label: which medium or location it names, and whether to believe it.

    ``medium`` / ``location`` are set only when the label is valid; ``claimed_id`` is what the
    label says either way, so that a forged label can be reported by the ID it pretends to be.
    """

    text: str
    kind: str | None
    claimed_id: str | None
    valid: bool
    signed: bool
    reason: str | None
    suggestions: tuple[str, ...] = ()  # for a typo: existing IDs one slip away, nearest first

    @property
    def medium(self) -> str | None:
        return self.claimed_id if self.valid and self.kind == KIND_MEDIUM else None

    @property
    def location(self) -> str | None:
        return self.claimed_id if self.valid and self.kind == KIND_LOCATION else None

    @property
    def message_ja(self) -> str | None:
        if self.reason == "typo":
            return ids.typo_message(self.claimed_id, self.suggestions)[0]
        return REASONS[self.reason][0] if self.reason else None

    @property
    def message_en(self) -> str | None:
        if self.reason == "typo":
            return ids.typo_message(self.claimed_id, self.suggestions)[1]
        return REASONS[self.reason][1] if self.reason else None

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "kind": self.kind,
            "id": self.claimed_id,
            "medium": self.medium,
            "location": self.location,
            "valid": self.valid,
            "signed": self.signed,
            "reason": self.reason,
            "message_ja": self.message_ja,
            "message_en": self.message_en,
            "suggestions": list(self.suggestions),
        }


def parse(text: str, secret: bytes, known: Known | None = None) -> Payload:
    """Read any scanned text: a label URL from any host, or a bare ID typed or wedge-scanned.

    A bare ID with a correct check character is valid but ``signed=False``: people type IDs
    from damaged labels, and a check character catches their slips. Callers that need proof the
    physical label was present (destruction) can require ``signed``.

    A bare ID whose check character fails is a ``typo``. With ``known`` the existing IDs one slip
    away are its ``suggestions``; when the only one is a look-alike reading of what was typed
    (``KG26-00042-0`` for the label ``KG26-00042-O``) the ID is taken as that one.

    Never raises: any text at all — binary read from a hostile QR code, control characters,
    broken surrogates, a signature in full-width letters or emoji — is a refusal with a reason.
    """
    if not isinstance(text, str):
        return _refused(repr(text)[:MAX_TEXT_LENGTH], None, None, "unreadable")
    if not is_clean_text(text):
        return _refused(text, None, None, "unreadable")
    stripped = text.strip()
    if "/" not in stripped:
        return _parse_bare_id(text, stripped, known)
    try:
        parts = urlsplit(stripped)
    except ValueError:
        return _refused(text, None, None, "not_ours")
    match = _PATH_RE.match(parts.path.upper()) if parts.scheme.lower() in ("http", "https") else None
    if not match:
        return _refused(text, None, None, "not_ours")
    letter, raw_id, given_signature = match.groups()
    kind = _KIND_OF_LETTER[letter]
    try:
        canonical = ids.parse_id(raw_id)
    except ids.InvalidId as error:
        return _refused(text, kind, ids.normalize(raw_id), "forged" if error.reason == "bad_check" else "malformed_id")
    if canonical != raw_id:  # printed by us exactly so: a look-alike or full-width form here was put there
        return _refused(text, kind, canonical, "forged")
    if ids.is_location_id(canonical) != (kind == KIND_LOCATION):
        return _refused(text, kind, canonical, "forged")
    # compare_digest refuses non-ASCII text (a TypeError): compare the UTF-8 bytes instead.
    if not hmac.compare_digest(given_signature.encode("utf-8"), signature(kind, canonical, secret).encode("ascii")):
        return _refused(text, kind, canonical, "forged")
    return Payload(text, kind, canonical, valid=True, signed=True, reason=None)


def is_clean_text(text: str) -> bool:
    """Short enough, and without control characters (other than surrounding whitespace a
    keyboard wedge adds) or lone surrogates: what any label, typed ID or wedge scan can be."""
    if len(text) > MAX_TEXT_LENGTH or _CONTROL_RE.search(text.strip()):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. from "\ud800" in JSON
        return False
    return True


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def display(text: str, limit: int = 80) -> str:
    """Scanned text as it may be shown on a screen or a console (``escape_invisible``), cut to
    ``limit`` characters."""
    shown = escape_invisible(str(text)[: limit * 2])
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def escape_invisible(text: str) -> str:
    """Every invisible or reordering character — controls, U+202E and the other format
    characters, line separators, broken surrogates — written as ``\\uXXXX``, so that what a
    hostile code holds is shown as it is (valid inside a JSON string too)."""
    return "".join(f"\\u{ord(char):04x}" if unicodedata.category(char) in _INVISIBLE else char for char in text)


_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _parse_bare_id(text: str, stripped: str, known: Known | None) -> Payload:
    try:
        canonical = ids.parse_typed_id(stripped, lambda candidate: bool(known and known(_kind_of(candidate), candidate)))
    except ids.InvalidId as error:
        if error.reason == "bad_check":
            typed = ids.typed_form(stripped)
            return Payload(text, _kind_of(typed), typed, valid=False, signed=False, reason="typo", suggestions=error.suggestions)
        return _refused(text, None, None, "not_ours")
    return Payload(text, _kind_of(canonical), canonical, valid=True, signed=False, reason="unsigned")


def _kind_of(canonical_id: str) -> str:
    return KIND_LOCATION if ids.is_location_id(canonical_id) else KIND_MEDIUM


def _refused(text: str, kind: str | None, claimed_id: str | None, reason: str) -> Payload:
    return Payload(text, kind, claimed_id, valid=False, signed=False, reason=reason)
