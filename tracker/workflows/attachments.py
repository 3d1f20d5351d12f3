"""Files the ledger cites (photos, erasure reports, issued PDFs), stored once by SHA-256.

The file is written before the event that cites it: if the event then fails, an unreferenced
file is left behind, which is harmless (content-addressed, never served) — whereas an event
citing a file that was never written would fail verification.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from tracker import ledger
from tracker.models import Attachment
from tracker.timeutil import now_iso


def store(attachments_dir: Path, content: bytes, media_type: str, original_name: str = "") -> tuple[str, dict]:
    """Write ``content`` under its hash; returns (sha256, the ledger changes for a new row)."""
    sha256 = hashlib.sha256(content).hexdigest()
    path = ledger.attachment_path(attachments_dir, sha256)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(content)
        os.replace(partial, path)  # readers never see half a file
    if Attachment.select().where(Attachment.sha256 == sha256).exists():
        return sha256, {}
    row = {"media_type": media_type, "size": len(content), "original_name": original_name[:200], "stored_at": now_iso()}
    return sha256, {"attachment": {sha256: row}}


def read(attachments_dir: Path, sha256: str) -> bytes:
    return ledger.attachment_path(attachments_dir, sha256).read_bytes()
