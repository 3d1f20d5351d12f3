"""What a code read in the page is, before anything is recorded: the scanning component warns at
once (a label of another contract, one that does not fit this flow, one that is not ours, a forged
one) while the person still holds the medium, and the /scan page lists what each label names and
what can be done with it now. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from labels import payload as label_payload
from tracker import vocabulary
from tracker.errors import DomainError
from tracker.models import DestructionItem, HandoverItem, Medium, User
from tracker.workflows import access, checks, destruction, handovers, inputs, scans, transfers

# verdicts, each shown with its own colour and sound in the page
FITS, LOCATION = "fits", "location"
OTHER_CONTRACT, OTHER_FLOW, UNKNOWN, FORGED, TYPO, UNREADABLE = "other_contract", "other_flow", "unknown", "forged", "typo", "unreadable"
WARNINGS = (OTHER_CONTRACT, OTHER_FLOW, UNKNOWN, FORGED, TYPO, UNREADABLE)


@dataclass
class Preview:
    verdict: str
    message_ja: str
    message_en: str
    medium: Medium | None = None
    location: str | None = None
    suggestions: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        answer = {"verdict": self.verdict, "message_ja": self.message_ja, "message_en": self.message_en,
                  "warning": self.verdict in WARNINGS}
        if self.medium is not None:
            medium = self.medium
            answer["medium"] = {"id": medium.id, "contract": medium.contract_id, "title": medium.title,
                                "status": medium.status, "status_ja": vocabulary.STATUSES[medium.status][0],
                                "status_en": vocabulary.STATUSES[medium.status][1]}
        if self.location:
            answer["location"] = self.location
        if self.suggestions:
            answer["suggestions"] = list(self.suggestions)
        return answer


def preview(actor: User, code: str, action: str, context: str | None, secret: bytes) -> Preview:
    """What ``code`` would be if recorded now under ``action`` in ``context`` (a handover,
    transfer, destruction application or check number; none for a look-up)."""
    inputs.parse_choice(action, scans.ACTIONS, "操作", "action")
    if not label_payload.is_clean_text(code or ""):
        return Preview(UNREADABLE, *label_payload.REASONS["unreadable"])
    try:
        parsed = scans.identify(code, secret, actor)
    except DomainError as refusal:
        reason = refusal.details.get("reason")
        verdict = {"forged": FORGED, "typo": TYPO}.get(reason, UNKNOWN)
        return Preview(verdict, refusal.message_ja, refusal.message_en, suggestions=tuple(refusal.details.get("suggestions") or ()))
    if parsed.kind == label_payload.KIND_LOCATION:
        return Preview(LOCATION, "保管場所のラベルです", "a storage location's label", location=parsed.location)
    medium = Medium.get_or_none(Medium.id == parsed.medium)
    if medium is None:
        return Preview(UNKNOWN, f"{parsed.medium}：台帳にない媒体です", f"{parsed.medium}: no such medium in the register")
    if not access.allows(access.require_read, actor, medium.contract):
        return Preview(OTHER_CONTRACT, f"{medium.id}：閲覧できない契約の媒体です", f"{medium.id}: a medium of a contract you cannot read")
    contract, fits = _flow(action, context, medium)
    if contract is not None and contract != medium.contract_id:
        return Preview(OTHER_CONTRACT, f"{medium.id} {medium.title}：別の契約（{medium.contract_id}）の媒体です",
                       f"{medium.id} {medium.title}: a medium of another contract ({medium.contract_id})", medium)
    if not fits:
        status_ja, status_en = vocabulary.STATUSES[medium.status]
        return Preview(OTHER_FLOW, f"{medium.id} {medium.title}：この作業の対象ではありません（{status_ja}）",
                       f"{medium.id} {medium.title}: not part of this work ({status_en})", medium)
    return Preview(FITS, f"{medium.id} {medium.title}", f"{medium.id} {medium.title}", medium)


def _flow(action: str, context: str | None, medium: Medium) -> tuple[str | None, bool]:
    """(the contract the flow's paper belongs to, whether the medium fits the flow now)."""
    if action == "lookup" or not context:
        return None, True
    try:
        if action in ("receive", "return"):
            handover = handovers.get_handover(context)
            item = HandoverItem.get_or_none(HandoverItem.key == inputs.item_key(handover.number, medium.id))
            if action == "receive":
                fits = medium.status == "expected" or (item is not None and item.scanned_at is not None)
            else:
                fits = medium.status in handovers.RETURNABLE or (item is not None and item.scanned_at is not None)
            return handover.contract_id, fits
        if action in ("send", "arrive"):
            transfer = transfers.get_transfer(context)
            wanted = transfers.SENDABLE if action == "send" else ("in_transit", "stored", "received")
            return transfer.contract_id, medium.status in wanted
        if action == "destroy":
            application = destruction.get_application(context)
            on_it = DestructionItem.get_or_none(DestructionItem.key == inputs.item_key(application.number, medium.id))
            return application.contract_id, on_it is not None
        if action == "check":
            check = checks.get_check(context)
            return None, medium.location_id == check.location_id
    except DomainError:
        return None, True  # a paper that no longer opens: the recording itself will say why
    return None, True


# What can be done with a medium now, by status, for the /scan page: (label ja, label en).
NEXT_BY_STATUS = {
    "expected": ("引渡しで受領する", "receive it at a handover"),
    "received": ("保管場所に保管する", "store it in a locked place"),
    "stored": ("持出し・移送・返還・廃棄", "take out, transfer, return or destroy"),
    "in_use": ("保管場所に戻す", "put it back in storage"),
    "in_transit": ("到着を読み取る", "scan it as arrived"),
    "returned": ("返還済み（操作なし）", "returned (nothing to do)"),
    "destroyed": ("廃棄済み（操作なし）", "destroyed (nothing to do)"),
    "lost": ("所在不明：見つかったら記録する", "missing: record it found"),
    "not_received": ("未受領（操作なし）", "not received (nothing to do)"),
}


def next_step(actor: User, medium: Medium) -> list[dict]:
    """The papers this medium can be scanned into now (one tap), else what its status calls for."""
    open_papers = scans.papers_open_for(actor, medium)
    if open_papers:
        return [{"number": number, "action": action, "label_ja": f"{scans.SCAN_INTO[action][0]}（{number}）",
                 "label_en": f"{scans.SCAN_INTO[action][1]} ({number})"} for number, action in open_papers]
    label_ja, label_en = NEXT_BY_STATUS.get(medium.status, ("", ""))
    return [{"number": None, "action": None, "label_ja": label_ja, "label_en": label_en}] if label_ja else []

