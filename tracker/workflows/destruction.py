"""Erasure and destruction of media (消去・廃棄, Art. 17(2)–(5)).

The responsible person applies in advance, naming per medium the NIST SP 800-88 category (clear,
purge, destroy), the technique and, for physical destruction, the DIN 66399 / ISO/IEC 21964
level; only a municipality account approves, rejects (saying why) or withdraws an approval
before execution. On the scheduled day each medium's label is read at the destruction station —
a medium that is not on the approved application is refused on the spot — and what was done to
it is recorded with its verification; photos and erasure-tool reports are stored by SHA-256 the
moment they arrive, and the city's witness confirms with their own login or a signature drawn on
the screen. Completion checks that nothing is missing, makes the media ``destroyed`` (terminal)
and issues the 消去・廃棄証明書 in the same transaction.

Why so strict: a certificate that says "shredded" without a level, or that covers a medium whose
copy still exists, is exactly what went wrong in the 2019 Kanagawa HDD resale (see
REFERENCES.md), and the city can only check what the paper names.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta, timezone

from PIL import Image, UnidentifiedImageError

from tracker import db, ledger, vocabulary
from tracker.documents import destruction as destruction_papers
from tracker.errors import DomainError, InvalidInput, NeedsApproval, NotAllowed, WrongState
from tracker.models import (
    SANITIZATION_CATEGORIES,
    Contract,
    DestructionApplication,
    DestructionItem,
    Document,
    Evidence,
    Medium,
    User,
)
from tracker.timeutil import JST, format_jst, from_iso, now_iso, to_iso, to_jst, utc_now
from tracker.workflows import access, attachments, inputs, media, papers, profiles, subcontracting

APPLICATION_KIND = "destruction_application"
CERTIFICATE_KIND = "destruction_certificate"

# At rest in custody when applied for; at execution it may have been taken out to the work place
# where it is destroyed. Anything else (in transit, missing, returned...) is refused with the reason.
APPLICABLE = ("received", "stored")
EXECUTABLE = ("received", "stored", "in_use")
OPEN_STATUSES = ("applied", "approved")
GONE_STATUSES = ("returned", "destroyed")  # a copy in one of these needs no destruction here

MAX_ITEMS = 500
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024  # a phone photo is 2–8 MB; an erasure report far less
MAX_SIGNATURE_BYTES = 1024 * 1024
# How a photo's recorded time is judged is the papers' rule too (the certificate prints the flag).
PHOTO_STAGES = destruction_papers.PHOTO_STAGES
CLOCK_TOLERANCE_SECONDS = destruction_papers.CLOCK_TOLERANCE_SECONDS
photo_flags = destruction_papers.photo_flags
UPLOAD_STAGES = PHOTO_STAGES + ("report",)

# ---- methods: NIST SP 800-88 category and technique, DIN 66399 level ---------------------------

ALL_KINDS = ("paper", "usb", "hdd", "ssd", "optical", "tape", "other")


@dataclass(frozen=True)
class Technique:
    categories: tuple[str, ...]
    kinds: tuple[str, ...]  # the medium kinds it works on ("other" is never refused)


# NIST SP 800-88 App. A in short: paper and optical discs can only be destroyed; degaussing does
# nothing to flash; NVMe Sanitize needs an NVMe drive; a crypto erase needs encrypted data.
# Names for people: vocabulary.SANITIZATION_TECHNIQUES.
TECHNIQUES = {
    "overwrite": Technique(("clear", "purge"), ("hdd", "ssd", "usb", "tape")),
    "secure_erase": Technique(("purge",), ("hdd", "ssd")),
    "nvme_sanitize": Technique(("purge",), ("ssd",)),
    "block_erase": Technique(("purge",), ("ssd", "usb")),
    "crypto_erase": Technique(("purge",), ("hdd", "ssd", "usb")),
    "degauss": Technique(("purge",), ("hdd", "tape")),
    "shred": Technique(("destroy",), ALL_KINDS),
    "disintegrate": Technique(("destroy",), ALL_KINDS),
    "crush": Technique(("destroy",), ("hdd", "ssd", "usb", "optical")),
    "incinerate": Technique(("destroy",), ALL_KINDS),
    "pulp": Technique(("destroy",), ("paper",)),
}

# DIN 66399 material classes, and which fit which kind of medium ("other": any).
MATERIAL_CLASSES = {
    "P": ("紙", "paper"), "F": ("フィルム", "film"), "O": ("光ディスク", "optical disc"),
    "T": ("磁気媒体", "magnetic media"), "H": ("ハードディスク", "hard disk"), "E": ("電子媒体", "electronic media"),
}
CLASSES_FOR_KIND = {"paper": "P", "usb": "E", "ssd": "E", "hdd": "H", "optical": "O", "tape": "T", "other": "PFOTHE"}
_LEVEL = re.compile(r"^([PFOTHE])-?([1-7])$")
_DASHES = str.maketrans({dash: "-" for dash in "‐‑‒–—―ー−"})
# Protection class 2 (levels 3–5) is the floor for personal data (DIN 66399-2, REFERENCES.md).
# Refused, not merely warned about: every medium under these provisions holds personal data
# (its item list may just be empty), and a certificate naming level 2 would look complete to a
# reader who does not know the standard — the city can only rely on what the paper names.
MINIMUM_LEVEL = 3


@dataclass(frozen=True)
class Method:
    """What is to be done to one medium, as applied for and approved."""

    category: str
    technique: str
    level: str = ""
    tool: str = ""
    tool_version: str = ""
    subcontractor: str = ""

    def as_row(self) -> dict:
        return asdict(self)


METHOD_FIELDS = tuple(field.name for field in fields(Method))  # what a form or the API gives per medium


def check_method(medium: Medium, category: str, technique: str, level: str = "", tool: str = "",
                 tool_version: str = "", subcontractor: str = "") -> Method:
    """One medium's method, checked against what the standards allow for its kind."""
    category = inputs.parse_choice((category or "").strip(), SANITIZATION_CATEGORIES, "消去・廃棄の区分", "category")
    technique = (technique or "").strip()
    found = TECHNIQUES.get(technique)
    if found is None:
        raise InvalidInput(f"方法「{technique}」は {' / '.join(TECHNIQUES)} のいずれかです",
                           f"technique {technique!r} must be one of {', '.join(TECHNIQUES)}")
    kind = medium.kind
    if kind != "other" and not any(category in t.categories and kind in t.kinds for t in TECHNIQUES.values()):
        raise InvalidInput(f"{_kind_ja(kind)}は物理的な破壊（destroy）しかできません（NIST SP 800-88）",
                           f"a medium of kind {kind} can only be destroyed (NIST SP 800-88)")
    name_ja, name_en = technique_name(technique)
    if category not in found.categories:
        raise InvalidInput(f"「{name_ja}」は区分 {category} の方法ではありません（{'/'.join(found.categories)}）",
                           f"{name_en} is not a {category} technique ({'/'.join(found.categories)})")
    if kind != "other" and kind not in found.kinds:
        raise InvalidInput(f"「{name_ja}」は{_kind_ja(kind)}には使えません", f"{name_en} does not work on a medium of kind {kind}")
    if technique == "crypto_erase" and not medium.encrypted:
        raise InvalidInput("暗号化の記録がない媒体に暗号化消去はできません（鍵を破棄しても平文が残ります）",
                           "a cryptographic erase needs a medium recorded as encrypted (otherwise the plain data stays)")
    if category == "destroy":
        profile = profiles.for_contract(medium.contract)
        level = parse_level(level, kind, profile.destruction.minimum_level, profile.cite(profile.destruction.report_article))
    else:
        level = _no_level(level)
    tool = (tool or "").strip()[:200]
    tool_version = (tool_version or "").strip()[:100]
    if category != "destroy" and not (tool and tool_version):
        raise InvalidInput("消去（clear / purge）には使用するツールとそのバージョンを入力してください",
                           "clear and purge need the tool and its version")
    return Method(category, technique, level, tool, tool_version, subcontracting.require_approved(medium.contract, subcontractor))


def parse_level(value: str, kind: str, minimum: dict[str, int] | None = None,
                cite: tuple[str, str] | None = None) -> str:
    """``H-5`` from ``h5``, ``Ｈ－５`` or ``H‐5``; refused when missing, malformed, of another
    material class than the medium, below protection class 2, or below the level the contract's
    provisions ask for that material class (``minimum``, cited as ``cite``)."""
    text = unicodedata.normalize("NFKC", value or "").strip().upper().translate(_DASHES).replace(" ", "")
    if not text:
        raise InvalidInput("物理破壊（destroy）には DIN 66399 / ISO 21964 のセキュリティレベル（例: P-4, H-5, E-4, O-3）を入力してください。「破砕」だけでは足りません",
                           "destroy needs the DIN 66399 / ISO 21964 security level (e.g. P-4, H-5, E-4, O-3); 'shredded' alone is not enough")
    match = _LEVEL.match(text)
    if not match:
        raise InvalidInput(f"セキュリティレベル「{value}」は P/F/O/T/H/E の記号と1〜7の数字です（例: H-5）",
                           f"security level {value!r} must be a class letter P/F/O/T/H/E and 1-7 (e.g. H-5)")
    letter, number = match.group(1), int(match.group(2))
    allowed = CLASSES_FOR_KIND.get(kind, "PFOTHE")
    if letter not in allowed:
        wanted = "、".join(f"{c}（{MATERIAL_CLASSES[c][0]}）" for c in allowed)
        raise InvalidInput(f"{_kind_ja(kind)}のレベルは {wanted} で指定してください（{letter}-{number} は{MATERIAL_CLASSES[letter][0]}用）",
                           f"a {kind} medium takes class {'/'.join(allowed)} levels ({letter}-{number} is for {MATERIAL_CLASSES[letter][1]})")
    if number < MINIMUM_LEVEL:
        raise InvalidInput(
            f"個人情報を記録した媒体には保護クラス2以上（セキュリティレベル{MINIMUM_LEVEL}以上、例: {letter}-4）が必要です（指定: {letter}-{number}）",
            f"media holding personal data need protection class 2 or higher (level {MINIMUM_LEVEL} or above, e.g. {letter}-4; given {letter}-{number})",
        )
    required = (minimum or {}).get(letter, MINIMUM_LEVEL)
    if number < required:
        cite_ja, cite_en = cite or ("", "")
        raise InvalidInput(
            f"この契約の特記事項では{MATERIAL_CLASSES[letter][0]}のセキュリティレベルは {letter}-{required} 以上です（指定: {letter}-{number}。{cite_ja}）",
            f"this contract's provisions ask for {MATERIAL_CLASSES[letter][1]} at level {letter}-{required} or above (given {letter}-{number}; {cite_en})",
        )
    return f"{letter}-{number}"


def _no_level(value: str) -> str:
    if (value or "").strip():
        raise InvalidInput("セキュリティレベル（DIN 66399）は物理破壊（destroy）にだけ指定します",
                           "a DIN 66399 security level applies only to destroy")
    return ""


# ---- application and the city's decision -------------------------------------------------------


def apply(
    actor: User,
    contract_code: str,
    items: list[dict],
    *,
    reason: str,
    scheduled_at: str,
    place: str,
    copies_statement: str,
    verification_plan: str,
    witness_requested: bool = False,
) -> DestructionApplication:
    """The 消去・廃棄申請書 (Art. 17(2)): all the media listed, or none.

    ``items``: one dict per medium with ``medium`` (its ID) and the method fields of
    :func:`check_method`. Every medium that cannot be applied for is named with its reason.
    """
    contract = access.get_contract(contract_code)
    access.require_responsible(actor, contract)
    _require_witness_rule(contract, bool(witness_requested))
    row = {
        "contract": contract.code, "status": "applied",
        "reason": inputs.require_text(reason, "消去・廃棄の理由", "reason", 500),
        "scheduled_at": inputs.parse_local_time(scheduled_at, "処理予定日時", "scheduled time"),
        "place": inputs.require_text(place, "処理場所", "place", 200),
        "witness_requested": bool(witness_requested),
        "copies_statement": inputs.require_text(copies_statement, "複製・バックアップの扱い", "copies and backups statement", 2000),
        "verification_plan": inputs.require_text(verification_plan, "検証の方法", "verification plan", 2000),
        "applied_by": actor.login,
    }
    if to_jst(row["scheduled_at"]).date() < _today():
        raise InvalidInput("処理予定日が過去の日付です", "the scheduled date is in the past")
    if not items:
        raise InvalidInput("消去・廃棄する媒体を選んでください", "choose the media to erase or destroy")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"一度に申請できるのは{MAX_ITEMS}件までです", f"at most {MAX_ITEMS} media per application")
    with db.writing():
        planned = _checked_items(contract.code, items)
        number = inputs.next_number(DestructionApplication, contract.code, "A")
        row["applied_at"] = now_iso()
        ledger.append(
            "destruction.applied", actor.login, contract=contract.code, data={"number": number, "media": list(planned)},
            changes={"destruction_application": {number: row},
                     "destruction_item": {inputs.item_key(number, medium_id): {"application": number, "medium": medium_id, **method.as_row()}
                                          for medium_id, method in planned.items()}},
            media=list(planned),
        )
    return get_application(number)


def _require_witness_rule(contract: Contract, witness_requested: bool) -> None:
    """Whether the city witnesses is the contract's provisions' call: always, on request, never."""
    rule = profiles.for_contract(contract).destruction
    profiles.require_allowed(contract, "この契約の特記事項では、消去・廃棄には必ず市の立会いを求めます。立会いありで申請してください",
                             "this contract's provisions have the city witness every destruction; apply with the witness",
                             rule.witness_article, witness_requested or rule.witness != "always")
    profiles.require_allowed(contract, "この契約の特記事項には市の立会いの定めがありません。立会いなしで申請してください",
                             "this contract's provisions make no provision for a city witness; apply without one",
                             rule.witness_article, not witness_requested or rule.witness != "never")


def _checked_items(contract_code: str, items: list[dict]) -> dict[str, Method]:
    """Each medium and its method, or one refusal naming every medium that cannot be applied for."""
    planned: dict[str, Method] = {}
    problems: list[tuple[str, DomainError]] = []
    for item in items:
        medium_id = str(item.get("medium") or "")
        try:
            medium = media.get_medium(medium_id)
            medium_id = medium.id
            if medium.id in planned:
                raise InvalidInput("2回指定されています", "listed twice")
            if medium.contract_id != contract_code:
                raise WrongState(f"別の契約（{medium.contract_id}）の媒体です", f"belongs to another contract ({medium.contract_id})")
            planned[medium.id] = check_method(medium, **{name: item.get(name) or "" for name in METHOD_FIELDS})
            _require_applicable(medium)
        except DomainError as error:
            problems.append((medium_id, error))
    for medium_id in planned:
        try:
            _require_copies_covered(Medium.get_by_id(medium_id), set(planned))
        except DomainError as error:
            problems.append((medium_id, error))
    if problems:
        _refuse_all(problems)
    return planned


def _require_applicable(medium: Medium) -> None:
    if medium.status == "in_use":
        raise WrongState(f"{medium.id} は作業場所に持ち出し中です。保管場所に戻してから申請してください",
                         f"{medium.id} is out at a work place; store it before applying", id=medium.id)
    media.require_status(medium, APPLICABLE)
    open_item = (DestructionItem.select().join(DestructionApplication)
                 .where((DestructionItem.medium == medium.id) & DestructionApplication.status.in_(OPEN_STATUSES)).first())
    if open_item:
        raise WrongState(f"{medium.id} は既に廃棄申請 {open_item.application_id} に含まれています",
                         f"{medium.id} is already on destruction application {open_item.application_id}", id=medium.id)


def _require_copies_covered(medium: Medium, covered: set[str]) -> None:
    """Every copy (and copy of a copy) must be returned, destroyed or on the same application:
    destroying an original while its copy lives on is not a destruction of the data."""
    loose, pending = [], list(medium.copies)
    while pending:
        copy = pending.pop()
        if copy.status not in GONE_STATUSES and copy.id not in covered:
            loose.append(copy.id)
        pending.extend(copy.copies)
    if loose:
        listed = "、".join(sorted(loose))
        raise WrongState(
            f"{medium.id} の複製 {listed} が返還・廃棄されていません。同じ申請に加えるか、先に返還・廃棄してください",
            f"{medium.id} has copies not yet returned or destroyed ({', '.join(sorted(loose))}); add them to this application or dispose of them first",
            id=medium.id, copies=sorted(loose),
        )


def _refuse_all(problems: list[tuple[str, DomainError]]) -> None:
    kind = InvalidInput if all(isinstance(error, InvalidInput) for _, error in problems) else WrongState
    refused = [{"id": medium_id, "message_ja": error.message_ja, "message_en": error.message_en} for medium_id, error in problems]
    raise kind(
        "次の媒体は申請できません（何も記録していません）: " + "；".join(f"{medium_id}: {error.message_ja}" for medium_id, error in problems),
        "these media cannot be applied for (nothing was recorded): " + "; ".join(f"{medium_id}: {error.message_en}" for medium_id, error in problems),
        refused=refused,
    )


def decide(city_user: User, number: str, approve: bool, note: str = "") -> DestructionApplication:
    """The city approves (with any conditions) or rejects (saying why). The approval number is the
    application number with 「-承認」: one approval per application, visibly linked to it."""
    access.require_municipality(city_user, get_application(number).contract)
    note = inputs.decision_note(approve, note)
    with db.writing():
        found = get_application(number)
        if found.status != "applied":
            raise WrongState(f"{found.number} は既に判断済みです（{found.status}）", f"{found.number} was already decided ({found.status})")
        status = "approved" if approve else "rejected"
        row = {"status": status, "decided_by": city_user.login, "decided_at": now_iso(), "decision_note": note[:2000],
               "approval_number": approval_number(found.number) if approve else ""}
        ledger.append(f"destruction.{status}", city_user.login, contract=found.contract_id,
                      data={"number": found.number, "note": note, "approval_number": row["approval_number"]},
                      changes={"destruction_application": {found.number: row}}, media=_medium_ids(found))
    return get_application(number)


def approval_number(number: str) -> str:
    return f"{number}-承認"


def withdraw(city_user: User, number: str, reason: str) -> DestructionApplication:
    """The city takes its approval back before anything is destroyed; the media are free again.
    The withdrawal is the application's latest decision (who, when, why); the approval stays in
    the ledger."""
    access.require_municipality(city_user, get_application(number).contract)
    reason = inputs.require_text(reason, "撤回の理由", "reason for the withdrawal", 2000)
    with db.writing():
        found = get_application(number)
        if found.status != "approved":
            raise WrongState(f"{found.number} は承認済みではないため撤回できません（{found.status}）",
                             f"{found.number} is not approved, so there is nothing to withdraw ({found.status})")
        done = [item.medium_id for item in found.items if item.destroyed_at]
        if done:
            raise WrongState(f"既に廃棄が記録された媒体があるため撤回できません: {'、'.join(done)}",
                             f"media were already recorded as destroyed, so the approval can no longer be withdrawn: {', '.join(done)}")
        ledger.append("destruction.withdrawn", city_user.login, contract=found.contract_id, data={"number": found.number, "reason": reason},
                      changes={"destruction_application": {found.number: {
                          "status": "withdrawn", "decided_by": city_user.login, "decided_at": now_iso(), "decision_note": reason}}},
                      media=_medium_ids(found))
    return get_application(number)


# ---- execution ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    item: DestructionItem
    fresh: bool  # False: scanned before; nothing recorded

    @property
    def message(self) -> tuple[str, str]:
        medium = self.item.medium
        if not self.fresh:
            return (f"{medium.id} は読取り済みです（二重読取り）", f"{medium.id} was already scanned (duplicate)")
        method = self.item
        return (f"{medium.id} {medium.title}：廃棄対象（{method.category} / {technique_name(method.technique)[0]} {method.level}）",
                f"{medium.id} {medium.title}: to be destroyed ({method.category} / {technique_name(method.technique)[1]} {method.level})")


def scan(actor: User, number: str, medium_id: str, label_read: bool = True, identified_by: str | None = None) -> ScanResult:
    """The medium's label read at the destruction station, before it is destroyed.

    ``label_read``: the label's signed QR was read, not an ID typed in — only the label itself
    shows the medium is at the station (a typed ID confirmed by the person passes as
    ``label_read`` and is recorded as ``identified_by="typed"``). A medium not on the approved
    application is refused on the spot: that is the moment a wrong disk can still be saved.
    """
    application = get_application(number)
    access.require_custody(actor, application.contract)
    with db.writing():
        application = _executable(number)
        medium = media.get_medium(medium_id)
        key = inputs.item_key(application.number, medium.id)
        item = DestructionItem.get_or_none(DestructionItem.key == key)
        if item is None:
            raise WrongState(
                f"{medium.id} {medium.title} は承認された廃棄申請 {application.number} に含まれていません。廃棄しないでください",
                f"{medium.id} {medium.title} is not on the approved destruction application {application.number}: do not destroy it",
                id=medium.id,
            )
        if not label_read:
            raise InvalidInput(
                f"{medium.id}: 廃棄の前には媒体のラベル（QRコード）そのものを読み取ってください。手入力のIDでは媒体がここにあることを示せません（ラベルが傷んでいれば再印刷してください）",
                f"{medium.id}: read the medium's label (QR code) itself before destroying it; a typed ID does not show the medium is here (reprint a damaged label)",
                id=medium.id,
            )
        if item.scanned_at:
            return ScanResult(item, fresh=False)
        media.require_status(medium, EXECUTABLE)
        _require_at_recorded_site(application, medium)
        now = now_iso()
        changes = {"destruction_item": {key: {"scanned_at": now, "identified_by": identified_by}}}
        if not application.started_at:
            changes["destruction_application"] = {application.number: {"started_at": now, "operator": actor.login}}
        ledger.append("destruction.scanned", actor.login, contract=application.contract_id,
                      data={"number": application.number, "medium": medium.id}, changes=changes, media=[medium.id])
    return ScanResult(DestructionItem.get_by_id(key), fresh=True)


def record_destroyed(actor: User, number: str, medium_ids: list[str] | None, verification_method: str,
                     verification_result: str, destination: str) -> list[DestructionItem]:
    """What was done, and how it was verified, for some media or (``medium_ids`` empty) every
    scanned medium not yet recorded: one record for a batch that went through the shredder together."""
    application = get_application(number)
    access.require_custody(actor, application.contract)
    details = {
        "verification_method": inputs.require_text(verification_method, "検証の方法", "verification method", 500),
        "verification_result": inputs.require_text(verification_result, "検証の結果", "verification result", 500),
        "destination": inputs.require_text(destination, "処理後の引渡先・処分先", "destination of the remains", 300),
    }
    with db.writing():
        application = _executable(number)
        items = {item.medium_id: item for item in application.items}
        if medium_ids:
            wanted = [media.get_medium(medium_id).id for medium_id in medium_ids]
            outside = [medium_id for medium_id in wanted if medium_id not in items]
            if outside:
                raise WrongState(f"この申請にない媒体です: {'、'.join(outside)}", f"not on this application: {', '.join(outside)}")
            chosen = [items[medium_id] for medium_id in dict.fromkeys(wanted)]
        else:
            chosen = [item for item in items.values() if item.scanned_at and not item.destroyed_at]
        if not chosen:
            raise WrongState("記録する媒体がありません（先にラベルを読み取ってください）", "nothing to record (scan the labels first)")
        for item in chosen:
            if not item.scanned_at:
                raise WrongState(f"{item.medium_id} のラベルがまだ読み取られていません。廃棄の前に読み取ってください",
                                 f"{item.medium_id} has not been scanned yet; scan its label before destroying it", id=item.medium_id)
            if item.destroyed_at:
                raise WrongState(f"{item.medium_id} は既に廃棄を記録済みです", f"{item.medium_id} was already recorded as destroyed", id=item.medium_id)
        now = now_iso()
        keys = [item.key for item in chosen]
        ledger.append("destruction.destroyed", actor.login, contract=application.contract_id,
                      data={"number": application.number, "media": [item.medium_id for item in chosen], **details},
                      changes={"destruction_item": {key: {"destroyed_at": now, "destroyed_by": actor.login, **details} for key in keys}},
                      media=[item.medium_id for item in chosen])
    return [DestructionItem.get_by_id(key) for key in keys]


# ---- evidence ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Photo:
    media_type: str
    taken_at: str | None  # UTC ISO from EXIF DateTimeOriginal; None when the photo has none


def add_evidence(actor: User, settings, number: str, stage: str, content: bytes, filename: str = "",
                 media_type: str = "", medium_id: str | None = None, max_bytes: int = MAX_EVIDENCE_BYTES) -> Evidence:
    """A photo (before / during / after) or an erasure-tool report, stored by SHA-256 and cited by
    the ledger at once. Photos must be real images; their EXIF time is kept beside the server's
    receipt time, and a photo without one, or more than ``CLOCK_TOLERANCE_SECONDS`` from it, is
    accepted but flagged (``photo_flags``): photos are taken on the execution page and sent at
    once, so a larger gap means a wrong camera clock or a photo taken at another time, which the
    reader must see rather than trust. A refusal stores nothing."""
    application = get_application(number)
    access.require_custody(actor, application.contract)
    stage = inputs.parse_choice(stage, UPLOAD_STAGES, "証跡の種類", "evidence stage")
    filename = (filename or "").strip()[:200] or stage
    require_size(len(content), filename, max_bytes)
    if stage in PHOTO_STAGES:
        photo = read_photo(content, filename)
        media_type, taken_at = photo.media_type, photo.taken_at
    else:
        media_type, taken_at = (media_type or "application/octet-stream")[:100], None
    with db.writing():
        application = _executable(number)
        medium = _medium_on(application, medium_id) if medium_id else None
        return _store_evidence(actor, settings, application, stage, content, media_type, filename, medium, taken_at)


def _store_evidence(actor, settings, application, stage, content, media_type, filename, medium, taken_at) -> Evidence:
    """Store the file and record it, inside the caller's write lock."""
    sha256, changes = attachments.store(settings.attachments_dir, content, media_type, filename)
    key = inputs.item_key(application.number, sha256)
    earlier = Evidence.get_or_none(Evidence.key == key)
    if earlier:
        raise WrongState(f"このファイルは既に登録されています（{stage_name(earlier.stage)[0]}、SHA-256 {sha256[:12]}…）",
                         f"this file was already added ({earlier.stage}, SHA-256 {sha256[:12]}…)")
    uploaded_at = now_iso()
    skew = int((from_iso(taken_at) - from_iso(uploaded_at)).total_seconds()) if taken_at else None
    changes["evidence"] = {key: {"paper": application.number, "medium": medium.id if medium else None, "stage": stage,
                                 "attachment": sha256, "taken_at": taken_at, "clock_skew_seconds": skew,
                                 "uploaded_by": actor.login, "uploaded_at": uploaded_at}}
    ledger.append("destruction.evidence_added", actor.login, contract=application.contract_id,
                  data={"number": application.number, "stage": stage, "sha256": sha256, "name": filename,
                        "taken_at": taken_at, "clock_skew_seconds": skew},
                  changes=changes, media=[medium.id] if medium else [])
    return Evidence.get_by_id(key)


def require_size(size: int, filename: str, max_bytes: int = MAX_EVIDENCE_BYTES) -> None:
    """Callable before the upload is read, with the size the client declared."""
    if size > max_bytes:
        raise InvalidInput(f"{filename} は大きすぎます（{_megabytes(size)} MB、上限 {_megabytes(max_bytes)} MB）。何も記録していません",
                           f"{filename} is too large ({_megabytes(size)} MB, limit {_megabytes(max_bytes)} MB); nothing was recorded")
    if size == 0:
        raise InvalidInput(f"{filename} は空のファイルです", f"{filename} is empty")


def read_photo(content: bytes, filename: str) -> Photo:
    """Refuse anything that is not a complete image (the scanner's own safe loader), and read
    when it was taken: EXIF DateTimeOriginal (tag 0x9003 in the Exif IFD), in the zone of its
    OffsetTimeOriginal (0x9011) when the camera wrote one — otherwise in JST, since a phone's
    camera clock is set to local time and these photos are taken in Japan."""
    from scanner.images import ImageRejected, load_image

    try:
        load_image(content)
    except ImageRejected as error:  # its messages name the bytes "image"; name the file instead
        raise InvalidInput(error.message_ja.replace("image", filename, 1) + "。何も記録していません",
                           error.message_en.replace("image", filename, 1) + "; nothing was recorded", reason=error.reason) from None
    try:
        with Image.open(io.BytesIO(content)) as image:
            media_type = Image.MIME.get(image.format or "", "application/octet-stream")
            exif = image.getexif().get_ifd(0x8769)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        media_type, exif = "application/octet-stream", {}
    return Photo(media_type, _exif_time(exif.get(0x9003), exif.get(0x9011)))


def _exif_time(original, offset) -> str | None:
    try:
        moment = datetime.strptime(str(original).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except (TypeError, ValueError):
        return None
    zone = JST
    match = re.fullmatch(r"([+-])(\d{2}):(\d{2})", str(offset or "").strip("\x00 "))
    if match:
        sign = 1 if match.group(1) == "+" else -1
        zone = timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
    return to_iso(moment.replace(tzinfo=zone))


def witness(city_user: User, settings, number: str, device_user: User | None = None, signature: str = "") -> DestructionApplication:
    """The city's witness (Art. 17(3)) confirms with their own credentials, as a handover's
    confirmation: their own login, or their login and password typed on the contractor's device
    (``device_user``, who holds custody; the web form checks the password). Never a name typed by
    the contractor: only the city's own account can be the witness of the city's contract. A
    signature drawn on the screen (a PNG data URL from the canvas) may be kept beside it, stored
    as an attachment like any photo."""
    application = get_application(number)
    access.require_municipality(city_user, application.contract)
    if device_user is not None:
        access.require_custody(device_user, application.contract)
    drawn = signature_png(signature) if signature else None
    row = {"witness": city_user.login}
    with db.writing():
        application = _executable(number)
        if application.witnessed_at:
            raise WrongState("立会いは既に記録されています", "the witness was already recorded")
        if drawn is not None:
            evidence = _store_evidence(device_user or city_user, settings, application, "signature", drawn, "image/png",
                                       "signature.png", None, None)
            row["witness_signature"] = evidence.attachment_id
        row["witnessed_at"] = now_iso()
        ledger.append("destruction.witnessed", city_user.login, contract=application.contract_id,
                      data={"number": application.number, "method": "same_device" if device_user else "own_login",
                            "device_user": device_user.login if device_user else None, "name": city_user.name},
                      changes={"destruction_application": {application.number: row}})
    return get_application(number)


def signature_png(data_url: str) -> bytes:
    """The PNG bytes of a canvas's ``data:image/png;base64,...``; refused when not a PNG or blank."""
    prefix = "data:image/png;base64,"
    text = (data_url or "").strip()
    if not text.startswith(prefix):
        raise InvalidInput("署名を画面に書いてください", "draw the signature on the screen")
    if len(text) > MAX_SIGNATURE_BYTES * 4 // 3 + len(prefix) + 4:
        raise InvalidInput("署名の画像が大きすぎます", "the signature image is too large")
    try:
        content = base64.b64decode(text[len(prefix):], validate=True)
        with Image.open(io.BytesIO(content)) as image:
            if image.format != "PNG" or image.width * image.height > 4_000_000:
                raise ValueError(image.format)
            image.load()
            white = Image.new("RGBA", image.size, "white")
            drawn = Image.alpha_composite(white, image.convert("RGBA")).convert("L")
    except (binascii.Error, UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        # a decompression bomb (30,000 x 30,000 pixels in a few KB) is refused from its header
        raise InvalidInput("署名の画像を読めません。もう一度書いてください", "the signature image cannot be read; draw it again") from None
    if drawn.point(lambda value: 255 if value < 128 else 0).getbbox() is None:
        raise InvalidInput("署名が空です。画面に署名を書いてください", "the signature is blank; draw it on the screen")
    return content


# ---- completion --------------------------------------------------------------------------------


def complete(actor: User, settings, number: str, verifier: str) -> Document:
    """Close the destruction: every medium destroyed and verified, photos before and after,
    the verifier named, the witness recorded if the city asked for one, no copy left behind.
    The media become ``destroyed`` (terminal) and the certificate is issued, in one transaction."""
    application = get_application(number)
    access.require_custody(actor, application.contract)
    verifier_user = access.get_user(inputs.require_text(verifier, "確認者（ログインID）", "verifier (login)", 64))
    try:
        access.require_custody(verifier_user, application.contract)
    except NotAllowed as error:
        raise InvalidInput(f"確認者: {error.message_ja}", f"verifier: {error.message_en}") from None
    with db.writing():
        application = _executable(number)
        items = list(application.items)
        missing = missing_for_completion(application, items)
        if missing:
            raise WrongState("完了できません: " + "；".join(ja for ja, _ in missing),
                             "cannot complete: " + "; ".join(en for _, en in missing))
        covered = {item.medium_id for item in items}
        for item in items:
            _require_copies_covered(item.medium, covered)
            media.require_status(item.medium, EXECUTABLE)
        now = now_iso()
        ledger.append(
            "destruction.completed", actor.login, contract=application.contract_id,
            data={"number": application.number, "verifier": verifier_user.login, "media": sorted(covered)},
            changes={"destruction_application": {application.number: {"status": "completed", "completed_at": now,
                                                                       "verifier": verifier_user.login}},
                     "medium": {medium_id: {"status": "destroyed", "location": None, "custodian": None, "purpose": "",
                                            "due_back": None, "updated_at": now} for medium_id in covered}},
        )
        return papers.issue(actor, settings, application.contract_id, CERTIFICATE_KIND, application.number,
                            lambda paper: destruction_papers.certificate(get_application(number), paper, settings.attachments_dir),
                            media=sorted(covered))


def missing_for_completion(application: DestructionApplication, items: list[DestructionItem] | None = None) -> list[tuple[str, str]]:
    """What still stands between the destruction and its certificate, in both languages (the
    execution page shows the same list as a checklist)."""
    items = list(application.items) if items is None else items
    missing = []
    not_done = [item.medium_id for item in items if not item.destroyed_at]
    if not_done:
        missing.append((f"廃棄が記録されていない媒体: {'、'.join(not_done)}", f"not yet recorded as destroyed: {', '.join(not_done)}"))
    photos = list(Evidence.select().where((Evidence.paper == application.number) & Evidence.stage.in_(("before", "after"))))
    for stage in ("before", "after"):
        batch = any(photo.stage == stage and photo.medium is None for photo in photos)
        lacking = [] if batch else [item.medium_id for item in items
                                    if not any(photo.stage == stage and photo.medium == item.medium_id for photo in photos)]
        if lacking:
            ja, en = stage_name(stage)
            missing.append((f"{ja}の写真がない媒体: {'、'.join(lacking)}", f"no {en} photo for: {', '.join(lacking)}"))
    if application.witness_requested and not application.witnessed_at:
        missing.append(("市の立会いが求められていますが、まだ記録されていません", "the city asked to witness; the witness is not recorded yet"))
    return missing


# ---- reading -----------------------------------------------------------------------------------


def get_application(number: str) -> DestructionApplication:
    return inputs.find_paper(DestructionApplication, number, "廃棄申請", "destruction application")


def preview_application(actor: User, number: str, settings) -> bytes:
    application = get_application(number)
    access.require_read(actor, application.contract)
    return papers.preview(settings, lambda paper: destruction_papers.application_paper(application, paper, preview=True))


def issue_application(actor: User, number: str, settings) -> Document:
    """The 申請書 as a numbered paper: once decided, with the city's decision in its approval block,
    for the city's file (before that, the preview shows it as it stands)."""
    application = get_application(number)
    access.require_read(actor, application.contract)
    if application.status == "applied":
        raise WrongState(f"{number} は市の判断前です。プレビューを利用してください", f"{number} is not decided by the city yet; use the preview")
    return papers.issue(actor, settings, application.contract_id, APPLICATION_KIND, application.number,
                        lambda paper: destruction_papers.application_paper(get_application(number), paper),
                        media=_medium_ids(application))


def preview_certificate(actor: User, number: str, settings) -> bytes:
    application = get_application(number)
    access.require_read(actor, application.contract)
    return papers.preview(settings, lambda paper: destruction_papers.certificate(application, paper, settings.attachments_dir))


def evidence_of(application: DestructionApplication) -> list[Evidence]:
    return list(Evidence.select().where(Evidence.paper == application.number).order_by(Evidence.uploaded_at, Evidence.key))


def evidence_file(actor: User, number: str, sha256: str) -> Evidence:
    """A photo or report of this application, for its page (and only of this application)."""
    application = get_application(number)
    access.require_read(actor, application.contract)
    found = Evidence.get_or_none(Evidence.key == inputs.item_key(application.number, (sha256 or "").lower()))
    if found is None:
        raise InvalidInput("この申請の証跡ではありません", "not evidence of this application")
    return found


@dataclass(frozen=True)
class DestroyedRecord:
    item: DestructionItem | None
    certificate: Document | None

    def message(self, medium: Medium) -> tuple[str, str]:
        if self.item is None or self.certificate is None:
            return (f"{medium.id} は廃棄済みと記録されていますが、廃棄証明書がありません（要確認）",
                    f"{medium.id} is recorded as destroyed, but there is no destruction certificate (check)")
        at = format_jst(self.item.destroyed_at)
        return (f"{medium.id} は {at} に廃棄済みです（廃棄証明書 {self.certificate.serial}、申請 {self.item.application_id}）。この媒体はもう取り扱えません",
                f"{medium.id} was destroyed on {at} (certificate {self.certificate.serial}, application {self.item.application_id}); it can no longer be handled")


def destroyed_record(medium_id: str) -> DestroyedRecord:
    """When and under which certificate a medium was destroyed: its completed application's item
    and the certificate issued for it (found by kind and subject)."""
    item = (DestructionItem.select().join(DestructionApplication)
            .where((DestructionItem.medium == medium_id) & (DestructionApplication.status == "completed")
                   & DestructionItem.destroyed_at.is_null(False)).first())
    return DestroyedRecord(item, papers.latest(CERTIFICATE_KIND, item.application_id) if item else None)


def destroyed_message(medium: Medium) -> tuple[str, str]:
    return destroyed_record(medium.id).message(medium)


def require_not_destroyed(medium: Medium) -> None:
    """A destroyed medium is terminal: every action on its label is refused, saying when and by
    which certificate it was destroyed."""
    if medium.status == "destroyed":
        raise WrongState(*destroyed_message(medium), id=medium.id, status=medium.status)


@dataclass(frozen=True)
class Attention:
    awaiting_approval: list[DestructionApplication]
    scheduled_today: list[DestructionApplication]

    def __bool__(self) -> bool:
        return bool(self.awaiting_approval or self.scheduled_today)


def needing_attention(contracts: list[str]) -> Attention:
    """For the dashboard: applications waiting for the city, and approved ones due today (JST)."""
    mine = DestructionApplication.contract.in_(contracts)
    approved = DestructionApplication.select().where(mine & (DestructionApplication.status == "approved"))
    return Attention(
        awaiting_approval=list(DestructionApplication.select().where(mine & (DestructionApplication.status == "applied"))
                               .order_by(DestructionApplication.number)),
        scheduled_today=[found for found in approved.order_by(DestructionApplication.scheduled_at)
                         if to_jst(found.scheduled_at).date() == _today()],
    )


def eligible_media(contracts: list[str]) -> list[Medium]:
    """Media that could go on an application now (for ticking on the form)."""
    on_open = (DestructionItem.select(DestructionItem.medium).join(DestructionApplication)
               .where(DestructionApplication.status.in_(OPEN_STATUSES)))
    return list(Medium.select().where(Medium.contract.in_(contracts) & Medium.status.in_(APPLICABLE) & Medium.id.not_in(on_open))
                .order_by(Medium.id))


def technique_name(technique: str) -> tuple[str, str]:
    return vocabulary.SANITIZATION_TECHNIQUES.get(technique, (technique, technique))


def stage_name(stage: str) -> tuple[str, str]:
    return vocabulary.EVIDENCE_STAGES.get(stage, (stage, stage))


# ---- helpers -----------------------------------------------------------------------------------


def _executable(number: str) -> DestructionApplication:
    """The application, re-read inside the lock, if it may be carried out now: approved by the
    city, not withdrawn, and its scheduled day (JST) has come."""
    application = get_application(number)
    if application.status == "withdrawn":
        raise NeedsApproval(f"市は {application.number} の承認を撤回しました（{application.decision_note}）。廃棄は実施できません",
                            f"the city withdrew its approval of {application.number} ({application.decision_note}); do not destroy anything")
    if application.status == "applied":
        raise NeedsApproval(f"廃棄申請 {application.number} はまだ市の承認を受けていません（第17条第2項）",
                            f"destruction application {application.number} has not been approved by the city yet (Art. 17(2))")
    if application.status == "rejected":
        raise NeedsApproval(f"市は廃棄申請 {application.number} を却下しました: {application.decision_note}",
                            f"the city rejected destruction application {application.number}: {application.decision_note}")
    if application.status == "completed":
        raise WrongState(f"廃棄申請 {application.number} は完了しています", f"destruction application {application.number} is already complete")
    day = to_jst(application.scheduled_at).date()
    if _today() < day:
        raise WrongState(f"処理予定日（{day.isoformat()}）より前には実施できません。承認された予定日に実施してください",
                         f"not before the scheduled day ({day.isoformat()}): carry it out on the approved date")
    return application


def _medium_on(application: DestructionApplication, medium_id: str) -> Medium:
    medium = media.get_medium(medium_id)
    if not DestructionItem.select().where(DestructionItem.key == inputs.item_key(application.number, medium.id)).exists():
        raise WrongState(f"{medium.id} はこの申請 {application.number} にありません", f"{medium.id} is not on application {application.number}")
    return medium


def _require_at_recorded_site(application: DestructionApplication, medium: Medium) -> None:
    """A medium is destroyed where the ledger has it: the site of its storage place, or of the
    work place it was taken out to. Destroying it elsewhere means it travelled without a
    transfer record (Art. 7), and the certificate would name a place the medium never was at.
    The application's place is free text, so it must name the recorded site."""
    location = medium.location
    site = (location.site if location else "") or ""
    if not site.strip() or _squashed(site) in _squashed(application.place):
        return
    cite_ja, cite_en = profiles.for_contract(medium.contract).cite(profiles.for_contract(medium.contract).storage.article)
    raise WrongState(
        f"{medium.id} は台帳上「{site}」（{location.name}）にあります。廃棄申請 {application.number} の処理場所「{application.place}」"
        f"では廃棄できません。台帳にある場所で廃棄するか、移送を記録してください（{cite_ja}）",
        f"{medium.id} is recorded at {site} ({location.name}), not at the place of destruction application "
        f"{application.number} ({application.place}); destroy it where the ledger has it or record its transfer ({cite_en})",
        id=medium.id, recorded_site=site, place=application.place,
    )


def _squashed(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _medium_ids(application: DestructionApplication) -> list[str]:
    return [item.medium_id for item in application.items]


def _today():
    return utc_now().astimezone(JST).date()


def _kind_ja(kind: str) -> str:
    return vocabulary.MEDIUM_KINDS.get(kind, (kind, kind))[0]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f}".rstrip("0").rstrip(".")
