"""What the city sees when it inspects a contract on site (Art. 12), on one page.

Art. 12 lets the city's staff investigate and ask for an explanation at any time. So everything an
inspector would ask first is gathered here from the recorded rows, for one contract: what is
held where, when each storage place was last checked and whether a check is due, open incidents,
media out past their return date, media in transit, and whether the ledger verifies (the standing
result of ``tracker.verification``, brought up to the head on each view).
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker import ledger, provisions, queries, verification
from tracker.models import Contract, Incident, Medium, User
from tracker.workflows import access, checks, corrections, incidents, profiles

# Held here now, as the register counts them; lost media are listed with the incidents instead.
HOLDINGS = ("received", "stored", "in_use", "in_transit")


@dataclass(frozen=True)
class Holding:
    """Media of the contract at one place (or with one person, or on the way)."""

    place: str  # a location's name, or who holds them
    code: str | None  # the location's code, when it is one
    media: list[Medium]


@dataclass(frozen=True)
class Inspection:
    contract: Contract
    holdings: list[Holding]
    schedules: list[checks.Schedule]
    incidents: list[Incident]
    missing: list[Medium]
    overdue: list[Medium]
    in_transit: list[Medium]
    verification: verification.Standing  # kept current incrementally; full runs on demand and on a schedule
    profile: provisions.Profile  # the city's provisions the contract runs under, duty by duty

    @property
    def duties(self) -> list[provisions.Duty]:
        return provisions.duties(self.profile)

    @property
    def held(self) -> int:
        return sum(len(holding.media) for holding in self.holdings)


def overview(actor: User, contract_code: str, settings) -> Inspection:
    contract = access.get_contract(contract_code)
    access.require_read(actor, contract)
    held = list(queries.with_places(Medium.select().where((Medium.contract == contract.code) & Medium.status.in_(HOLDINGS)))
                .order_by(Medium.id))
    return Inspection(
        contract=contract,
        holdings=_by_place([medium for medium in held if medium.status != "in_transit"]),
        schedules=checks.schedules([contract.code]),
        incidents=incidents.open_for([contract.code]),
        missing=queries.missing([contract.code]),
        overdue=queries.overdue([contract.code]),
        in_transit=[medium for medium in held if medium.status == "in_transit"],
        verification=_verification(settings),
        profile=profiles.for_contract(contract),
    )


def _verification(settings) -> verification.Standing:
    """The standing verification (not a replay per view), with what ``mediatrail verify`` says
    of corrections: each listed, each carrying this installation's signature (corrections are
    few and found by their kind, so they are read here directly)."""
    standing = verification.current(settings.attachments_dir)
    standing.notes = ledger.correction_notes()
    standing.problems = standing.problems + corrections.check_signatures(settings)
    return standing


def _by_place(media: list[Medium]) -> list[Holding]:
    groups: dict[tuple, list[Medium]] = {}
    for medium in media:
        if medium.location_id:
            key = (medium.location.name, medium.location_id)
        else:
            key = (medium.custodian.name if medium.custodian else "—", None)  # the page says "held, not stored"
        groups.setdefault(key, []).append(medium)
    return [Holding(name, code, found) for (name, code), found in sorted(groups.items(), key=lambda item: (item[0][1] is None, item[0]))]
