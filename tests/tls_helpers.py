"""A real ``mediatrail serve --tls`` in a subprocess, and a headless chromium that trusts its CA.

For any test that needs the app over HTTPS as a phone sees it (a secure context: camera, workers):

    from tls_helpers import TlsServer, chromium_trusting

    with TlsServer(data_dir) as server:          # data_dir: an initialised data folder (SQLite)
        requests.get(server.url + "login", verify=server.ca_path)
        driver = chromium_trusting(server, extra_arguments=["--use-fake-device-for-media-stream"])
        try:
            driver.get(server.url + "login")
        finally:
            driver.quit()

Chromium is not given a certificate store: ``--ignore-certificate-errors-spki-list`` names the
SHA-256 of the local CA's public key, and the server sends the CA certificate in its chain, so
chromium accepts exactly this CA's certificates and nothing else (a page with another certificate
still gets the "privacy error" interstitial). The page is then a secure context like any HTTPS
page: ``window.isSecureContext`` is true and ``navigator.mediaDevices`` exists.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
STARTUP_SECONDS = 60  # two cores shared with other test runs: the app's imports can take a while
# The flags that work in this sandbox (README: browser tests).
CHROMIUM_ARGUMENTS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                      "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TlsServer:
    """``mediatrail --data DIR serve --tls`` on free ports of 127.0.0.1 (HTTPS ``port``, plain
    HTTP ``http_port`` redirecting), started on enter, ready when it answers over HTTPS with its
    own CA trusted, stopped on exit. ``output()`` is what it printed."""

    def __init__(self, data_dir: Path, *extra_arguments: str, host: str = "127.0.0.1", environment: dict | None = None):
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = free_port()
        self.http_port = free_port()
        self.url = f"https://127.0.0.1:{self.port}/"
        self.http_url = f"http://127.0.0.1:{self.http_port}/"
        self.ca_path = self.data_dir / "tls" / "ca.crt"
        self.arguments = [sys.executable, "-m", "tracker.cli", "--data", str(self.data_dir), "serve", "--tls",
                          "--host", host, "--port", str(self.port), "--http-port", str(self.http_port), *extra_arguments]
        # SQLite in the data folder unless the caller says otherwise (conftest may point
        # DATABASE_URL at PostgreSQL for the test process itself).
        self.environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        self.environment.update(environment or {})
        self.log_path = self.data_dir.parent / f"serve-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "TlsServer":
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.arguments, stdout=self._log, stderr=subprocess.STDOUT,
                                        env=self.environment, cwd=Path(__file__).resolve().parents[1])
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve --tls exited with {self.process.returncode}:\n{self.output()}")
            if self.ca_path.exists():
                try:
                    requests.get(self.url + "login", verify=str(self.ca_path), timeout=2)
                    return self
                except requests.RequestException:
                    pass
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"serve --tls did not answer within {STARTUP_SECONDS} s:\n{self.output()}")

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    @property
    def spki_pin(self) -> str:
        from tracker import tls

        return tls.spki_sha256(self.ca_path)

    def chromium_arguments(self) -> list[str]:
        """The flag that makes chromium trust this server's CA, and only it."""
        return [f"--ignore-certificate-errors-spki-list={self.spki_pin}"]


def chromium_trusting(server: TlsServer | None, extra_arguments=()):
    """Debian's headless chromium through Debian's chromedriver (never selenium-manager), trusting
    ``server``'s CA (``None``: trusting nothing extra, for a control)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common import selenium_manager

    def no_selenium_manager(*_args, **_kwargs):
        raise AssertionError("selenium-manager must not run: the browser and its driver come from apt")

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (*CHROMIUM_ARGUMENTS, *(server.chromium_arguments() if server else ()), *extra_arguments):
        options.add_argument(argument)
    original = selenium_manager.SeleniumManager.binary_paths
    selenium_manager.SeleniumManager.binary_paths = no_selenium_manager
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    finally:
        selenium_manager.SeleniumManager.binary_paths = original
    driver.set_page_load_timeout(30)
    return driver


def browsers_available() -> bool:
    return CHROMIUM.exists() and CHROMEDRIVER.exists()
