"""Many scanning clients against a real `mediatrail serve`, and the check that nothing was lost.

Used by ``bench/bench_load.py`` (a minute, figures for the README) and by
``tests/test_load.py`` (seconds, in CI). Each client is one station or phone with its own API
token (four workers share them); it stores its own media in turn, alternating between two cabinets, through
``POST /api/v1/scans`` with a fresh idempotency key, and resends every tenth scan with the same
key as a station does after a timeout. Afterwards :func:`check` matches every acknowledged scan
to exactly one ``medium.stored`` event — by the medium's ``updated_at`` the answer carried,
which that event alone wrote.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from labels import payload  # noqa: E402
from tracker import config, db, ledger  # noqa: E402
from tracker.models import ALL_MODELS, Event, create_schema  # noqa: E402
from tracker.workflows import media, people, places, roster, tokens  # noqa: E402

CONTRACT = "LD26"
PASSWORD = "load-test-password"
RESEND_EVERY = 10  # every tenth scan is sent twice with the same key


@dataclass
class Site:
    data_dir: Path
    database_url: str
    tokens: list[str]
    media: list[list[str]]  # per client, the medium IDs it scans (each its own)
    codes: dict[str, str]  # medium ID -> signed label URL
    cabinets: tuple[str, str]
    events_before: int


def prepare(data_dir: Path, database_url: str | None, clients: int, media_per_client: int = 4, workers: int = 4) -> Site:
    """A fresh installation: one contract, two cabinets, ``workers`` people on its roster, and an
    API token per client (a person may carry a phone and work a station)."""
    settings = config.initialise(data_dir, base_url="http://load.test")
    url = database_url or settings.database_url
    real = db.connect(url)
    if not db.is_sqlite():
        real.drop_tables(ALL_MODELS, safe=True, cascade=True)
    create_schema()
    admin = people.create_user(None, "admin", "管理者", "admin", PASSWORD)
    people.create_contract(admin, CONTRACT, "負荷試験", "小金井市")
    cabinets = tuple(places.create_location(admin, f"キャビネット{name}", "cabinet", "storage").code for name in "AB")
    city = people.create_user(admin, "city", "市 職員", "municipality", PASSWORD, organisation="小金井市 市民税課")
    staff = []
    for number in range(min(workers, clients)):
        login = f"worker{number:02d}"
        staff.append(people.create_user(admin, login, f"作業者{number}", "contractor", PASSWORD))
        roster.decide(city, roster.apply_add(admin, CONTRACT, login, "responsible" if number == 0 else "worker").number, True)
        people.sign_pledge(staff[-1], CONTRACT)
    site_tokens, site_media, codes = [], [], {}
    for number in range(clients):
        worker = staff[number % len(staff)]
        site_tokens.append(tokens.create_token(worker, f"station {number}", None))
        owned = [media.register(worker, CONTRACT, "usb", f"負荷{number}-{n}", location=cabinets[0], encrypted=True,
                                encryption="AES-256").id for n in range(media_per_client)]
        site_media.append(owned)
        codes.update({medium_id: payload.medium_url(medium_id, settings.secret, settings.base_url) for medium_id in owned})
    events_before = ledger.head()[0]
    real.close()
    return Site(data_dir, url, site_tokens, site_media, codes, cabinets, events_before)


# ---- the server --------------------------------------------------------------------------------


class Server:
    """`mediatrail serve` (waitress) in its own process, as a site runs it."""

    def __init__(self, site: Site, threads: int = 8, port: int | None = None):
        self.site = site
        self.threads = threads
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        environment = dict(os.environ)
        environment.pop("DATABASE_URL", None)
        if not self.site.database_url.startswith("sqlite"):
            environment["DATABASE_URL"] = self.site.database_url
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tracker.cli", "--data", str(self.site.data_dir), "serve",
             "--port", str(self.port), "--threads", str(self.threads)],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                if requests.get(f"{self.url}/api/v1/openapi.json", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush — a crash, not a stop."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def errors(self) -> str:
        return self.process.stderr.read().decode(errors="replace") if self.process and self.process.poll() is not None else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---- the clients -------------------------------------------------------------------------------


@dataclass
class Scan:
    key: str
    medium: str
    location: str


@dataclass
class ClientLog:
    acknowledged: list[tuple[Scan, dict]] = field(default_factory=list)  # (scan, answer)
    latencies: list[float] = field(default_factory=list)  # seconds, every request
    resent: int = 0  # resends answered "replayed" with the first answer
    failures: list[str] = field(default_factory=list)  # any answer but 200, or a resend not replayed
    in_flight: Scan | None = None  # sent when the server went away: answer unknown


def run_clients(site: Site, server_url: str, seconds: float, stop: threading.Event | None = None,
                key_prefix: str = "") -> list[ClientLog]:
    """All clients at once for ``seconds`` (or until ``stop``); each log says what it was told."""
    stop = stop or threading.Event()
    logs = [ClientLog() for _ in site.tokens]
    start = threading.Barrier(len(site.tokens) + 1)
    threads = [threading.Thread(target=_client, args=(site, server_url, number, logs[number], stop, start, key_prefix))
               for number in range(len(site.tokens))]
    for thread in threads:
        thread.start()
    start.wait()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return logs


def _client(site: Site, server_url: str, number: int, log: ClientLog, stop: threading.Event,
            start: threading.Barrier, key_prefix: str) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {site.tokens[number]}"
    owned = site.media[number]
    start.wait()
    sequence = 0
    while not stop.is_set():
        medium = owned[sequence % len(owned)]
        location = site.cabinets[(sequence // len(owned) + 1) % 2]
        scan = Scan(f"{key_prefix}c{number}-{sequence}", medium, location)
        body = {"idempotency_key": scan.key, "code": site.codes[medium], "action": "store", "context": location}
        log.in_flight = scan
        try:
            began = time.perf_counter()
            response = session.post(f"{server_url}/api/v1/scans", json=body, timeout=60)
            log.latencies.append(time.perf_counter() - began)
        except requests.RequestException:
            return  # the server went away: this scan's fate is unknown to the client
        log.in_flight = None
        answer = _json(response)
        if response.status_code != 200 or not answer.get("ok") or answer.get("replayed"):
            log.failures.append(f"{scan.key}: HTTP {response.status_code} {answer}")
            continue
        log.acknowledged.append((scan, answer))
        if sequence % RESEND_EVERY == 0:
            try:
                again = session.post(f"{server_url}/api/v1/scans", json=body, timeout=60)
            except requests.RequestException:
                return
            replay = _json(again)
            if again.status_code == 200 and replay.get("replayed") and replay.get("medium") == answer.get("medium"):
                log.resent += 1
            else:
                log.failures.append(f"{scan.key} resent: HTTP {again.status_code} {replay}")
        sequence += 1


def resend_in_flight(site: Site, server_url: str, logs: list[ClientLog]) -> int:
    """After a crash: each client resends the scan it had no answer for, with the same key (as a
    station's outbox does). Returns how many the server had already recorded before it died."""
    already = 0
    for number, log in enumerate(logs):
        scan = log.in_flight
        if scan is None:
            continue
        response = requests.post(f"{server_url}/api/v1/scans", timeout=60, headers={"Authorization": f"Bearer {site.tokens[number]}"},
                                 json={"idempotency_key": scan.key, "code": site.codes[scan.medium], "action": "store", "context": scan.location})
        answer = _json(response)
        if response.status_code != 200 or not answer.get("ok"):
            log.failures.append(f"{scan.key} after restart: HTTP {response.status_code} {answer}")
            continue
        already += bool(answer.get("replayed"))
        log.acknowledged.append((scan, answer))
        log.in_flight = None
    return already


def _json(response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {"body": response.text[:200]}
    return body if isinstance(body, dict) else {"body": body}


# ---- what must hold afterwards -----------------------------------------------------------------


@dataclass
class Outcome:
    acknowledged: int
    stored_events: int
    unmatched: list[str]  # acknowledged scans without their event
    duplicated: list[str]  # events matched by more than one acknowledged scan, or unacknowledged events
    verified: bool
    problems: list[str]


def check(site: Site, logs: list[ClientLog]) -> Outcome:
    """Every acknowledged scan is in the ledger exactly once, and the chain verifies."""
    db.connect(site.database_url)
    settings = config.load(site.data_dir)
    stored = {}
    events = Event.select().where((Event.seq > site.events_before) & (Event.kind == "medium.stored")).order_by(Event.seq)
    for event in events:
        ((medium_id, values),) = json.loads(event.changes)["medium"].items()
        stored[(medium_id, values["updated_at"])] = stored.get((medium_id, values["updated_at"]), 0) + 1
    acknowledged = [(scan, answer) for log in logs for scan, answer in log.acknowledged]
    unmatched, seen = [], {}
    for scan, answer in acknowledged:
        key = (scan.medium, answer["medium"]["updated_at"])
        if key not in stored or answer["medium"]["location"] != scan.location:
            unmatched.append(scan.key)
        seen[key] = seen.get(key, 0) + 1
    duplicated = [f"{medium} at {when}" for (medium, when), count in stored.items() if count != 1 or seen.get((medium, when)) != 1]
    report = ledger.verify(settings.attachments_dir)
    size = ledger.head()[0]
    db.database.close()
    problems = [str(problem) for problem in report.problems]
    if size != site.events_before + sum(stored.values()):
        problems.append(f"{size - site.events_before} events appended, {sum(stored.values())} of them scans")
    return Outcome(len(acknowledged), sum(stored.values()), unmatched, duplicated, report.ok, problems)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))] if ordered else float("nan")
