"""A scan from a phone, the scanning station or the API, turned into an action, exactly once.

The idempotency key a station sends with each scan makes a resend (after a timeout, or from the
offline queue) answer with the first result instead of acting twice: the receipt is written in
the same transaction as the ledger event.
"""

from __future__ import annotations

import hashlib
import json
import logging

from labels import payload as label_payload
from scanner.station import Outcome, Scan
from tracker import db, ledger
from tracker.errors import DomainError, InvalidInput, KeyReused
from tracker.models import Handover, Location, Medium, ScanReceipt, Transfer, User, canonical_json
from tracker.timeutil import now_iso
from tracker.workflows import access, checks, destruction, handovers, inputs, media, places, transfers

log = logging.getLogger(__name__)

ACTIONS = ("lookup", "store", "receive", "return", "send", "arrive", "destroy", "check")
# How a code arrived. Only the first three show the label itself was in front of the reader; a
# typed ID (or a label URL pasted as text) shows nothing of the kind.
SOURCES = ("camera", "station", "wedge", "photo", "typed")
READ_FROM_LABEL = ("camera", "station", "wedge", "photo")


def record(actor: User, idempotency_key: str, code: str, action: str, context: str | None, secret: bytes,
           source: str = "station", confirmed: bool = False) -> tuple[int, dict]:
    """Act on one scanned code; returns (HTTP-like status, answer) and never acts twice per key.

    ``context`` is what the action works in: the storage place for ``store`` and ``check`` (its
    label scanned first), the handover number for ``receive`` / ``return``, the transfer number
    for ``send`` / ``arrive``, the destruction application's number for ``destroy``.

    A key belongs to the person who sent it (another person's same key is another scan), and
    to one request: the same key with another code, action or context is refused (409) rather
    than answered with the first scan's result. The events a scan writes carry its receipt's
    key, and the receipt the number of its last event, so ``ledger.verify`` can tell a receipt
    that acknowledges nothing recorded (see ``ledger.check_scan_receipts``).
    """
    key = inputs.require_text(idempotency_key, "冪等キー", "idempotency_key", max_length=80)
    inputs.parse_choice(action, ACTIONS, "操作", "action")
    inputs.parse_choice(source, SOURCES, "読取りの方法", "source")
    scoped = receipt_key(actor.login, key)
    fingerprint = request_fingerprint(code, action, context)
    earlier = _earlier_receipt(actor, key, scoped)
    if earlier:
        return _replay(earlier, fingerprint)
    with db.writing():
        earlier = _earlier_receipt(actor, key, scoped)
        if earlier:
            return _replay(earlier, fingerprint)
        before = ledger.head()[0]
        with ledger.acknowledged_by(scoped), ledger.arrived_by(source):
            status, answer = _answer_one(actor, code, action, context, secret, source, confirmed)
        after = ledger.head()[0]
        ScanReceipt.create(idempotency_key=scoped, user=actor.login, status=status,
                           response=json.dumps(answer, ensure_ascii=False), created_at=now_iso(),
                           fingerprint=fingerprint, event_seq=after if after > before else None)
    return status, answer


def receipt_key(login: str, idempotency_key: str) -> str:
    """The receipt's key: the sender's own key within their login (64 hex characters)."""
    return hashlib.sha256(f"{login}\n{idempotency_key}".encode("utf-8")).hexdigest()


def request_fingerprint(code: str, action: str, context: str | None) -> str:
    """What a scan asks for — the code, the action and where — and nothing that may differ
    between a first send and a resend of the same scan (when it was read, how it arrived)."""
    return hashlib.sha256(canonical_json({"code": code, "action": action, "context": context or None}).encode("utf-8")).hexdigest()


def _earlier_receipt(actor: User, key: str, scoped: str) -> ScanReceipt | None:
    found = ScanReceipt.get_or_none(ScanReceipt.idempotency_key == scoped)
    if found is None:  # a receipt written before keys were scoped: the raw key, the same person
        found = ScanReceipt.get_or_none((ScanReceipt.idempotency_key == key) & (ScanReceipt.user == actor.login)
                                        & ScanReceipt.fingerprint.is_null())
    return found


def _replay(earlier: ScanReceipt, fingerprint: str) -> tuple[int, dict]:
    if earlier.fingerprint is not None and earlier.fingerprint != fingerprint:
        refusal = KeyReused(
            "この冪等キー（idempotency_key）は別の読取り（コード・操作・場所が異なる）で使われています。読取りごとに新しいキーを付けてください。何も記録していません",
            "this idempotency_key was used for another scan (a different code, action or context); "
            "use a new key for each scan. Nothing was recorded")
        return refusal.status, {"ok": False, **refusal.as_dict()}
    return earlier.status, {**json.loads(earlier.response), "replayed": True}


def _answer_one(actor: User, code: str, action: str, context: str | None, secret: bytes,
                source: str | None = None, confirmed: bool = False) -> tuple[int, dict]:
    """One code acted on, as (status, answer): a refusal is an answer too, never an exception."""
    try:
        return 200, _act(actor, code, action, context, secret, source, confirmed)
    except DomainError as error:
        return error.status, {"ok": False, **error.as_dict()}


def identify(code: str, secret: bytes, actor: User | None = None) -> label_payload.Payload:
    """Parse a scanned code and refuse anything that is not a valid label of ours, saying why: a
    typed ID with a wrong check character is a typing error naming the nearest existing IDs (of
    contracts ``actor`` may see), a label URL that does not verify is forged."""
    parsed = label_payload.parse(code, secret, known=lambda kind, found: _visible(actor, kind, found))
    if not parsed.valid:
        raise InvalidInput(parsed.message_ja, parsed.message_en, reason=parsed.reason, id=parsed.claimed_id,
                           suggestions=list(parsed.suggestions))
    return parsed


def _visible(actor: User | None, kind: str, canonical_id: str) -> bool:
    """Whether a typo's suggestion may be shown: it exists, and this reader may see its contract."""
    if kind == label_payload.KIND_LOCATION:
        return is_known(kind, canonical_id)
    medium = Medium.get_or_none(Medium.id == canonical_id)
    return medium is not None and (actor is None or access.allows(access.require_read, actor, medium.contract))


# What to give first, per action, when the scan arrives without its context.
_CONTEXT_MISSING = {
    "store": ("先に保管場所のラベルを読み取ってください", "scan the storage location's label first"),
    "receive": ("引渡し番号（例: KG26-H0001）を指定してください", "give the handover number (e.g. KG26-H0001)"),
    "return": ("返還の引渡し番号（例: KG26-H0002）を指定してください", "give the return handover's number (e.g. KG26-H0002)"),
    "send": ("移送番号（例: KG26-T0001）を指定してください", "give the transfer number (e.g. KG26-T0001)"),
    "arrive": ("移送番号（例: KG26-T0001）を指定してください", "give the transfer number (e.g. KG26-T0001)"),
    "destroy": ("廃棄申請番号（例: KG26-A0001）を指定してください", "give the destruction application number (e.g. KG26-A0001)"),
}


def _act(actor: User, code: str, action: str, context: str | None, secret: bytes,
         source: str | None = None, confirmed: bool = False) -> dict:
    """``source``: how the code arrived (``SOURCES``; None: the sender did not say). Where presence
    matters — receiving, returning, destroying, a check's "found" — a typed ID counts only with
    ``confirmed``, and what was recorded says how each medium was identified."""
    if not label_payload.is_clean_text(code or ""):  # refused before any workflow stores or echoes it
        raise InvalidInput(*label_payload.REASONS["unreadable"], reason="unreadable")
    if action == "check":  # a storage check records unknown and destroyed labels too: findings, not refusals
        return checks.scan_answer(actor, context, code, secret, source, confirmed)
    parsed = identify(code, secret, actor)
    identified_by = inputs.identification(source, parsed.signed)
    if parsed.kind == label_payload.KIND_LOCATION:
        return {"ok": True, "location": _location_summary(parsed.location),
                "message_ja": "保管場所を読み取りました", "message_en": "location scanned"}
    medium = media.get_medium(parsed.medium)
    if medium.status == "destroyed":  # terminal: any scan of its label says when, under which certificate
        access.require_read(actor, medium.contract)
        if action != "lookup":
            destruction.require_not_destroyed(medium)
        return _answer(medium, *destruction.destroyed_message(medium), destroyed=True)
    if action == "lookup":
        access.require_read(actor, medium.contract)
        return _answer(medium, f"{medium.id} {medium.title}", f"{medium.id} {medium.title}")
    if not context:
        raise InvalidInput(*_CONTEXT_MISSING[action])
    if action == "store":
        stored = media.store(actor, medium.id, context)
        place = stored.location
        return _answer(stored, f"{stored.id} を {place.name} に保管しました", f"{stored.id} stored in {place.name}")
    if action in ("receive", "return"):
        handover = handovers.get_handover(context)
        if handover.direction != action:
            raise InvalidInput(f"{handover.number} は{handovers.DIRECTIONS[handover.direction][0]}の引渡しです",
                               f"{handover.number} is a {handovers.DIRECTIONS[handover.direction][1]} handover")
        inputs.require_presence(identified_by, confirmed, medium.id, "受領" if action == "receive" else "返還", "received" if action == "receive" else "returned")
        result = handovers.scan(actor, handover.number, medium.id, identified_by=identified_by)
        return _answer(result.item.medium, *result.message, duplicate=not result.fresh, listed=result.item.listed,
                       identified_by=result.item.identified_by)
    if action == "destroy":
        result = destruction.scan(actor, context, medium.id, label_read=identified_by != inputs.TYPED or confirmed,
                                  identified_by=identified_by)
        return _answer(result.item.medium, *result.message, duplicate=not result.fresh)
    move = transfers.scan_out if action == "send" else transfers.scan_in
    result = move(actor, context, medium.id)
    return _answer(Medium.get_by_id(medium.id), *result.message, duplicate=not result.fresh, unexpected=result.unexpected)


def _answer(medium, message_ja: str, message_en: str, **flags) -> dict:
    return {"ok": True, "medium": medium_summary(medium), "message_ja": message_ja, "message_en": message_en, **flags}


def medium_summary(medium) -> dict:
    return {
        "id": medium.id, "contract": medium.contract_id, "kind": medium.kind, "title": medium.title,
        "status": medium.status, "location": medium.location_id, "custodian": medium.custodian_id,
        "record_count": medium.record_count, "quantity": medium.quantity, "encrypted": medium.encrypted,
        "updated_at": medium.updated_at,
    }


def _location_summary(code: str) -> dict:
    place = places.get_location(code)
    return {"code": place.code, "name": place.name, "purpose": place.purpose}


class LocalSink:
    """The scanning station's sink when it runs beside the database: same rules as the API."""

    def __init__(self, actor: User, secret: bytes):
        self.actor = actor
        self.secret = secret

    def record(self, scan: Scan) -> Outcome:
        context = scan.location_context if scan.action in ("store", "check") else scan.context
        status, answer = record(self.actor, scan.idempotency_key, scan.text, scan.action, context, self.secret)
        return Outcome(ok=status < 400, message_ja=answer.get("message_ja", ""), message_en=answer.get("message_en", ""))


def is_known(kind: str, canonical_id: str) -> bool:
    """For decoders: does the ledger know this medium or location ID?"""
    model = Location if kind == label_payload.KIND_LOCATION else Medium
    return model.select().where(model._meta.primary_key == canonical_id).exists()


MAX_BATCH = 500

# What a tap on a medium's page does in an open paper the medium fits, per action.
SCAN_INTO = {
    "receive": ("受領として読み取る", "scan as received"),
    "return": ("返還に加える", "add to the return"),
    "send": ("移送の発送に加える", "add to the departure"),
    "arrive": ("到着を読み取る", "scan as arrived"),
}


def papers_open_for(actor: User, medium: Medium) -> list[tuple[str, str]]:
    """(number, action) of the open handovers and transfers this medium could be scanned into now,
    so a phone that opened the medium's page from its label records the scan with one tap."""
    if not access.allows(access.require_custody, actor, medium.contract):
        return []
    found = []
    open_handovers = Handover.select().where((Handover.contract == medium.contract_id) & (Handover.status == "open"))
    for handover in open_handovers.order_by(Handover.number):
        fits = medium.status == "expected" if handover.direction == "receive" else medium.status in handovers.RETURNABLE
        if fits:
            found.append((handover.number, handover.direction))
    moving = Transfer.select().where((Transfer.contract == medium.contract_id) & (Transfer.status != "arrived"))
    for transfer in moving.order_by(Transfer.number):
        action = transfers.scan_action(transfer)
        if medium.status in (transfers.SENDABLE if action == "send" else ("in_transit",)):
            found.append((transfer.number, action))
    return found


def scan_batch(actor: User, codes: list[str], action: str, context: str | None, secret: bytes,
               source: str | None = None, sources: dict[str, str] | None = None, confirmed: bool = False) -> list[dict]:
    """A phone's or handheld scanner's list of codes, each acted on by itself, in order: every
    code gets its own answer, a refused code changes nothing, and the codes before and after it
    are still recorded (each in its own transaction). Resending the list is harmless — a label
    scanned before answers "duplicate" and records nothing. The same rule on every batch route,
    web and API. How each code arrived: ``sources[code]`` where given, else ``source``."""
    inputs.parse_choice(action, ACTIONS, "操作", "action")
    for given in [source, *(sources or {}).values()]:
        if given is not None:
            inputs.parse_choice(given, SOURCES, "読取りの方法", "source")
    codes = [code.strip() for code in codes if isinstance(code, str) and code.strip()]
    if not codes:
        raise InvalidInput("読み取ったコードがありません", "no codes were scanned")
    if len(codes) > MAX_BATCH:
        raise InvalidInput(f"一度に送れるのは{MAX_BATCH}件までです（{len(codes)}件）",
                           f"at most {MAX_BATCH} codes at once ({len(codes)} sent)")
    answers = []
    for code in codes:
        try:
            arrived = (sources or {}).get(code, source)
            with ledger.arrived_by(arrived):
                _status, answer = _answer_one(actor, code, action, context, secret, arrived, confirmed)
        except Exception:  # a fault of ours on one code must not cost the person the others
            log.exception("scan of one code in a batch failed")
            answer = {"ok": False, "error": "internal_error", "message_ja": "この読取りを処理できませんでした（システムの不具合）。記録していません。管理者に連絡してください",
                      "message_en": "this scan could not be processed (a fault in the system); nothing was recorded. Tell the administrator"}
        answers.append({"code": printable(code), **answer})
    return answers


def printable(text: str, limit: int = 200) -> str:
    """``text`` safe to show and to send back: broken characters replaced, cut to ``limit``."""
    return text.encode("utf-8", "replace").decode("utf-8")[:limit]


MAX_PHOTOS = 10  # per request: each photo costs up to a second of decoding
MAX_PHOTO_BYTES = 25 * 1024 * 1024


def decode_photos(photos: list[tuple[str, bytes]]) -> tuple[list[str], list[dict]]:
    """Codes read from photos a phone uploaded (its camera is off-limits on a plain-HTTP
    address); returns (codes, one refusal per photo that could not be read)."""
    from scanner.decode import decode
    from scanner.images import ImageRejected, load_image

    codes, problems = [], []
    if len(photos) > MAX_PHOTOS:
        problems.append({"code": "", "ok": False,
                         "message_ja": f"写真は一度に{MAX_PHOTOS}枚までです（{len(photos)}枚）。最初の{MAX_PHOTOS}枚だけ読み取りました",
                         "message_en": f"at most {MAX_PHOTOS} photos at once ({len(photos)} sent); only the first {MAX_PHOTOS} were read"})
        photos = photos[:MAX_PHOTOS]
    for name, content in photos:
        name = printable(name or "photo", 100)
        try:
            hits = decode(load_image(content, max_bytes=MAX_PHOTO_BYTES))
        except ImageRejected as error:
            problems.append({"code": name, "ok": False, "message_ja": error.message_ja.replace("image", name, 1),
                             "message_en": error.message_en.replace("image", name, 1)})
            continue
        if not hits:
            problems.append({"code": name, "ok": False, "message_ja": f"{name}: コードが見つかりません（ピントと明るさを確認してください）",
                             "message_en": f"{name}: no code found (check focus and lighting)"})
        codes.extend(hit.text for hit in hits)
    return codes, problems
