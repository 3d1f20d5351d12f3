"""Who may do what (DESIGN.md, "People and roles"; Art. 8 and 11 of the special provisions).

* A contractor's staff member acts on a contract's media only while on that contract's roster
  (once the city approved the addition) and with a current pledge of their role's form. A removed
  person cannot; nor, where the contract's profile says so, one whose training lapsed.
* The responsible person (取扱責任者) may also manage the roster and apply for destruction.
* Municipality users read everything and approve; they hold no custody.
* Admins manage users and settings, and take no custody actions.

Every refusal raises ``NotAllowed`` with the reason in Japanese and English.
"""

from __future__ import annotations

from tracker.errors import DomainError, NotAllowed, NotFound
from tracker.models import Contract, RosterApplication, RosterEntry, User


def require_active(actor: User) -> None:
    if not actor.active:
        raise NotAllowed(f"{actor.name} さんのアカウントは無効です", f"{actor.login}'s account is disabled")


def require_admin(actor: User) -> None:
    require_active(actor)
    if not actor.is_admin:
        raise NotAllowed("この操作はシステム管理者だけが行えます", "only a system administrator may do this")


def require_custody(actor: User, contract: Contract | str) -> RosterEntry:
    """Scan, receive, store, take out, transfer, check: roster member with a signed pledge."""
    contract = get_contract(contract)
    require_active(actor)
    if actor.is_admin:
        raise NotAllowed(
            "システム管理者は媒体の取扱いを行えません（職務の分離）",
            "administrators take no custody actions (separation of duties)",
        )
    if actor.is_municipality:
        raise NotAllowed(
            "委託者（市）の職員は媒体を保管・取扱いしません。受託者の従事者が操作してください",
            "municipality staff do not hold media; a contractor's worker must do this",
        )
    require_not_closed(actor, contract)
    entry = roster_entry(actor, contract)
    if entry is None or not entry.active:
        if _waiting_for_approval(actor, contract):
            why_ja = f"{actor.name} さんを契約「{contract.title}」の名簿に加える申請は市の承認待ちです。承認されるまで取り扱えません"
            why_en = f"{actor.login}'s addition to the roster of contract {contract.code} is waiting for the city's approval"
        elif entry is None:
            why_ja = f"{actor.name} さんは契約「{contract.title}」の取扱者名簿に登録されていません"
            why_en = f"{actor.login} is not on the roster of contract {contract.code}"
        else:
            why_ja = f"{actor.name} さんは契約「{contract.title}」の取扱者名簿から外されています"
            why_en = f"{actor.login} was removed from the roster of contract {contract.code}"
        from tracker.workflows import profiles  # the article of the contract's own provisions

        profiles.require_allowed(contract, why_ja, why_en, profiles.for_contract(contract).roster.article, False)
    if not has_pledge(actor, contract):
        from tracker.workflows import pledges  # which form, from the contract's profile

        raise NotAllowed(*pledges.missing_reason(actor, contract, entry.role))
    if entry.employment_type == "subcontractor":
        from tracker.workflows import subcontracting  # it asks access in turn: imported when needed

        subcontracting.require_person_cleared(entry)  # Art. 14: only once the city approved their employer
    from tracker.workflows import training  # blocks only where the contract's profile says so (Art. 10)

    lapsed = training.lapse_reason(actor, contract)
    if lapsed:
        raise NotAllowed(*lapsed)
    return entry


def require_responsible(actor: User, contract: Contract | str) -> RosterEntry:
    """Manage the roster, apply for destruction, sign reports: the responsible person only."""
    entry = require_custody(actor, contract)
    if entry.role != "responsible":
        raise NotAllowed(
            "この操作は取扱責任者だけが行えます",
            "only the responsible person (取扱責任者) may do this",
        )
    return entry


def require_municipality(actor: User) -> None:
    """Approvals and witnessing: a municipality account, never a contractor's, never an admin."""
    require_active(actor)
    if not actor.is_municipality:
        raise NotAllowed(
            "承認・立会いは委託者（市）の職員だけが行えます",
            "only municipality staff may approve or witness",
        )


def require_read(actor: User, contract: Contract | str) -> None:
    """Municipality users and admins read everything; contractor staff read their contracts."""
    require_active(actor)
    if actor.is_municipality or actor.is_admin:
        return
    contract = get_contract(contract)
    require_not_closed(actor, contract)
    entry = roster_entry(actor, contract)
    if entry is None or not entry.active:
        raise NotAllowed(
            f"契約「{contract.title}」の記録を閲覧する権限がありません",
            f"no access to the records of contract {contract.code}",
        )


def require_not_closed(actor: User, contract: Contract) -> None:
    """After the close-out (Art. 17(1)) the contractor's staff no longer act on or read the
    contract; the city and administrators still read everything."""
    if contract.closed_at and not (actor.is_municipality or actor.is_admin):
        raise NotAllowed(
            f"契約「{contract.title}」は終了処理（完了報告）済みのため、受託者は操作・閲覧できません（第17条第1項）",
            f"contract {contract.code} has been closed out; the contractor's accounts can no longer act on or read it (Art. 17(1))",
        )


def allows(rule, actor: User, contract) -> bool:
    """Whether ``rule`` (e.g. ``require_custody``) lets ``actor`` act on ``contract``: for pages
    that show a button only to those it would not refuse."""
    try:
        rule(actor, contract)
        return True
    except DomainError:
        return False


def user_names() -> dict[str, str]:
    """login → name, for showing who did what."""
    return dict(User.select(User.login, User.name).tuples())


def readable_contracts(actor: User) -> list[str]:
    if actor.is_municipality or actor.is_admin:
        return [code for (code,) in Contract.select(Contract.code).tuples()]
    return [
        code for (code,) in RosterEntry.select(RosterEntry.contract).join(Contract)
        .where((RosterEntry.user == actor.login) & RosterEntry.removed_at.is_null() & Contract.closed_at.is_null()).tuples()
    ]


def _waiting_for_approval(actor: User, contract: Contract) -> bool:
    return RosterApplication.select().where((RosterApplication.contract == contract.code) & (RosterApplication.user == actor.login)
                                            & (RosterApplication.change == "add") & (RosterApplication.status == "pending")).exists()


def roster_entry(actor: User, contract: Contract) -> RosterEntry | None:
    return RosterEntry.get_or_none(RosterEntry.key == roster_key(contract.code, actor.login))


def has_pledge(actor: User, contract: Contract) -> bool:
    """A pledge of the form for the person's role, with today's text (Art. 11; see ``pledges``)."""
    from tracker.workflows import pledges

    return pledges.current(actor, contract) is not None


def roster_key(contract_code: str, login: str) -> str:
    return f"{contract_code}/{login}"


def get_contract(contract: Contract | str) -> Contract:
    if isinstance(contract, Contract):
        return contract
    found = Contract.get_or_none(Contract.code == contract)
    if found is None:
        raise NotFound(f"契約 {contract} は登録されていません", f"no contract {contract}")
    return found


def get_user(login: str) -> User:
    found = User.get_or_none(User.login == login)
    if found is None:
        raise NotFound(f"ユーザー {login} は登録されていません", f"no user {login}")
    return found
