"""Japanese first, English on request: each text is written where it is used, in both languages.

Templates call ``_("保管中", "stored")``; the language comes from ``?lang=``, then the session,
then Japanese. No catalog files to keep in step with the code.
"""

from __future__ import annotations

from flask import g, request, session

LANGUAGES = ("ja", "en")


def choose_language() -> None:
    wanted = request.args.get("lang")
    if wanted in LANGUAGES:
        session["lang"] = wanted
    g.lang = session.get("lang", "ja")


def translate(japanese: str, english: str) -> str:
    return english if getattr(g, "lang", "ja") == "en" else japanese


def pick(pair: tuple[str, str]) -> str:
    return translate(*pair)


def message(error) -> str:
    """A refusal in the reader's language, with the other language after it for the record."""
    return both(error.message_ja, error.message_en)


def both(japanese: str, english: str) -> str:
    if getattr(g, "lang", "ja") == "en":
        return f"{english} / {japanese}"
    return f"{japanese} / {english}"
