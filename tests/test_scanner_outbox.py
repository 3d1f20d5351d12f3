"""RemoteSink against a real local HTTP server that can be down, failing, refusing or fine."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scanner import outbox
from scanner.outbox import RemoteSink
from scanner.station import Scan

TOKEN = "t0ken"


class FakeServer:
    """The server side of the contract: de-duplicates by idempotency key, counts receipts."""

    def __init__(self):
        self.mode = "ok"  # ok | 500 | refuse
        self.receipts = 0
        self.records: dict[str, dict] = {}  # idempotency key -> body, in arrival order
        self.headers = []
        self.port = _free_port()
        self.httpd = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def up(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def down(self):
        """Not listening at all: clients get 'connection refused'."""
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.receipts += 1
                server.headers.append(self.headers.get("Authorization"))
                if self.path != "/api/v1/scans":
                    return self._reply(404, {"error": "not_found", "message_ja": "なし", "message_en": "no such path"})
                if server.mode == "500":
                    return self._reply(500, {"error": "boom"})
                if server.mode == "refuse":
                    return self._reply(422, {"error": "wrong_state", "message_ja": "保管できません", "message_en": "cannot be stored"})
                server.records.setdefault(body["idempotency_key"], body)
                self._reply(201, {"ok": True, "message_ja": "保管しました", "message_en": "stored"})

            def _reply(self, status, data):
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        return Handler


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    fake = FakeServer()
    fake.up()
    yield fake
    fake.down()


def scan(serial: int) -> Scan:
    medium = f"KG26-{serial:05d}-X"
    return Scan(
        text=f"HTTPS://H/M/{medium}/SIG", format="QRCode", medium=medium, location=None,
        valid=True, reason=None, action="store", location_context="LOC-00001-Y",
    )


def test_scan_is_sent_with_token_and_contract_body(server, tmp_path):
    sink = RemoteSink(server.url + "/", TOKEN, tmp_path / "queue")
    s = scan(1)
    outcome = sink.record(s)
    assert outcome.ok and not outcome.queued and outcome.message_en == "stored"
    assert server.headers == [f"Bearer {TOKEN}"]
    assert server.records == {s.idempotency_key: {
        "idempotency_key": s.idempotency_key, "code": s.text, "action": "store",
        "location": "LOC-00001-Y", "context": None, "scanned_at": s.scanned_at,
    }}
    assert sink.pending() == []


def test_scans_while_down_are_queued_then_drained_once_each_in_order(server, tmp_path):
    sink = RemoteSink(server.url, TOKEN, tmp_path / "queue")
    server.down()
    scans = [scan(i) for i in range(1, 4)]
    outcomes = [sink.record(s) for s in scans]
    assert all(o.queued and not o.ok and o.message_ja.startswith("送信待ち") for o in outcomes)
    queued = sink.pending()
    assert len(queued) == 3
    assert [json.loads(p.read_text())["idempotency_key"] for p in queued] == [s.idempotency_key for s in scans]

    assert sink.drain().remaining == 3  # still down: nothing lost, nothing sent
    server.up()
    result = sink.drain()
    assert (result.sent, result.refused, result.remaining) == (3, 0, 0)
    assert list(server.records) == [s.idempotency_key for s in scans]
    assert server.receipts == 3
    assert list((tmp_path / "queue").iterdir()) == []  # no temp files left behind either


def test_server_errors_queue_and_a_queue_keeps_new_scans_behind_it(server, tmp_path):
    sink = RemoteSink(server.url, TOKEN, tmp_path / "queue")
    server.mode = "500"
    first = scan(1)
    assert sink.record(first).queued
    assert sink.drain().remaining == 1
    server.mode = "ok"
    second = scan(2)
    assert sink.record(second).queued  # does not overtake the older scan
    assert server.records == {}
    sink.drain()
    assert list(server.records) == [first.idempotency_key, second.idempotency_key]


def test_crash_between_send_and_delete_records_once(server, tmp_path, monkeypatch):
    queue = tmp_path / "queue"
    sink = RemoteSink(server.url, TOKEN, queue)
    server.down()
    s = scan(1)
    sink.record(s)
    server.up()

    class Crash(BaseException):
        pass

    def crash(path):
        raise Crash()

    monkeypatch.setattr(outbox, "_remove", crash)
    with pytest.raises(Crash):
        sink.drain()
    monkeypatch.undo()
    assert server.receipts == 1 and len(sink.pending()) == 1

    restarted = RemoteSink(server.url, TOKEN, queue)
    assert restarted.drain().sent == 1
    assert server.receipts == 2
    assert list(server.records) == [s.idempotency_key]
    assert restarted.pending() == []


def test_refusal_is_shown_and_not_queued(server, tmp_path):
    sink = RemoteSink(server.url, TOKEN, tmp_path / "queue")
    server.mode = "refuse"
    outcome = sink.record(scan(1))
    assert not outcome.ok and not outcome.queued
    assert (outcome.message_ja, outcome.message_en) == ("保管できません", "cannot be stored")
    assert sink.pending() == []
    assert server.receipts == 1


def test_queued_scan_refused_later_is_kept_aside(server, tmp_path):
    sink = RemoteSink(server.url, TOKEN, tmp_path / "queue")
    server.down()
    s = scan(1)
    sink.record(s)
    server.up()
    server.mode = "refuse"
    result = sink.drain()
    assert (result.sent, result.refused, result.remaining) == (0, 1, 0)
    kept = list((tmp_path / "queue" / "rejected").glob("*.json"))
    assert len(kept) == 1
    saved = json.loads(kept[0].read_text())
    assert saved["scan"]["idempotency_key"] == s.idempotency_key
    assert saved["response"]["error"] == "wrong_state"


def test_a_server_that_never_answers_times_out_into_the_queue(tmp_path):
    with socket.socket() as silent:  # accepts connections (backlog) but never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        sink = RemoteSink(url, TOKEN, tmp_path / "queue", timeout=(1.0, 0.2))
        assert sink.record(scan(1)).queued
    assert len(sink.pending()) == 1


def test_station_drains_the_queue_before_a_new_scan(server, tmp_path):
    import io

    import numpy as np
    import qrcode

    from labels.ids import format_id
    from labels.payload import medium_url
    from scanner.station import ConsoleFeedback, Frame, Station

    secret = b"s" * 32
    sink = RemoteSink(server.url, TOKEN, tmp_path / "queue")
    server.down()
    old = scan(1)
    sink.record(old)
    server.up()

    code = qrcode.QRCode(border=4, box_size=4)
    code.add_data(medium_url(format_id("KG26", 2), secret, "https://h"))
    frame = Frame(np.array(code.make_image().convert("L"), dtype=np.uint8), 0.0)
    events = Station(sink, secret, feedback=ConsoleFeedback(io.StringIO())).run([frame])
    assert events[0].outcome.ok
    assert list(server.records) == [old.idempotency_key, events[0].scan.idempotency_key]
    assert sink.pending() == []
