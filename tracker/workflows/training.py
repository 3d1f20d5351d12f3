"""Training and supervision of the people on a contract (Art. 10, Art. 2(2)).

* A training session records the date, content, trainer, its materials (kept by SHA-256) and the
  attendees — people on the contract's roster — each of whom confirms with their own login that
  they attended. Only a confirmed attendance counts.
* The refresher interval comes from the contract's provision profile (``training.interval_days``).
  A person's training is due that many days after their last confirmed session; someone never
  trained has ``training.first_within_days`` (30 unless the profile says otherwise) from the day
  they were added to the roster. Past it, their training has *lapsed*:
  flagged on the dashboard and the inspection page, and — where the profile says
  ``blocks_when_lapsed`` — ``access.require_custody`` refuses them until they attend again.
* Supervision checks (date, who checked, whom, what, findings) and the reminder given to a leaver
  that the duty of confidentiality continues are recorded the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tracker import db, ledger
from tracker.errors import InvalidInput, NotAllowed, WrongState
from tracker.models import Contract, RosterEntry, SupervisionCheck, TrainingSession, User
from tracker.timeutil import JST, now_iso, to_jst, utc_now
from tracker.workflows import access, attachments, inputs, profiles

MAX_MATERIAL_BYTES = 20 * 1024 * 1024


def record_session(actor: User, settings, contract_code: str, held_on: str, content: str, trainer: str,
                   attendees: list[str], materials: list[tuple[str, bytes]] = ()) -> TrainingSession:
    """The responsible person records a session; ``materials`` are (file name, bytes)."""
    contract = access.get_contract(contract_code)
    _require_responsible(actor, contract)
    day = inputs.parse_date(held_on or "").isoformat()
    if day > _today():
        raise InvalidInput("実施日が未来の日付です", "the session's date is in the future")
    content = inputs.require_text(content, "教育の内容", "content", 2000)
    trainer = inputs.require_text(trainer, "講師", "trainer", 100)
    logins = list(dict.fromkeys(login.strip() for login in attendees if login and login.strip()))
    if not logins:
        raise InvalidInput("受講者を選んでください", "choose the attendees")
    on_roster = {entry.user_id for entry in RosterEntry.select().where((RosterEntry.contract == contract.code) & RosterEntry.removed_at.is_null())}
    strangers = [login for login in logins if login not in on_roster]
    if strangers:
        raise InvalidInput(f"受講者 {', '.join(strangers)} はこの契約の名簿にありません。名簿にある人だけを記録できます",
                           f"attendees {', '.join(strangers)} are not on the roster of {contract.code}")
    for name, data in materials:
        if not data or len(data) > MAX_MATERIAL_BYTES:
            raise InvalidInput(f"資料 {name} は空か大きすぎます（上限 20 MB）", f"material {name} is empty or too large (limit 20 MB)")
    with db.writing():
        changes: dict = {}
        hashes = []
        for name, data in materials:
            sha256, stored = attachments.store(settings.attachments_dir, data, "application/octet-stream", name)
            hashes.append(sha256)
            for table, rows in stored.items():
                changes.setdefault(table, {}).update(rows)
        number = inputs.next_number(TrainingSession, contract.code, "E")
        changes["training_session"] = {number: {
            "contract": contract.code, "held_on": day, "content": content, "trainer": trainer, "materials": hashes,
            "attendees": logins, "confirmations": {}, "recorded_by": actor.login, "recorded_at": now_iso(),
            "reported_on": None, "reported_how": "", "reported_to": ""}}
        ledger.append("training.recorded", actor.login, contract=contract.code,
                      data={"session": number, "attendees": logins, "materials": hashes}, changes=changes)
    return TrainingSession.get_by_id(number)


def confirm_attendance(actor: User, number: str) -> TrainingSession:
    """An attendee confirms, with their own login, that they attended and understood."""
    session = inputs.find_paper(TrainingSession, number, "教育の記録", "training session")
    access.require_active(actor)
    if actor.login not in session.attendees:
        raise NotAllowed("受講者として記録された本人だけが受講を確認できます", "only an attendee confirms their own attendance")
    if actor.login in session.confirmations:
        raise WrongState("受講は確認済みです", "attendance already confirmed")
    with db.writing():
        session = TrainingSession.get_by_id(session.number)
        ledger.append("training.confirmed", actor.login, contract=session.contract_id, data={"session": session.number},
                      changes={"training_session": {session.number: {"confirmations": {**session.confirmations, actor.login: now_iso()}}}})
    return TrainingSession.get_by_id(session.number)


def record_report(actor: User, number: str, reported_on: str, how: str, receiver: str) -> TrainingSession:
    """The session's results reported to the city, where the contract's profile asks for it."""
    from tracker.workflows import pledges  # the same ways of handing papers to the city

    session = inputs.find_paper(TrainingSession, number, "教育の記録", "training session")
    contract = session.contract
    _require_responsible(actor, contract)
    rule = profiles.for_contract(contract).training
    if not rule.results_reported:
        raise WrongState("この契約の特記事項は教育結果の報告を求めていません", "this contract's provisions ask for no training report")
    if session.reported_on:
        raise WrongState(f"この教育の結果は {session.reported_on} に報告済みです", f"already reported on {session.reported_on}")
    day = inputs.parse_date(reported_on or "").isoformat()
    if day > _today() or day < session.held_on:
        raise InvalidInput("報告日は実施日から今日までの日付にしてください", "the report date must be between the session and today")
    inputs.parse_choice(how, tuple(pledges.SUBMISSION_METHODS), "報告の方法", "how it was reported")
    receiver = inputs.require_text(receiver, "受け取った市の職員", "the city official who received it", 100)
    with db.writing():
        ledger.append("training.reported", actor.login, contract=contract.code,
                      data={"session": session.number, "reported_on": day, "how": how, "receiver": receiver},
                      changes={"training_session": {session.number: {"reported_on": day, "reported_how": how, "reported_to": receiver}}})
    return TrainingSession.get_by_id(session.number)


def record_supervision(actor: User, contract_code: str, checked_on: str, checked: str, findings: str = "",
                       subjects: list[str] = ()) -> SupervisionCheck:
    contract = access.get_contract(contract_code)
    _require_responsible(actor, contract)
    day = inputs.parse_date(checked_on or "").isoformat()
    if day > _today():
        raise InvalidInput("確認日が未来の日付です", "the check's date is in the future")
    checked = inputs.require_text(checked, "確認した事項", "what was checked", 2000)
    subjects = list(dict.fromkeys(login for login in subjects if login))
    for login in subjects:
        access.get_user(login)
    with db.writing():
        number = inputs.next_number(SupervisionCheck, contract.code, "S")
        ledger.append("supervision.recorded", actor.login, contract=contract.code, data={"check": number},
                      changes={"supervision_check": {number: {
                          "contract": contract.code, "checked_on": day, "checked_by": actor.login, "subjects": subjects,
                          "checked": checked, "findings": (findings or "").strip()[:2000], "recorded_at": now_iso()}}})
    return SupervisionCheck.get_by_id(number)


def remind_leaver(actor: User, contract_code: str, login: str, how: str) -> RosterEntry:
    """Record that a person taken off the roster was told their duty of confidentiality continues."""
    contract = access.get_contract(contract_code)
    _require_responsible(actor, contract)
    entry = RosterEntry.get_or_none(RosterEntry.key == access.roster_key(contract.code, login))
    if entry is None or entry.active:
        raise WrongState(f"{login} は契約 {contract.code} の名簿から外れた人ではありません", f"{login} has not left the roster of {contract.code}")
    how = inputs.require_text(how, "伝えた方法と内容", "how and what they were told", 500)
    with db.writing():
        ledger.append("roster.leaver_reminded", actor.login, contract=contract.code, data={"login": login},
                      changes={"roster_entry": {entry.key: {"leaver_reminded_on": _today(), "leaver_reminder": how}}})
    return RosterEntry.get_by_id(entry.key)


@dataclass(frozen=True)
class Standing:
    """One person's training on a contract."""

    entry: RosterEntry
    last: str | None  # ISO date of the last confirmed session
    due: date
    lapsed: bool


def standing(contract: Contract | str, today: date | None = None) -> list[Standing]:
    """Everyone on the roster with their last confirmed training and when the next is due."""
    contract = access.get_contract(contract)
    rule = profiles.for_contract(contract).training
    today = today or utc_now().astimezone(JST).date()
    sessions = list(TrainingSession.select().where(TrainingSession.contract == contract.code))
    found = []
    for entry in RosterEntry.select().where((RosterEntry.contract == contract.code) & RosterEntry.removed_at.is_null()):
        attended = [s.held_on for s in sessions if entry.user_id in s.confirmations]
        last = max(attended) if attended else None
        if last:
            due = date.fromisoformat(last) + timedelta(days=rule.interval_days)
        else:
            due = to_jst(entry.added_at).date() + timedelta(days=rule.first_within_days)
        found.append(Standing(entry=entry, last=last, due=due, lapsed=rule.required and today > due))
    return sorted(found, key=lambda s: (s.entry.role != "responsible", s.entry.key))


def lapsed_in(contract_codes: list[str]) -> list[Standing]:
    return [s for code in contract_codes for s in standing(code) if s.lapsed]


def lapse_reason(user: User, contract: Contract) -> tuple[str, str] | None:
    """Why ``user`` may not act because their training lapsed, where the profile says it blocks."""
    rule = profiles.for_contract(contract).training
    if not (rule.required and rule.blocks_when_lapsed):
        return None
    mine = next((s for s in standing(contract) if s.entry.user_id == user.login), None)
    if mine is None or not mine.lapsed:
        return None
    cite_ja, cite_en = profiles.for_contract(contract).cite(rule.article)
    return (f"{user.name} さんの教育の期限（{mine.due.isoformat()}）が過ぎています。教育を受けて受講を確認するまで取り扱えません（{cite_ja}）",
            f"{user.login}'s training lapsed on {mine.due.isoformat()}; attend and confirm a session before acting ({cite_en})")


def sessions(contract: Contract | str) -> list[TrainingSession]:
    contract = access.get_contract(contract)
    return list(TrainingSession.select().where(TrainingSession.contract == contract.code).order_by(TrainingSession.number.desc()))


def supervision(contract: Contract | str) -> list[SupervisionCheck]:
    contract = access.get_contract(contract)
    return list(SupervisionCheck.select().where(SupervisionCheck.contract == contract.code).order_by(SupervisionCheck.number.desc()))


def leavers(contract: Contract | str) -> list[RosterEntry]:
    contract = access.get_contract(contract)
    return list(RosterEntry.select().where((RosterEntry.contract == contract.code) & RosterEntry.removed_at.is_null(False))
                .order_by(RosterEntry.removed_at))


def issue_paper(actor: User, settings, contract_code: str):
    """教育・監督の記録: sessions with attendance, supervision checks, leavers reminded."""
    from tracker.documents.training import training_paper
    from tracker.workflows import papers

    contract = access.get_contract(contract_code)
    access.require_read(actor, contract)
    article = profiles.for_contract(contract).training.article
    return papers.issue(actor, settings, contract.code, "training", contract.code,
                        lambda issue: training_paper(contract, article, sessions(contract), supervision(contract),
                                                     standing(contract), leavers(contract), issue))


def _require_responsible(actor: User, contract: Contract) -> None:
    access.require_active(actor)
    entry = access.roster_entry(actor, contract)
    if actor.role != "contractor" or entry is None or not entry.active or entry.role != "responsible":
        raise NotAllowed("教育・監督の記録は、この契約の取扱責任者が行います", "only the contract's responsible person records training and supervision")


def _today() -> str:
    return utc_now().astimezone(JST).date().isoformat()

