"""Live camera scanning in a real browser, end to end, with no stub decoder.

Debian's headless chromium (through Debian's chromedriver) gets a fake camera that plays a short
video of mediatrail's own printed labels (tests/label_video.py: the label PDF rasterised, moved,
slightly blurred). ``BarcodeDetector`` is deleted from every page, as on an iPhone, so the labels
are read by zxing-wasm in the page's Web Worker — the .wasm served by mediatrail itself. Each
label must be read, listed once, and recorded once:

- over plain HTTP on 127.0.0.1 (a secure context, like localhost);
- over ``mediatrail serve --tls`` with its generated CA trusted by the browser (a phone's case);
- with the server stopped while the labels are recorded: they wait in IndexedDB, the page says
  how many, and they are recorded exactly once when the server is back;
- with the session expired mid-batch: nothing is lost; after logging in again it is recorded.

Like tests/test_browser.py, the module is skipped without chromium on a developer's machine and
fails where CI is set.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from tls_helpers import CHROMIUM, CHROMEDRIVER, TlsServer, chromium_trusting

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()) or not Path("/usr/bin/pdftoppm").exists():
    reason = "camera tests need Debian's chromium, chromium-driver and poppler-utils (scripts/test installs them)"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI is set, and {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from waitress import wasyncore  # noqa: E402
from waitress.server import create_server  # noqa: E402

from conftest import PASSWORD  # noqa: E402
from label_video import label_video  # noqa: E402
from tracker import config, db, ledger  # noqa: E402
from tracker.models import Event, create_schema  # noqa: E402
from tracker.workflows import handovers, labelling  # noqa: E402

NO_BARCODE_DETECTOR = "delete window.BarcodeDetector;"
CAMERA = ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")
READ_ALL = 60  # seconds: the video loops; two cores shared with other test runs
LABELS = 3


@pytest.fixture
def database(sqlite_database):
    """SQLite only: the browser is under test here, not the database."""
    return sqlite_database


class LiveServer:
    """The app under waitress on 127.0.0.1, stoppable and restartable on the same port."""

    def __init__(self, app):
        self.app, self.port, self.server, self.thread = app, 0, None, None

    def start(self) -> "LiveServer":
        self.server = create_server(self.app, host="127.0.0.1", port=self.port, threads=4, ident="mediatrail-test")
        self.port = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        server = self.server
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        self.thread.join(5)
        server.task_dispatcher.shutdown()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"


def labels_on_video(cast, settings, tmp_path, count: int = LABELS):
    """A receiving handover of ``count`` listed media, their labels printed (roll labels, one a
    page) and filmed; returns (handover number, medium IDs, the video's path)."""
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    rows = "".join(f"申告書 第{n}箱,紙\n" for n in range(1, count + 1))
    listed = [medium.id for medium in handovers.import_list(cast.worker, handover.number, "list.csv", f"名称,種類\n{rows}".encode())]
    pdf = labelling.label_sheet(cast.worker, settings, listed, layout="ql-62")
    return handover.number, listed, label_video(pdf, tmp_path / "labels.y4m")


def camera_browser(video: Path, server=None):
    return chromium_trusting(server, extra_arguments=(*CAMERA, f"--use-file-for-fake-video-capture={video}",
                                                      "--window-size=1000,1200", "--lang=ja"))


def wait(driver, condition, what: str, timeout: float = READ_ALL):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition, f"waited for {what}")


def without_barcode_detector(driver) -> None:
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_BARCODE_DETECTOR})


def log_in(driver, base: str, login: str = "sato") -> None:
    driver.get(base + "login")
    driver.find_element(By.CSS_SELECTOR, "input[name=login]").send_keys(login)
    driver.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button").click()
    wait(driver, lambda d: "/login" not in d.current_url, "login", 20)


def listed_codes(driver) -> list[str]:
    return driver.execute_script("return Array.from(document.querySelectorAll('form[data-scan] .scan-list li'))"
                                 ".map(function (li) { return li.dataset.code; })")


def scan_all(driver, expected: int) -> list[str]:
    """Open the camera and wait until ``expected`` labels are in the running list; return them."""
    assert driver.execute_script("return 'BarcodeDetector' in window") is False
    driver.find_element(By.CSS_SELECTOR, "form[data-scan] .start-camera").click()
    wait(driver, lambda d: d.execute_script("return document.querySelector('form[data-scan]').dataset.scanPath"), "a decoder", 30)
    assert driver.execute_script("return document.querySelector('form[data-scan]').dataset.scanPath") == "wasm"
    wait(driver, lambda d: len(listed_codes(d)) >= expected, f"{expected} labels read")
    return listed_codes(driver)


def record_and_wait(driver) -> None:
    driver.execute_script("window.__stillHere = true;")
    driver.find_element(By.CSS_SELECTOR, "form[data-scan] button:not([type=button])").click()
    wait(driver, lambda d: d.execute_script("return document.readyState === 'complete' && !window.__stillHere"), "the answers", 30)


def scanned_events(number: str) -> list[tuple[str, dict]]:
    """(medium, data) of each handover.scanned event of handover ``number``, in order."""
    found = []
    for event in Event.select().where(Event.kind == "handover.scanned").order_by(Event.seq):
        data = json.loads(event.data)
        if data.get("number") == number:
            found.extend((link.medium, data) for link in event.media_links)
    return found


def assert_each_received_once(number: str, listed: list[str]) -> None:
    events = scanned_events(number)
    assert sorted(medium for medium, _data in events) == sorted(listed)  # each once, none twice
    assert {data["source"] for _medium, data in events} == {"camera"}
    result = handovers.reconcile(handovers.get_handover(number))
    assert sorted(item.medium_id for item in result.received) == sorted(listed) and not result.missing
    assert ledger.verify().ok


def test_without_barcode_detector_the_wasm_worker_reads_every_label_of_the_video_and_each_is_recorded_once(app, cast, settings, tmp_path):
    number, listed, video = labels_on_video(cast, settings, tmp_path)
    server = LiveServer(app).start()
    driver = camera_browser(video)
    try:
        without_barcode_detector(driver)
        log_in(driver, server.url)
        driver.get(server.url + f"handovers/{number}")
        codes = scan_all(driver, len(listed))
        assert len(codes) == len(set(codes)) == len(listed)
        # The list shows what each label names (ID, name, status), never the signed URL.
        wait(driver, lambda d: all(li.get_attribute("data-verdict") == "fits"
                                   for li in d.find_elements(By.CSS_SELECTOR, "form[data-scan] .scan-list li")), "each label checked", 20)
        shown = driver.find_element(By.CSS_SELECTOR, "form[data-scan] .scan-list").text
        assert all(medium_id in shown for medium_id in listed) and "受領予定" in shown and "http" not in shown.lower()
        # Nothing was loaded from another host: every script, worker and .wasm came from this server.
        hosts = driver.execute_script("return performance.getEntriesByType('resource').map(function (e) { return new URL(e.name).host; })")
        assert set(hosts) == {f"127.0.0.1:{server.port}"}
        assert not scanned_events(number)  # read and reviewed, not yet recorded
        record_and_wait(driver)
        assert_each_received_once(number, listed)
        answers = driver.find_element(By.CSS_SELECTOR, ".answers").text
        assert all(medium_id in answers for medium_id in listed) and "二重" not in answers
    finally:
        driver.quit()
        server.stop()


def test_the_same_over_serve_tls_with_the_generated_ca_trusted(cast, settings, tmp_path):
    """A phone's case: ``mediatrail serve --tls`` in its own process, the browser trusting only
    the CA that serve generated; the page is a secure context served over HTTPS."""
    number, listed, video = labels_on_video(cast, settings, tmp_path)
    with TlsServer(settings.data_dir) as server:
        driver = camera_browser(video, server)
        try:
            without_barcode_detector(driver)
            log_in(driver, server.url)
            driver.get(server.url + f"handovers/{number}")
            assert driver.execute_script("return location.protocol + String(window.isSecureContext)") == "https:true"
            codes = scan_all(driver, len(listed))
            assert len(codes) == len(set(codes)) == len(listed)
            record_and_wait(driver)
        finally:
            driver.quit()
    assert_each_received_once(number, listed)


def waiting_note(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "form[data-scan] .scan-waiting").text


def test_scans_made_while_the_server_is_stopped_wait_in_the_browser_and_are_recorded_once_when_it_is_back(app, cast, settings, tmp_path):
    number, listed, video = labels_on_video(cast, settings, tmp_path)
    server = LiveServer(app).start()
    driver = camera_browser(video)
    try:
        without_barcode_detector(driver)
        log_in(driver, server.url)
        driver.get(server.url + f"handovers/{number}")
        read = scan_all(driver, len(listed))
        server.stop()
        driver.find_element(By.CSS_SELECTOR, "form[data-scan] button:not([type=button])").click()
        wait(driver, lambda d: "サーバーに接続できません" in waiting_note(d), "the page to say the scans wait", 20)
        assert waiting_note(driver).startswith(f"{len(listed)} 件が送信待ちです")
        assert listed_codes(driver) == []  # moved from the list into the browser's queue
        time.sleep(6)  # at least one retry, still unreachable
        assert f"{len(listed)} 件が送信待ち" in waiting_note(driver) and not scanned_events(number)

        driver.execute_script("window.__stillHere = true;")
        server.start()  # same port: the page retries every 5 s and sends the queue in order
        wait(driver, lambda d: d.execute_script("return document.readyState === 'complete' && !window.__stillHere"), "the answers", 30)
        assert_each_received_once(number, listed)
        assert not driver.find_element(By.CSS_SELECTOR, "form[data-scan] .scan-waiting").is_displayed()
        # Sent in the order they were read (the list's order), each exactly once.
        assert [medium for medium, _data in scanned_events(number)] == [code.rstrip("/").split("/")[-2] for code in read]
    finally:
        driver.quit()
        server.stop()


def test_an_expired_session_mid_batch_loses_nothing(app, cast, settings, tmp_path):
    number, listed, video = labels_on_video(cast, settings, tmp_path, count=2)
    server = LiveServer(app).start()
    driver = camera_browser(video)
    try:
        without_barcode_detector(driver)
        log_in(driver, server.url)
        driver.get(server.url + f"handovers/{number}")
        scan_all(driver, len(listed))
        driver.delete_cookie("session")  # the session ended while the labels were being read
        driver.find_element(By.CSS_SELECTOR, "form[data-scan] button:not([type=button])").click()
        wait(driver, lambda d: "ログインし直す" in waiting_note(d), "the page to ask for a new login", 20)
        assert waiting_note(driver).startswith(f"{len(listed)} 件が送信待ちです") and not scanned_events(number)

        driver.find_element(By.CSS_SELECTOR, "form[data-scan] .scan-waiting a").click()
        wait(driver, lambda d: "/login" in d.current_url, "the login page", 20)
        driver.find_element(By.CSS_SELECTOR, "input[name=login]").send_keys("sato")
        driver.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button").click()
        # Back on the handover's page, the queue is sent with the new session's token.
        wait(driver, lambda d: len(scanned_events(number)) == len(listed), "the waiting scans to be recorded", 30)
        wait(driver, lambda d: not d.find_element(By.CSS_SELECTOR, "form[data-scan] .scan-waiting").is_displayed(), "an empty queue", 20)
    finally:
        driver.quit()
        server.stop()
    assert_each_received_once(number, listed)


def test_with_neither_barcode_detector_nor_webassembly_frames_go_to_the_server_and_the_scan_page_lists_each_medium(app, cast, settings, tmp_path):
    """The last resort: frames posted to /scan/decode and read by the server's cascade. On the
    /scan page each medium read is listed with its ID, name, status and what can be done now."""
    number, listed, video = labels_on_video(cast, settings, tmp_path)
    server = LiveServer(app).start()
    driver = camera_browser(video)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_BARCODE_DETECTOR + " delete window.WebAssembly;"})
        log_in(driver, server.url)
        driver.get(server.url + "scan")
        assert driver.find_elements(By.CSS_SELECTOR, "form[data-scan] button:not([type=button])") == []  # nothing to record here
        driver.find_element(By.CSS_SELECTOR, "form[data-scan] .start-camera").click()
        wait(driver, lambda d: d.execute_script("return document.querySelector('form[data-scan]').dataset.scanPath"), "a decoder", 30)
        assert driver.execute_script("return document.querySelector('form[data-scan]').dataset.scanPath") == "server"
        wait(driver, lambda d: len(listed_codes(d)) >= len(listed), "every label read by the server")
        wait(driver, lambda d: all(li.get_attribute("data-verdict") == "fits"
                                   for li in d.find_elements(By.CSS_SELECTOR, "form[data-scan] .scan-list li")), "each label looked up", 20)
        rows = [li.text for li in driver.find_elements(By.CSS_SELECTOR, "form[data-scan] .scan-list li")]
        for medium_id in listed:
            row = next(row for row in rows if medium_id in row)
            assert "申告書 第" in row and "受領予定" in row and f"受領として読み取る（{number}）" in row
        links = driver.find_elements(By.CSS_SELECTOR, "form[data-scan] .scan-list a.scan-next")
        assert sorted(link.get_attribute("href").rsplit("/", 1)[-1] for link in links) == sorted(listed)
    finally:
        driver.quit()
        server.stop()
    assert not scanned_events(number)  # looking up records nothing
