"""A full disk gives a clear, retryable refusal and leaves the ledger whole.

Real ENOSPC, not a mock: ``tests/diskfull_run.py`` runs in a private mount namespace
(``unshare --user --map-root-user --mount``, so no root and nothing visible outside) with the data
folder on a 2 MB tmpfs, fills it with a file, sends scans and stores a photo, then frees the space
and resends. SQLite reports SQLITE_FULL when its write-ahead log cannot grow; the transaction is
rolled back whole, so nothing is half-written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HELPER = Path(__file__).resolve().parent / "diskfull_run.py"


def _namespaces_available() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _namespaces_available(), reason="needs unshare with user and mount namespaces (util-linux)")
def test_a_full_disk_refuses_with_507_records_nothing_and_recovers(tmp_path):
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    run = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable, str(HELPER), str(mountpoint)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["filled_with_errno"] == 28  # ENOSPC: the disk really was full
    # the scan that could not be written: 507 with both messages, nothing recorded
    assert result["refused_status"] == 507
    assert result["refused"]["error"] == "storage_full"
    assert result["refused"]["message_en"].startswith("the disk is full, so nothing was recorded")
    assert "ディスクがいっぱい" in result["refused"]["message_ja"]
    assert result["events_recorded_by_the_refused_scan"] == 0
    assert result["verify_while_full"] is True
    assert result["bad_request_while_full"] == 400  # other answers are unaffected
    # a photo that does not fit: the same refusal, no half-written file left behind
    assert result["attachment_refusal"] == {"type": "StorageFull", "status": 507, "message_en": result["refused"]["message_en"]}
    assert result["attachment_leftovers"] == []
    # space freed: the station's resend (same key) is recorded once, the database is sound
    assert (result["after_status"], result["after_replayed"]) == (200, False)
    assert result["integrity_check"] == "ok"
    assert result["verify_after"] is True, result["verify_after_problems"]
