"""Addresses that work: the port checked before anything is written, the demo's labels and papers
carrying an address a phone can open, and a base URL changed later without invalidating a label."""

from __future__ import annotations

import io
import ipaddress
import json
import socket
import subprocess
import sys

import pytest
from pypdf import PdfReader

from conftest import run_cli
from labels import payload
from tls_helpers import free_port
from tracker import config, db, network
from tracker.models import Document
from tracker.workflows import media, papers, scans


def mediatrail(*arguments, timeout=300):
    return subprocess.run([sys.executable, "-m", "tracker.cli", *arguments], capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def busy_port():
    """A port something else is listening on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        yield taken.getsockname()[1]


def test_a_busy_port_stops_the_demo_before_anything_is_written(tmp_path, busy_port):
    folder = tmp_path / "data"
    result = mediatrail("--data", str(folder), "demo", "--port", str(busy_port))

    assert result.returncode == 1
    assert result.stderr == (f"エラー: ポート {busy_port} は使用中です（127.0.0.1:{busy_port}）。--port で別の番号を指定するか、"
                             f"使っているプログラムを終了してください / error: port {busy_port} is already in use "
                             f"(127.0.0.1:{busy_port}); choose another with --port or stop the program using it\n")
    assert result.stdout == ""
    assert not folder.exists()  # no config.json with a dead URL, no database


def test_a_busy_port_stops_serve_tls_before_a_certificate_is_made(tmp_path, busy_port):
    folder = tmp_path / "data"
    config.initialise(folder, "http://127.0.0.1:8000")
    https_taken = mediatrail("--data", str(folder), "serve", "--tls", "--port", str(busy_port), "--http-port", str(free_port()))
    redirect_taken = mediatrail("--data", str(folder), "serve", "--tls", "--port", str(free_port()), "--http-port", str(busy_port))
    plain_taken = mediatrail("--data", str(folder), "serve", "--port", str(busy_port))

    for result in (https_taken, redirect_taken, plain_taken):
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1 and f"port {busy_port} is already in use" in result.stderr
    assert not (folder / "tls").exists()


def test_check_port_free_tells_in_use_from_an_address_not_ours(busy_port):
    with pytest.raises(network.CannotListen) as in_use:
        network.check_port_free("127.0.0.1", busy_port)
    assert in_use.value.code == "cannot_listen" and "already in use" in in_use.value.message_en
    with pytest.raises(network.CannotListen) as foreign:
        network.check_port_free("198.51.100.77", free_port())  # TEST-NET-2: never this machine's
    assert foreign.value.message_en == "198.51.100.77 is not an address of this machine; check --host"
    network.check_port_free("127.0.0.1", free_port())  # a free port passes


def test_the_demo_on_all_addresses_prints_the_lan_address_into_labels_and_papers(demo_dir):
    """conftest's demo is seeded with ``demo --no-serve --host 0.0.0.0`` (default port)."""
    lan = network.lan_addresses()
    host = lan[0] if lan else network.host_name()
    expected = f"http://{host}:{config.DEFAULT_PORT}"
    if lan:
        assert not ipaddress.ip_address(host).is_loopback
    settings = config.load(demo_dir)
    assert json.loads((demo_dir / "config.json").read_text(encoding="utf-8"))["base_url"] == expected == settings.base_url
    db.connect(settings.database_url)
    # A label as printed, and the verification link printed on every issued paper.
    some_medium = scans.Medium.select().order_by(scans.Medium.id).first()
    assert payload.medium_url(some_medium.id, settings.secret, settings.base_url).startswith(expected.upper() + "/M/")
    receipt = Document.select().order_by(Document.serial).first()
    pdf = PdfReader(io.BytesIO(papers.content(settings, receipt)))
    text = "".join(page.extract_text() for page in pdf.pages).replace("\x00", "").replace("\n", "")
    assert f"{expected}/d/{receipt.serial}" in text


def test_the_demo_checks_the_port_even_with_a_base_url_given(tmp_path, monkeypatch, busy_port):
    """``--base-url`` wins over --host; the port check comes first even so."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    refused = run_cli("--data", str(tmp_path / "d"), "demo", "--port", str(busy_port), "--base-url", "https://mt.local:8443")
    assert refused.exit_code == 1 and not (tmp_path / "d").exists()


def test_init_and_demo_take_a_base_url_and_refuse_one_labels_cannot_use(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert run_cli("--data", str(tmp_path / "a"), "init", "--base-url", "HTTPS://Mediatrail.Local:8443/").exit_code == 0
    assert config.load(tmp_path / "a").base_url == "https://Mediatrail.Local:8443"
    for wrong in ("ftp://server", "http://server/mediatrail", "server:8000", "http://server:port", "https://"):
        refused = run_cli("--data", str(tmp_path / "b"), "init", "--base-url", wrong)
        assert refused.exit_code == 1, wrong
        assert "http:// か https://" in refused.output and "must be http:// or https://" in refused.output
        assert not (tmp_path / "b" / "config.json").exists()


def test_changing_the_base_url_keeps_labels_already_printed_valid(cast, settings, data_dir):
    medium = media.register(cast.worker, "KG26", "usb", "課税資料パンチデータ")
    printed_before = payload.medium_url(medium.id, settings.secret, settings.base_url)

    result = run_cli("--data", str(data_dir), "config", "set-base-url", "https://192.168.10.23:8443")

    assert result.exit_code == 0, result.output
    assert "label URL changed: http://mediatrail.test -> https://192.168.10.23:8443" in result.output
    assert "labels already printed stay valid (the signature covers the medium's ID, not the host)" in result.output
    assert "印刷済みのラベルはそのまま有効です" in result.output
    changed = config.load(data_dir)
    assert changed.base_url == "https://192.168.10.23:8443"
    printed_after = payload.medium_url(medium.id, changed.secret, changed.base_url)
    assert printed_after == f"HTTPS://192.168.10.23:8443/M/{medium.id}/" + printed_before.rsplit("/", 1)[1]
    # The old label still reads as this medium, signed, and acts like a new one.
    old = payload.parse(printed_before, changed.secret)
    assert (old.valid, old.signed, old.medium) == (True, True, medium.id)
    status, answer = scans.record(cast.worker, "after-move-1", printed_before, "lookup", None, changed.secret)
    assert status == 200 and answer["medium"]["id"] == medium.id
    # Only the host is free: the same label with its ID changed is still a forgery.
    altered = printed_before.replace(medium.id, media.register(cast.worker, "KG26", "usb", "別の媒体").id)
    assert payload.parse(altered, changed.secret).reason == "forged"


def test_set_base_url_refuses_a_url_labels_cannot_use_and_changes_nothing(data_dir):
    refused = run_cli("--data", str(data_dir), "config", "set-base-url", "http://server/sub/path")
    assert refused.exit_code == 1 and "must be http:// or https://" in refused.output
    assert config.load(data_dir).base_url == "http://mediatrail.test"
