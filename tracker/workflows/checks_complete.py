"""The end of a storage check (Art. 6(2)): each contract's part completed and signed off by its
own people, or the whole check abandoned with a reason — so that a check always ends.

**Parts.** A cabinet may hold media of several contracts. The contracts whose media were recorded
there when the check began (``checks.parts_of``) each complete their own part: completing records
for that contract what was found, missing and unexpected (``check.reconciled``, so each
contract's events name only its own media), sets ``last_checked_at`` on the media found, records
the missing ones as lost and opens one incident draft for them (``incidents.open_draft``). Who
completes does so for every open part they hold custody of; when the last part is done the
check is ``completed`` (``check.completed``) — one transaction each time. A code scanned that is
not of a part — another contract's medium, typed or read, or a code that is no label of ours —
is a finding listed on the check and in the report, never a part anyone has to complete, so it
cannot block the check. A check of a place that held nothing has no parts: it is completed by
one person with custody of any of their contracts, and the media of theirs found there are
reconciled for their contracts.

**Sign-off.** The responsible person of each completed part signs it off; that contract's
保管状況点検報告 is issued then (one per contract: a contract's paper never shows another's
media). When every part is signed off the check is ``signed_off``.

**Abandoning.** While open, the responsible person of a part (or, for a place nobody can reach,
an admin) ends the check saying why (``check.abandoned``): the place is no longer "being checked"
and a new check can start. Parts already completed stay recorded; nothing else is.
"""

from __future__ import annotations

from tracker import db, ledger
from tracker.documents import checks as check_papers
from tracker.errors import DomainError, WrongState
from tracker.models import Document, StorageCheck, User
from tracker.timeutil import now_iso
from tracker.workflows import access, checks, incidents, inputs, papers


def complete(
    actor: User,
    number: str,
    accuracy_method: str,
    accuracy_result: str,
    anomalies: str = "",
    corrective_actions: str = "",
    seals_intact: bool = False,
) -> StorageCheck:
    """Complete the parts of the check that ``actor`` holds custody of; the check itself once every
    part is done. Refused while any device still holds unsent scans.

    ``seals_intact``: the person states that every seal not noted otherwise was intact.
    """
    check = checks.get_check(number)
    _completing(actor, check)
    fields = {
        "accuracy_method": inputs.require_text(accuracy_method, "データの正確性の点検方法", "data-accuracy check method", 2000),
        "accuracy_result": inputs.require_text(accuracy_result, "データの正確性の点検結果", "data-accuracy check result", 2000),
        "anomalies": (anomalies or "").strip()[:2000], "corrective_actions": (corrective_actions or "").strip()[:2000],
    }
    with db.writing():
        check = checks.get_check(number)
        checks._require_status(check, "open")
        checks._require_nothing_pending(check)
        mine = _completing(actor, check)  # again, inside the transaction: another may have completed meanwhile
        everything = checks.reconcile(check)  # before anything is recorded as lost
        if check.expected and not (everything.found or everything.unexpected or everything.unknown):
            raise WrongState("まだ媒体が1件も読み取られていません。読み取ってから完了してください",
                             "no medium has been scanned yet; scan the media before completing")
        now = now_iso()
        place = check.location
        parts = dict(check.parts)
        tallies = {code: checks.reconcile(check, [code]) for code in mine}
        for code, tally in tallies.items():
            parts[code] = {"completed_by": actor.login, "completed_at": now}
            changes = _reconciled_changes(tally, now, seals_intact)
            changes["storage_check"] = {check.number: {"parts": dict(parts), **checks._joined(check, actor, flat=True)}}
            ledger.append("check.reconciled", actor.login, contract=code,
                          data={"number": check.number, "location": place.code,
                                **{name: ids for name, ids in tally.as_dict().items() if name != "unknown"}},
                          changes=changes, media=[line.id for line in tally.unexpected])
        if set(checks.parts_of(check)) <= set(parts):
            ledger.append("check.completed", actor.login,
                          data={"number": check.number, "location": place.code, "seals_intact": bool(seals_intact),
                                **{name: len(ids) for name, ids in everything.as_dict().items()}},
                          changes={"storage_check": {check.number: {
                              **fields, "status": "completed", "completed_by": actor.login, "completed_at": now,
                              "parts": parts, **checks._joined(check, actor, flat=True)}}})
        for code, tally in tallies.items():
            if tally.missing:
                incidents.open_draft(
                    actor, code, [line.medium for line in tally.missing], source=check.number, place=checks._place_label(place),
                    discovered_at=now,
                    summary=f"保管状況点検 {check.number}（{place.name}）で所在を確認できなかった媒体 {len(tally.missing)} 件",
                )
    return checks.get_check(number)


def open_parts(check: StorageCheck) -> list[str]:
    """The parts not completed yet."""
    return [code for code in checks.parts_of(check) if code not in check.parts]


def may_complete(actor: User, check: StorageCheck) -> bool:
    """Whether the page offers ``actor`` the completion form: an open part of theirs is waiting."""
    if check.status != "open":
        return False
    try:
        _completing(actor, check)
        return True
    except DomainError:
        return False


def _completing(actor: User, check: StorageCheck) -> list[str]:
    """The contracts ``actor`` completes now: the open parts they hold custody of (for a place
    that held nothing, those of the media found there that are theirs); refused with the reason
    for the first open part when there is none."""
    parts = checks.parts_of(check)
    if not parts:
        access.authorize(actor, "custody_at_place", [])  # custody of one of one's own contracts
        return [code for code in checks.involved_contracts(check) if access.allows(access.require_custody, actor, code)]
    waiting = open_parts(check)
    mine = [code for code in waiting if access.allows(access.require_custody, actor, code)]
    if mine:
        return mine
    if not any(access.allows(access.require_custody, actor, code) for code in check.parts):
        access.authorize(actor, "complete_check", waiting or parts)  # why not, for a part still open
    raise WrongState(f"{check.number} のうち、あなたが完了できる契約の部分はすべて完了しています",
                     f"every part of {check.number} that you may complete is completed")


def _reconciled_changes(tally, now: str, seals_intact: bool) -> dict:
    changes = {"medium": {line.id: {"last_checked_at": now} for line in tally.found}}
    changes["medium"].update({line.id: {"status": "lost", "location": None, "custodian": None, "purpose": "",
                                        "due_back": None, "updated_at": now} for line in tally.missing})
    if seals_intact:
        sealed = [line.scan for line in tally.found + tally.unexpected if line.medium.seal_number and line.scan.seal_intact is None]
        if sealed:
            changes["check_scan"] = {found.key: {"seal_intact": True} for found in sealed}
    return changes


def sign_off(actor: User, number: str, settings) -> list[Document]:
    """The responsible person signs off the completed parts that are theirs; each part's report
    is issued. The check is signed off when every part is."""
    check = checks.get_check(number)
    _signing(actor, check)
    with db.writing():
        check = checks.get_check(number)
        checks._require_status(check, "completed")
        mine = _signing(actor, check)
        now = now_iso()
        parts = {code: dict(part) for code, part in _parts_to_sign(check).items()}
        for code in mine:
            parts[code].update({"signed_off_by": actor.login, "signed_off_at": now})
        row = {"parts": parts}
        if all(part.get("signed_off_at") for part in parts.values()):
            row.update({"status": "signed_off", "signed_off_by": actor.login, "signed_off_at": now})
        ledger.append("check.signed_off", actor.login, data={"number": check.number, "contracts": mine},
                      changes={"storage_check": {check.number: row}})
        return [
            papers.issue(actor, settings, code, checks.REPORT_KIND, check.number,
                         lambda paper, code=code: check_papers.storage_check_report(checks.report_data(checks.get_check(number), code), paper),
                         media=[line.id for line in checks._lines_of(checks.reconcile(check, [code]))])
            for code in mine
        ]


def _parts_to_sign(check: StorageCheck) -> dict[str, dict]:
    """The completed parts; a check completed before parts were recorded has one per contract involved."""
    return dict(check.parts) or {code: {} for code in checks.involved_contracts(check)}


def _signing(actor: User, check: StorageCheck) -> list[str]:
    parts = _parts_to_sign(check)
    waiting = [code for code, part in parts.items() if not part.get("signed_off_at")]
    mine = [code for code in waiting if access.allows(access.require_responsible, actor, code)]
    if mine:
        return mine
    if not parts:  # a check of an empty place that reconciled nothing: a responsible person of their own contract
        access.authorize(actor, "sign_off_check", [])
        return []
    if not any(access.allows(access.require_responsible, actor, code) for code in parts):
        access.authorize(actor, "sign_off_check", waiting or list(parts))  # why not, for a part still waiting
    raise WrongState(f"{check.number} のうち、あなたが確認できる契約の部分はすべて確認済みです",
                     f"every part of {check.number} that you may sign off is signed off")


def abandon(actor: User, number: str, reason: str) -> StorageCheck:
    """End an open check that cannot be finished, saying why: the responsible person of one of
    its parts, or an admin. The place is free for a new check."""
    check = checks.get_check(number)
    access.authorize(actor, "abandon_check", checks.parts_of(check))
    reason = inputs.require_text(reason, "中止の理由", "reason for abandoning", 1000)
    with db.writing():
        check = checks.get_check(number)
        checks._require_status(check, "open")
        now = now_iso()
        ledger.append("check.abandoned", actor.login,
                      data={"number": check.number, "location": check.location_id, "reason": reason,
                            "completed_parts": sorted(check.parts)},
                      changes={"storage_check": {check.number: {"status": "abandoned", "abandoned_by": actor.login,
                                                                "abandoned_at": now, "abandon_reason": reason}}})
    return checks.get_check(number)
