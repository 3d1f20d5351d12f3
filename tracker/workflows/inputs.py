"""Checks on what a person typed, shared by every workflow: each refusal says what to fix."""

from __future__ import annotations

from datetime import date, datetime

from labels import ids
from tracker.errors import InvalidInput, NotFound
from tracker.timeutil import JST, to_iso


def require_text(value: str | None, label_ja: str, label_en: str, max_length: int = 500) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{label_ja}を入力してください", f"{label_en} is required")
    if len(text) > max_length:
        raise InvalidInput(f"{label_ja}は{max_length}文字以内にしてください", f"{label_en} must be at most {max_length} characters")
    return text


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError) as error:
        raise InvalidInput(f"日付「{value}」は YYYY-MM-DD 形式で入力してください", f"date {value!r} must be YYYY-MM-DD") from error


def parse_count(value, label_ja: str, label_en: str, minimum: int = 0, maximum: int = 10_000_000) -> int:
    try:
        number = int(str(value).strip().replace(",", ""))
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"{label_ja}「{value}」は整数で入力してください", f"{label_en} {value!r} must be a whole number") from error
    if not minimum <= number <= maximum:
        raise InvalidInput(f"{label_ja}は{minimum}〜{maximum}にしてください", f"{label_en} must be between {minimum} and {maximum}")
    return number


def find_by_id(model, text: str, what_ja: str, what_en: str):
    """The row whose labelled ID is ``text`` (typed IDs normalised), or NotFound saying why."""
    try:
        canonical = ids.parse_typed_id(text, lambda candidate: model.get_or_none(model._meta.primary_key == candidate) is not None)
    except ids.InvalidId as error:
        raise NotFound(error.message_ja, error.message_en, reason=error.reason, suggestions=list(error.suggestions)) from error
    found = model.get_or_none(model._meta.primary_key == canonical)
    if found is None:
        raise NotFound(f"{what_ja} {canonical} は登録されていません", f"no {what_en} {canonical}")
    return found


def parse_choice(value: str, choices: tuple[str, ...], label_ja: str, label_en: str) -> str:
    if value not in choices:
        raise InvalidInput(f"{label_ja}「{value}」は {' / '.join(choices)} のいずれかです", f"{label_en} {value!r} must be one of {', '.join(choices)}")
    return value


def decision_note(approve: bool, note: str | None) -> str:
    """The city's note on a decision: conditions when approving (optional), the reason when
    rejecting (required, so the contractor learns why)."""
    note = (note or "").strip()
    if not approve and not note:
        raise InvalidInput("却下の理由を入力してください", "give the reason for the rejection")
    return note


def find_paper(model, number: str, what_ja: str, what_en: str):
    """A handover, transfer, request or document by its number, however the reader typed it."""
    found = model.get_or_none(model._meta.primary_key == (number or "").strip().upper())
    if found is None:
        raise NotFound(f"{what_ja} {number} は登録されていません", f"no {what_en} {number}")
    return found


# How a code arrived, as scans record it. A typed ID — or a label URL pasted as text — shows
# nothing of the medium being there; every other way read the label itself.
TYPED = "typed"
LABEL = "label"  # a signed label read, the client not saying how


def identification(source: str | None, signed: bool) -> str:
    """How a scan identified its medium: ``typed`` for a typed ID or text the person says they
    typed or pasted, else how the label was read (``label`` when the sender did not say)."""
    return TYPED if source == TYPED or not signed else (source or LABEL)


def require_presence(identified_by: str | None, confirmed: bool, medium_id: str, what_ja: str, what_en: str) -> None:
    """Where presence matters (a check's "found", a handover's receipt, a destruction), a typed
    ID counts only when the person confirms the medium is in front of them."""
    if identified_by == TYPED and not confirmed:
        raise InvalidInput(
            f"{medium_id}: 手入力のIDは、媒体が目の前にあることを確認したときだけ{what_ja}として数えます。ラベルを読み取るか、"
            f"「目の前にあることを確認しました」にチェックして記録してください（手入力として記録されます）。記録していません",
            f"{medium_id}: a typed ID counts as {what_en} only when you confirm the medium is in front of you. Read its label, "
            f"or tick \"I confirm ... in front of me\" (it is recorded as typed). Nothing was recorded",
            id=medium_id, reason="typed_unconfirmed")


def item_key(number: str, medium_id: str) -> str:
    """The key of a medium's row within a paper (a handover's or a transfer's items)."""
    return f"{number}/{medium_id}"


def next_number(model, contract_code: str, letter: str, digits: int = 4) -> str:
    """The next paper number of a contract, e.g. ``KG26-H0003``; never reused, since rows of the
    projection are never deleted. Call inside ``db.writing()``."""
    prefix = f"{contract_code}-{letter}"
    taken = model.select().where(model._meta.primary_key.startswith(prefix)).count()
    return f"{prefix}{taken + 1:0{digits}d}"


def parse_local_time(value: str, label_ja: str, label_en: str) -> str:
    """A date and time typed in Japan (``2026-11-25T14:00`` or ``2026-11-25 14:00``) as UTC ISO."""
    try:
        moment = datetime.fromisoformat((value or "").strip().replace(" ", "T"))
    except ValueError as error:
        raise InvalidInput(f"{label_ja}「{value}」は YYYY-MM-DD HH:MM 形式で入力してください",
                           f"{label_en} {value!r} must be YYYY-MM-DD HH:MM") from error
    return to_iso(moment if moment.tzinfo else moment.replace(tzinfo=JST))
