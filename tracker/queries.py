"""Read-side questions the screens and the API ask: counts, what needs attention, search."""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from tracker import search
from tracker.models import Location, Medium, User
from tracker.timeutil import JST, utc_now

PAGE_SIZE = 50
# Matches are counted up to here: a page says "more than 10,000" rather than count a million rows.
COUNT_LIMIT = 10_000


def status_counts(contracts: list[str]) -> dict[str, int]:
    rows = (
        Medium.select(Medium.status, peewee.fn.COUNT(Medium.id))
        .where(Medium.contract.in_(contracts))
        .group_by(Medium.status)
        .tuples()
    )
    return dict(rows)


def with_places(query: peewee.ModelSelect) -> peewee.ModelSelect:
    """``query`` over media, with each medium's place and custodian read in the same statement:
    a list showing ``m.location.name`` or ``m.custodian.name`` then runs one query, not one per row."""
    return (query.select_extend(Location.code, Location.name, User.login, User.name)
            .join_from(Medium, Location, peewee.JOIN.LEFT_OUTER, on=(Medium.location == Location.code))
            .join_from(Medium, User, peewee.JOIN.LEFT_OUTER, on=(Medium.custodian == User.login)))


def overdue(contracts: list[str], limit: int | None = None) -> list[Medium]:
    """Media out for work past their expected return date (JST calendar day), oldest first."""
    today = utc_now().astimezone(JST).date().isoformat()
    query = with_places(Medium.select().where(
        Medium.contract.in_(contracts) & (Medium.status == "in_use") & (Medium.due_back < today)))
    return list(query.order_by(Medium.due_back, Medium.id).limit(limit))


def not_yet_stored(contracts: list[str], limit: int | None = None) -> list[Medium]:
    return _with_status(contracts, "received", limit)


def missing(contracts: list[str], limit: int | None = None) -> list[Medium]:
    return _with_status(contracts, "lost", limit)


def _with_status(contracts: list[str], status: str, limit: int | None) -> list[Medium]:
    query = with_places(Medium.select().where(Medium.contract.in_(contracts) & (Medium.status == status)))
    return list(query.order_by(Medium.id).limit(limit))


@dataclass
class MediaFilter:
    text: str = ""
    status: str = ""
    kind: str = ""
    contract: str = ""
    location: str = ""
    page: int = 1  # kept for old links; beyond the counted matches a page is empty, never a long OFFSET
    after: str = ""  # keyset cursor: the last ID of the previous page (the "next" link)
    before: str = ""  # the first ID of the following page (the "previous" link)


@dataclass(frozen=True)
class MediaPage:
    """One page of a search: at most ``PAGE_SIZE`` media in ID order, and the cursors around it."""

    media: list[Medium]
    total: int  # matches, counted up to COUNT_LIMIT
    total_is_floor: bool  # more than COUNT_LIMIT match: ``total`` means "at least"
    next_after: str | None  # ``after`` of the next page; None on the last
    previous_before: str | None  # ``before`` of the previous page; None on the first


def search_media(contracts: list[str], wanted: MediaFilter) -> MediaPage:
    """A page of matches found by keyset (``WHERE id > cursor ORDER BY id LIMIT n``): any page
    costs one index range, however deep, unlike an OFFSET that reads every row before it."""
    query = _matching(contracts, wanted)
    counted = query.select(Medium.id).limit(COUNT_LIMIT + 1).count()
    total, total_is_floor = min(counted, COUNT_LIMIT), counted > COUNT_LIMIT
    rows = with_places(query)
    if wanted.before:
        found = list(rows.where(Medium.id < wanted.before).order_by(Medium.id.desc()).limit(PAGE_SIZE + 1))
        earlier = len(found) > PAGE_SIZE
        found = found[:PAGE_SIZE][::-1]
        return MediaPage(found, total, total_is_floor, next_after=found[-1].id if found else None,
                         previous_before=found[0].id if earlier else None)
    skipped = (max(1, wanted.page) - 1) * PAGE_SIZE
    if wanted.after:
        rows, skipped = rows.where(Medium.id > wanted.after), 0
    elif skipped >= COUNT_LIMIT:
        return MediaPage([], total, total_is_floor, None, None)  # past what was counted: nothing, at once
    found = list(rows.order_by(Medium.id).offset(skipped or None).limit(PAGE_SIZE + 1))
    later = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    back = bool(found) and bool(wanted.after or skipped)
    return MediaPage(found, total, total_is_floor, next_after=found[-1].id if later else None,
                     previous_before=found[0].id if back else None)


def search_media_ids(contracts: list[str], wanted: MediaFilter) -> list[str]:
    """Every match, not one page: for label sheets of a whole search result."""
    return [medium_id for (medium_id,) in _matching(contracts, wanted).select(Medium.id).order_by(Medium.id).tuples()]


def _matching(contracts: list[str], wanted: MediaFilter):
    text_matches = search.matching(wanted.text)
    if text_matches is None:
        query = Medium.select().where(Medium.contract.in_(contracts))
    else:  # the text index leads; the contracts only filter what it found
        query = Medium.select().where(search.not_leading(Medium.contract).in_(contracts) & text_matches)
    for column, value in ((Medium.status, wanted.status), (Medium.kind, wanted.kind),
                          (Medium.contract, wanted.contract), (Medium.location, wanted.location)):
        if value:
            query = query.where(column == value)
    return query
