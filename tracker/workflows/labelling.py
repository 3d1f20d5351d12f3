"""Label sheets for media and places: rendered first, then recorded, so a failed render records
nothing and every label that left the printer has its event (who printed which label when)."""

from __future__ import annotations

from labels import design, sheets
from tracker import db, ledger, vocabulary
from tracker.config import Settings
from tracker.errors import InvalidInput, WrongState
from tracker.models import Medium, User
from tracker.workflows import access, places
from tracker.workflows.media import get_medium

UNPRINTABLE = ("destroyed", "returned", "not_received")


def label_sheet(
    actor: User | None,
    settings: Settings,
    medium_ids: list[str] = (),
    location_codes: list[str] = (),
    layout: str = "a4-24",
    start_position: int = 1,
    barcode: bool = False,
) -> bytes:
    """A PDF of labels for the given media and places. ``actor`` None: the installation's operator."""
    found_media = _printable_media(actor, medium_ids)
    found_places = [places.get_location(code) for code in dict.fromkeys(location_codes)]
    if not found_media and not found_places:
        raise InvalidInput("印刷するラベルがありません", "no labels to print")
    contents = [medium_content(medium, settings, barcode) for medium in found_media]
    contents += [design.location_label(place.code, settings.secret, settings.base_url, place.name, barcode=barcode) for place in found_places]
    try:
        document = sheets.render_pdf(contents, layout, start_position)
    except design.LabelError as error:
        raise InvalidInput(error.message_ja, error.message_en) from error
    record_print(actor, [medium.id for medium in found_media], layout, [place.code for place in found_places])
    return document


def record_print(actor: User | None, medium_ids: list[str], layout: str, location_codes: list[str] = ()) -> None:
    """One ``label.printed`` event per contract; destroyed or returned media are refused."""
    login = actor.login if actor else None
    with db.writing():
        found_media = _printable_media(actor, medium_ids)  # again, under the lock
        for contract_code in sorted({medium.contract_id for medium in found_media}):
            batch = [medium for medium in found_media if medium.contract_id == contract_code]
            ledger.append(
                "label.printed", login, contract=contract_code, data={"layout": layout, "count": len(batch)},
                changes={"medium": {medium.id: {"labels_printed": medium.labels_printed + 1} for medium in batch}},
            )
        if location_codes:
            ledger.append("label.printed", login, data={"layout": layout, "locations": list(location_codes)})


def all_printable_media(actor: User | None) -> list[str]:
    query = Medium.select(Medium.id).where(Medium.status.not_in(UNPRINTABLE)).order_by(Medium.id)
    if actor is not None:
        query = query.where(Medium.contract.in_(access.readable_contracts(actor)))
    return [medium_id for (medium_id,) in query.tuples()]


def medium_content(medium: Medium, settings: Settings, barcode: bool = False) -> design.LabelContent:
    kind_ja = vocabulary.MEDIUM_KINDS[medium.kind][0]
    return design.medium_label(medium.id, settings.secret, settings.base_url, medium.contract.title, kind_ja, barcode=barcode)


def _printable_media(actor: User | None, medium_ids) -> list[Medium]:
    found = [get_medium(medium_id) for medium_id in dict.fromkeys(medium_ids)]
    for medium in found:
        if actor is not None:
            access.require_custody(actor, medium.contract)
        if medium.status in UNPRINTABLE:
            name_ja, name_en = vocabulary.STATUSES[medium.status]
            raise WrongState(
                f"{medium.id} は{name_ja}のためラベルを印刷できません",
                f"{medium.id} is {name_en}; its label cannot be printed",
            )
    return found
