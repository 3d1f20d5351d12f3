"""The ledger's verification kept current, for the pages that show it on every view.

A full ``ledger.verify`` replays every event and compares every projected row: fine for the
demo, minutes for a contractor's ten million events — far too slow to run on each view of the
inspection page, as it once did. So the page shows the *standing* result instead: the last full
verification (when, up to which event, what it found), extended to the head by checking only
the events appended since — each one's hash and its link to the chain, starting from the last
verified event, whose hash must not have changed. Whoever reads it brings it up to date, so it
costs the events since the last view, not the ledger.

What the incremental step cannot see is a change to an older event made together with a
rewrite of every hash after it, or a projected row edited directly: that is what the full
verification is for. It runs on demand (the inspection page's button, ``mediatrail verify``)
and on a schedule (``mediatrail verify`` from cron or a systemd timer — see README); each full
run is recorded here, and the page says when the last one was and warns when it is older than
``FULL_EVERY_DAYS``. The record lives in ``Meta``, outside the ledger: it is a cache of a
result, not a fact of custody.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta

from tracker import db, ledger
from tracker.models import Event, EventMedium, Meta
from tracker.timeutil import from_iso, now_iso, utc_now

KEY = "verification"
FULL_EVERY_DAYS = 7


@dataclass
class Standing(ledger.Report):
    """A ``ledger.Report`` (events, head hash, problems) with where it comes from."""

    full_at: str | None = None  # when the whole ledger was last verified (UTC ISO); None: never
    full_through: int = 0  # the newest event that full verification covered
    checked: int = 0  # events checked incrementally by this reading (0: nothing new)
    problems: list[ledger.Problem] = field(default_factory=list)

    @property
    def full_is_stale(self) -> bool:
        return self.full_at is None or utc_now() - from_iso(self.full_at) > timedelta(days=FULL_EVERY_DAYS)


def run_full(attachments_dir=None, progress=None) -> Standing:
    """Verify the whole ledger now and record the result as the standing one."""
    report = ledger.verify(attachments_dir, progress=progress)
    return record_full(report)


def record_full(report: ledger.Report) -> Standing:
    standing = Standing(events=report.events, head_hash=report.head_hash, problems=list(report.problems),
                        full_at=now_iso(), full_through=report.events)
    _save(standing)
    return standing


def current(attachments_dir=None) -> Standing:
    """The standing result brought up to the ledger's head by checking the new events only.

    Two things make it a full verification instead: a data folder never verified in full (the
    first view after an upgrade), and a correction among the new events — a correction changes
    what the replay says of the rows it names, which only the replay can tell (and they are
    rare)."""
    standing = _load()
    if standing.full_at is None or _corrected_since(standing.events):
        return run_full(attachments_dir)
    newest = Event.select(Event.seq).order_by(Event.seq.desc()).scalar() or 0
    if newest == standing.events:
        anchor = Event.get_or_none(Event.seq == standing.events) if standing.events else None
        if anchor is None or anchor.hash == standing.head_hash:
            return standing
    before = len(standing.problems)
    with db.reading():
        _extend(standing)
    if standing.checked or len(standing.problems) != before:
        _save(standing)
    return standing


def _corrected_since(seq: int) -> bool:
    return Event.select().where((Event.seq > seq) & (Event.kind == ledger.CORRECTION)).exists()


def _extend(standing: Standing) -> None:
    through, previous_hash = standing.events, standing.head_hash
    if through:
        anchor = Event.get_or_none(Event.seq == through)
        if anchor is None or anchor.hash != previous_hash:
            standing.problems.append(ledger.Problem(
                through, f"検証済みのイベント #{through} が変更または削除されています（改ざんの疑い）",
                f"event #{through}, already verified, was changed or removed (altered)"))
            return
    links = ledger.LinksInOrder(db.stream(EventMedium.select(EventMedium.event, EventMedium.medium)
                                          .where(EventMedium.event > through)
                                          .order_by(EventMedium.event, EventMedium.medium).tuples()))
    try:
        for event in db.stream(Event.select().where(Event.seq > through).order_by(Event.seq)):
            media_ids = links.take(event.seq)
            try:
                data, changes = json.loads(event.data), json.loads(event.changes)
            except ValueError:
                data = changes = None
            problem = ledger.check_event(event, media_ids, previous_hash, through + 1, data, changes)
            if problem and not standing.problems:
                standing.problems.append(problem)
            previous_hash, through = event.hash, event.seq
            standing.checked += 1
    finally:
        links.close()
    standing.events, standing.head_hash = through, previous_hash


def _load() -> Standing:
    row = Meta.get_or_none(Meta.key == KEY)
    if row is None:
        return Standing()
    kept = json.loads(row.value)
    return Standing(events=kept["events"], head_hash=kept["head"],
                    problems=[ledger.Problem(*problem) for problem in kept["problems"]],
                    full_at=kept["full_at"], full_through=kept["full_through"])


def _save(standing: Standing) -> None:
    value = json.dumps({"events": standing.events, "head": standing.head_hash, "full_at": standing.full_at,
                        "full_through": standing.full_through,
                        "problems": [[p.event_seq, p.message_ja, p.message_en] for p in standing.problems[:100]]},
                       ensure_ascii=False)
    Meta.insert(key=KEY, value=value).on_conflict(conflict_target=[Meta.key], update={Meta.value: value}).execute()
