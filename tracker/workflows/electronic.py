"""Electronic media and transmissions (Art. 6): notice to the city and its consent first.

Where the contract's provisions require it (``electronic_media.consent_required``), the
responsible person submits a 電磁的記録媒体 届出 (the paper issued with ``issue_paper``) before the contractor puts the contract's
personal information on an electronic medium or a work PC, or sends it electronically: which
kinds it covers, the devices, where, why, the encryption method and how the key travels
(``separate`` prints 鍵は別送 — only when recorded so). Only a municipality account consents or
refuses.

Without a consented notice covering its kind, an electronic medium the contractor registers as
holding personal information is refused, and so is taking such a medium out to a work place.
(Media the city itself handed over were recorded by the city: the handover is its consent.)
Every electronic transmission is logged against the consented notice that covers it (Art. 6(5)).
"""

from __future__ import annotations

from tracker import db, ledger, vocabulary
from tracker.documents import electronic as electronic_papers
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import ELECTRONIC_NOTICE_KINDS, KEY_DELIVERY, Contract, Document, ElectronicNotice, Medium, Transmission, User
from tracker.timeutil import now_iso
from tracker.workflows import access, inputs, papers, profiles

PAPER_KIND = "electronic_notice"


def submit(actor: User, contract_code: str, kinds, description: str, place: str, purpose: str, encryption: str,
           key_delivery: str = "none") -> ElectronicNotice:
    contract = access.get_contract(contract_code)
    access.require_responsible(actor, contract)
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if not kinds:
        raise InvalidInput("届け出る媒体の種類（または業務用PC・電子送信）を選んでください", "choose what the notice covers")
    for kind in kinds:
        inputs.parse_choice(kind, ELECTRONIC_NOTICE_KINDS, "届出の対象", "what it covers")
    row = {
        "contract": contract.code, "status": "submitted", "kinds": sorted(set(kinds), key=ELECTRONIC_NOTICE_KINDS.index),
        "description": inputs.require_text(description, "機器・媒体（型番・製造番号）または送信経路", "devices or route", 2000),
        "place": inputs.require_text(place, "使用・保管の場所", "where", 200),
        "purpose": inputs.require_text(purpose, "記録する理由", "why", 2000),
        "encryption": inputs.require_text(encryption, "暗号化の方式", "encryption method", 200),
        "key_delivery": inputs.parse_choice(key_delivery or "none", KEY_DELIVERY, "鍵の受渡し", "how the key travels"),
        "submitted_by": actor.login,
    }
    with db.writing():
        number = inputs.next_number(ElectronicNotice, contract.code, "E")
        ledger.append("electronic.notified", actor.login, contract=contract.code, data={"number": number, "kinds": row["kinds"]},
                      changes={"electronic_notice": {number: {**row, "submitted_at": now_iso()}}})
    return get_notice(number)


def issue_paper(actor: User, number: str, settings) -> Document:
    """The 届出書 as it stands (submitted, or with the city's answer), issued and recorded."""
    notice = get_notice(number)
    access.require_responsible(actor, notice.contract)
    return papers.issue(actor, settings, notice.contract_id, PAPER_KIND, number,
                        lambda paper: electronic_papers.notice(get_notice(number), paper))


def decide(city_user: User, number: str, consent: bool, note: str = "") -> ElectronicNotice:
    access.require_municipality(city_user, get_notice(number).contract)
    note = inputs.decision_note(consent, note)
    with db.writing():
        notice = get_notice(number)
        if notice.status != "submitted":
            raise WrongState(f"{number} には既に回答しています", f"{number} was already decided")
        ledger.append("electronic.consented" if consent else "electronic.refused", city_user.login, contract=notice.contract_id,
                      data={"number": number, "note": note},
                      changes={"electronic_notice": {number: {"status": "consented" if consent else "refused",
                                                              "decided_by": city_user.login, "decided_at": now_iso(),
                                                              "decision_note": note}}})
    return get_notice(number)


def record_transmission(actor: User, contract_code: str, recipient: str, content: str, means: str, sent_at: str = "") -> Transmission:
    """Log one electronic sending (Art. 6(5)) under the consented notice covering transmissions."""
    contract = access.get_contract(contract_code)
    access.require_custody(actor, contract)
    notice = require_consent(contract, "transmission", "電子的に送信する", "sending it electronically")
    row = {
        "contract": contract.code, "notice": notice.number if notice else None,
        "sent_at": inputs.parse_local_time(sent_at, "送信日時", "time sent") if sent_at.strip() else now_iso(),
        "recipient": inputs.require_text(recipient, "送信先", "recipient", 200),
        "content": inputs.require_text(content, "送信した内容", "what was sent", 2000),
        "means": inputs.require_text(means, "送信の方法", "means", 200),
        "encryption": notice.encryption if notice else "", "key_delivery": notice.key_delivery if notice else "none",
        "recorded_by": actor.login,
    }
    if notice is None:
        raise NotAllowed("電子送信を記録するには、電子送信を対象とする届出への市の承諾が必要です",
                         "a transmission needs a notice covering transmissions that the city consented to")
    with db.writing():
        number = inputs.next_number(Transmission, contract.code, "X")
        ledger.append("electronic.transmitted", actor.login, contract=contract.code, data={"number": number, "notice": notice.number},
                      changes={"transmission": {number: {**row, "recorded_at": now_iso()}}})
    return Transmission.get_by_id(number)


# ---- what other workflows ask ------------------------------------------------------------------


def require_consent(contract: Contract | str, kind: str, doing_ja: str, doing_en: str) -> ElectronicNotice | None:
    """The consented notice covering ``kind``; refused, naming the contract's article, when there
    is none and the contract's provisions ask for consent. None when they do not."""
    contract = access.get_contract(contract)
    rule = profiles.for_contract(contract).electronic_media
    required = rule.transmission_consent if kind == "transmission" else rule.consent_required
    found = covering(contract.code, kind)
    if found is not None or not required:
        return found
    article = rule.transmission_article if kind == "transmission" else rule.article
    what_ja = vocabulary.ELECTRONIC_NOTICE_KINDS[kind][0]
    profiles.require_allowed(contract, f"{what_ja}に個人情報を記録し、又は{doing_ja}には、事前に市へ届け出て承諾を得る必要があります（承諾済みの届出がありません）",
                             f"recording personal information on a {vocabulary.ELECTRONIC_NOTICE_KINDS[kind][1]}, or {doing_en}, needs a notice the city consented to first (none found)",
                             article, False)
    return None


def require_medium_consent(medium: Medium, doing_ja: str, doing_en: str) -> None:
    """An electronic medium the contractor made (not handed over by the city) that holds personal
    information needs a consented notice covering its kind."""
    if medium.is_electronic and (medium.record_count or medium.pi_items):
        require_consent(medium.contract, medium.kind, doing_ja, doing_en)


def covering(contract_code: str, kind: str) -> ElectronicNotice | None:
    for notice in ElectronicNotice.select().where((ElectronicNotice.contract == contract_code)
                                                  & (ElectronicNotice.status == "consented")).order_by(ElectronicNotice.number):
        if kind in notice.kinds:
            return notice
    return None


# ---- reading -----------------------------------------------------------------------------------


def get_notice(number: str) -> ElectronicNotice:
    return inputs.find_paper(ElectronicNotice, number, "電磁的記録媒体の届出", "electronic media notice")


def readable(actor: User, number: str) -> ElectronicNotice:
    notice = get_notice(number)
    access.require_read(actor, notice.contract)
    return notice


def of_contracts(contracts: list[str]) -> list[ElectronicNotice]:
    return list(ElectronicNotice.select().where(ElectronicNotice.contract.in_(list(contracts))).order_by(ElectronicNotice.number))


def transmissions(contracts: list[str]) -> list[Transmission]:
    return list(Transmission.select().where(Transmission.contract.in_(list(contracts))).order_by(Transmission.number.desc()))


def notice_paper(notice: ElectronicNotice) -> Document | None:
    return papers.latest(PAPER_KIND, notice.number)
