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
    """A refusal in the reader's language only; the API (web/api) keeps both for the record."""
    return translate(error.message_ja, error.message_en)


# Pages once printed every message in both languages, one after the other; a reader gets their own
# language now. The name stays for the templates and modules that call it.
both = translate
