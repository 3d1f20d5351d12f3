"""再委託 (Art. 14): a subcontractor works on the contract only after the city approves it.

The responsible person applies in writing with every item Art. 14(2) names — the
subcontractor's name and address, why, what work, which personal information, its safety
measures, and how the contractor will supervise it — and the 再委託承認申請書 is issued at once.
Only a municipality account approves (approval number ``<application>-承認``) or rejects it.
Where the contract's provisions forbid subcontracting, the application itself is refused,
naming that city's article.

Until approved, the subcontractor's work is refused: a destruction line naming it
(``require_approved``, asked by ``destruction.check_method``) and custody by its people — roster
entries whose employment type is 再委託先 and whose employer is its name (``require_person_cleared``,
asked by ``access.require_custody``). Supervision of an approved subcontractor is recorded as
reports (Art. 14(5)) that the city reads on the same page.
"""

from __future__ import annotations

import unicodedata

from tracker import db, ledger
from tracker.documents import subcontracting as subcontract_papers
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import Contract, Document, RosterEntry, Subcontract, SupervisionReport, User
from tracker.timeutil import now_iso
from tracker.workflows import access, inputs, papers, profiles

# The items of Art. 14(2), in the order of the application form: (field, Japanese, English).
ITEMS = (
    ("name", "再委託先の名称", "the subcontractor's name"),
    ("address", "再委託先の所在地", "its address"),
    ("reason", "再委託する理由", "the reason"),
    ("work", "再委託する業務の内容", "the work subcontracted"),
    ("personal_information", "再委託先で取り扱う個人情報", "the personal information it handles"),
    ("safety_measures", "再委託先の安全管理措置", "its safety measures"),
    ("supervision", "受託者の監督の方法", "how the contractor supervises it"),
)
PAPER_KIND = "subcontract_application"
APPROVAL_SUFFIX = "-承認"


def apply(actor: User, settings, contract_code: str, **items) -> Subcontract:
    """The application with every item of Art. 14(2); a missing one is refused, all named at once."""
    contract = access.get_contract(contract_code)
    access.require_responsible(actor, contract)
    require_allowed(contract)
    unknown = set(items) - {name for name, _, _ in ITEMS}
    if unknown:
        raise InvalidInput(f"申請書にない項目です: {', '.join(sorted(unknown))}", f"not an item of the application: {', '.join(sorted(unknown))}")
    values = {name: str(items.get(name) or "").strip() for name, _, _ in ITEMS}
    missing = [(ja, en) for name, ja, en in ITEMS if not values[name]]
    if missing:
        cite_ja, cite_en = profiles.for_contract(contract).cite(profiles.for_contract(contract).subcontracting.article)
        raise InvalidInput(f"再委託の申請に必要な項目が未入力です: {'、'.join(ja for ja, _ in missing)}（{cite_ja}）",
                           f"the subcontracting application needs: {', '.join(en for _, en in missing)} ({cite_en})",
                           missing=[name for name, _, _ in ITEMS if not values[name]])
    values = {name: value[:200] if name in ("name", "address") else value[:5000] for name, value in values.items()}
    with db.writing():
        if find_by_name(contract.code, values["name"], statuses=("applied", "approved")) is not None:
            raise WrongState(f"{values['name']} の再委託は既に申請または承認されています",
                             f"{values['name']} has already been applied for or approved")
        number = inputs.next_number(Subcontract, contract.code, "S")
        ledger.append("subcontract.applied", actor.login, contract=contract.code, data={"number": number, "name": values["name"]},
                      changes={"subcontract": {number: {**values, "contract": contract.code, "status": "applied",
                                                        "applied_by": actor.login, "applied_at": now_iso()}}})
        papers.issue(actor, settings, contract.code, PAPER_KIND, number,
                     lambda paper: subcontract_papers.application(get_subcontract(number), paper))
    return get_subcontract(number)


def decide(city_user: User, number: str, approve: bool, note: str = "") -> Subcontract:
    """The city's decision, with its own login: a contractor's or an administrator's is refused."""
    access.require_municipality(city_user, get_subcontract(number).contract)
    note = inputs.decision_note(approve, note)
    with db.writing():
        subcontract = get_subcontract(number)
        if subcontract.status != "applied":
            raise WrongState(f"{number} は既に{'承認' if subcontract.status == 'approved' else '却下'}されています",
                             f"{number} was already {subcontract.status}")
        change = {"status": "approved" if approve else "rejected", "decided_by": city_user.login, "decided_at": now_iso(),
                  "decision_note": note, "approval_number": f"{number}{APPROVAL_SUFFIX}" if approve else ""}
        ledger.append("subcontract.approved" if approve else "subcontract.rejected", city_user.login,
                      contract=subcontract.contract_id, data={"number": number, "note": note},
                      changes={"subcontract": {number: change}})
    return get_subcontract(number)


def record_supervision(actor: User, number: str, supervised_on: str, method: str, findings: str) -> SupervisionReport:
    """A supervision of an approved subcontractor (Art. 14(5)): when, how, what was found."""
    subcontract = get_subcontract(number)
    access.require_responsible(actor, subcontract.contract)
    row = {"subcontract": number, "supervised_on": inputs.parse_date(supervised_on).isoformat(),
           "method": inputs.require_text(method, "監督の方法", "how it was supervised", 2000),
           "findings": inputs.require_text(findings, "確認した内容・結果", "findings", 5000), "reported_by": actor.login}
    with db.writing():
        subcontract = get_subcontract(number)
        if subcontract.status != "approved":
            raise WrongState(f"{number} は承認されていないため、監督の記録はできません", f"{number} is not approved; no supervision to record")
        key = f"{number}/{SupervisionReport.select().where(SupervisionReport.subcontract == number).count() + 1}"
        ledger.append("subcontract.supervised", actor.login, contract=subcontract.contract_id, data={"number": number, "key": key},
                      changes={"supervision_report": {key: {**row, "reported_at": now_iso()}}})
    return SupervisionReport.get_by_id(key)


# ---- what other workflows ask ------------------------------------------------------------------


def require_allowed(contract: Contract | str) -> None:
    """Refused outright where the contract's provisions forbid subcontracting."""
    rule = profiles.for_contract(contract).subcontracting
    profiles.require_allowed(contract, "この契約の特記事項は再委託を認めていません", "this contract's provisions forbid subcontracting",
                             rule.article, rule.rule != "forbidden")


def require_approved(contract: Contract | str, named: str) -> str:
    """The subcontractor a destruction line names, as printed: ``名称（承認番号）``. Refused unless
    the city approved it for this contract (by its name or its application number)."""
    named = (named or "").strip()
    if not named:
        return ""
    contract = access.get_contract(contract)
    require_allowed(contract)
    found = find_by_name(contract.code, named) or Subcontract.get_or_none(
        (Subcontract.number == named.upper().replace(APPROVAL_SUFFIX, "")) & (Subcontract.contract == contract.code))
    if found is None or found.status != "approved":
        rule = profiles.for_contract(contract).subcontracting
        cite_ja, cite_en = profiles.for_contract(contract).cite(rule.article)
        state_ja = {"applied": "市の承認待ちです", "rejected": "市に却下されています"}.get(found.status if found else "", "再委託の承認がありません")
        raise NotAllowed(f"再委託先「{named}」は{state_ja}。承認された再委託先だけが作業できます（{cite_ja}）",
                         f"subcontractor {named!r} is not approved by the city for this contract; only an approved subcontractor may do the work ({cite_en})",
                         subcontractor=named)
    return f"{found.name}（{found.approval_number}）"


def require_person_cleared(entry: RosterEntry) -> None:
    """A subcontractor's person acts only once the city approved their employer for this contract."""
    if entry.employment_type != "subcontractor":
        return
    found = find_by_name(entry.contract_id, entry.employer)
    if found is None or found.status != "approved":
        rule = profiles.for_contract(entry.contract_id).subcontracting
        cite_ja, cite_en = profiles.for_contract(entry.contract_id).cite(rule.article)
        raise NotAllowed(
            f"{entry.user.name} さんは再委託先「{entry.employer}」の従事者ですが、この再委託は市に承認されていません（{cite_ja}）",
            f"{entry.user_id} works for subcontractor {entry.employer!r}, which the city has not approved for this contract ({cite_en})")


# ---- reading -----------------------------------------------------------------------------------


def get_subcontract(number: str) -> Subcontract:
    return inputs.find_paper(Subcontract, number, "再委託の申請", "subcontracting application")


def readable(actor: User, number: str) -> Subcontract:
    subcontract = get_subcontract(number)
    access.require_read(actor, subcontract.contract)
    return subcontract


def of_contracts(contracts: list[str]) -> list[Subcontract]:
    return list(Subcontract.select().where(Subcontract.contract.in_(list(contracts))).order_by(Subcontract.number))


def waiting(contracts: list[str]) -> list[Subcontract]:
    return [row for row in of_contracts(contracts) if row.status == "applied"]


def find_by_name(contract_code: str, name: str, statuses: tuple[str, ...] | None = None) -> Subcontract | None:
    """The newest application of ``contract_code`` for ``name`` (compared in NFKC, spaces ignored)."""
    wanted = _normal(name)
    rows = [row for row in Subcontract.select().where(Subcontract.contract == contract_code).order_by(Subcontract.number.desc())
            if _normal(row.name) == wanted and (statuses is None or row.status in statuses)]
    approved = [row for row in rows if row.status == "approved"]
    return (approved or rows or [None])[0]


def supervision_of(subcontract: Subcontract) -> list[SupervisionReport]:
    return sorted(subcontract.supervision_reports, key=lambda row: int(row.key.rsplit("/", 1)[1]))


def application_paper(subcontract: Subcontract) -> Document | None:
    return papers.latest(PAPER_KIND, subcontract.number)


def _normal(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text or "").split()).casefold()
