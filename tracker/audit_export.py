"""The auditor's export, and the verifier that checks one without the database.

``export()`` writes a folder an auditor can take away::

    DIR/
      README.txt         what each file is and how the hashes are computed (ja / en)
      export.json        origin, number of events, head hash, when, whether files are included
      events.jsonl       one event per line, in order, with the media it concerns
      attachments.jsonl  every file the ledger cites: SHA-256, size, type, the event that stored it
      attachments/       the files themselves by SHA-256 (ab/cdef...), unless --no-files
      checkpoints.jsonl  every checkpoint the installation handed out before the export
      checkpoint.txt     the export's own head, signed (C2SP tlog-checkpoint note)
      public_key.txt     the installation's Ed25519 verifier key (C2SP signed-note vkey)

``verify_export()`` recomputes the chain from ``events.jsonl`` alone, checks every signature with
``public_key.txt``, re-hashes the included files, and — the point of it — checks that the export
extends checkpoints the municipality kept from earlier: if an event was edited after such a
checkpoint was handed over and every later hash recomputed, the hash at the checkpoint's
position no longer matches, and a replaced key cannot sign the city's old checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tracker import checkpoints, ledger
from tracker.errors import InvalidInput
from tracker.models import Attachment, Event, EventMedium, canonical_json
from tracker.timeutil import now_iso

FORMAT = "mediatrail-audit-export"
VERSION = 1
EVENTS_FILE = "events.jsonl"
ATTACHMENTS_FILE = "attachments.jsonl"
FILES_DIR = "attachments"
CHECKPOINTS_FILE = "checkpoints.jsonl"
CHECKPOINT_FILE = "checkpoint.txt"
PUBLIC_KEY_FILE = "public_key.txt"
SUMMARY_FILE = "export.json"
README_FILE = "README.txt"
ATTACHMENT_TABLE = Attachment._meta.table_name


@dataclass(frozen=True)
class Exported:
    folder: Path
    events: int
    head_hash: str
    files: int
    checkpoint: checkpoints.Checkpoint


def export(settings, target: Path, actor_login: str | None = None, with_files: bool = True) -> Exported:
    """Write the export into ``target`` (new, or an empty folder): all of it, or nothing.

    The export's checkpoint is handed out like any other (a ``checkpoint.issued`` event right
    after it), and the export holds exactly the events it covers.
    """
    target = Path(target)
    _require_empty(target)
    checkpoint = checkpoints.issue(actor_login, settings, "audit_export", recipient=str(target))
    verifier = checkpoints.signer(settings.data_dir).verifier
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    partial.chmod(0o755)  # mkdtemp's 0700 would keep the auditor's copy from other accounts
    try:
        attachments = _write_events(partial, checkpoint.size)
        copied = _write_attachments(partial, settings.attachments_dir, attachments, with_files)
        _write_recorded_checkpoints(partial, checkpoint.size)
        (partial / CHECKPOINT_FILE).write_text(checkpoint.note, encoding="utf-8")
        (partial / PUBLIC_KEY_FILE).write_text(verifier.vkey + "\n", encoding="utf-8")
        (partial / SUMMARY_FILE).write_text(json.dumps({
            "format": FORMAT, "version": VERSION, "origin": verifier.name, "events": checkpoint.size,
            "head_hash": checkpoint.head_hash, "exported_at": now_iso(), "files_included": with_files,
        }, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (partial / README_FILE).write_text(README, encoding="utf-8")
        if target.exists():
            target.rmdir()  # empty, checked above; a rename onto it needs it gone
        os.replace(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Exported(target, checkpoint.size, checkpoint.head_hash, copied, checkpoint)


def _require_empty(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInput(
            f"{target} は空のフォルダではありません。上書きしないため、新しいフォルダを指定してください",
            f"{target} is not an empty folder; give a new one (nothing is overwritten)",
        )


def _write_events(folder: Path, size: int) -> dict[str, dict]:
    """events.jsonl for events 1..size; returns the attachment rows those events created."""
    links: dict[int, list[str]] = {}
    query = EventMedium.select(EventMedium.event, EventMedium.medium).where(EventMedium.event <= size)
    for seq, medium in query.tuples().iterator():
        links.setdefault(seq, []).append(medium)
    attachments: dict[str, dict] = {}
    with open(folder / EVENTS_FILE, "w", encoding="utf-8") as out:
        for event in Event.select().where(Event.seq <= size).order_by(Event.seq).iterator():
            changes = json.loads(event.changes)
            out.write(canonical_json({
                "seq": event.seq, "at": event.at, "actor": event.actor, "kind": event.kind,
                "contract": event.contract, "media": sorted(links.get(event.seq, [])),
                "data": json.loads(event.data), "changes": changes,
                "prev_hash": event.prev_hash, "hash": event.hash,
            }) + "\n")
            for sha256, values in changes.get(ATTACHMENT_TABLE, {}).items():
                attachments.setdefault(sha256, {"event": event.seq}).update(values)
    return attachments


def _write_attachments(folder: Path, source: Path, attachments: dict[str, dict], with_files: bool) -> int:
    copied = 0
    with open(folder / ATTACHMENTS_FILE, "w", encoding="utf-8") as out:
        for sha256 in sorted(attachments):
            out.write(canonical_json({"sha256": sha256, **attachments[sha256]}) + "\n")
            stored = ledger.attachment_path(source, sha256)
            if with_files and stored.exists():
                # Copied as found, altered or not: judging it is the verifier's job.
                destination = ledger.attachment_path(folder / FILES_DIR, sha256)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(stored, destination)
                copied += 1
    return copied


def _write_recorded_checkpoints(folder: Path, size: int) -> None:
    query = Event.select(Event.seq, Event.data).where((Event.seq <= size) & Event.kind.in_(checkpoints.RECORDING_KINDS))
    with open(folder / CHECKPOINTS_FILE, "w", encoding="utf-8") as out:
        for event in query.order_by(Event.seq).iterator():
            note = json.loads(event.data).get("checkpoint")
            if note:
                out.write(json.dumps({"event": event.seq, "checkpoint": note}, ensure_ascii=False) + "\n")


# ---- the independent verifier -----------------------------------------------------------------


@dataclass
class ExportReport:
    events: int = 0
    head_hash: str = ledger.GENESIS
    origin: str = ""
    files_checked: int = 0
    checkpoints_checked: int = 0  # kept by the reader (--checkpoint)
    problems: list[ledger.Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_export(folder: Path, kept: list[str | Path] = ()) -> ExportReport:
    """Check an export with nothing but its files (and checkpoints kept from earlier).

    A missing or unreadable export file is a refusal (:class:`InvalidInput`); everything that
    does not match is a problem in the report.
    """
    folder = Path(folder)
    if not (folder / EVENTS_FILE).is_file() or not (folder / PUBLIC_KEY_FILE).is_file():
        raise InvalidInput(
            f"{folder} は監査用エクスポートではありません（{EVENTS_FILE} と {PUBLIC_KEY_FILE} が必要です）",
            f"{folder} is not an audit export ({EVENTS_FILE} and {PUBLIC_KEY_FILE} are needed)",
        )
    notes_kept = [(path, checkpoints.read_file_format(path)) for path in kept]  # the wrong kind of file: refused
    report = ExportReport()
    try:
        verifier = checkpoints.Verifier.from_vkey((folder / PUBLIC_KEY_FILE).read_text(encoding="utf-8"))
    except checkpoints.CheckpointRejected as error:
        report.problems.append(ledger.Problem(None, f"{PUBLIC_KEY_FILE}: {error.message_ja}", f"{PUBLIC_KEY_FILE}: {error.message_en}"))
        return report
    report.origin = verifier.name
    hashes, attachments, notes = _check_chain(folder / EVENTS_FILE, report)
    hash_at = lambda seq: hashes[seq - 1] if 0 < seq <= len(hashes) else None  # noqa: E731

    own = folder / CHECKPOINT_FILE
    if own.exists():
        _check_checkpoint(own.read_text(encoding="utf-8"), CHECKPOINT_FILE, verifier, report, hash_at)
    else:
        report.problems.append(ledger.Problem(None, f"{CHECKPOINT_FILE} がありません", f"{CHECKPOINT_FILE} is missing"))
    for where, note in notes:
        _check_checkpoint(note, where, verifier, report, hash_at)
    for checkpoint_file, note in notes_kept:
        if _check_checkpoint(note, str(checkpoint_file), verifier, report, hash_at, kept=True):
            report.checkpoints_checked += 1
    _check_attachments(folder, attachments, report)
    return report


def _check_chain(path: Path, report: ExportReport) -> tuple[list[str], dict[str, dict], list[tuple[str, str]]]:
    """Recompute every hash with the ledger's own formula; collect what later checks need."""
    hashes: list[str] = []
    attachments: dict[str, dict] = {}
    notes: list[tuple[str, str]] = []
    previous, chain_intact = ledger.GENESIS, True
    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
                event = Event(seq=record["seq"], at=record["at"], actor=record["actor"], kind=record["kind"],
                              contract=record["contract"], data=canonical_json(record["data"]),
                              changes=canonical_json(record["changes"]), prev_hash=record["prev_hash"], hash=record["hash"])
                media = list(record["media"])
                changes = dict(record["changes"])
            except (ValueError, KeyError, TypeError):
                report.problems.append(ledger.Problem(number, f"{EVENTS_FILE} の {number} 行目が読めません（壊れています）",
                                                      f"line {number} of {EVENTS_FILE} cannot be read (damaged)"))
                chain_intact = False
                hashes.append("")
                continue
            if chain_intact:
                problem = _event_problem(event, media, previous, number)
                if problem:
                    report.problems.append(problem)
                    chain_intact = False
            hashes.append(event.hash)
            previous = event.hash
            for sha256, values in (changes.get(ATTACHMENT_TABLE) or {}).items():
                attachments.setdefault(sha256, {"event": event.seq}).update(values)
            if event.kind in checkpoints.RECORDING_KINDS:
                note = (record["data"] or {}).get("checkpoint") if isinstance(record["data"], dict) else None
                if note:
                    notes.append((f"event #{event.seq}", note))
    report.events = len(hashes)
    report.head_hash = hashes[-1] if hashes else ledger.GENESIS
    return hashes, attachments, notes


def _event_problem(event: Event, media: list[str], previous: str, expected_seq: int) -> ledger.Problem | None:
    if event.seq != expected_seq:
        return ledger.Problem(expected_seq, f"イベント番号が連続していません（{expected_seq} 行目が #{event.seq}）：削除または並べ替え",
                              f"event numbers are not in order (line {expected_seq} holds #{event.seq}): deleted or reordered")
    if event.prev_hash != previous:
        return ledger.Problem(event.seq, "直前のイベントとのハッシュ連鎖が切れています", "the hash chain to the previous event is broken")
    if media != sorted(media) or ledger.event_hash(event, media) != event.hash:
        return ledger.Problem(event.seq, f"イベント「{event.kind}」の内容がハッシュと一致しません（改ざんの疑い）",
                              f"event '{event.kind}' does not match its hash (altered)")
    return None


def _check_checkpoint(note: str, where: str, verifier, report: ExportReport, hash_at, kept: bool = False) -> bool:
    """One checkpoint against the export: signed by the export's key, and extended by its chain."""
    label_ja, label_en = (f"保管していたチェックポイント（{where}）", f"the checkpoint you kept ({where})") if kept else (where, where)
    try:
        checkpoint = checkpoints.parse(note, verifier)
    except checkpoints.CheckpointRejected as error:
        report.problems.append(ledger.Problem(None, f"{label_ja}: {error.message_ja}", f"{label_en}: {error.message_en}"))
        return False
    found = checkpoints.compare(checkpoint, report.events, hash_at, "エクスポート", "the export")
    for problem in found:
        report.problems.append(ledger.Problem(problem.event_seq, f"{label_ja}: {problem.message_ja}", f"{label_en}: {problem.message_en}"))
    return not found


def _check_attachments(folder: Path, recorded: dict[str, dict], report: ExportReport) -> None:
    listed: dict[str, dict] = {}
    path = folder / ATTACHMENTS_FILE
    if path.exists():
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                row = json.loads(line)
                listed[row["sha256"]] = row
            except (ValueError, KeyError, TypeError):
                report.problems.append(ledger.Problem(None, f"{ATTACHMENTS_FILE} の {number} 行目が読めません",
                                                      f"line {number} of {ATTACHMENTS_FILE} cannot be read"))
    for sha256 in sorted(set(recorded) - set(listed)):
        report.problems.append(ledger.Problem(recorded[sha256]["event"], f"添付ファイル {sha256[:12]}… が一覧にありません",
                                              f"attachment {sha256[:12]}… is missing from {ATTACHMENTS_FILE}"))
    for sha256 in sorted(set(listed) - set(recorded)):
        report.problems.append(ledger.Problem(None, f"添付ファイル {sha256[:12]}… は台帳に記録がありません",
                                              f"attachment {sha256[:12]}… is listed but no event stored it"))
    summary = _summary(folder)
    files = folder / FILES_DIR
    for sha256 in sorted(recorded):
        stored = ledger.attachment_path(files, sha256)
        if not stored.exists():
            if summary.get("files_included"):
                report.problems.append(ledger.Problem(recorded[sha256]["event"], f"添付ファイル {sha256[:12]}… がありません",
                                                      f"attachment {sha256[:12]}… is missing"))
            continue
        report.files_checked += 1
        if ledger.file_sha256(stored) != sha256:
            report.problems.append(ledger.Problem(recorded[sha256]["event"], f"添付ファイル {sha256[:12]}… の内容が変更されています",
                                                  f"attachment {sha256[:12]}… was altered"))


def _summary(folder: Path) -> dict:
    try:
        return json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def event_line_hash(line: str) -> str:
    """For readers of README.txt: the hash of one exported event, recomputed as documented."""
    record = json.loads(line)
    body = canonical_json({name: record[name] for name in ("seq", "at", "actor", "kind", "contract", "media", "data", "changes")})
    return hashlib.sha256((record["prev_hash"] + body).encode("utf-8")).hexdigest()


README = """\
mediatrail 監査用エクスポート / audit export
================================================

このフォルダは mediatrail の台帳（媒体の取扱記録）を、データベースなしで検証できる形で書き出したものです。
This folder holds a mediatrail ledger in a form that can be verified without its database.

検証 / verify:
    mediatrail verify --export このフォルダ --checkpoint 保管していたチェックポイント.txt
    mediatrail verify --export THIS_FOLDER --checkpoint checkpoint-you-kept.txt

Files
-----
events.jsonl       One event per line, in order. Fields: seq, at (UTC), actor, kind, contract,
                   media (sorted medium IDs), data, changes, prev_hash, hash.
attachments.jsonl  Every file an event stored: sha256, media_type, size, original_name, stored_at,
                   event (the event that stored it).
attachments/       The files, at attachments/<first 2 hex>/<remaining 62 hex> (if included).
checkpoints.jsonl  The checkpoints handed out before this export (also inside events.jsonl).
checkpoint.txt     This export's own last event, signed.
public_key.txt     The installation's Ed25519 verifier key: name+keyID+base64(0x01 || key).
export.json        Origin, number of events, head hash, export time, whether files are included.

How each hash is computed (so you can check it with any tool)
-------------------------------------------------------------
canonical_json(x) = JSON with keys sorted, separators "," and ":", no ASCII escaping, UTF-8.
hash(event) = SHA-256 hex of ( prev_hash + canonical_json({seq, at, actor, kind, contract,
              media, data, changes}) ), where prev_hash of event 1 is 64 zeros and each later
              prev_hash is the hash of the event before it.

Checkpoints (C2SP tlog-checkpoint, https://c2sp.org/tlog-checkpoint)
--------------------------------------------------------------------
    <origin>
    <number of events>
    <base64 of the 32-byte hash of that event>
    time <UTC time it was signed>

    — <origin> <base64 of 4-byte key ID || 64-byte Ed25519 signature of the four lines above>

The "root hash" is the head of this linear chain, not an RFC 6962 Merkle root. An export
extends a checkpoint when event number <number of events> in events.jsonl has that hash. If
someone edited an earlier event and recomputed every later hash, it does not; a checkpoint
kept by the city before that edit therefore exposes it.
"""
