"""Who may do what (DESIGN.md, "People and roles"; Art. 8 and 11 of the special provisions).

* A contractor's staff member acts on a contract's media only while on that contract's roster
  (once the city approved the addition) and with a current pledge of their role's form. A removed
  person cannot; nor, where the contract's profile says so, one whose training lapsed.
* The responsible person (取扱責任者) may also manage the roster and apply for destruction.
* Municipality users belong to their city: they read and approve the contracts of that city
  only, and hold no custody.
* Admins manage users and settings, read everything, and take no custody actions.

``ACTIONS`` below is the one table of who may do what: each action names the rule (one of the
``require_*`` functions) and what it is scoped to (one contract, the contracts of the media at a
storage place, or nothing). The web pages and the API look an endpoint's action up in
``tracker/web/authorization.py`` and call ``authorize`` before reading any upload; the workflows
(and so the CLI) check the same ``require_*`` rules again where they act.

Every refusal raises ``NotAllowed`` with the reason in Japanese and English.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tracker.errors import DomainError, NotAllowed, NotAuthenticated, NotFound
from tracker.models import Contract, RosterApplication, RosterEntry, User


def require_active(actor: User) -> None:
    if not actor.active:
        raise NotAllowed(f"{actor.name} さんのアカウントは無効です", f"{actor.login}'s account is disabled")


def require_admin(actor: User, _contract=None) -> None:
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
        _refuse_off_roster(actor, contract, entry)
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


def _refuse_off_roster(actor: User, contract: Contract, entry: RosterEntry | None) -> None:
    """Why someone not (or no longer) on the roster may not act, naming the contract's own article."""
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


def require_responsible(actor: User, contract: Contract | str) -> RosterEntry:
    """Manage the roster, apply for destruction, sign reports: the responsible person only."""
    entry = require_custody(actor, contract)
    if entry.role != "responsible":
        raise NotAllowed(
            "この操作は取扱責任者だけが行えます",
            "only the responsible person (取扱責任者) may do this",
        )
    return entry


def require_municipality(actor: User, contract: Contract | str | None = None) -> None:
    """Approvals and witnessing: a municipality account, never a contractor's, never an admin;
    with ``contract``, an account of that contract's city (委託者)."""
    require_active(actor)
    if not actor.is_municipality:
        raise NotAllowed(
            "承認・立会いは委託者（市）の職員だけが行えます",
            "only municipality staff may approve or witness",
        )
    if contract is not None:
        require_city_of(actor, get_contract(contract))


def require_city_of(actor: User, contract: Contract) -> None:
    """A municipality account acts only for its own city: its 所属 (organisation) begins with the
    contract's 委託者 (client), e.g. 「小金井市 市民税課」 for a contract of 小金井市."""
    if not belongs_to_city(actor, contract):
        raise NotAllowed(
            f"{actor.name} さん（{actor.organisation or '所属未登録'}）は契約「{contract.title}」の委託者（{contract.client}）の職員ではありません",
            f"{actor.login} ({actor.organisation or 'no organisation'}) is not staff of {contract.client}, "
            f"the client of contract {contract.code}",
        )


def belongs_to_city(actor: User, contract: Contract) -> bool:
    city = _plain(contract.client)
    return actor.is_municipality and bool(city) and _plain(actor.organisation).startswith(city)


def require_signed_in(actor: User | None, _contract=None) -> None:
    """Lists and pages that show only what the person may read: an active account."""
    if actor is None:
        raise NotAuthenticated("ログインしてください", "please log in")
    require_active(actor)


def require_rostered(actor: User, contract: Contract | str) -> RosterEntry | None:
    """Reading and signing one's own pledge: on the contract's roster (a pledge not yet needed),
    or waiting for the city to approve one's addition (the pledge goes with the application)."""
    contract = get_contract(contract)
    require_active(actor)
    entry = roster_entry(actor, contract)
    if (entry is None or not entry.active) and _waiting_for_approval(actor, contract):
        return None
    if entry is None or not entry.active:
        _refuse_off_roster(actor, contract, entry)
    return entry


def require_reader_or_applicant(actor: User, contract: Contract | str) -> None:
    """A printable pledge form: those who read the contract, or someone whose addition waits for
    the city's approval (who prints their own form only)."""
    contract = get_contract(contract)
    require_active(actor)
    if not _waiting_for_approval(actor, contract):
        require_read(actor, contract)


def require_city_or_custody(actor: User, contract: Contract | str) -> None:
    """Confirming a handover or witnessing a destruction: the city official on their own
    device, or a contractor's worker whose device the official types their own password on
    (the workflow then checks that official's account)."""
    contract = get_contract(contract)
    if actor.is_municipality:
        require_municipality(actor, contract)
    else:
        require_custody(actor, contract)


def require_manager(actor: User, contract: Contract | str) -> None:
    """Roster changes and a storage place's check interval: an admin (users and places are
    theirs), or the contract's responsible person."""
    require_active(actor)
    if not actor.is_admin:
        require_responsible(actor, contract)


def require_check_closer(actor: User, contract: Contract | str) -> None:
    """Abandoning a storage check: the responsible person of a contract at the place, or an
    admin (who takes no custody, but must be able to free a place stuck "being checked")."""
    require_active(actor)
    if not actor.is_admin:
        require_responsible(actor, contract)


def require_read(actor: User, contract: Contract | str) -> None:
    """Admins read everything, municipality users their city's contracts, contractor staff the
    contracts whose roster they are on."""
    require_active(actor)
    if actor.is_admin:
        return
    contract = get_contract(contract)
    if actor.is_municipality:
        require_city_of(actor, contract)
        return
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
    if actor.is_admin:
        return [code for (code,) in Contract.select(Contract.code).tuples()]
    if actor.is_municipality:
        return [contract.code for contract in Contract.select().order_by(Contract.code) if belongs_to_city(actor, contract)]
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


def _plain(text: str) -> str:
    """Compared without width or spacing differences (「小金井市　市民税課」 and 「小金井市市民税課」)."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


def get_user(login: str) -> User:
    found = User.get_or_none(User.login == login)
    if found is None:
        raise NotFound(f"ユーザー {login} は登録されていません", f"no user {login}")
    return found


# ---- the table -------------------------------------------------------------------------------

NONE = "none"  # not about one contract: lists and pages that show only what the person may read
CONTRACT = "contract"  # one contract (of the medium, handover, application… or the form's)
PLACE = "place"  # the contracts of the media at a storage place (or of a check): the rule holds for one
EVERY_AT_PLACE = "every at place"  # … for every one of them (an action that changes all their media)

Who = Callable[[User, Contract | str], object]


@dataclass(frozen=True)
class Rule:
    who: Who
    scope: str
    description: str


ACTIONS: dict[str, Rule] = {
    # reading
    "signed_in": Rule(require_signed_in, NONE, "一覧・ダッシュボード（閲覧できる契約の分だけ表示）"),
    "read": Rule(require_read, CONTRACT, "契約の記録・媒体・文書を見る"),
    "read_check": Rule(require_read, PLACE, "点検を見る（関係する契約の一つを閲覧できる人）"),
    "pledge": Rule(require_rostered, CONTRACT, "自分の誓約書を読み、提出する（名簿に登録された人、追加の承認待ちの人）"),
    "pledge_form": Rule(require_reader_or_applicant, CONTRACT, "誓約書の様式を印刷する（契約を閲覧できる人、追加の承認待ちの人は自分の分）"),
    # custody: on the roster, with a pledge (Art. 8, 11)
    "custody": Rule(require_custody, CONTRACT, "媒体の登録・保管・持出し・引渡し・移送・複製・廃棄の実施"),
    "custody_at_place": Rule(require_custody, PLACE, "点検の開始・読取り・封印・端末（場所の契約の一つ）"),
    "complete_check": Rule(require_custody, PLACE, "点検の完了（自分の契約の部分。他の契約・場所外のコードは記録のみ）"),
    # the responsible person (取扱責任者)
    "responsible": Rule(require_responsible, CONTRACT, "廃棄の申請・事故報告・名簿の管理"),
    "sign_off_check": Rule(require_responsible, PLACE, "点検の確認（自分の契約の部分の取扱責任者）"),
    "abandon_check": Rule(require_check_closer, PLACE, "点検の中止（場所の契約の取扱責任者、または管理者）"),
    "check_interval": Rule(require_manager, EVERY_AT_PLACE, "点検間隔の設定（場所の契約すべての取扱責任者、または管理者）"),
    "manage": Rule(require_manager, CONTRACT, "名簿の変更の申請・取消し（取扱責任者、または管理者）"),
    # the city (委託者): its own contracts only
    "city": Rule(require_municipality, CONTRACT, "複製・廃棄・プロファイル変更の承認（その契約の市の職員）"),
    "city_or_device": Rule(require_city_or_custody, CONTRACT, "市の確認・立会い（市の職員本人、または受託者の端末で本人のパスワード）"),
    # administration
    "admin": Rule(require_admin, NONE, "利用者・契約・場所の管理"),
}


def authorize(actor: User | None, action: str, subject: Contract | str | Iterable[str] | None = None) -> None:
    """Refuse (``NotAuthenticated`` / ``NotAllowed``) unless ``actor`` may do ``action``.

    ``subject`` is what the action's scope needs: a contract (or its code) for CONTRACT, the
    contract codes at the place for PLACE and EVERY_AT_PLACE. None for a contract-scoped action
    means the contract is not known yet (a form's choice, empty): the rule must then hold for
    at least one contract the person reads — the workflow checks the one chosen."""
    rule = ACTIONS[action]
    require_signed_in(actor)
    if rule.scope == NONE:
        rule.who(actor, None)
    elif rule.scope == CONTRACT and subject is not None:
        rule.who(actor, subject)
    elif rule.scope == EVERY_AT_PLACE and subject:
        for code in subject:
            rule.who(actor, code)
    else:
        contracts = [] if rule.scope == CONTRACT else list(subject or [])
        _require_for_one(actor, rule.who, contracts or _own_contracts(actor))


def may(actor: User | None, action: str, subject=None) -> bool:
    """Whether ``authorize`` would let ``actor`` do ``action``: for showing a button."""
    try:
        authorize(actor, action, subject)
        return True
    except DomainError:
        return False


def _own_contracts(actor: User) -> list[str]:
    """The contracts someone might act on when the request has not said which yet: those they
    read, then those whose roster they were removed from (so the refusal can say so)."""
    readable = readable_contracts(actor)
    removed = [code for (code,) in RosterEntry.select(RosterEntry.contract).where(RosterEntry.user == actor.login).tuples()]
    return list(dict.fromkeys(readable + sorted(removed)))


def _require_for_one(actor: User, who: Who, contracts: list) -> None:
    """``who`` holds for at least one of ``contracts``; refused with the first one's reason."""
    refusal = None
    for contract in contracts:
        try:
            who(actor, contract)
            return
        except NotAllowed as error:
            refusal = refusal or error
    raise refusal or NotAllowed("この操作を行える契約がありません（取扱者名簿への登録と誓約書の提出が必要です）",
                                "you have no contract on which you may do this (roster and signed pledge needed)")
