"""Complaints (Art. 18) and the city's improvement instructions (Art. 12(2)(3)): one register.

* A **complaint** about the handling of personal information is entered by anyone handling the
  contract; the city is told at once (an email notice, as for incidents, and its dashboard),
  progress is added as it happens, and the responsible person closes it with what was done.
* An **improvement instruction** after an inspection is entered by the city with a deadline;
  the responsible person answers it; only the city closes it, once answered.

Each entry is printed as a 苦情・指示の記録 paper on request, issued and verifiable like the others.
"""

from __future__ import annotations

from tracker import db, ledger, vocabulary
from tracker.documents import concerns as concern_papers
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import CONCERN_KINDS, Concern, Document, User
from tracker.timeutil import now_iso
from tracker.workflows import access, inputs, notices, papers

PAPER_KIND = "concern_record"


def receive_complaint(actor: User, contract_code: str, title: str, detail: str, source: str = "", received_at: str = "") -> Concern:
    contract = access.get_contract(contract_code)
    access.require_custody(actor, contract)
    row = _row(contract.code, "complaint", title, detail, source, received_at, actor)
    with db.writing():
        number = _append_new(actor, row)
        concern = get_concern(number)
        kind_ja = vocabulary.CONCERN_KINDS["complaint"][0]
        notices.queue(actor.login, contract.code, number, f"【苦情の報告】{contract.client} {contract.title}：{concern.title}（{number}）",
                      "\n".join([f"{contract.contractor or '受託者'}より、{kind_ja}を受け付けたことをご報告します（第18条）。", "",
                                 f"番号: {number}", f"件名: {concern.title}", f"内容: {concern.detail}",
                                 f"申出者: {concern.source or '—'}", "", "経過は mediatrail の苦情・指示の画面でご覧いただけます。"]))
    return concern


def give_instruction(city_user: User, contract_code: str, title: str, detail: str, due: str, source: str = "") -> Concern:
    access.require_municipality(city_user, contract_code)
    contract = access.get_contract(contract_code)
    row = _row(contract.code, "improvement", title, detail, source, "", city_user)
    row["due"] = inputs.parse_date(due).isoformat()
    with db.writing():
        number = _append_new(city_user, row)
    return get_concern(number)


def add_progress(actor: User, number: str, text: str) -> Concern:
    concern = get_concern(number)
    access.require_custody(actor, concern.contract)
    text = inputs.require_text(text, "経過", "progress", 2000)
    with db.writing():
        concern = _require_open(number)
        entry = {"at": now_iso(), "by": actor.login, "text": text}
        ledger.append("concern.progress", actor.login, contract=concern.contract_id, data={"number": number},
                      changes={"concern": {number: {"progress": [*concern.progress, entry]}}})
    return get_concern(number)


def respond(actor: User, number: str, response: str) -> Concern:
    """The contractor's response to an improvement instruction."""
    concern = get_concern(number)
    access.require_responsible(actor, concern.contract)
    response = inputs.require_text(response, "改善の内容", "response", 5000)
    with db.writing():
        concern = _require_open(number)
        if concern.kind != "improvement":
            raise WrongState(f"{number} は苦情です。経過を記録し、対応を終えたら終了してください",
                             f"{number} is a complaint; add progress and close it when done")
        ledger.append("concern.responded", actor.login, contract=concern.contract_id, data={"number": number},
                      changes={"concern": {number: {"status": "answered", "response": response, "responded_by": actor.login,
                                                    "responded_at": now_iso()}}})
    return get_concern(number)


def close(actor: User, number: str, note: str) -> Concern:
    """A complaint is closed by the responsible person; an instruction by the city, once answered."""
    concern = get_concern(number)
    if concern.kind == "improvement":
        access.require_municipality(actor, concern.contract)
    else:
        access.require_responsible(actor, concern.contract)
    note = inputs.require_text(note, "終了の理由・結果", "how it ended", 2000)
    with db.writing():
        concern = get_concern(number)
        if concern.status == "closed":
            raise WrongState(f"{number} は終了しています", f"{number} is already closed")
        if concern.kind == "improvement" and concern.status != "answered":
            raise WrongState(f"{number} には受託者の改善報告がまだありません", f"{number} has no response from the contractor yet")
        ledger.append("concern.closed", actor.login, contract=concern.contract_id, data={"number": number},
                      changes={"concern": {number: {"status": "closed", "closed_by": actor.login, "closed_at": now_iso(),
                                                    "closing_note": note}}})
    return get_concern(number)


def issue_record(actor: User, number: str, settings) -> Document:
    concern = readable(actor, number)
    if actor.is_admin:
        raise NotAllowed("記録の発行は受託者または市が行います", "the contractor or the city issues the record")
    return papers.issue(actor, settings, concern.contract_id, PAPER_KIND, number,
                        lambda paper: concern_papers.record(get_concern(number), paper))


# ---- reading -----------------------------------------------------------------------------------


def get_concern(number: str) -> Concern:
    return inputs.find_paper(Concern, number, "苦情・指示", "complaint or instruction")


def readable(actor: User, number: str) -> Concern:
    concern = get_concern(number)
    access.require_read(actor, concern.contract)
    return concern


def of_contracts(contracts: list[str]) -> list[Concern]:
    return list(Concern.select().where(Concern.contract.in_(list(contracts))).order_by(Concern.number.desc()))


def open_for(contracts: list[str]) -> list[Concern]:
    return [row for row in of_contracts(contracts) if row.status != "closed"]


def record_of(concern: Concern) -> Document | None:
    return papers.latest(PAPER_KIND, concern.number)


# ---- helpers -----------------------------------------------------------------------------------


def _row(contract_code: str, kind: str, title: str, detail: str, source: str, received_at: str, actor: User) -> dict:
    inputs.parse_choice(kind, CONCERN_KINDS, "区分", "kind")
    return {
        "contract": contract_code, "kind": kind, "status": "open",
        "title": inputs.require_text(title, "件名", "title", 200), "detail": inputs.require_text(detail, "内容", "detail", 5000),
        "source": (source or "").strip()[:200],
        "received_at": inputs.parse_local_time(received_at, "受付日時", "received at") if (received_at or "").strip() else now_iso(),
        "entered_by": actor.login, "progress": [], "response": "", "closing_note": "",
    }


def _append_new(actor: User, row: dict) -> str:
    number = inputs.next_number(Concern, row["contract"], "C")
    ledger.append(f"concern.{'received' if row['kind'] == 'complaint' else 'instructed'}", actor.login, contract=row["contract"],
                  data={"number": number, "kind": row["kind"]}, changes={"concern": {number: row}})
    return number


def _require_open(number: str) -> Concern:
    concern = get_concern(number)
    if concern.status == "closed":
        raise WrongState(f"{number} は終了しているため記録できません", f"{number} is closed; nothing more can be recorded on it")
    return concern
