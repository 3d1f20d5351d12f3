"""pydantic's validation errors said in Japanese and English, naming the field.

pydantic reports each problem with a stable ``type`` (``string_type``, ``missing``,
``string_too_long``...) and its context; its own English messages are for programmers. These
are the sentences a person at the other end reads: the Japanese written for this API, the
English beside it, the offending field in ``field`` (dotted, list positions as ``[n]``).
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from tracker.errors import InvalidInput

MAX_LISTED = 20  # problems listed in one answer; the first is the message

# What a JSON value is, for "must be a string, not a number".
_JSON_TYPES = {bool: ("真偽値", "a boolean"), int: ("数値", "a number"), float: ("数値", "a number"),
               str: ("文字列", "a string"), list: ("リスト", "a list"), dict: ("オブジェクト", "an object"),
               type(None): ("null", "null")}

# What the field must be, by pydantic's error type.
_WANTED = {
    "string_type": ("文字列", "a string"),
    "int_type": ("整数", "a whole number"),
    "int_from_float": ("整数", "a whole number"),
    "int_parsing": ("整数", "a whole number"),
    "float_type": ("数値", "a number"),
    "bool_type": ("true または false（JSON の真偽値）", "true or false (a JSON boolean)"),
    "bool_parsing": ("true または false（JSON の真偽値）", "true or false (a JSON boolean)"),
    "list_type": ("リスト（配列）", "a list"),
    "dict_type": ("オブジェクト", "an object"),
    "model_type": ("オブジェクト", "an object"),
    "model_attributes_type": ("オブジェクト", "an object"),
}

# The patterns text fields carry (``schemas.py``), and what breaking one means.
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
NOTE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
LOCAL_TIME_PATTERN = r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?)?$"
DATE_PATTERN = r"^(\d{4}-\d{2}-\d{2})?$"
_PATTERNS = {
    LINE_PATTERN: ("改行や制御文字は使えません", "must be one line without control characters"),
    NOTE_PATTERN: ("制御文字は使えません", "must not contain control characters"),
    LOCAL_TIME_PATTERN: ("日時は YYYY-MM-DDTHH:MM 形式（日本時間）で指定してください", "must be a date and time, YYYY-MM-DDTHH:MM (JST)"),
    DATE_PATTERN: ("日付は YYYY-MM-DD 形式で指定してください", "must be a date, YYYY-MM-DD"),
}
_LINE_RE = re.compile(LINE_PATTERN)


def refusal(error: ValidationError, where: str = "body") -> InvalidInput:
    """One ``InvalidInput`` for all of ``error``'s problems: the first as the message, every one
    (up to ``MAX_LISTED``) in ``problems``."""
    said = [(field_name(problem["loc"]), *describe(problem)) for problem in error.errors(include_url=False)]
    field, message_ja, message_en = said[0]
    if where == "query":
        message_ja, message_en = f"URL のパラメータ: {message_ja}", f"URL parameter: {message_en}"
    return InvalidInput(message_ja, message_en, field=field,
                        problems=[{"field": name, "message_ja": ja, "message_en": en} for name, ja, en in said[:MAX_LISTED]])


def describe(problem: dict) -> tuple[str, str]:
    """(Japanese, English) for one pydantic problem."""
    kind, context = problem["type"], problem.get("ctx") or {}
    name = field_name(problem["loc"]) or "本文"
    given = problem.get("input")
    if kind == "missing":
        return f"項目「{name}」がありません", f"field {name!r} is required"
    if kind == "extra_forbidden":
        return (f"「{name}」という項目はありません（知らない項目は受け付けません。綴りを確かめてください）",
                f"there is no field {name!r} (unknown fields are refused; check the spelling)")
    if kind in _WANTED:
        want_ja, want_en = _WANTED[kind]
        got_ja, got_en = _JSON_TYPES.get(type(given), ("その値", "that value"))
        return f"項目「{name}」は{want_ja}にしてください（{got_ja}が送られました）", f"field {name!r} must be {want_en}, not {got_en}"
    if kind == "string_too_long":
        limit = context.get("max_length")
        return f"項目「{name}」は{limit}文字以内にしてください（{len(given)}文字）", f"field {name!r} must be at most {limit} characters ({len(given)} sent)"
    if kind == "string_too_short":
        return f"項目「{name}」を入力してください", f"field {name!r} must not be empty"
    if kind == "too_long":
        limit = context.get("max_length")
        return f"項目「{name}」は{limit}件までです", f"field {name!r} takes at most {limit} entries"
    if kind == "too_short":
        least = context.get("min_length")
        return f"項目「{name}」は{least}件以上にしてください", f"field {name!r} needs at least {least} entries"
    if kind in ("literal_error", "enum"):
        choices = context.get("expected", "")
        return f"項目「{name}」は {choices} のいずれかにしてください", f"field {name!r} must be one of {choices}"
    if kind in ("greater_than_equal", "greater_than"):
        bound = context.get("ge", context.get("gt"))
        return f"項目「{name}」は{bound}以上にしてください", f"field {name!r} must be at least {bound}"
    if kind in ("less_than_equal", "less_than"):
        bound = context.get("le", context.get("lt"))
        return f"項目「{name}」は{bound}以下にしてください", f"field {name!r} must be at most {bound}"
    if kind == "string_pattern_mismatch":
        rule_ja, rule_en = _PATTERNS.get(context.get("pattern"), ("形式が正しくありません", "has the wrong format"))
        return f"項目「{name}」：{rule_ja}", f"field {name!r} {rule_en}"
    if kind == "broken_text":
        return (f"項目「{name}」に壊れた文字（対になっていないサロゲート）が含まれています",
                f"field {name!r} contains a broken character (a lone surrogate)")
    if kind == "union_tag_invalid" or kind.startswith("union"):
        return f"項目「{name}」の形式が正しくありません", f"field {name!r} has the wrong form"
    return f"項目「{name}」の値が正しくありません", f"field {name!r} is not valid ({printable(problem.get('msg', ''))})"


def field_name(location: tuple) -> str:
    """``("items", 0, "level")`` → ``items[0].level``; only what is safe to show and send back."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif "[" not in str(part):  # pydantic names union members like "list[str]": not a field
            text += ("." if text else "") + str(part)
    return printable(text)


def printable(text: str, limit: int = 60) -> str:
    """Client text echoed in a message: one line, whole characters, at most ``limit``."""
    cleaned = re.sub(r"[\x00-\x1f\x7f]", "?", str(text)).encode("utf-8", "replace").decode("utf-8")
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def is_clean_line(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return bool(_LINE_RE.match(text))
