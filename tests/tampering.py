"""What someone with write access to a copy of the data could do to it, for the integrity tests.

Each function works on a data folder's SQLite file directly (as an editor would), never through
the ledger.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tracker import checkpoints, ledger
from tracker.models import Event, canonical_json


def connect(data_dir: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(data_dir / "mediatrail.db", isolation_level=None)
    connection.row_factory = sqlite3.Row
    return connection


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database whole, whatever still sits in its write-ahead log."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)


def event_count(data_dir: Path) -> int:
    with connect(data_dir) as connection:
        return connection.execute("SELECT max(seq) FROM event").fetchone()[0]


def plain_event(data_dir: Path, before: int) -> int:
    """The newest event before ``before`` whose ``data`` can change without touching the state
    (its changes stay as they were) and which records no checkpoint."""
    with connect(data_dir) as connection:
        row = connection.execute(
            "SELECT seq FROM event WHERE seq < ? AND kind NOT IN ('checkpoint.issued', 'document.issued') "
            "ORDER BY seq DESC LIMIT 1", (before,)).fetchone()
    return row["seq"]


def edit_event(data_dir: Path, seq: int) -> None:
    """Change what an event says, leaving its hash as it was."""
    with connect(data_dir) as connection:
        data = json.loads(connection.execute("SELECT data FROM event WHERE seq = ?", (seq,)).fetchone()["data"])
        data["note"] = "書き換え / rewritten"
        connection.execute("UPDATE event SET data = ? WHERE seq = ?", (canonical_json(data), seq))


def delete_event(data_dir: Path, seq: int) -> None:
    with connect(data_dir) as connection:
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute("DELETE FROM event_medium WHERE event_id = ?", (seq,))
        connection.execute("DELETE FROM event WHERE seq = ?", (seq,))


def swap_events(data_dir: Path, first: int, second: int) -> None:
    """Exchange two events' positions (every column but seq)."""
    with connect(data_dir) as connection:
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute("BEGIN")
        for seq, temporary in ((first, -1), (second, -2)):
            connection.execute("UPDATE event SET seq = ? WHERE seq = ?", (temporary, seq))
            connection.execute("UPDATE event_medium SET event_id = ? WHERE event_id = ?", (temporary, seq))
        for temporary, seq in ((-1, second), (-2, first)):
            connection.execute("UPDATE event SET seq = ? WHERE seq = ?", (seq, temporary))
            connection.execute("UPDATE event_medium SET event_id = ? WHERE event_id = ?", (seq, temporary))
        connection.execute("COMMIT")


def replace_attachment(data_dir: Path) -> str:
    """Overwrite the first stored file (an issued PDF or a photo) with other bytes; returns its hash."""
    with connect(data_dir) as connection:
        sha256 = connection.execute("SELECT sha256 FROM attachment ORDER BY stored_at LIMIT 1").fetchone()["sha256"]
    ledger.attachment_path(data_dir / "attachments", sha256).write_bytes(b"%PDF-1.4 a different file\n")
    return sha256


def rewrite_history(data_dir: Path, seq: int, resign: bool = False, papers: bool | None = None) -> None:
    """Edit event ``seq`` and recompute every later hash, so the chain alone verifies again.

    With ``resign``, also re-sign every recorded checkpoint from ``seq`` on with the installation's
    key and rewrite ``checkpoints.log``, and (``papers``, by default with ``resign``) record the
    new hashes as the heads the issued papers print: the most thorough rewrite someone holding
    the key can do short of re-rendering every PDF.
    """
    papers = resign if papers is None else papers
    signer = checkpoints.signer(data_dir)
    with connect(data_dir) as connection:
        connection.execute("BEGIN")
        rows = connection.execute("SELECT * FROM event WHERE seq >= ? ORDER BY seq", (seq,)).fetchall()
        previous = connection.execute("SELECT hash FROM event WHERE seq = ?", (seq - 1,)).fetchone()
        previous_hash = previous["hash"] if previous else ledger.GENESIS
        new_hashes: dict[int, str] = {}
        for row in rows:
            data = json.loads(row["data"])
            if row["seq"] == seq:
                data["note"] = "書き換え / rewritten"
            if resign and data.get("checkpoint"):
                old = checkpoints.parse_format(data["checkpoint"])
                if old.size >= seq:
                    data["checkpoint"] = checkpoints.make(signer, old.size, new_hashes[old.size], old.time).note
                    if "head_hash" in data:
                        data["head_hash"] = new_hashes[old.size]
            media = [link["medium"] for link in connection.execute(
                "SELECT medium FROM event_medium WHERE event_id = ? ORDER BY medium", (row["seq"],))]
            changes = json.loads(row["changes"])
            if papers:
                for serial, paper in changes.get("document", {}).items():
                    if paper.get("head_seq", 0) >= seq:
                        paper["head_hash"] = new_hashes[paper["head_seq"]]
                        connection.execute("UPDATE document SET head_hash = ? WHERE serial = ?", (paper["head_hash"], serial))
            event = Event(seq=row["seq"], at=row["at"], actor=row["actor"], kind=row["kind"], contract=row["contract"],
                          data=canonical_json(data), changes=canonical_json(changes), prev_hash=previous_hash)
            event.hash = ledger.event_hash(event, media)
            connection.execute("UPDATE event SET data = ?, changes = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                               (event.data, event.changes, event.prev_hash, event.hash, row["seq"]))
            new_hashes[row["seq"]] = previous_hash = event.hash
        connection.execute("COMMIT")
    if resign:
        log = data_dir / checkpoints.LOG_FILE
        lines = []
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            old = checkpoints.parse_format(entry["checkpoint"])
            if old.size >= seq:
                entry["checkpoint"] = checkpoints.make(signer, old.size, new_hashes[old.size], old.time).note
            lines.append(json.dumps(entry, ensure_ascii=False))
        log.write_text("\n".join(lines) + "\n", encoding="utf-8")
