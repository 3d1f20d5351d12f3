"""HTTPS on a closed LAN: the local CA and server certificate (what iOS accepts), renewal, a
company's certificate checked against its key, the plain-HTTP redirect, and a real
``serve --tls`` answering requests and headless chromium with the CA trusted."""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import stat
import subprocess
from datetime import datetime, timedelta, timezone

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store
from werkzeug.test import Client

from conftest import run_cli
from tls_helpers import TlsServer, browsers_available, chromium_trusting, free_port
from tracker import config, network, serving, tls
from tracker.errors import InvalidInput

NAMES = ["mediatrail-pc.local", "mediatrail-pc", "localhost", "192.168.10.23", "127.0.0.1", "::1"]
NOW = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


def load(path):
    return x509.load_pem_x509_certificates(path.read_bytes())


def test_the_server_certificate_names_the_machine_and_is_one_ios_accepts(tmp_path):
    files = tls.ensure_local_certificates(tmp_path, NAMES, now=NOW)

    server, sent_ca = load(files.certificate)
    (ca,) = load(files.ca_certificate)
    assert sent_ca == ca  # the chain the server sends ends in the CA
    alternative = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert alternative.get_values_for_type(x509.DNSName) == ["mediatrail-pc.local", "mediatrail-pc", "localhost"]
    assert alternative.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("192.168.10.23"), ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    assert files.names == NAMES
    # iOS: at most 825 days, serverAuth, names in SAN, not a CA, SHA-256.
    lifetime = server.not_valid_after_utc - server.not_valid_before_utc
    assert lifetime == timedelta(days=tls.SERVER_DAYS) + tls.BACKDATE and lifetime <= timedelta(days=825)
    assert server.not_valid_before_utc == NOW - tls.BACKDATE
    assert server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH])
    assert server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert server.signature_hash_algorithm.name == "sha256"
    # The CA: CA:TRUE (critical), keyCertSign.
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca is True and constraints.value.path_length == 0
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is True
    assert ca.not_valid_after_utc - NOW == timedelta(days=tls.CA_DAYS)
    # Private keys readable by their owner only.
    if os.name == "posix":
        for key in ("ca.key", "server.key"):
            assert stat.S_IMODE((tmp_path / "tls" / key).stat().st_mode) == 0o600


def test_the_chain_verifies_for_each_name_and_for_no_other(tmp_path):
    files = tls.ensure_local_certificates(tmp_path, NAMES, now=NOW)
    server, _ = load(files.certificate)
    store = Store(load(files.ca_certificate))
    at = NOW + timedelta(days=10)
    for name in ("mediatrail-pc.local", "localhost"):
        chain = PolicyBuilder().store(store).time(at).build_server_verifier(x509.DNSName(name)).verify(server, [])
        assert chain[-1] == load(files.ca_certificate)[0]
    PolicyBuilder().store(store).time(at).build_server_verifier(x509.IPAddress(ipaddress.ip_address("192.168.10.23"))).verify(server, [])
    with pytest.raises(x509.verification.VerificationError):
        PolicyBuilder().store(store).time(at).build_server_verifier(x509.DNSName("example.com")).verify(server, [])
    with pytest.raises(x509.verification.VerificationError):  # after it expires
        PolicyBuilder().store(store).time(NOW + timedelta(days=tls.SERVER_DAYS + 1)).build_server_verifier(
            x509.DNSName("localhost")).verify(server, [])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_verifies_the_chain_for_a_lan_address(tmp_path):
    files = tls.ensure_local_certificates(tmp_path, NAMES)
    result = subprocess.run(["openssl", "verify", "-purpose", "sslserver", "-verify_ip", "192.168.10.23",
                             "-CAfile", str(files.ca_certificate), str(files.certificate)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip().endswith(": OK"), result.stderr
    wrong = subprocess.run(["openssl", "verify", "-verify_ip", "10.9.9.9", "-CAfile", str(files.ca_certificate),
                            str(files.certificate)], capture_output=True, text=True)
    assert wrong.returncode != 0


def test_a_second_start_keeps_both_certificates(tmp_path):
    first = tls.ensure_local_certificates(tmp_path, NAMES, now=NOW)
    before = (first.certificate.read_bytes(), first.ca_certificate.read_bytes())
    again = tls.ensure_local_certificates(tmp_path, list(reversed(NAMES)), now=NOW + timedelta(days=100))
    assert (again.certificate.read_bytes(), again.ca_certificate.read_bytes()) == before
    assert again.notices == []


def test_an_expired_server_certificate_is_renewed_with_a_message_and_the_same_ca(tmp_path):
    old = tls.ensure_local_certificates(tmp_path, NAMES, now=NOW)
    ca_before = old.ca_certificate.read_bytes()
    later = NOW + timedelta(days=tls.SERVER_DAYS + 5)

    renewed = tls.ensure_local_certificates(tmp_path, NAMES, now=later)

    expired_on = f"{old.not_after:%Y-%m-%d}"
    assert renewed.notices[0] == (f"サーバー証明書は {expired_on} に期限切れになっていたため、更新します",
                                  f"the server certificate expired on {expired_on}; renewing it")
    assert renewed.not_after == later + timedelta(days=tls.SERVER_DAYS)
    assert renewed.ca_certificate.read_bytes() == ca_before  # phones keep trusting it: nothing to reinstall
    server, _ = load(renewed.certificate)
    PolicyBuilder().store(Store(load(renewed.ca_certificate))).time(later).build_server_verifier(
        x509.DNSName("localhost")).verify(server, [])


def test_a_certificate_expiring_within_a_month_or_missing_a_new_address_is_renewed(tmp_path):
    tls.ensure_local_certificates(tmp_path, NAMES, now=NOW)
    soon = NOW + timedelta(days=tls.SERVER_DAYS - 10)
    renewed = tls.ensure_local_certificates(tmp_path, NAMES, now=soon)
    assert "expires soon" in renewed.notices[0][1] and "期限" in renewed.notices[0][0]

    moved = tls.ensure_local_certificates(tmp_path, [*NAMES, "10.0.5.7"], now=soon)
    assert moved.notices[0] == ("このコンピューターの名前・アドレスが変わったため（10.0.5.7）、サーバー証明書を更新します",
                                "this machine's names or addresses changed (10.0.5.7); renewing the server certificate")
    assert "10.0.5.7" in moved.names


# ---- a company's own certificate ----------------------------------------------------------------


def test_a_company_certificate_that_does_not_match_its_key_is_refused(tmp_path):
    ours = tls.ensure_local_certificates(tmp_path / "a", NAMES)
    other = tls.ensure_local_certificates(tmp_path / "b", NAMES)

    with pytest.raises(InvalidInput) as refused:
        tls.company_certificate(ours.certificate, other.key)
    assert refused.value.details["reason"] == "certificate_key_mismatch"
    assert refused.value.message_ja == ("証明書 server.crt と秘密鍵 server.key が対になっていません（別の証明書の鍵です）。"
                                        "何も起動していません")

    accepted = tls.company_certificate(ours.certificate, ours.key)
    assert accepted.ca_certificate is None and accepted.names == NAMES


def test_serve_refuses_a_mismatched_company_certificate_in_one_message(tmp_path):
    ours = tls.ensure_local_certificates(tmp_path / "a", NAMES)
    other = tls.ensure_local_certificates(tmp_path / "b", NAMES)
    config.initialise(tmp_path / "data")
    result = subprocess.run([*_cli(tmp_path / "data"), "serve", "--cert", str(ours.certificate), "--key", str(other.key),
                             "--port", str(free_port())], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "対になっていません" in result.stderr and "do not match" in result.stderr


def test_company_files_that_are_not_usable_say_why(tmp_path):
    files = tls.ensure_local_certificates(tmp_path, NAMES)
    der = tmp_path / "server.der"
    der.write_bytes(tls.der_bytes(files.certificate))
    with pytest.raises(InvalidInput, match="DER"):
        tls.company_certificate(der, files.key)
    with pytest.raises(InvalidInput) as not_a_key:
        tls.company_certificate(files.certificate, files.certificate)
    assert not_a_key.value.details["reason"] == "not_a_key"
    key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
    locked = tmp_path / "locked.key"
    locked.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.BestAvailableEncryption(b"secret-pass")))
    with pytest.raises(InvalidInput) as encrypted:
        tls.company_certificate(files.certificate, locked)
    assert encrypted.value.details["reason"] == "key_encrypted"
    with pytest.raises(InvalidInput) as expired:
        tls.company_certificate(files.certificate, files.key, now=datetime.now(timezone.utc) + timedelta(days=500))
    assert expired.value.details["reason"] == "certificate_expired"
    with pytest.raises(InvalidInput) as missing:
        tls.company_certificate(tmp_path / "nowhere.pem", files.key)
    assert missing.value.details["reason"] == "unreadable"


# ---- plain HTTP redirects -------------------------------------------------------------------------


def test_plain_http_redirects_to_the_same_host_and_path_on_https():
    client = Client(serving.redirect_to_https(8443))

    label = client.get("/M/KG26-00042-7/3F7KQ2M9?lang=en", headers={"Host": "192.168.10.23:8000"})
    assert label.status_code == 301
    assert label.headers["Location"] == "https://192.168.10.23:8443/M/KG26-00042-7/3F7KQ2M9?lang=en"

    form = client.post("/login", headers={"Host": "mediatrail-pc.local:8000"})
    assert form.status_code == 308 and form.headers["Location"] == "https://mediatrail-pc.local:8443/login"

    # A Host header that is not a name or address is not echoed into the redirect.
    odd = client.get("/", headers={"Host": "evil.example/<script>"})
    assert odd.headers["Location"] == "https://localhost:8443/"
    standard = Client(serving.redirect_to_https(443)).get("/x", headers={"Host": "[fd00::2]:80"})
    assert standard.headers["Location"] == "https://[fd00::2]/x"


# ---- a real server --------------------------------------------------------------------------------


@pytest.fixture
def tls_data(tmp_path):
    """An initialised data folder with one user (SQLite, like a fresh `mediatrail init`)."""
    data = tmp_path / "data"
    assert run_cli("--data", str(data), "init", "--base-url", "http://127.0.0.1:8000").exit_code == 0
    added = run_cli("--data", str(data), "user", "add", "admin", "--name", "管理者", "--role", "admin",
                    "--password", "long-enough-pass")
    assert added.exit_code == 0, added.output
    return data


def test_serve_tls_answers_over_https_redirects_http_and_sets_secure_cookies(tls_data):
    with TlsServer(tls_data) as server:
        page = requests.get(server.url + "login", verify=str(server.ca_path), timeout=10)
        assert page.status_code == 200 and 'id="phone-setup"' in page.text

        # An old http:// label opens the same page on HTTPS.
        followed = requests.get(server.http_url + "login?lang=en", verify=str(server.ca_path), timeout=10)
        assert followed.history[0].status_code == 301
        assert followed.url == server.url + "login?lang=en" and followed.status_code == 200

        # The session cookie is Secure: the app sees the request as HTTPS.
        session = requests.Session()
        session.trust_env = False  # else REQUESTS_CA_BUNDLE, where set, replaces session.verify
        session.verify = str(server.ca_path)
        form = session.get(server.url + "login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        login = session.post(server.url + "login", data={"login": "admin", "password": "long-enough-pass", "csrf_token": token},
                             allow_redirects=False, timeout=10)
        assert login.status_code == 302
        cookie = next(c for c in session.cookies if c.name == "session")
        assert cookie.secure is True
        assert session.get(server.url, timeout=10).status_code == 200

        # The CA for phones: over plain HTTP too (no warning before it is trusted), DER, the CA MIME type.
        download = requests.get(server.http_url + "certificate/mediatrail-ca.crt", allow_redirects=False, timeout=10)
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "application/x-x509-ca-cert"
        assert x509.load_der_x509_certificate(download.content) == load(server.ca_path)[0]
        setup = requests.get(server.http_url + "certificate", allow_redirects=False, timeout=10)
        assert setup.status_code == 200 and f'href="{server.url}"' in setup.text
        assert tls.fingerprint(server.ca_path) in setup.text
        secure_setup = requests.get(server.url + "certificate?lang=en", verify=str(server.ca_path), timeout=10)
        assert "This device trusts this server" in secure_setup.text
        assert "Certificate Trust Settings" in secure_setup.text

        # A client that does not trust the CA is refused by TLS itself.
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url + "login", timeout=10)

    printed = server.output()
    assert "ローカル認証局を作成しました" in printed and "created the local certificate authority" in printed
    assert f"https://127.0.0.1:{server.port}/ で待ち受けます" in printed
    assert f"plain HTTP on port {server.http_port} redirects to HTTPS" in printed
    assert tls.fingerprint(server.ca_path) in printed


def test_serve_on_all_addresses_prints_each_one_and_a_qr_code(tls_data):
    with TlsServer(tls_data, host="0.0.0.0") as server:
        pass
    printed = server.output()
    lan = network.lan_addresses()
    first = lan[0] if lan else network.host_name()
    assert f"open this on a phone on the same network: https://{first}:{server.port}/" in printed
    assert f"http://{first}:{server.http_port}/certificate" in printed
    for host in [*lan, network.mdns_name(), network.host_name(), "127.0.0.1"]:
        assert f"  https://{host}:{server.port}/\n" in printed
    assert "█" in printed or "▀" in printed  # the QR code, drawn in block characters


@pytest.mark.skipif(not browsers_available(), reason="needs Debian's chromium and chromium-driver")
def test_chromium_trusting_the_ca_gets_a_secure_context_with_the_camera_api(tls_data):
    with TlsServer(tls_data) as server:
        driver = chromium_trusting(server)
        try:
            driver.get(server.url + "login")
            assert driver.current_url == server.url + "login"
            state = driver.execute_script(
                "return {secure: window.isSecureContext, media: !!navigator.mediaDevices,"
                " getUserMedia: !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia),"
                " link: !!document.getElementById('phone-setup')}")
            assert state == {"secure": True, "media": True, "getUserMedia": True, "link": True}
        finally:
            driver.quit()
        # The control: without the CA pinned chromium stops at its certificate error page.
        untrusting = chromium_trusting(None)
        try:
            untrusting.get(server.url + "login")
            assert untrusting.execute_script("return window.isSecureContext") is False
            assert untrusting.execute_script("return location.href") == "chrome-error://chromewebdata/"
            assert untrusting.execute_script("return document.getElementById('phone-setup')") is None
        finally:
            untrusting.quit()


def _cli(data_dir):
    import sys

    return [sys.executable, "-m", "tracker.cli", "--data", str(data_dir)]
