"""保管状況点検 (Art. 6(2)): a storage place's media checked against the ledger, on a schedule.

**Schedule.** A storage place may have ``check_interval_days``. The next check is due that many
JST calendar days after the JST day of the last completed check — times are stored in UTC, so a
check completed at 00:30 JST on the 1st counts for the 1st, not for the last day of the previous
month as its UTC date would. A place never checked counts from the day it was registered. A
check is ``due`` from a week before that day (a quarter of the interval when that is shorter)
and ``overdue`` from the day after; a place holding media without an interval is
``unscheduled``. The interval that counts is the shortest of the place's own and those of the
provisions its contracts run under (``[storage_checks] interval_days`` of each contract's
profile): a place may be checked more often than a city asks, never less. Intervals are days only, on purpose: a "monthly" check is 28 or 30 days, so
the due day is plain arithmetic on calendar days and never depends on month lengths.

**A session.** A check is per place, not per contract: a cabinet may hold media of several
contracts. It starts by scanning the place's label (a medium's label, a work place, an unknown or
inactive place are refused with the reason) and fixes ``expected``: the media recorded as
stored there, backups (``is_backup``) listed apart. Each code scanned into it — phone batch,
handheld scanner, or station action ``check`` — becomes a ``CheckScan`` whose finding is fixed
when it is made: *found* (expected here), *unexpected* (a medium of ours recorded elsewhere, or
destroyed, returned or missing: the reason says which) or *unknown* (not a label of ours: the
raw text is kept, never a Medium). A repeated code records nothing. Whoever scans becomes a
participant. A station scans into the check open at the place whose label it read first; a scan
never starts a check (a station's queued scan arriving after completion is refused instead). Seal exceptions are noted per medium; at completion the person may state that all
other seals were intact.

**Scans still on their way.** Another tool lost offline scans when an audit was closed before
they synced (REFERENCES.md). Here every device scanning into a check — the check page on a
phone, a scanning station — has a device ID and reports how many scans it holds unsent: the
phone page its list not yet recorded (with each batch, and as a heartbeat while codes wait in
it), the station the length of its outbox (``RemoteSink.pending()``) after every drain. The last
report per device is kept on the check (``devices``); a ledger event is written only when a
device appears or switches between "nothing pending" and "pending", so heartbeats do not flood
the ledger. **Completion is refused while any device last reported pending > 0**, naming the
device, who used it and when. A device that will never report again (a station switched off
with a full outbox) can be released by a person who says why — in the ledger. A scan arriving
after completion is refused (a station keeps it in ``outbox/rejected``). What no design can see
is a device that went offline before it ever reported; so the station reports before it sends
its first scan, and the check page reports when it opens.

**Completion, sign-off and abandoning** are in ``checks_complete.py`` (re-exported here): each
contract whose media were at the place completes and signs off its own part, a code of another
contract or not of the place is noted and never blocks, and a check that cannot be finished is
abandoned with a reason.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta

import peewee

from labels import payload as label_payload
from tracker import db, ledger, vocabulary
from tracker.documents import checks as check_papers
from tracker.errors import AlreadyExists, InvalidInput, NotAllowed, NotFound, WrongState
from tracker.models import CheckExpected, CheckScan, Document, Event, Incident, Location, Medium, StorageCheck, User, canonical_json
from tracker.timeutil import JST, format_jst, now_iso, to_jst, utc_now
from tracker.workflows import access, incidents, inputs, media, papers, profiles

DUE_NOTICE_DAYS = 7
DUE_STATES = ("ok", "due", "overdue", "unscheduled")
REPORT_KIND = "storage_check"


# ---- schedule ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """When a storage place was last checked and when it is due, for the reader's contracts."""

    location: Location
    contracts: list[str]  # the reader's contracts with media stored there
    media: int  # how many of their media are stored there
    last_check: StorageCheck | None
    since: date | None  # JST day the interval counts from: the last check, or the place's registration
    next_due: date | None
    state: str  # see DUE_STATES
    interval_days: int | None = None  # the interval that counts (see the module's docstring)


def today() -> date:
    """Today in Japan: the day a person at the cabinet would write on the form."""
    return utc_now().astimezone(JST).date()


def next_due(since: date, interval_days: int) -> date:
    return since + timedelta(days=interval_days)


def due_state(due_on: date | None, interval_days: int | None, on: date) -> str:
    if due_on is None or not interval_days:
        return "unscheduled"
    if on > due_on:
        return "overdue"
    if on >= due_on - timedelta(days=min(DUE_NOTICE_DAYS, interval_days // 4)):
        return "due"
    return "ok"


def schedules(contracts: list[str]) -> list[Schedule]:
    """Every storage place holding media of ``contracts``, with its last check and due state."""
    held: dict[str, dict[str, int]] = {}
    rows = (Medium.select(Medium.location, Medium.contract, peewee.fn.COUNT(Medium.id))
            .where(Medium.contract.in_(list(contracts)) & (Medium.status == "stored") & Medium.location.is_null(False))
            .group_by(Medium.location, Medium.contract).tuples())
    for code, contract, count in rows:
        held.setdefault(code, {})[contract] = count
    on = today()
    places = list(Location.select().where(Location.code.in_(list(held))).order_by(Location.code))
    newest = last_checks([place.code for place in places])
    registered = _registered_on_each([place.code for place in places if place.code not in newest])
    required = required_intervals({contract for counts in held.values() for contract in counts})
    return [_schedule(place, held[place.code], newest.get(place.code), registered.get(place.code), on, required) for place in places]


def schedule_of(place: Location, counts: dict[str, int], on: date) -> Schedule:
    return _schedule(place, counts, last_check(place.code), None, on, required_intervals(set(counts)))


def required_intervals(contracts: set[str]) -> dict[str, int]:
    """Each contract's longest allowed storage-check interval, from the provisions it runs under
    (read once per contract, not once per place)."""
    return {code: profiles.for_contract(code).storage_checks.interval_days for code in sorted(contracts)}


def effective_interval(own: int | None, contracts, required: dict[str, int]) -> int | None:
    """The shortest of the place's own interval and its contracts' provisions' (None: neither sets one)."""
    found = [days for days in (own, *(required.get(code) for code in contracts)) if days]
    return min(found) if found else None


def _schedule(place: Location, counts: dict[str, int], last: StorageCheck | None, registered: date | None, on: date,
              required: dict[str, int]) -> Schedule:
    since = to_jst(last.completed_at).date() if last else (registered or _registered_on(place.code))
    interval = effective_interval(place.check_interval_days, counts, required)
    due = next_due(since, interval) if interval and since else None
    return Schedule(place, sorted(counts), sum(counts.values()), last, since, due, due_state(due, interval, on), interval)


def attention(contracts: list[str]) -> list[Schedule]:
    """What the dashboard shows: places whose check is due, overdue, or never scheduled."""
    return [row for row in schedules(contracts) if row.state != "ok"]


def last_check(location_code: str, before: str | None = None) -> StorageCheck | None:
    """The newest completed check of a place (completed before ``before``, when given)."""
    condition = (StorageCheck.location == location_code) & StorageCheck.completed_at.is_null(False)
    if before:
        condition &= StorageCheck.completed_at < before
    return StorageCheck.select().where(condition).order_by(StorageCheck.completed_at.desc()).first()


def last_checks(location_codes: list[str]) -> dict[str, StorageCheck]:
    """The newest completed check of each place, in one statement (not one per place)."""
    if not location_codes:
        return {}
    newest = (StorageCheck.select(StorageCheck.location, peewee.fn.MAX(StorageCheck.completed_at).alias("newest"))
              .where(StorageCheck.location.in_(location_codes) & StorageCheck.completed_at.is_null(False))
              .group_by(StorageCheck.location))
    found = (StorageCheck.select().join(newest, on=((StorageCheck.location == newest.c.location_id)
                                                    & (StorageCheck.completed_at == newest.c.newest)))
             .order_by(StorageCheck.number))
    return {check.location_id: check for check in found}


def _registered_on(location_code: str) -> date | None:
    return _registered_on_each([location_code]).get(location_code)


def _registered_on_each(location_codes: list[str]) -> dict[str, date]:
    """The JST day each place was registered, from its ``location.created`` events at once."""
    if not location_codes:
        return {}
    wanted = {canonical_json({"code": code}): code for code in location_codes}
    events = Event.select(Event.data, Event.at).where((Event.kind == "location.created") & Event.data.in_(list(wanted)))
    found: dict[str, date] = {}
    for data, at in events.order_by(Event.seq).tuples():
        found.setdefault(wanted[data], to_jst(at).date())
    return found


# ---- a session ---------------------------------------------------------------------------------


def start(actor: User, location: str, secret: bytes) -> StorageCheck:
    """Open a check of the place whose label was scanned (or whose code was typed)."""
    place = storage_place(location, secret)
    _require_custody_of_one(actor, _contracts_stored_at(place.code))
    with db.writing():
        running = open_check_at(place.code)
        if running:
            raise AlreadyExists(f"{place.name} は点検中です（{running.number}）。その点検に加わってください",
                                f"{place.name} is being checked already ({running.number}); join that check", number=running.number)
        expected = _stored_at(place.code)
        number = inputs.next_number(StorageCheck, "CHK", "", digits=5)
        ledger.append("check.started", actor.login, data={"number": number, "location": place.code, "expected": len(expected)},
                      changes={"storage_check": {number: {
                          "location": place.code, "status": "open", "expected": expected, "participants": [actor.login],
                          "started_by": actor.login, "started_at": now_iso()}}})
        _index_expected(number)
    return get_check(number)


def storage_place(text: str, secret: bytes) -> Location:
    """The storage place a scanned label (or typed code) names, or why it cannot be checked."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("保管場所のラベルを読み取ってください", "scan the storage place's label")
    parsed = label_payload.parse(text, secret)
    if not parsed.valid:
        raise InvalidInput(f"保管場所のラベルとして読めません：{parsed.message_ja}", f"not a storage place's label: {parsed.message_en}")
    if parsed.kind != label_payload.KIND_LOCATION:
        raise InvalidInput(f"{parsed.claimed_id} は媒体のラベルです。先に保管場所のラベルを読み取ってください",
                           f"{parsed.claimed_id} is a medium's label; scan the storage place's label first")
    place = Location.get_or_none(Location.code == parsed.location)
    if place is None:
        raise NotFound(f"保管場所 {parsed.location} は登録されていません", f"no location {parsed.location}")
    if place.purpose != "storage":
        raise WrongState(f"{place.name} は作業場所です。保管状況の点検は保管場所について行います（第6条第2号）",
                         f"{place.name} is a work place; storage checks are of storage places (Art. 6(2))")
    if not place.active:
        raise WrongState(f"{place.name} は使用を停止した場所です", f"{place.name} is no longer in use")
    return place


def get_check(number: str) -> StorageCheck:
    return inputs.find_paper(StorageCheck, number, "点検", "storage check")


def open_check_at(location_code: str) -> StorageCheck | None:
    """The check open at a place, without its list of expected media (see ``_light_check``)."""
    return (StorageCheck.select(*_LIGHT_FIELDS)
            .where((StorageCheck.location == location_code) & (StorageCheck.status == "open")).first())


def session_for(actor: User, context: str | None, secret: bytes) -> StorageCheck:
    """The check a scan goes into: by number (the check page, the API), or by the place a station
    scanned first — the check open there. Never started by a scan: a station's queued scan sent
    after the check was completed must be refused, not begin a check nobody is doing."""
    text = (context or "").strip()
    if not text:
        raise InvalidInput("点検番号（例: CHK-00001）を指定するか、先に保管場所のラベルを読み取ってください",
                           "give the check number (e.g. CHK-00001), or scan the storage place's label first")
    if text.upper().startswith("CHK-"):
        return _light_check(text)
    place = storage_place(text, secret)
    running = open_check_at(place.code)
    if running is None:
        raise WrongState(f"{place.name} では点検が行われていません。点検のページで保管場所のラベルを読み取って開始してください",
                         f"no check is open at {place.name}; start one on the checks page by scanning the place's label")
    return running


@dataclass(frozen=True)
class ScanResult:
    check: StorageCheck
    scan: CheckScan | None  # None: the place's own label, nothing recorded
    medium: Medium | None  # None: an unknown code (or the place's label)
    fresh: bool  # False: scanned before in this check; nothing recorded


def scan(actor: User, context: str | None, code: str, secret: bytes, source: str | None = None, confirmed: bool = False) -> ScanResult:
    """One code scanned at the place. Anything that is not the place's own label is recorded,
    unknown codes included: they are findings of the check, not mistakes of the scanner. A typed
    ID of a medium counts only with ``confirmed`` (``inputs.require_presence``)."""
    code = (code or "").strip()
    if not code:
        raise InvalidInput("読み取ったコードがありません", "no code was scanned")
    check = session_for(actor, context, secret)
    _require_custody_of_one(actor, expected_contracts(check))
    parsed = label_payload.parse(code, secret)
    if parsed.location:
        if parsed.location != check.location_id:
            raise WrongState(f"{parsed.location} は別の場所のラベルです。{check.number} は {check.location.name} の点検です",
                             f"{parsed.location} is another place's label; {check.number} checks {check.location.name}")
        return ScanResult(check, None, None, fresh=False)
    with db.writing():
        check = _require_open(check.number, light=True)
        medium = Medium.get_or_none(Medium.id == parsed.medium) if parsed.medium else None
        if medium is None:
            why_ja, why_en = label_payload.REASONS[parsed.reason] if not parsed.valid else ("登録されていないID", "an ID not registered")
            key = inputs.item_key(check.number, "?" + hashlib.sha256(code.encode()).hexdigest()[:16])
            row = {"medium": code[:200], "finding": "unknown", "note": f"{why_ja} / {why_en}"}
        else:
            identified_by = inputs.identification(source, parsed.signed)
            inputs.require_presence(identified_by, confirmed, medium.id, "確認済み", "found")
            key = inputs.item_key(check.number, medium.id)
            row = {"medium": medium.id, "finding": "found" if _recorded_here(medium, check) else "unexpected",
                   "recorded_status": medium.status, "recorded_location": medium.location_id, "identified_by": identified_by}
        earlier = CheckScan.get_or_none(CheckScan.key == key)
        if earlier:
            return ScanResult(check, earlier, medium, fresh=False)
        changes = {"check_scan": {key: {**row, "check": check.number, "scanned_at": now_iso(), "scanned_by": actor.login}}}
        changes.update(_joined(check, actor))
        ledger.append("check.scanned", actor.login, contract=medium.contract_id if medium else None,
                      data={"number": check.number, "location": check.location_id, "finding": row["finding"]},
                      changes=changes, media=[medium.id] if medium else [])
        check.participants = _joined(check, actor, flat=True).get("participants", check.participants)
    return ScanResult(check, CheckScan.get_by_id(key), medium, fresh=True)


def scan_answer(actor: User, context: str | None, code: str, secret: bytes, source: str | None = None, confirmed: bool = False) -> dict:
    """``scan`` as the answer the scan box, the API and the station show for each code."""
    result = scan(actor, context, code, secret, source, confirmed)
    visible = result.medium is not None and _may_read(actor, result.medium.contract_id)
    message_ja, message_en = _message(result, visible)
    answer = {"ok": True, "check": result.check.number, "message_ja": message_ja, "message_en": message_en,
              "duplicate": result.scan is not None and not result.fresh}
    if result.scan is not None:
        answer.update(finding=result.scan.finding, unexpected=result.scan.finding != "found")
    if visible:
        medium = result.medium
        answer["medium"] = {"id": medium.id, "contract": medium.contract_id, "title": medium.title,
                            "status": medium.status, "location": medium.location_id}
    return answer


def _message(result: ScanResult, visible: bool) -> tuple[str, str]:
    check, found = result.check, result.scan
    if found is None:
        return (f"{check.location.name} のラベルです（点検 {check.number}）", f"the label of {check.location.name} (check {check.number})")
    if not result.fresh:
        label_ja, label_en = (found.medium, found.medium) if found.finding != "unknown" else ("このコード", "this code")
        return (f"{label_ja} は読取り済みです（二重読取り）", f"{label_en} was already scanned (duplicate)")
    if found.finding == "unknown":
        return (f"注意: 当システムのラベルではありません（{found.note}）。記録しました",
                f"warning: not a label of ours ({found.note}); recorded")
    if not visible:
        return (f"{found.medium}：閲覧できない契約の媒体です（記録しました）", f"{found.medium}: a medium of a contract you cannot read (recorded)")
    title = result.medium.title
    if found.finding == "found":
        return (f"{found.medium} {title}：所在を確認しました", f"{found.medium} {title}: found")
    reason_ja, reason_en = unexpected_reason(found)
    return (f"注意: {found.medium} {title}：{reason_ja}", f"warning: {found.medium} {title}: {reason_en}")


def unexpected_reason(found: CheckScan) -> tuple[str, str]:
    """Why a scanned medium was not expected here: where (and how) the ledger had it at the scan."""
    status, code = found.recorded_status, found.recorded_location
    place = _place_name(code)
    if status in ("destroyed", "returned"):
        name_ja, name_en = vocabulary.STATUSES[status]
        return (f"「{name_ja}」と記録されています。ここにあるはずのない媒体です", f"recorded as {name_en}: it should not be here")
    if status == "stored" and code == found.check.location_id:
        return ("点検の開始後にここへ保管された媒体です", "stored here after the check began")
    if status == "stored":
        return (f"{place} に保管と記録されています（場所の記録と不一致）", f"recorded as stored in {place} (wrong place)")
    if status == "in_use":
        return (f"{place} へ持出し中と記録されています", f"recorded as taken out to {place}")
    if status == "lost":
        return ("所在不明と記録されています。媒体のページで「発見」を記録してください", "recorded as missing; record it as found on its page")
    name_ja, name_en = vocabulary.STATUSES.get(status, (status, status))
    return (f"「{name_ja}」と記録されています（この場所の保管の記録はありません）", f"recorded as {name_en} (not as stored here)")


def note_seal(actor: User, number: str, medium_id: str, intact: bool, note: str = "") -> CheckScan:
    """The seal of a medium scanned in this check: intact, or what is wrong with it."""
    check = get_check(number)
    _require_custody_of_one(actor, expected_contracts(check))
    note = (note or "").strip()[:200]
    if not intact and not note:
        raise InvalidInput("封印の異常の内容を記入してください", "describe what is wrong with the seal")
    medium = media.get_medium(medium_id)
    key = inputs.item_key(check.number, medium.id)
    with db.writing():
        check = _require_open(check.number)
        if CheckScan.get_or_none(CheckScan.key == key) is None:
            raise WrongState(f"{medium.id} はこの点検でまだ読み取られていません。先に読み取ってください",
                             f"{medium.id} has not been scanned in this check yet; scan it first", id=medium.id)
        ledger.append("check.seal_noted", actor.login, contract=medium.contract_id,
                      data={"number": check.number, "seal_intact": bool(intact), "note": note},
                      changes={"check_scan": {key: {"seal_intact": bool(intact), "note": note}}, **_joined(check, actor)},
                      media=[medium.id])
        if not intact and not _seal_incident_open(check.number, medium.id):
            incidents.open_draft(actor, medium.contract_id, [media.get_medium(medium.id)], source=check.number,
                                 place=_place_label(check.location), discovered_at=now_iso(), kind="seal_broken",
                                 summary=f"保管状況点検 {check.number} で {medium.id} の封印（{medium.seal_number or '番号なし'}）の異常",
                                 circumstances=note)
    return CheckScan.get_by_id(key)


def _seal_incident_open(check_number: str, medium_id: str) -> bool:
    """A broken seal noted again in the same check is the same accident, already told."""
    return any(medium_id in incident.media for incident in
               Incident.select().where((Incident.source == check_number) & (Incident.kind == "seal_broken")))


# ---- devices and pending scans -----------------------------------------------------------------


def report_device(actor: User, context: str | None, device: str, pending, secret: bytes, name: str = "") -> StorageCheck | None:
    """A phone or station says how many scans it still holds unsent (see the module docstring).
    ``context``: the check number, or a station's place (no check open there: nothing to report)."""
    device = inputs.require_text(device, "端末ID", "device id", max_length=80)
    pending = inputs.parse_count(pending, "送信待ちの件数", "pending count")
    text = (context or "").strip()
    check = get_check(text) if text.upper().startswith("CHK-") else open_check_at(storage_place(text, secret).code)
    if check is None:
        return None
    _require_custody_of_one(actor, expected_contracts(check))
    with db.writing():
        check = get_check(check.number)
        if check.status != "open":
            if pending:
                raise WrongState(
                    f"{check.number} は完了済みです。この端末の送信待ち {pending} 件は点検に含まれません（新しい点検で読み取ってください）",
                    f"{check.number} is already completed; this device's {pending} pending scans are not part of it (scan them in a new check)")
            return check
        before = check.devices.get(device)
        if before and before.get("by") == actor.login and (before["pending"] > 0) == (pending > 0):
            return check  # nothing the completion rule depends on has changed
        entry = {"name": (name or "").strip()[:80] or (before or {}).get("name") or device[:12], "by": actor.login,
                 "pending": pending, "reported_at": now_iso()}
        ledger.append("check.device_reported", actor.login, data={"number": check.number, "device": device, "pending": pending},
                      changes={"storage_check": {check.number: {"devices": {**check.devices, device: entry},
                                                                **_joined(check, actor, flat=True)}}})
    return get_check(check.number)


def release_device(actor: User, number: str, device: str, reason: str) -> StorageCheck:
    """Stop waiting for a device that will not report again, saying why (recorded)."""
    check = get_check(number)
    _require_custody_of_one(actor, expected_contracts(check))
    reason = inputs.require_text(reason, "解除の理由", "reason", max_length=200)
    with db.writing():
        check = _require_open(number)
        entry = check.devices.get(device)
        if entry is None:
            raise NotFound(f"端末 {device} はこの点検に登録されていません", f"device {device} is not registered in this check")
        released = {**entry, "pending": 0, "released_by": actor.login, "release_reason": reason, "reported_at": now_iso()}
        ledger.append("check.device_released", actor.login, data={"number": check.number, "device": device, "reason": reason,
                                                                  "pending": entry["pending"]},
                      changes={"storage_check": {check.number: {"devices": {**check.devices, device: released}}}})
    return get_check(number)


def waiting_devices(check: StorageCheck) -> list[tuple[str, dict]]:
    return sorted((device, entry) for device, entry in check.devices.items() if entry.get("pending", 0) > 0)


# ---- reconciliation, completion, sign-off ------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One row of a check's lists: the medium (None for an unknown code) and its scan (None when
    it was not scanned)."""

    medium: Medium | None
    scan: CheckScan | None

    @property
    def id(self) -> str:
        return self.medium.id if self.medium else self.scan.medium


@dataclass(frozen=True)
class Reconciliation:
    """What the ledger said was here against what was scanned."""

    expected: list[Line]  # recorded here when the check began, backups excluded
    backups: list[Line]  # the backups recorded here, listed apart
    found: list[Line]  # expected (backups included) and scanned
    missing: list[Line]  # expected (backups included), not scanned
    moved: list[Line]  # expected, not scanned, recorded elsewhere since (taken out during the check): not missing
    unexpected: list[Line]  # a medium of ours scanned here, not expected (or no longer recorded here)
    unknown: list[Line]  # a code that is not a label of ours

    def as_dict(self) -> dict:
        names = ("expected", "backups", "found", "missing", "moved", "unexpected")
        lists = {name: [line.id for line in getattr(self, name)] for name in names}
        return {**lists, "unknown": [line.scan.medium for line in self.unknown]}


def reconcile(check: StorageCheck, contracts: list[str] | None = None) -> Reconciliation:
    """The check's lists; with ``contracts``, only media of those (unknown codes belong to no
    contract and are always listed). Linear in the place's size: the expected media come in one
    join, scans are matched by dictionary, membership is by set."""
    scans = list(CheckScan.select().where(CheckScan.check == check.number).order_by(CheckScan.scanned_at, CheckScan.key))
    by_medium = {found.medium: found for found in scans if found.finding != "unknown"}
    _index_expected(check.number)
    expected_rows = (Medium.select().join(CheckExpected, on=(CheckExpected.medium == Medium.id))
                     .where(CheckExpected.check == check.number).order_by(Medium.id))
    rows = {medium.id: medium for medium in expected_rows}
    expected_ids = set(rows)
    rows.update(_media_by_id(set(by_medium) - expected_ids))

    def shown(medium_id: str) -> bool:
        return medium_id in rows and (contracts is None or rows[medium_id].contract_id in contracts)

    expected = [Line(rows[medium_id], by_medium.get(medium_id)) for medium_id in sorted(expected_ids) if shown(medium_id)]
    not_scanned = [line for line in expected if not line.scan]
    if check.status == "open":  # missing: still recorded here, yet not found
        missing = [line for line in not_scanned if _still_here(line.medium, check)]
    else:  # missing: what completion recorded as lost, in this check's incidents
        reported = {medium_id for incident in Incident.select(Incident.media).where(Incident.source == check.number)
                    for medium_id in incident.media}
        missing = [line for line in not_scanned if line.id in reported]
    missing_ids = {line.id for line in missing}
    return Reconciliation(
        expected=[line for line in expected if not line.medium.is_backup],
        backups=[line for line in expected if line.medium.is_backup],
        found=[line for line in expected if line.scan and line.scan.finding == "found"],
        missing=missing,
        moved=[line for line in not_scanned if line.id not in missing_ids],
        unexpected=[Line(rows[found.medium], found) for found in scans if found.finding == "unexpected" and shown(found.medium)],
        unknown=[Line(None, found) for found in scans if found.finding == "unknown"],
    )


def involved_contracts(check: StorageCheck) -> list[str]:
    """Contracts whose media were expected here or scanned here."""
    scanned = (Medium.select(Medium.contract).join(CheckScan, on=(CheckScan.medium == Medium.id))
               .where((CheckScan.check == check.number) & (CheckScan.finding != "unknown")).distinct())
    return sorted(set(expected_contracts(check)) | {code for (code,) in scanned.tuples()})


def expected_contracts(check: StorageCheck) -> list[str]:
    """The contracts of the media the check expects (from its index: no list of IDs is sent)."""
    _index_expected(check.number)
    query = CheckExpected.select(CheckExpected.contract).where(CheckExpected.check == check.number).distinct()
    return sorted(code for (code,) in query.tuples())


def report_data(check: StorageCheck, contract_code: str) -> check_papers.ReportData:
    """What one contract's 保管状況点検報告 prints, read from the recorded rows."""
    interval = effective_interval(check.location.check_interval_days, [contract_code], required_intervals({contract_code}))
    completed_on = to_jst(check.completed_at).date() if check.completed_at else None
    lines = reconcile(check, [contract_code])
    return check_papers.ReportData(
        check=check, contract=access.get_contract(contract_code), lines=lines,
        previous=last_check(check.location_id, before=check.completed_at or check.started_at),
        next_due=next_due(completed_on, interval) if completed_on and interval else None,
        incidents=list(Incident.select().where((Incident.source == check.number) & (Incident.contract == contract_code))
                       .order_by(Incident.number)),
        reasons={line.id: unexpected_reason(line.scan)[0] for line in lines.unexpected},
    )


def preview_report(actor: User, number: str, contract_code: str, settings) -> bytes:
    check = get_check(number)
    access.require_read(actor, contract_code)
    if contract_code not in involved_contracts(check) + list(check.parts):
        raise NotFound(f"{check.number} には契約 {contract_code} の媒体がありません", f"{check.number} involves no media of {contract_code}")
    return papers.preview(settings, lambda paper: check_papers.storage_check_report(report_data(check, contract_code), paper))


def reports(check: StorageCheck) -> list[Document]:
    return list(Document.select().where((Document.kind == REPORT_KIND) & (Document.subject == check.number))
                .order_by(Document.serial))


# ---- reading -----------------------------------------------------------------------------------


def require_read(actor: User, check: StorageCheck) -> None:
    """Admins read every check; others those whose media include a contract they read (and then
    see only those media). A check of a place that held no media involves no contract: city
    staff and those who took part read it."""
    access.require_active(actor)
    if actor.is_admin:
        return
    involved = involved_contracts(check)
    if set(access.readable_contracts(actor)) & set(involved):
        return
    if not involved and (actor.is_municipality or actor.login in check.participants):
        return
    raise NotAllowed(f"点検 {check.number} の記録を閲覧する権限がありません", f"no access to storage check {check.number}")


def readable_checks(actor: User) -> list[StorageCheck]:
    found = []
    for check in StorageCheck.select().order_by(StorageCheck.number.desc()):
        try:
            require_read(actor, check)
        except NotAllowed:
            continue
        found.append(check)
    return found


def visible_contracts(actor: User, check: StorageCheck) -> list[str]:
    readable = set(access.readable_contracts(actor))
    return [code for code in involved_contracts(check) if code in readable]


def parts_of(check: StorageCheck) -> list[str]:
    """The contracts whose media were recorded at the place when the check began: each completes
    and signs off its own part. A medium of another contract scanned here is a finding of the
    check, noted in its lists, never a part that someone must complete."""
    return expected_contracts(check)


def may_act(actor: User, check: StorageCheck, rule=access.require_custody) -> bool:
    try:
        _require_custody_of_one(actor, expected_contracts(check), rule=rule)
        return True
    except (NotAllowed, NotFound):
        return False


# ---- helpers -----------------------------------------------------------------------------------


def _recorded_here(medium: Medium, check: StorageCheck) -> bool:
    """Expected at this check and still recorded as stored at its place: one primary-key lookup."""
    return _still_here(medium, check) and CheckExpected.select().where(
        (CheckExpected.check == check.number) & (CheckExpected.medium == medium.id)).exists()


def _still_here(medium: Medium, check: StorageCheck) -> bool:
    return medium.status == "stored" and medium.location_id == check.location_id


def _stored_at(location_code: str) -> list[str]:
    query = Medium.select(Medium.id).where((Medium.location == location_code) & (Medium.status == "stored")).order_by(Medium.id)
    return [medium_id for (medium_id,) in query.tuples()]


def _contracts_stored_at(location_code: str) -> list[str]:
    query = Medium.select(Medium.contract).where((Medium.location == location_code) & (Medium.status == "stored")).distinct()
    return sorted(code for (code,) in query.tuples())


def _index_expected(number: str) -> None:
    """Fill ``CheckExpected`` for check ``number`` from the list the ledger recorded, unless it is
    there already (it is, for every check begun by this version: ``start`` fills it at once)."""
    if CheckExpected.select().where(CheckExpected.check == number).exists():
        return
    listed = StorageCheck.select(StorageCheck.expected).where(StorageCheck.number == number).scalar()
    medium_ids = json.loads(listed) if isinstance(listed, str) else (listed or [])
    if not medium_ids:
        return
    contracts = _media_contracts(medium_ids)
    rows = [(number, medium_id, contracts.get(medium_id, "")) for medium_id in medium_ids]
    with db.database.atomic():
        for start in range(0, len(rows), INDEX_BATCH):
            CheckExpected.insert_many(rows[start:start + INDEX_BATCH], fields=[CheckExpected.check, CheckExpected.medium,
                                                                             CheckExpected.contract]).on_conflict_ignore().execute()


INDEX_BATCH = 5_000  # rows per INSERT: under SQLite's limit of bound values per statement


def _media_contracts(medium_ids) -> dict[str, str]:
    return {medium_id: contract for medium_id, contract in
            ((medium.id, medium.contract_id) for medium in _media_by_id(medium_ids, Medium.id, Medium.contract).values())}


def _media_by_id(medium_ids, *fields) -> dict[str, Medium]:
    """Media by ID, in batches: a place's worth of IDs would exceed the bound values one
    statement may carry."""
    medium_ids = sorted(medium_ids)
    found: dict[str, Medium] = {}
    for start in range(0, len(medium_ids), INDEX_BATCH):
        batch = medium_ids[start:start + INDEX_BATCH]
        found.update((medium.id, medium) for medium in Medium.select(*fields).where(Medium.id.in_(batch)))
    return found


def _require_custody_of_one(actor: User, contracts: list[str], rule=access.require_custody) -> None:
    """``rule`` holds for at least one of ``contracts`` — or, for an empty place, for one of the
    actor's own contracts. Refused with the first contract's reason."""
    refusal = None
    for code in contracts or access.readable_contracts(actor):
        try:
            rule(actor, code)
            return
        except NotAllowed as error:
            refusal = refusal or error
    raise refusal or NotAllowed("保管状況の点検は、契約の取扱者名簿に登録され誓約書を提出した人が行います",
                                "storage checks are done by people on a contract's roster with a signed pledge")


def _require_open(number: str, light: bool = False) -> StorageCheck:
    """The open check ``number``; ``light``: without its list of expected media, which a scan
    never needs (it asks ``CheckExpected``) and which is a long text to parse at a large place."""
    check = _light_check(number) if light else get_check(number)
    if check.status == "abandoned":
        raise WrongState(f"{check.number} は {format_jst(check.abandoned_at)} に中止されました（{check.abandon_reason}）。この操作は点検に含められません",
                         f"{check.number} was abandoned at {format_jst(check.abandoned_at)} ({check.abandon_reason}); this can no longer be part of it")
    if check.status != "open":
        raise WrongState(f"{check.number} は {format_jst(check.completed_at)} に完了しています。この操作は点検に含められません",
                         f"{check.number} was completed at {format_jst(check.completed_at)}; this can no longer be part of it")
    return check


_LIGHT_FIELDS = [field for field in StorageCheck._meta.sorted_fields if field is not StorageCheck.expected]


def _light_check(number: str) -> StorageCheck:
    found = StorageCheck.select(*_LIGHT_FIELDS).where(StorageCheck.number == (number or "").strip().upper()).first()
    if found is None:
        return get_check(number)  # refused there, with the usual message
    return found


def _require_status(check: StorageCheck, status: str) -> None:
    if check.status == status:
        return
    if check.status == "open":
        raise WrongState(f"{check.number} はまだ点検中です。先に完了してください", f"{check.number} is still open; complete it first")
    if status == "open" or check.status == "abandoned":
        _require_open(check.number)
    done_by = check.signed_off_by if check.status == "signed_off" else check.completed_by
    done_at = check.signed_off_at if check.status == "signed_off" else check.completed_at
    name_ja, name_en = vocabulary.CHECK_STATUSES[check.status]
    raise WrongState(f"{check.number} は既に「{name_ja}」です（{_name(done_by)} {format_jst(done_at)}）",
                     f"{check.number} is already {name_en} (by {done_by} at {format_jst(done_at)})")


def _require_nothing_pending(check: StorageCheck) -> None:
    waiting = waiting_devices(check)
    if not waiting:
        return
    ja = "、".join(f"{entry['name']}（{_name(entry['by'])}、{entry['pending']}件、{format_jst(entry['reported_at'])}）"
                  for _device, entry in waiting)
    en = "; ".join(f"{entry['name']} ({entry['by']}, {entry['pending']} pending, {format_jst(entry['reported_at'])})"
                   for _device, entry in waiting)
    raise WrongState(
        f"送信待ちの読取りがある端末があるため完了できません: {ja}。送信を終えるか、送信できない理由を記録して端末を解除してください",
        f"devices still hold unsent scans: {en}; let them send, or release a device saying why it cannot",
        devices=[device for device, _entry in waiting],
    )


def _joined(check: StorageCheck, actor: User, flat: bool = False) -> dict:
    """The change that adds ``actor`` to the participants, if they are not one yet."""
    if actor.login in check.participants:
        return {}
    values = {"participants": [*check.participants, actor.login]}
    return values if flat else {"storage_check": {check.number: values}}


def _lines_of(tally: Reconciliation) -> list[Line]:
    return tally.expected + tally.backups + tally.unexpected


def _may_read(actor: User, contract_code: str) -> bool:
    try:
        access.require_read(actor, contract_code)
        return True
    except NotAllowed:
        return False


def _place_name(code: str | None) -> str:
    if not code:
        return "—"
    place = Location.get_or_none(Location.code == code)
    return place.name if place else code


def _place_label(place: Location) -> str:
    return "　".join(part for part in (place.name, place.site, place.room) if part) + f"（{place.code}）"


def _name(login: str | None) -> str:
    user = User.get_or_none(User.login == login) if login else None
    return user.name if user else (login or "—")


# Completion, sign-off and abandoning live in their own module (a phase of the check); imported
# last because they use this module's helpers.
from tracker.workflows.checks_complete import abandon, complete, sign_off  # noqa: E402,F401
