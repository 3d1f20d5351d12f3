"""What a decoded code means: which medium or location, and whether to believe it.

The result is a plain dict so that the CLI can print it as a JSON line and the web app can
return it as JSON without another layer of conversion.
"""

from __future__ import annotations

import os
from typing import Callable, Iterable, Iterator

from labels import payload
from scanner.decode import Hit, decode
from scanner.images import ImageRejected, load_image

Known = Callable[[str, str], bool]  # known(kind, canonical_id): is it in the database?

UNKNOWN = ("台帳に登録されていないIDです", "this ID is not registered in the ledger")
NO_CODE = ("コードが見つかりません（ピントと明るさを確認してください）", "no code found (check focus and lighting)")


def resolve(hit_or_text: Hit | str, secret: bytes, known: Known | None = None) -> dict:
    """The label's meaning as a dict.

    Keys: ``text``, ``format`` (None for typed text), ``points`` (None for typed text), ``kind``,
    ``id`` (what the label claims, even when forged), ``medium`` / ``location`` (set only when
    valid), ``valid``, ``signed``, ``reason`` (None or ``not_ours``, ``malformed_id``,
    ``typo``, ``forged``, ``unsigned``, ``unknown``), ``message_ja``, ``message_en``,
    ``suggestions`` (for ``typo``: the existing IDs one typing slip away, when ``known`` is given).

    ``reason == "unsigned"`` is still valid: a bare ID with a correct check character. When
    ``known`` says a valid ID is not in the database the result is invalid with ``unknown``.
    """
    hit = hit_or_text if isinstance(hit_or_text, Hit) else None
    parsed = payload.parse(hit.text if hit else hit_or_text, secret, known)
    result = {
        "format": hit.format if hit else None,
        "points": [list(point) for point in hit.points] if hit else None,
        **parsed.as_dict(),
    }
    if parsed.valid and known is not None and not known(parsed.kind, parsed.claimed_id):
        result.update(
            medium=None, location=None, valid=False, reason="unknown",
            message_ja=UNKNOWN[0], message_en=UNKNOWN[1],
        )
    return result


def decode_files(
    paths: Iterable[str | os.PathLike],
    secret: bytes,
    known: Known | None = None,
    formats: Iterable[str] | str = ("qr",),
) -> Iterator[dict]:
    """One dict per code found in each file, each with a ``file`` key.

    A file that cannot be used yields one dict with ``file``, ``error`` (``not_an_image``,
    ``corrupt``, ``too_large``, ``unreadable`` or ``no_code``), ``message_ja`` and
    ``message_en``, and the loop goes on with the next file.
    """
    for path in paths:
        name = os.fspath(path)
        try:
            image = load_image(path)
        except ImageRejected as error:
            yield _error(name, error.reason, error.message_ja, error.message_en)
            continue
        except OSError as error:
            yield _error(name, "unreadable", f"{name} を開けません（{error.strerror or error}）", f"cannot open {name} ({error.strerror or error})")
            continue
        hits = decode(image, formats)
        if not hits:
            yield _error(name, "no_code", f"{name}: {NO_CODE[0]}", f"{name}: {NO_CODE[1]}")
        for hit in hits:
            yield {"file": name, **resolve(hit, secret, known)}


def _error(name: str, reason: str, message_ja: str, message_en: str) -> dict:
    return {"file": name, "error": reason, "message_ja": message_ja, "message_en": message_en}
