"""Which provisions a contract runs under, recorded in the ledger (see ``tracker/provisions.py``).

* A profile's text enters the ledger once (``profile.registered``): the shipped ones the first
  time a contract chooses them, another city's file when an administrator registers it after
  ``provisions.parse`` accepted it.
* A contract chooses a profile when it is made. Changing it later is a request (by an
  administrator or the contract's responsible person) that only a municipality user of that city
  approves: the rules of a running contract never change behind the city's back.
"""

from __future__ import annotations

from tracker import db, ledger, provisions
from tracker.errors import NotAllowed, NotFound, WrongState
from tracker.models import Contract, ProvisionProfile, User
from tracker.provisions import Profile
from tracker.timeutil import now_iso
from tracker.workflows import access, inputs


def for_contract(contract: Contract | str) -> Profile:
    """The profile a contract runs under, read from the ledger's copy of its text."""
    contract = access.get_contract(contract)
    key = contract.profile or provisions.LEGACY_PROFILE
    row = ProvisionProfile.get_or_none(ProvisionProfile.key == key)
    if row is not None:
        return provisions.load(row.text)
    if not contract.profile:
        # A contract older than profiles, in a ledger that never registered one: the shipped
        # text of the version whose rules the code enforced then.
        return provisions.load(provisions.builtin_texts()[provisions.LEGACY_PROFILE])
    raise NotFound(f"契約 {contract.code} のプロファイル {key} が台帳にありません",
                   f"the profile {key} of contract {contract.code} is not in the ledger")


def register(actor: User | None, text: str) -> ProvisionProfile:
    """Record a profile file's text in the ledger, after it passed ``provisions.parse``.

    The same key with the same text is a no-op; the same key with another text is refused: a
    version, once recorded, is what contracts under it ran by — a changed rule is a new version.
    """
    if actor is not None:
        access.require_admin(actor)
    profile = provisions.parse(text)
    with db.writing():
        return _register(actor, profile, text)


def resolve(actor: User | None, name: str) -> ProvisionProfile:
    """A profile by key (``koganei@1``) or shipped name (``koganei``): in the ledger already, or
    one that mediatrail ships (registered now). Call inside ``db.writing()``."""
    key = provisions.builtin_key(name.strip()) if name.strip() else provisions.builtin_key(provisions.DEFAULT_PROFILE)
    row = ProvisionProfile.get_or_none(ProvisionProfile.key == key)
    if row is not None:
        return row
    shipped = provisions.builtin_texts().get(key)
    if shipped is None:
        raise NotFound(f"プロファイル {key} は台帳に登録されていません（mediatrail profile add で登録します）",
                       f"profile {key} is not in the ledger (register it with `mediatrail profile add`)")
    return _register(actor, provisions.parse(shipped), shipped)


def lookup(name: str) -> Profile:
    """A profile by key or shipped name, from the ledger or as shipped; records nothing."""
    key = provisions.builtin_key(name.strip() or provisions.DEFAULT_PROFILE)
    row = ProvisionProfile.get_or_none(ProvisionProfile.key == key)
    text = row.text if row is not None else provisions.builtin_texts().get(key)
    if text is None:
        raise NotFound(f"プロファイル {key} は登録されていません", f"no profile {key} is registered")
    return provisions.load(text)


def _register(actor: User | None, profile: Profile, text: str) -> ProvisionProfile:
    existing = ProvisionProfile.get_or_none(ProvisionProfile.key == profile.key)
    if existing is not None:
        if existing.sha256 == provisions.sha256_of(text):
            return existing
        raise WrongState(
            f"プロファイル {profile.key} は別の内容で登録済みです。規定を変えるときは version を上げてください",
            f"profile {profile.key} is already recorded with other content; a changed rule needs a new version",
        )
    ledger.append(
        "profile.registered", actor.login if actor else None,
        data={"key": profile.key},
        changes={"provision_profile": {profile.key: {
            "title": profile.profile.title, "municipality": profile.profile.municipality, "text": text,
            "sha256": provisions.sha256_of(text), "registered_by": actor.login if actor else None,
            "registered_at": now_iso(),
        }}},
    )
    return ProvisionProfile.get_by_id(profile.key)


def registered() -> list[ProvisionProfile]:
    return list(ProvisionProfile.select().order_by(ProvisionProfile.key))


def request_change(actor: User | None, contract_code: str, name: str, reason: str) -> Contract:
    """Ask to run a contract under another profile version; the city decides (``decide_change``)."""
    contract = access.get_contract(contract_code)
    if actor is not None and not actor.is_admin:
        access.require_responsible(actor, contract)
    elif actor is not None:
        access.require_admin(actor)
    reason = inputs.require_text(reason, "変更の理由", "reason", 500)
    with db.writing():
        row = resolve(actor, name)
        if row.key == (contract.profile or provisions.LEGACY_PROFILE):
            raise WrongState(f"契約 {contract.code} は既にプロファイル {row.key} です",
                             f"contract {contract.code} already runs under {row.key}")
        ledger.append("contract.profile_change_requested", actor.login if actor else None, contract=contract.code,
                      data={"profile": row.key, "reason": reason},
                      changes={"contract": {contract.code: {"profile_requested": row.key, "profile_request_reason": reason}}})
    return access.get_contract(contract.code)


def decide_change(city_user: User, contract_code: str, approve: bool, note: str = "") -> Contract:
    """The city's decision on a requested profile change (its own login; a rejection says why)."""
    contract = access.get_contract(contract_code)
    access.require_municipality(city_user, contract)
    note = inputs.decision_note(approve, note)
    with db.writing():
        contract = access.get_contract(contract_code)
        if not contract.profile_requested:
            raise WrongState(f"契約 {contract.code} にはプロファイル変更の申請がありません",
                             f"contract {contract.code} has no profile change waiting for a decision")
        change = {"profile_requested": "", "profile_request_reason": ""}
        if approve:
            change["profile"] = contract.profile_requested
        ledger.append("contract.profile_changed" if approve else "contract.profile_change_rejected", city_user.login,
                      contract=contract.code,
                      data={"from": contract.profile or provisions.LEGACY_PROFILE, "to": contract.profile_requested, "note": note},
                      changes={"contract": {contract.code: change}})
    return access.get_contract(contract.code)


def require_allowed(contract: Contract | str, rule_ja: str, rule_en: str, article: str, allowed: bool) -> None:
    """Refuse, naming the contract's own provisions and article, unless ``allowed``."""
    if allowed:
        return
    profile = for_contract(contract)
    cite_ja, cite_en = profile.cite(article)
    raise NotAllowed(f"{rule_ja}（{cite_ja}）", f"{rule_en} ({cite_en})", article=article)
