"""Files the ledger cites (photos, erasure reports, issued PDFs), stored once by SHA-256.

The file is written before the event that cites it: if the event then fails, an unreferenced
file is left behind, which is harmless (content-addressed, never served) — whereas an event
citing a file that was never written would fail verification.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import time
from datetime import timedelta
from pathlib import Path

from tracker import db, ledger
from tracker.errors import InvalidInput
from tracker.models import Attachment
from tracker.timeutil import now_iso


def store(attachments_dir: Path, content: bytes, media_type: str, original_name: str = "") -> tuple[str, dict]:
    """Write ``content`` under its hash; returns (sha256, the ledger changes for a new row)."""
    sha256 = hashlib.sha256(content).hexdigest()
    path = ledger.attachment_path(attachments_dir, sha256)
    if not path.exists():
        partial = path.with_name(path.name + ".part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(content)
            os.replace(partial, path)  # readers never see half a file
        except OSError as error:
            partial.unlink(missing_ok=True)
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise db.storage_full() from error
            raise
    if Attachment.select().where(Attachment.sha256 == sha256).exists():
        return sha256, {}
    row = {"media_type": media_type, "size": len(content), "original_name": original_name[:200], "stored_at": now_iso()}
    return sha256, {"attachment": {sha256: row}}


def read(attachments_dir: Path, sha256: str) -> bytes:
    return ledger.attachment_path(attachments_dir, sha256).read_bytes()


# ---- staged uploads ----------------------------------------------------------------------------
# A file shown in a preview waits here, under its hash, until the person confirms: what is then
# registered is exactly the file they saw, never a second upload that might differ. Staged files
# are outside the ledger; those never confirmed are removed after STAGED_FOR.

STAGED_FOR = timedelta(days=1)


def stage(staging_dir: Path, content: bytes) -> str:
    """Keep ``content`` until confirmed; returns its SHA-256, the name to ask for it by."""
    _prune(staging_dir)
    sha256 = hashlib.sha256(content).hexdigest()
    path = staging_dir / sha256
    staging_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{sha256}.{os.getpid()}.part")
    partial.write_bytes(content)
    os.replace(partial, path)
    return sha256


def staged(staging_dir: Path, sha256: str) -> bytes:
    """The staged file, checked against its hash; InvalidInput when it is gone or was changed."""
    path = staging_dir / sha256
    if not re.fullmatch(r"[0-9a-f]{64}", sha256) or not path.is_file():
        raise InvalidInput("プレビューしたファイルが見つかりません（時間が経ったため削除されました）。もう一度ファイルを選んでください",
                           "the previewed file is no longer kept (it expired); choose the file again")
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != sha256:
        raise InvalidInput("プレビューしたファイルが保管中に変わっています。もう一度ファイルを選んでください",
                           "the previewed file changed while it was kept; choose the file again")
    return content


def unstage(staging_dir: Path, sha256: str) -> None:
    if re.fullmatch(r"[0-9a-f]{64}", sha256):
        (staging_dir / sha256).unlink(missing_ok=True)


def _prune(staging_dir: Path) -> None:
    if not staging_dir.is_dir():
        return
    oldest = time.time() - STAGED_FOR.total_seconds()
    for path in staging_dir.iterdir():
        try:
            if path.stat().st_mtime < oldest:
                path.unlink()
        except OSError:
            pass  # removed by another worker meanwhile
