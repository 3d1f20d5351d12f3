"""Times are stored in UTC as ISO 8601 strings and shown in Japan Standard Time.

Strings rather than database timestamp types so that a stored time reads back byte-for-byte the
same on SQLite and PostgreSQL: the ledger hashes them, and verification compares them exactly.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")

# (first day, era name) — newest first. 令和 began 2019-05-01, 平成 1989-01-08.
_ERAS = ((date(2019, 5, 1), "令和"), (date(1989, 1, 8), "平成"), (date(1926, 12, 25), "昭和"))


# Set only by ``clock_at``: the demo's backdated history and tests of month-end logic.
_frozen_now: ContextVar[datetime | None] = ContextVar("frozen_now", default=None)


def utc_now() -> datetime:
    return _frozen_now.get() or datetime.now(timezone.utc)


@contextmanager
def clock_at(moment: datetime):
    """Make ``utc_now()`` answer ``moment`` inside the block (this thread / context only)."""
    token = _frozen_now.set(moment.astimezone(timezone.utc))
    try:
        yield
    finally:
        _frozen_now.reset(token)


def to_iso(moment: datetime) -> str:
    """``2026-11-25T13:45:00.123456Z`` — fixed width, so strings sort in time order."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a time zone")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return to_iso(utc_now())


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def to_jst(value: str | datetime) -> datetime:
    moment = from_iso(value) if isinstance(value, str) else value
    return moment.astimezone(JST)


def format_jst(value: str | datetime | None, with_seconds: bool = False) -> str:
    """``2026-11-25 22:45 JST`` for screens and PDFs."""
    if not value:
        return ""
    pattern = "%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M"
    return to_jst(value).strftime(pattern) + " JST"


def wareki(day: date | datetime | str) -> str:
    """Japanese era date as printed on municipal forms: ``令和8年11月25日`` (元年 for year 1)."""
    if isinstance(day, str):
        day = to_jst(day).date()
    elif isinstance(day, datetime):
        day = to_jst(day).date()
    for first_day, era in _ERAS:
        if day >= first_day:
            year = day.year - first_day.year + 1
            year_text = "元" if year == 1 else str(year)
            return f"{era}{year_text}年{day.month}月{day.day}日"
    raise ValueError(f"date before the Showa era: {day}")
