"""The remote sink: send scans to a mediatrail server, keep them on disk while it is away.

A station in a storage room often has poor Wi-Fi. A scan that the server has not confirmed is
therefore never dropped: it waits in a queue folder, one JSON file per scan, until ``drain()``
gets it through. Every scan carries an idempotency key and the server answers a repeated key
with the original result, so sending a scan twice (a crash after the server answered but before
the file was deleted) records it once.

Server contract, ``POST {server}/api/v1/scans``:
  200/201           -> ``{"ok", "message_ja", "message_en", ...}``
  4xx except 408/429 -> final refusal ``{"error", "message_ja", "message_en"}``: not retried
  5xx, 408, 429, no connection, timeout -> queued, retried by ``drain()``
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests

from scanner.station import Outcome, Scan

log = logging.getLogger(__name__)

QUEUED = ("送信待ち（サーバーに接続できたら自動で送ります）", "queued: will be sent when the server is reachable")
SENT = ("送信しました", "sent")
TIMEOUT = (3.05, 10.0)  # connect, read: a station should not hang for long on bad Wi-Fi


@dataclass(frozen=True)
class DrainResult:
    sent: int
    refused: int
    remaining: int


class RemoteSink:
    """``RemoteSink("http://server:8000", token, "/var/lib/mediatrail/outbox")``.

    Call :meth:`drain` before :meth:`record` (the station does): a scan recorded while older
    scans are still queued joins the queue behind them, so the server sees scans in order.
    """

    def __init__(self, server_url: str, token: str, queue_dir: str | os.PathLike, *, timeout=TIMEOUT, session=None):
        self.url = server_url.rstrip("/") + "/api/v1/scans"
        self.devices_url = server_url.rstrip("/") + "/api/v1/checks/devices"
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.queue_dir = Path(queue_dir)
        self.queue_dir.mkdir(parents=True, exist_ok=True)
        self.rejected_dir = self.queue_dir / "rejected"

    def record(self, scan: Scan) -> Outcome:
        body = {
            "idempotency_key": scan.idempotency_key,
            "code": scan.text,
            "action": scan.action,
            "location": scan.location_context,
            "context": scan.context,
            "scanned_at": scan.scanned_at,
        }
        if self.pending():
            return self._enqueue(body)
        reply = self._post(body)
        return self._enqueue(body) if reply.retry else reply.outcome

    def drain(self) -> DrainResult:
        """Send queued scans oldest first; stop at the first one the server cannot take now."""
        sent = refused = 0
        for path in self.pending():
            try:
                body = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                self._reject(path, {"error": "unreadable_queue_file", "detail": str(error)})
                refused += 1
                continue
            reply = self._post(body)
            if reply.retry or reply.status == 401:  # 401: our token is wrong, not this scan
                break
            if reply.refused:
                self._reject(path, reply.data)
                refused += 1
            else:
                _remove(path)
                sent += 1
        return DrainResult(sent, refused, len(self.pending()))

    def report_queue(self, action: str, location: str) -> bool:
        """During a storage check, tell the server how many scans wait in this queue: it will not
        complete the check while any do (``tracker.workflows.checks``). The station calls this
        after every drain. False when the server could not be told."""
        if action != "check":
            return False
        body = {"device": self.device_id(), "name": f"station {socket.gethostname()}", "pending": len(self.pending()),
                "location": location}
        try:
            response = self.session.post(self.devices_url, json=body, timeout=self.timeout)
        except requests.RequestException as error:
            log.info("queue length not reported: %s", error)
            return False
        return response.status_code < 400

    def device_id(self) -> str:
        """This station's ID, kept beside its queue so that it survives restarts."""
        path = self.queue_dir / "device-id"
        try:
            return json.loads(path.read_text(encoding="utf-8"))["device"]
        except (OSError, ValueError, KeyError):
            device = f"station-{uuid.uuid4()}"
            _write_atomically(path, {"device": device})
            return device

    def pending(self) -> list[Path]:
        """Queued scan files, oldest first (names start with the time they were queued)."""
        return sorted(self.queue_dir.glob("*.json"))

    def _post(self, body: dict) -> _Reply:
        try:
            response = self.session.post(self.url, json=body, timeout=self.timeout)
        except requests.RequestException as error:
            log.info("scan %s not sent: %s", body["idempotency_key"], error)
            return _Reply(retry=True)
        status = response.status_code
        if status >= 500 or status in (408, 429):
            return _Reply(retry=True, status=status)
        data = _json(response)
        if 200 <= status < 300:
            return _Reply(status=status, data=data, outcome=Outcome(
                bool(data.get("ok", True)), data.get("message_ja") or SENT[0], data.get("message_en") or SENT[1],
            ))
        return _Reply(refused=True, status=status, data=data, outcome=Outcome(
            False,
            data.get("message_ja") or f"サーバーが受け付けませんでした（HTTP {status}）",
            data.get("message_en") or f"the server refused the scan (HTTP {status})",
        ))

    def _enqueue(self, body: dict) -> Outcome:
        name = f"{time.time_ns():020d}-{body['idempotency_key']}.json"
        _write_atomically(self.queue_dir / name, body)
        return Outcome(False, QUEUED[0], QUEUED[1], queued=True)

    def _reject(self, path: Path, response: dict) -> None:
        """Keep refused scans for a person to look at instead of deleting them silently."""
        log.warning("queued scan %s refused by the server: %s", path.name, response)
        self.rejected_dir.mkdir(exist_ok=True)
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            body = None
        _write_atomically(self.rejected_dir / path.name, {"scan": body, "response": response})
        _remove(path)


@dataclass(frozen=True)
class _Reply:
    retry: bool = False
    refused: bool = False
    status: int | None = None
    data: dict | None = None
    outcome: Outcome | None = None


def _json(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _write_atomically(path: Path, data: dict) -> None:
    """A reader (or a restart after power loss) sees the whole file or no file."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as file:
        json.dump(data, file, ensure_ascii=False)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # Windows cannot open a directory; NTFS journals the rename
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
