"""Read-side questions the screens and the API ask: counts, what needs attention, search."""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from tracker.models import Medium
from tracker.timeutil import JST, utc_now

PAGE_SIZE = 50


def status_counts(contracts: list[str]) -> dict[str, int]:
    rows = (
        Medium.select(Medium.status, peewee.fn.COUNT(Medium.id))
        .where(Medium.contract.in_(contracts))
        .group_by(Medium.status)
        .tuples()
    )
    return dict(rows)


def overdue(contracts: list[str]) -> list[Medium]:
    """Media out for work past their expected return date (JST calendar day)."""
    today = utc_now().astimezone(JST).date().isoformat()
    return list(
        Medium.select()
        .where(Medium.contract.in_(contracts) & (Medium.status == "in_use") & (Medium.due_back < today))
        .order_by(Medium.due_back)
    )


def not_yet_stored(contracts: list[str]) -> list[Medium]:
    return list(Medium.select().where(Medium.contract.in_(contracts) & (Medium.status == "received")).order_by(Medium.id))


def missing(contracts: list[str]) -> list[Medium]:
    return list(Medium.select().where(Medium.contract.in_(contracts) & (Medium.status == "lost")).order_by(Medium.id))


@dataclass
class MediaFilter:
    text: str = ""
    status: str = ""
    kind: str = ""
    contract: str = ""
    location: str = ""
    page: int = 1


def search_media(contracts: list[str], wanted: MediaFilter) -> tuple[list[Medium], int]:
    query = _matching(contracts, wanted)
    total = query.count()
    page = max(1, wanted.page)
    return list(query.order_by(Medium.id).paginate(page, PAGE_SIZE)), total


def search_media_ids(contracts: list[str], wanted: MediaFilter) -> list[str]:
    """Every match, not one page: for label sheets of a whole search result."""
    return [medium_id for (medium_id,) in _matching(contracts, wanted).select(Medium.id).order_by(Medium.id).tuples()]


def _matching(contracts: list[str], wanted: MediaFilter):
    query = Medium.select().where(Medium.contract.in_(contracts))
    if wanted.text:
        needle = f"%{wanted.text.strip()}%"
        query = query.where(
            Medium.id.ilike(needle) | Medium.title.ilike(needle) | Medium.serial_number.ilike(needle)
            | Medium.description.ilike(needle) | Medium.seal_number.ilike(needle)
        )
    for column, value in ((Medium.status, wanted.status), (Medium.kind, wanted.kind),
                          (Medium.contract, wanted.contract), (Medium.location, wanted.location)):
        if value:
            query = query.where(column == value)
    return query
