"""The contract's end (Art. 17(1); confidentiality outlives it, Art. 2).

* **Reminders.** From the contract's provision profile (``closeout.reminder_days``) before
  ``period_end``, the dashboard reminds both sides, and keeps reminding once the period has
  ended until the contract is closed out.
* **Designation.** The city says, medium by medium, whether each is returned or destroyed
  (``closeout.designated``); it may change its mind until the close-out.
* **Close-out.** The responsible person closes the contract out only when nothing is held any
  more — every medium returned, destroyed, or never received — and no loss is unresolved (no
  medium recorded missing, no incident still open). The 完了報告 is issued with a line per
  medium: what the city designated and what became of it, under which paper.
* **Afterwards** the contract is closed (``Contract.closed_at``): its contractor staff can
  neither act on nor read it (``access``), while the city and administrators read everything.
  A second close-out is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tracker import db, ledger
from tracker.documents import closeout as closeout_papers
from tracker.errors import InvalidInput, WrongState
from tracker.models import CLOSEOUT_DESIGNATIONS, HELD_STATUSES, Closeout, Contract, Document, Incident, Medium, User
from tracker.timeutil import JST, now_iso, utc_now
from tracker.workflows import access, inputs, papers, profiles

PAPER_KIND = "closeout_report"
UNRESOLVED_INCIDENTS = ("draft", "preliminary", "final")


@dataclass(frozen=True)
class Reminder:
    contract: Contract
    period_end: date
    days_left: int  # negative: the period has ended and the contract is not closed out

    @property
    def ended(self) -> bool:
        return self.days_left < 0


def reminders(contracts: list[str], today: date | None = None) -> list[Reminder]:
    """Contracts within their profile's reminder window before ``period_end``, or past it, not closed."""
    today = today or utc_now().astimezone(JST).date()
    found = []
    for contract in Contract.select().where(Contract.code.in_(list(contracts)) & Contract.closed_at.is_null()
                                            & (Contract.period_end != "")).order_by(Contract.period_end):
        try:
            end = date.fromisoformat(contract.period_end)
        except ValueError:
            continue
        window = profiles.for_contract(contract).closeout.reminder_days
        if today >= end - timedelta(days=window):
            found.append(Reminder(contract, end, (end - today).days))
    return found


def designate(city_user: User, contract_code: str, designations: dict[str, str]) -> Closeout:
    """The city's choice per medium: ``return`` or ``destroy``. Media of another contract, or not
    held any more, are refused, all named."""
    access.require_municipality(city_user, contract_code)
    contract = access.get_contract(contract_code)
    _require_open(contract)
    if not designations:
        raise InvalidInput("返還または廃棄を指定する媒体を選んでください", "choose the media to designate")
    problems, chosen = [], {}
    for medium_id, what in designations.items():
        medium = Medium.get_or_none(Medium.id == (medium_id or "").strip().upper())
        if medium is None or medium.contract_id != contract.code:
            problems.append((f"{medium_id}: この契約の媒体ではありません", f"{medium_id}: not a medium of this contract"))
        elif what not in CLOSEOUT_DESIGNATIONS:
            problems.append((f"{medium.id}: 返還（return）か廃棄（destroy）を指定してください", f"{medium.id}: designate return or destroy"))
        elif medium.status not in HELD_STATUSES:
            problems.append((f"{medium.id}: 既に保有していません", f"{medium.id}: no longer held"))
        else:
            chosen[medium.id] = what
    if problems:
        raise InvalidInput("指定できません: " + "；".join(ja for ja, _ in problems), "cannot designate: " + "; ".join(en for _, en in problems))
    with db.writing():
        current = Closeout.get_or_none(Closeout.key == contract.code)
        merged = {**(current.designations if current else {}), **chosen}
        ledger.append("closeout.designated", city_user.login, contract=contract.code, data={"designations": chosen},
                      changes={"closeout": {contract.code: {"designations": merged, "designated_by": city_user.login,
                                                           "designated_at": now_iso()}}}, media=sorted(chosen))
    return Closeout.get_by_id(contract.code)


@dataclass(frozen=True)
class Outstanding:
    held: list[Medium]  # received, stored, in use or in transit
    lost: list[Medium]
    incidents: list[Incident]  # not closed

    def __bool__(self) -> bool:
        return bool(self.held or self.lost or self.incidents)


def outstanding(contract_code: str) -> Outstanding:
    in_contract = Medium.contract == contract_code
    held = [status for status in HELD_STATUSES if status != "lost"]
    return Outstanding(
        held=list(Medium.select().where(in_contract & Medium.status.in_(held)).order_by(Medium.id)),
        lost=list(Medium.select().where(in_contract & (Medium.status == "lost")).order_by(Medium.id)),
        incidents=list(Incident.select().where((Incident.contract == contract_code) & Incident.status.in_(UNRESOLVED_INCIDENTS))
                       .order_by(Incident.number)),
    )


def complete(actor: User, settings, contract_code: str, note: str = "") -> Document:
    """Close the contract out and issue the 完了報告; refused while anything is outstanding."""
    contract = access.get_contract(contract_code)
    _require_open(contract)
    access.require_responsible(actor, contract)
    note = (note or "").strip()[:2000]
    with db.writing():
        contract = access.get_contract(contract_code)
        _require_open(contract)
        left = outstanding(contract.code)
        if left:
            parts = [(f"保有中の媒体 {len(left.held)} 件（{'、'.join(m.id for m in left.held[:10])}）", f"{len(left.held)} media still held")] if left.held else []
            parts += [(f"所在不明の媒体 {len(left.lost)} 件（{'、'.join(m.id for m in left.lost[:10])}）", f"{len(left.lost)} media missing")] if left.lost else []
            parts += [(f"終了していない事故 {len(left.incidents)} 件（{'、'.join(i.number for i in left.incidents)}）", f"{len(left.incidents)} incidents not closed")] if left.incidents else []
            cite_ja, cite_en = profiles.for_contract(contract).cite(profiles.for_contract(contract).closeout.article)
            raise WrongState(f"契約 {contract.code} はまだ終了できません: {'、'.join(ja for ja, _ in parts)}。すべて返還又は廃棄し、事故を終了してください（{cite_ja}）",
                             f"contract {contract.code} cannot be closed out yet: {', '.join(en for _, en in parts)}; return or destroy everything and close the incidents first ({cite_en})",
                             held=[m.id for m in left.held], lost=[m.id for m in left.lost], incidents=[i.number for i in left.incidents])
        now = now_iso()
        ledger.append("contract.closed", actor.login, contract=contract.code, data={"note": note},
                      changes={"contract": {contract.code: {"closed_at": now}},
                               "closeout": {contract.code: {"completed_by": actor.login, "completed_at": now, "note": note}}})
        return papers.issue(actor, settings, contract.code, PAPER_KIND, contract.code,
                            lambda paper: closeout_papers.completion_report(access.get_contract(contract.code), paper))


def get(contract_code: str) -> Closeout | None:
    return Closeout.get_or_none(Closeout.key == contract_code)


def report_of(contract_code: str) -> Document | None:
    return papers.latest(PAPER_KIND, contract_code)


def _require_open(contract: Contract) -> None:
    if contract.closed_at:
        raise WrongState(f"契約 {contract.code} は終了処理（完了報告）済みです", f"contract {contract.code} was already closed out")
