"""事故報告 (Art. 19): a missing medium becomes an incident, reported preliminary then final.

An incident opens as a draft pre-filled from the ledger — its media, their personal-information
items, number of records, encryption, and where, when and by whom each was last handled (from
``ledger.timeline``) — when a storage check finds media missing (``checks.complete``: one draft
per contract for all its missing media, so one event is one report to the city) or when a
person reports a medium lost from its page (the medium becomes ``lost`` in the same
transaction). City staff see it on their dashboard from that moment, not only once reported.

The responsible person then completes what happened, the response plan — each step with an
owner and a deadline, Art. 19(2)'s emergency response plan; no report goes out without one —
the secondary harm, the response to the persons concerned, publication and prevention, and
issues the preliminary report (速報, PPC: within about 3–5 days) and later the final report
(確報, 30 days; 60 for wrongdoing), each a 事故報告書 PDF, the final one printing the preliminary
one's serial. A medium found again is recorded by its own ``medium.found`` event (stored at a
storage place, or back in the finder's hands) and noted on its incidents; nothing is deleted,
and reports already issued stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from tracker import db, ledger, vocabulary
from tracker.documents import incidents as incident_papers
from tracker.documents.paper import name_of
from tracker.errors import InvalidInput, WrongState
from tracker.models import INCIDENT_KINDS, Document, Handover, Incident, Instruction, Location, Medium, Transfer, User
from tracker.timeutil import JST, format_jst, from_iso, now_iso, to_iso, to_jst
from tracker.workflows import access, inputs, media, notices, papers, places, profiles, response_plans

OPEN_STATUSES = ("draft", "preliminary")
LOSABLE = ("received", "stored", "in_use", "in_transit")
REPORT_KINDS = {"preliminary": "incident_preliminary", "final": "incident_final"}
# Events in which someone had the medium in hand: what "last seen" is read from.
SEEN_EVENTS = (
    "medium.registered", "medium.stored", "medium.taken_out", "medium.found", "handover.scanned", "handover.confirmed",
    "transfer.scanned_out", "transfer.departed", "transfer.scanned_in", "transfer.unexpected_arrival", "transfer.arrived",
    "check.scanned", "copy.made",
)
TEXT_FIELDS = ("summary", "circumstances", "cause", "secondary_harm", "prevention", "persons_response", "publication")
# What each report cannot go without, besides the response plan: (field, Japanese, English).
_REQUIRED = {
    "preliminary": (("summary", "概要", "summary"), ("circumstances", "発生状況", "circumstances")),
    "final": (("summary", "概要", "summary"), ("circumstances", "発生状況", "circumstances"), ("cause", "原因", "cause"),
              ("secondary_harm", "二次被害（有無と内容）", "secondary harm"),
              ("persons_response", "本人への対応", "response to the persons concerned"),
              ("prevention", "再発防止策", "prevention")),
}


def open_draft(actor: User, contract_code: str, concerned: list[Medium], *, source: str, place: str, discovered_at: str,
               summary: str, circumstances: str = "", kind: str = "lost") -> Incident:
    """A new draft of ``kind`` for ``concerned`` media of one contract (possibly none: a leak by
    mail), pre-filled from the ledger, and its notice to the city queued (``notices``) — the
    city is told at once, not when the report is written. Call inside ``db.writing()``, in the
    transaction that recorded what happened (callers check access)."""
    inputs.parse_choice(kind, INCIDENT_KINDS, "事故の種類", "kind of incident")
    ids = sorted(medium.id for medium in concerned)
    items = list(dict.fromkeys(item for medium in concerned for item in medium.pi_items or []))
    encrypted = {medium.encrypted for medium in concerned}
    number = inputs.next_number(Incident, contract_code, "I")
    plan = response_plans.current(contract_code)
    row = {
        "contract": contract_code, "status": "draft", "kind": kind, "media": ids, "source": source, "summary": summary,
        "pi_items": items, "record_count": sum(medium.record_count for medium in concerned),
        "encrypted": encrypted.pop() if len(encrypted) == 1 else None, "place": place[:250],
        "last_seen": "\n".join(last_seen_line(medium_id) for medium_id in ids), "occurred_at": None,
        "discovered_at": discovered_at, "circumstances": circumstances, "response_steps": [],
        "opened_by": actor.login, "opened_at": now_iso(), "report_due_at": first_report_due(contract_code, discovered_at),
        "plan": plan.key if plan else "",
    }
    ledger.append("incident.opened", actor.login, contract=contract_code,
                  data={"number": number, "source": source, "media": ids, "kind": kind},
                  changes={"incident": {number: row}}, media=ids)
    incident = get_incident(number)
    notices.queue(actor.login, contract_code, number, *_notice_text(incident))
    return incident


def open_by_hand(actor: User, contract_code: str, kind: str, summary: str, media_ids=(), circumstances: str = "",
                 place: str = "") -> Incident:
    """Anyone handling the contract's media reports an accident of any kind, from any page. A
    medium reported ``lost`` is recorded as missing in the same transaction."""
    contract = access.get_contract(contract_code)
    access.require_custody(actor, contract)
    inputs.parse_choice(kind, INCIDENT_KINDS, "事故の種類", "kind of incident")
    summary = inputs.require_text(summary, "概要", "summary", 1000)
    circumstances = _text(circumstances or "", "circumstances")
    ids = list(dict.fromkeys(part.strip().upper() for part in media_ids if part and part.strip()))
    with db.writing():
        concerned = [media.get_medium(medium_id) for medium_id in ids]
        for medium in concerned:
            if medium.contract_id != contract.code:
                raise WrongState(f"{medium.id} は別の契約（{medium.contract_id}）の媒体です",
                                 f"{medium.id} belongs to another contract ({medium.contract_id})", id=medium.id)
            if kind in ("lost", "missing_in_transit"):
                media.require_status(medium, LOSABLE)
        where = (place or "").strip()[:250] or "、".join(_recorded_place(medium) for medium in concerned) or "—"
        now = now_iso()
        if kind in ("lost", "missing_in_transit"):
            for medium in concerned:
                ledger.append("medium.lost", actor.login, contract=contract.code,
                              data={"place": _recorded_place(medium), "circumstances": circumstances},
                              changes={"medium": {medium.id: {"status": "lost", "location": None, "custodian": None,
                                                              "purpose": "", "due_back": None, "updated_at": now}}})
        return open_draft(actor, contract.code, concerned, source="", place=where, discovered_at=now, summary=summary,
                          circumstances=circumstances, kind=kind)


def first_report_due(contract_code: str, discovered_at: str) -> str:
    """The limit of the first written report, from the contract's profile: the end of the JST day
    it was found (``same_day``), or a number of hours after."""
    rule = profiles.for_contract(contract_code).incidents.first_report
    found = from_iso(discovered_at)
    if rule == "same_day":
        day_end = datetime.combine(to_jst(found).date() + timedelta(days=1), time(0, 0), tzinfo=JST) - timedelta(microseconds=1)
        return to_iso(day_end)
    return to_iso(found + timedelta(hours=int(rule)))


def first_report_state(incident: Incident) -> str:
    """``on_time`` / ``late`` (reported after its limit) / ``overdue`` (not reported, limit
    passed) / ``due`` (not reported yet, within its limit)."""
    if not incident.report_due_at:
        return "on_time" if incident.preliminary_at else "due"
    if incident.preliminary_at:
        return "late" if incident.preliminary_at > incident.report_due_at else "on_time"
    return "overdue" if now_iso() > incident.report_due_at else "due"


def overdue(contracts: list[str]) -> list[Incident]:
    return [incident for incident in open_for(contracts) if first_report_state(incident) == "overdue"]


def _notice_text(incident: Incident) -> tuple[str, str]:
    kind_ja, kind_en = vocabulary.INCIDENT_KINDS[incident.kind]
    contract = incident.contract
    title = f"【事故の第一報】{contract.client} {contract.title}：{kind_ja}（{incident.number}）"
    body = "\n".join([
        f"{profiles.for_contract(contract).addressee(contract.client)}",
        "",
        f"{contract.contractor or '受託者'}より、個人情報取扱特記事項{profiles.for_contract(contract).incidents.article}に基づき、事故の発生をお知らせします。",
        "",
        f"事故番号: {incident.number}",
        f"種類: {kind_ja} / {kind_en}",
        f"契約: {contract.title}（{contract.code}）",
        f"概要: {incident.summary}",
        f"発見日時: {format_jst(incident.discovered_at)}",
        f"場所: {incident.place or '—'}",
        f"媒体: {'、'.join(incident.media) or 'なし'}",
        f"個人情報の項目・件数: {'、'.join(incident.pi_items or []) or '—'}・{incident.record_count:,}件",
        f"第一報（書面）の期限: {format_jst(incident.report_due_at)}",
        f"緊急時対応計画: {incident.plan or '未登録'}",
        "",
        "詳細と市からの指示の記録は mediatrail の事故報告の画面でご覧いただけます。",
        f"This is an incident notice ({kind_en}) for contract {contract.code}, sent by mediatrail.",
    ])
    return title, body


def report_lost(actor: User, medium_id: str, circumstances: str = "") -> Incident:
    """From a medium's page: the medium is recorded as lost and an incident draft opened."""
    medium = media.get_medium(medium_id)
    access.require_custody(actor, medium.contract)
    circumstances = (circumstances or "").strip()[:5000]
    with db.writing():
        medium = media.get_medium(medium_id)
        media.require_status(medium, LOSABLE)
        place = _recorded_place(medium)
        now = now_iso()
        ledger.append("medium.lost", actor.login, contract=medium.contract_id, data={"place": place, "circumstances": circumstances},
                      changes={"medium": {medium.id: {"status": "lost", "location": None, "custodian": None, "purpose": "",
                                                      "due_back": None, "updated_at": now}}})
        return open_draft(actor, medium.contract_id, [medium], source="", place=place, discovered_at=now,
                          summary=f"{medium.id}（{medium.title}）の所在不明の届出（{actor.name}）", circumstances=circumstances)


def update(actor: User, number: str, **fields) -> Incident:
    """The responsible person completes the report: text fields, ``occurred_at`` (JST) and
    ``response_steps`` (see ``parse_steps``). Only what changed is recorded."""
    incident = get_incident(number)
    access.require_responsible(actor, incident.contract)
    unknown = set(fields) - set(TEXT_FIELDS) - {"occurred_at", "response_steps"}
    if unknown:
        raise InvalidInput(f"変更できない項目です: {', '.join(sorted(unknown))}", f"fields that cannot be changed: {', '.join(sorted(unknown))}")
    values = {name: _text(fields[name], name) for name in TEXT_FIELDS if fields.get(name) is not None}
    if fields.get("occurred_at") is not None:
        text = fields["occurred_at"].strip()
        values["occurred_at"] = inputs.parse_local_time(text, "発生日時", "time it occurred") if text else None
    if fields.get("response_steps") is not None:
        values["response_steps"] = parse_steps(fields["response_steps"])
    with db.writing():
        incident = _require_editable(number)
        changed = {name: value for name, value in values.items() if getattr(incident, name) != value}
        if changed:
            ledger.append("incident.updated", actor.login, contract=incident.contract_id,
                          data={"number": number, "fields": sorted(changed)}, changes={"incident": {number: changed}})
    return get_incident(number)


def parse_steps(rows) -> list[dict]:
    """Response steps from a form or JSON, each ``{"action", "owner", "deadline"[, "done_at"]}``:
    what is done, who answers for it, by when. Blank rows are skipped; a half-filled one is refused."""
    if not isinstance(rows, list):
        raise InvalidInput("対応計画は行のリストにしてください", "response steps must be a list of rows")
    steps = []
    for line, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise InvalidInput(f"対応計画の{line}行目が読めません", f"response step {line} cannot be read")
        action, owner, deadline, done = (str(row.get(name) or "").strip() for name in ("action", "owner", "deadline", "done_at"))
        if not (action or owner or deadline):
            continue
        if not (action and owner and deadline):
            raise InvalidInput(f"対応計画の{line}行目：対応内容・担当者・期限をすべて入力してください",
                               f"response step {line}: give the action, who owns it and its deadline", line=line)
        steps.append({"action": action[:500], "owner": owner[:100], "deadline": inputs.parse_date(deadline).isoformat(),
                      "done_at": inputs.parse_date(done).isoformat() if done else None})
    return steps


def issue_preliminary(actor: User, number: str, settings) -> Document:
    """速報: what is known now, with the response plan; the city is told at once."""
    return _report(actor, number, settings, "preliminary")


def issue_final(actor: User, number: str, settings) -> Document:
    """確報: cause, harm, response to the persons and prevention; prints the 速報's serial."""
    return _report(actor, number, settings, "final")


def close(actor: User, number: str, reason: str) -> Incident:
    """Close an incident: after its final report, or as a draft whose media were all found
    before anything was reported (the reason says why it was no incident)."""
    incident = get_incident(number)
    access.require_responsible(actor, incident.contract)
    reason = inputs.require_text(reason, "終了の理由", "reason", 1000)
    with db.writing():
        incident = get_incident(number)
        all_found = set(incident.media) <= {entry["medium"] for entry in incident.found}
        if Instruction.select().where((Instruction.incident == number) & Instruction.responded_at.is_null()).exists():
            raise WrongState(f"{number} には対応が未記録の市の指示があります。対応を記録してから終了してください",
                             f"{number} has an instruction from the city without a response; record it before closing")
        if not (incident.status == "final" or (incident.status == "draft" and all_found)):
            raise WrongState(
                f"{number} は終了できません。確報を発行した後か、報告前にすべての媒体が発見された場合に終了できます",
                f"{number} cannot be closed yet: close it after the final report, or as a draft once all its media were found")
        ledger.append("incident.closed", actor.login, contract=incident.contract_id, data={"number": number, "reason": reason},
                      changes={"incident": {number: {"status": "closed", "closed_at": now_iso()}}}, media=incident.media)
    return get_incident(number)


def medium_found(actor: User, medium_id: str, location: str | None = None, note: str = "") -> Medium:
    """A lost medium found again: stored at a storage place, or in the finder's hands. Its open
    incidents record the finding; nothing is deleted."""
    medium = media.get_medium(medium_id)
    access.require_custody(actor, medium.contract)
    place = places.get_location(location) if location else None
    if place is not None and (place.purpose != "storage" or not place.active):
        raise WrongState(f"{place.name} は保管場所ではありません（第7条第1号）", f"{place.name} is not a storage place (Art. 7(1))")
    note = (note or "").strip()[:500]
    with db.writing():
        medium = media.get_medium(medium_id)
        if medium.status != "lost":
            name_ja, name_en = vocabulary.STATUSES[medium.status]
            raise WrongState(f"{medium.id} は所在不明として記録されていません（状態: {name_ja}）",
                             f"{medium.id} is not recorded as missing (status: {name_en})", id=medium.id)
        now = now_iso()
        state = ({"status": "stored", "location": place.code, "custodian": None} if place
                 else {"status": "received", "location": None, "custodian": actor.login})
        entry = {"medium": medium.id, "found_at": now, "found_by": actor.login,
                 "where": place.name if place else f"{actor.name} が保持 / held by {actor.login}", "note": note}
        concerned = [incident for incident in of_medium(medium.id) if incident.status != "closed"]
        ledger.append("medium.found", actor.login, contract=medium.contract_id,
                      data={"location": place.code if place else None, "note": note, "incidents": [i.number for i in concerned]},
                      changes={"medium": {medium.id: {**state, "purpose": "", "due_back": None, "updated_at": now}},
                               "incident": {incident.number: {"found": [*incident.found, entry]} for incident in concerned}})
    return Medium.get_by_id(medium.id)


# ---- reading -----------------------------------------------------------------------------------


def get_incident(number: str) -> Incident:
    return inputs.find_paper(Incident, number, "事故報告", "incident")


def readable(actor: User, number: str) -> Incident:
    incident = get_incident(number)
    access.require_read(actor, incident.contract)
    return incident


def open_for(contracts: list[str]) -> list[Incident]:
    """Incidents not yet reported in full (draft or preliminary): the dashboard's first warning."""
    return list(Incident.select().where(Incident.contract.in_(list(contracts)) & Incident.status.in_(OPEN_STATUSES))
                .order_by(Incident.number))


def of_medium(medium_id: str) -> list[Incident]:
    medium = Medium.get_or_none(Medium.id == medium_id)
    if medium is None:
        return []
    candidates = Incident.select().where(Incident.contract == medium.contract_id).order_by(Incident.number)
    return [incident for incident in candidates if medium_id in incident.media]


def report_of(incident: Incident, stage: str) -> Document | None:
    return papers.latest(REPORT_KINDS[stage], incident.number)


def preview_report(actor: User, number: str, settings) -> bytes:
    incident = readable(actor, number)
    stage = "final" if incident.status in ("preliminary", "final", "closed") else "preliminary"
    return papers.preview(settings, lambda paper: incident_papers.incident_report(
        incident, stage, report_of(incident, "preliminary"), paper, banner="未報告（下書き）／ draft — not reported"))


@dataclass(frozen=True)
class LastSeen:
    at: str
    by: str | None
    where: str
    kind: str


def last_seen(medium_id: str) -> LastSeen | None:
    """The newest event in which someone had the medium in hand (``SEEN_EVENTS``)."""
    for event in reversed(ledger.timeline(medium_id)):
        if event.kind in SEEN_EVENTS:
            return LastSeen(event.at, event.actor, _where(event, medium_id), event.kind)
    return None


def last_seen_line(medium_id: str) -> str:
    seen = last_seen(medium_id)
    if seen is None:
        return f"{medium_id}: 記録なし / no record"
    return f"{medium_id}: {format_jst(seen.at)} {seen.where} {name_of(seen.by)}（{vocabulary.event_name(seen.kind)[0]}）"


# ---- helpers -----------------------------------------------------------------------------------


def _report(actor: User, number: str, settings, stage: str) -> Document:
    incident = get_incident(number)
    access.require_responsible(actor, incident.contract)
    with db.writing():
        incident = get_incident(number)
        _require_stage(incident, stage)
        _require_reportable(incident, stage)
        ledger.append(f"incident.{stage}", actor.login, contract=incident.contract_id, data={"number": number},
                      changes={"incident": {number: {"status": stage, f"{stage}_at": now_iso()}}}, media=incident.media)
        preliminary = report_of(incident, "preliminary")
        return papers.issue(actor, settings, incident.contract_id, REPORT_KINDS[stage], number,
                            lambda paper: incident_papers.incident_report(get_incident(number), stage, preliminary, paper),
                            media=incident.media)


def _require_stage(incident: Incident, stage: str) -> None:
    if stage == "preliminary" and incident.status != "draft":
        raise WrongState(f"{incident.number} の速報は発行済みです（状態: {_status(incident)[0]}）",
                         f"the preliminary report of {incident.number} was already issued (status: {_status(incident)[1]})")
    if stage == "final" and incident.status != "preliminary":
        if incident.status == "draft":
            raise WrongState(f"{incident.number} は先に速報を発行してください", f"issue the preliminary report of {incident.number} first")
        raise WrongState(f"{incident.number} の確報は発行済みです（状態: {_status(incident)[0]}）",
                         f"the final report of {incident.number} was already issued (status: {_status(incident)[1]})")


def _require_reportable(incident: Incident, stage: str) -> None:
    """No report without a response plan (Art. 19(2)), nor without what its stage must say."""
    if not incident.response_steps:
        raise InvalidInput(
            f"{incident.number} には対応計画（対応内容・担当者・期限）が1件もないため報告できません。対応計画を入力してください（第19条第2項）",
            f"{incident.number} has no response steps (action, owner, deadline); an incident cannot be reported without them (Art. 19(2))")
    missing = [(ja, en) for name, ja, en in _REQUIRED[stage] if not getattr(incident, name).strip()]
    if missing:
        raise InvalidInput(f"報告に必要な項目が未入力です: {'、'.join(ja for ja, _ in missing)}",
                           f"the report needs: {', '.join(en for _, en in missing)}")


def _require_editable(number: str) -> Incident:
    incident = get_incident(number)
    if incident.status not in OPEN_STATUSES:
        raise WrongState(f"{number} は確報の発行後のため変更できません（状態: {_status(incident)[0]}）",
                         f"{number} cannot change after its final report (status: {_status(incident)[1]})")
    return incident


def _status(incident: Incident) -> tuple[str, str]:
    return vocabulary.INCIDENT_STATUSES[incident.status]


def _text(value, name: str) -> str:
    text = str(value).strip()
    if len(text) > 5000:
        raise InvalidInput(f"{name} は5000文字以内にしてください", f"{name} must be at most 5000 characters")
    return text


def _recorded_place(medium: Medium) -> str:
    """Where the ledger had the medium when it was reported lost."""
    if medium.location_id:
        place = medium.location
        return "　".join(part for part in (place.name, place.site, place.room) if part) + f"（{place.code}）"
    if medium.status == "in_transit":
        return f"移送中（{name_of(medium.custodian_id)}） / in transit"
    return f"{name_of(medium.custodian_id)} が保持 / held by {medium.custodian_id or '—'}"


def _where(event, medium_id: str) -> str:
    """Where an event happened, from what it recorded: a location, or its handover or transfer."""
    code = event.changes_dict.get("medium", {}).get(medium_id, {}).get("location") or event.data_dict.get("location")
    if code:
        place = Location.get_or_none(Location.code == code)
        return place.name if place else code
    number = event.data_dict.get("number")
    if event.kind.startswith("handover.") and number:
        handover = Handover.get_or_none(Handover.number == number)
        return handover.place if handover else number
    if event.kind.startswith("transfer.") and number:
        transfer = Transfer.get_or_none(Transfer.number == number)
        if transfer:
            return transfer.origin if event.kind in ("transfer.scanned_out", "transfer.departed") else transfer.destination.name
    return "—"
