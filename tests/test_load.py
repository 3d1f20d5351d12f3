"""16 clients scanning through the API of a real `mediatrail serve` at once, on SQLite and on
PostgreSQL: every acknowledged scan is in the ledger exactly once, the chain is unforked, no
request fails (no "database is locked"), a resend with the same idempotency key records nothing.
Then the same load with the server SIGKILLed in the middle of it, and restarted.

Kept short here (MEDIATRAIL_LOAD_SECONDS, default 8 s of load); ``bench/bench_load.py`` runs a
minute and measures.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import scanload  # noqa: E402

CLIENTS = 16
SECONDS = float(os.environ.get("MEDIATRAIL_LOAD_SECONDS", "8"))


def databases():
    found = [pytest.param(None, id="sqlite")]
    if os.environ.get("TEST_DATABASE_URL"):
        found.append(pytest.param(os.environ["TEST_DATABASE_URL"], id="postgres"))
    return found


@pytest.fixture
def site(request, tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return scanload.prepare(tmp_path / "data", request.param, CLIENTS)


@pytest.fixture
def server(site):
    running = scanload.Server(site)
    running.start()
    yield running
    running.stop()


@pytest.mark.parametrize("site", databases(), indirect=True)
def test_sixteen_clients_at_once_lose_nothing_and_record_nothing_twice(site, server):
    logs = scanload.run_clients(site, server.url, SECONDS)
    failures = [failure for log in logs for failure in log.failures]
    assert failures == []  # no refusal, no "database is locked", no 5xx, every resend replayed
    assert all(log.in_flight is None for log in logs)
    outcome = scanload.check(site, logs)
    # every client got through more than once: the 16 really were at the server at the same time
    assert all(len(log.acknowledged) >= 2 for log in logs), [len(log.acknowledged) for log in logs]
    assert outcome.unmatched == [] and outcome.duplicated == []
    assert outcome.stored_events == outcome.acknowledged  # exactly once each
    assert outcome.verified and outcome.problems == []
    assert sum(log.resent for log in logs) >= CLIENTS  # resends happened, and each was answered "replayed"


@pytest.mark.parametrize("site", databases(), indirect=True)
def test_a_server_killed_in_the_middle_of_the_load_loses_no_acknowledged_scan(site, server):
    stop = threading.Event()
    killer = threading.Timer(SECONDS / 2, server.kill)
    killer.start()
    logs = scanload.run_clients(site, server.url, SECONDS, stop)
    killer.join()
    assert server.process.returncode == -9
    acknowledged_before_the_kill = sum(len(log.acknowledged) for log in logs)
    assert acknowledged_before_the_kill > CLIENTS
    assert [failure for log in logs for failure in log.failures] == []
    assert any(log.in_flight for log in logs)  # killed with requests under way, not between them

    restarted = scanload.Server(site, port=server.port)
    restarted.start()
    try:
        scanload.resend_in_flight(site, restarted.url, logs)  # the stations' outboxes resend, same keys
        assert [failure for log in logs for failure in log.failures] == []
        more = scanload.run_clients(site, restarted.url, 2, key_prefix="after-")  # and work goes on
    finally:
        restarted.stop()
    outcome = scanload.check(site, logs + more)
    assert outcome.unmatched == [] and outcome.duplicated == []
    assert outcome.stored_events == outcome.acknowledged
    assert outcome.verified and outcome.problems == []
    environment = dict(os.environ, **({"DATABASE_URL": site.database_url} if not site.database_url.startswith("sqlite") else {}))
    if site.database_url.startswith("sqlite"):
        environment.pop("DATABASE_URL", None)
    verify = subprocess.run([sys.executable, "-m", "tracker.cli", "--data", str(site.data_dir), "verify"],
                            capture_output=True, text=True, env=environment, cwd=scanload.ROOT)
    assert verify.returncode == 0, verify.stderr
