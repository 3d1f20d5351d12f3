"""The hand-written JavaScript in a real browser: Debian's chromium, headless, driven through
Debian's chromedriver, against the real app served by waitress on 127.0.0.1.

- scan.js: the phone's camera reading labels one after another (a fake camera, and a stub
  BarcodeDetector that "sees" the codes the test hands it), and the fallbacks where the browser
  allows no camera (plain HTTP) or cannot read codes in the page.
- signature.js: the city's witness signing on the screen during a destruction.
- checks.js: a storage check page telling the server how many scans its list still holds.

No tool downloads anything: selenium is given /usr/bin/chromedriver and /usr/bin/chromium, and
selenium-manager is made to fail if anything calls it. ``scripts/test`` installs both packages.
SQLite only: these tests exercise the browser, not the database (they never run twice).

Without chromium or selenium a developer's run skips this module; where the environment variable
``CI`` is set (``.ci/run`` sets it) the module fails instead, so CI is never green with no
JavaScript tested. ``MEDIATRAIL_TEST_CHROMIUM`` / ``MEDIATRAIL_TEST_CHROMEDRIVER`` point at other
binaries (tests/test_suite_gates.py uses them to check this gate).
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest
from PIL import Image

CHROMIUM = Path(os.environ.get("MEDIATRAIL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("MEDIATRAIL_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))


def _missing(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where a skipped browser suite would hide bugs."""
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI is set, and {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    _missing(f"browser tests need Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}); "
             "scripts/test installs them with apt")
try:
    import selenium  # noqa: F401
except ImportError:
    _missing("browser tests need selenium (the `test` extra: pip install -e '.[test]')")

import qrcode  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common import selenium_manager  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from waitress import wasyncore  # noqa: E402
from waitress.server import create_server  # noqa: E402

from conftest import PASSWORD  # noqa: E402
from labels.payload import location_url, medium_url  # noqa: E402
from tracker import ledger  # noqa: E402
from tracker.models import Evidence  # noqa: E402
from tracker.workflows import checks, destruction, handovers, media  # noqa: E402

from test_destruction import DESTROY_HDD, SHRED_PAPER, apply_for  # noqa: E402

# A host name that resolves to 127.0.0.1 inside the browser only (--host-resolver-rules), so a
# page served by the same local server is a plain-HTTP, non-secure origin: no camera there.
INSECURE_HOST = "plain-http.test"
WAIT = 6  # seconds; the check page reports every 3 s

# The camera sees whatever the test puts in window.__codes, one code per frame, and only while the
# <video> it is given plays a live camera stream (so nothing is read unless scan.js opened the
# camera). Each beep's pitch and each AudioContext opened are recorded for the assertions.
STUB_BARCODE_DETECTOR = """
window.__codes = [];
window.__camera = {formats: null, frames: 0, consumedAt: -1, live: false, tones: [], audioStates: [], audioContexts: 0};
window.BarcodeDetector = class {
  constructor(options) { window.__camera.formats = options && options.formats; }
  static getSupportedFormats() { return Promise.resolve(["qr_code", "code_128"]); }
  detect(source) {
    var camera = window.__camera;
    camera.frames += 1;
    var stream = source && source.srcObject;
    camera.live = !!(stream && stream.getVideoTracks().some(function (track) { return track.readyState === "live"; }));
    if (!camera.live || !window.__codes.length) { return Promise.resolve([]); }
    camera.consumedAt = camera.frames;
    return Promise.resolve([{rawValue: window.__codes.shift(), format: "qr_code"}]);
  }
};
(function () {
  var Real = window.AudioContext;
  if (!Real) { return; }
  window.AudioContext = function () { window.__camera.audioContexts += 1; return new Real(); };
  var start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function () {
    window.__camera.tones.push(this.frequency.value);
    window.__camera.audioStates.push(this.context.state);
    return start.apply(this, arguments);
  };
})();
"""
# Should a future Linux chromium read codes natively, the "cannot read codes" test removes it.
NO_BARCODE_DETECTOR = "delete window.BarcodeDetector;"


@pytest.fixture
def database(sqlite_database):
    """SQLite only for this module (conftest's ``database`` would also run PostgreSQL)."""
    return sqlite_database


@pytest.fixture(scope="module")
def chromium():
    """One headless chromium for the module, through Debian's chromedriver."""
    def no_selenium_manager(*_args, **_kwargs):
        raise AssertionError("selenium-manager must not run: the browser and its driver come from apt")

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000",
                     "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                     f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1", "--lang=ja"):
        options.add_argument(argument)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(selenium_manager.SeleniumManager, "binary_paths", no_selenium_manager)
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


class Browser:
    """The module's chromium, pointed at this test's server."""

    def __init__(self, driver, port: int):
        self.driver, self.port = driver, port
        self.base = f"http://127.0.0.1:{port}"
        self.scripts: list[str] = []

    def before_each_page(self, source: str) -> None:
        """Run ``source`` in every page before the page's own scripts."""
        added = self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source})
        self.scripts.append(added["identifier"])

    def login(self, login: str, base: str | None = None) -> None:
        self.open("/login", base)
        self.find("input[name=login]").send_keys(login)
        self.find("input[name=password]").send_keys(PASSWORD)
        self.find("form button").click()
        self.wait(lambda d: not d.current_url.rstrip("/").endswith("/login"), "login")

    def open(self, path: str, base: str | None = None) -> None:
        self.driver.get((base or self.base) + path)

    def find(self, selector: str):
        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def js(self, script: str, *arguments):
        return self.driver.execute_script(script, *arguments)

    def wait(self, condition, what: str, timeout: float = WAIT):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(condition, f"waited for {what}")

    def submit_and_wait(self, button) -> None:
        """Click a submit button and wait until the next page has loaded."""
        self.js("window.__stillHere = true;")
        button.click()
        self.wait(lambda d: d.execute_script("return document.readyState === 'complete' && !window.__stillHere"), "the next page")

    def reset(self) -> None:
        for identifier in self.scripts:
            self.driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": identifier})
        self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
        self.driver.get("about:blank")
        self.driver.set_window_size(1280, 1000)


@pytest.fixture
def browser(chromium, app):
    """The real app with waitress on 127.0.0.1 (a port the system picks) for this test, and the module's browser."""
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="mediatrail-test")
    port = server.effective_port
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    browser = Browser(chromium, port)
    try:
        yield browser
    finally:
        browser.reset()
        # Close the browser's keep-alive connections too, in the server's own loop thread: while
        # any is open, waitress's loop keeps running.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(5)
        server.task_dispatcher.shutdown()


# ---- scan.js: the phone's camera ---------------------------------------------------------------


def receiving_handover(cast, count: int):
    handover = handovers.start(cast.worker, "KG26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "高橋 市役所")
    rows = "".join(f"申告書 第{n}箱,紙\n" for n in range(1, count + 1))
    listed = handovers.import_list(cast.worker, handover.number, "引渡しリスト.csv", f"名称,種類\n{rows}".encode())
    return handover, [medium.id for medium in listed]


def scanned_lines(browser) -> list[str]:
    """The codes read so far: the camera's (kept by scan.js, listed by what they name) and the text box's."""
    return browser.js("return document.querySelector('form[data-scan]').mediatrailScanner.lines()")


def show_to_camera(browser, *codes: str) -> None:
    """Hold labels up to the camera, one per frame, and wait until scan.js has handled the last."""
    browser.js("window.__codes.push.apply(window.__codes, arguments)", *codes)
    browser.wait(lambda d: d.execute_script("return window.__codes.length === 0 && window.__camera.frames > window.__camera.consumedAt"),
                 f"the camera to read {codes}")


def test_the_phone_camera_adds_each_label_once_and_announces_a_label_read_twice(browser, cast, settings):
    handover, listed = receiving_handover(cast, 4)
    labels = [medium_url(medium_id, settings.secret, settings.base_url) for medium_id in listed]
    browser.before_each_page(STUB_BARCODE_DETECTOR)
    browser.login("sato")
    browser.open(f"/handovers/{handover.number}")

    start = browser.find("form[data-scan] .start-camera")
    assert start.is_displayed() and start.text == "カメラで連続読取り"
    assert not browser.find("form[data-scan] .camera-unavailable").is_displayed()
    assert not browser.find("form[data-scan] .camera").is_displayed()
    start.click()
    browser.wait(lambda d: browser.find("form[data-scan] .camera").is_displayed(), "the camera view")
    assert not start.is_displayed()  # one camera at a time
    browser.wait(lambda d: d.execute_script("return window.__camera.live"), "frames from the live camera")
    assert {"qr_code", "code_128"} <= set(browser.js("return window.__camera.formats"))  # labels carry both
    status = browser.find("form[data-scan] .camera-status")
    count = browser.find("form[data-scan] .scan-count")
    assert count.text == ""

    ids = listed  # the status line names the label's ID, never its signed URL
    show_to_camera(browser, labels[0])
    assert scanned_lines(browser) == [labels[0]] and status.text == f"追加: {ids[0]}"
    assert count.text == "1 件読取り（未記録）"
    # The label's signed URL is never put on screen as text to copy: the list shows what it names.
    assert browser.find("form[data-scan] textarea[name=codes]").get_attribute("value") == ""
    assert labels[0] not in browser.find("body").text and ids[0] in browser.find("form[data-scan] .scan-list").text
    show_to_camera(browser, labels[0], labels[0])  # the same label still in view, frame after frame: quiet
    assert scanned_lines(browser) == [labels[0]] and status.text == f"追加: {ids[0]}"
    show_to_camera(browser, labels[1])
    assert scanned_lines(browser) == labels[:2] and count.text == "2 件読取り（未記録）"
    show_to_camera(browser, labels[0])  # the first label again, after another one: announced, not added
    assert status.text == f"読取り済み（二重）: {ids[0]}"
    assert scanned_lines(browser) == labels[:2] and count.text == "2 件読取り（未記録）"
    show_to_camera(browser, labels[3])
    assert scanned_lines(browser) == [labels[0], labels[1], labels[3]] and status.text == f"追加: {ids[3]}"
    assert count.text == "3 件読取り（未記録）"
    # A high beep for each label added, a low one for the label read twice, from one AudioContext.
    assert browser.js("return window.__camera.tones") == [880, 880, 220, 880]
    assert browser.js("return window.__camera.audioContexts") == 1
    assert set(browser.js("return window.__camera.audioStates")) == {"running"}  # audible, not held back by autoplay rules

    browser.submit_and_wait(browser.find("form[data-scan] button:not([type=button])"))
    assert "二重" not in browser.find(".answers").text  # each label was sent once
    result = handovers.reconcile(handovers.get_handover(handover.number))
    assert [item.medium_id for item in result.received] == [listed[0], listed[1], listed[3]]
    assert [item.medium_id for item in result.missing] == [listed[2]]


def test_on_plain_http_the_page_says_the_camera_is_off_limits_and_photos_still_work(browser, cast, settings, tmp_path):
    """A real non-secure origin: the browser visits http://plain-http.test:<port>, which it resolves to
    127.0.0.1 but, unlike 127.0.0.1 itself, does not treat as secure — so window.isSecureContext is
    false and navigator.mediaDevices is missing, as on a phone using the server's LAN address.
    The stub BarcodeDetector is present: only the insecure origin can hide the camera button."""
    handover, listed = receiving_handover(cast, 2)
    insecure = f"http://{INSECURE_HOST}:{browser.port}"
    browser.before_each_page(STUB_BARCODE_DETECTOR)
    browser.login("sato", insecure)
    browser.open(f"/handovers/{handover.number}", insecure)
    assert browser.js("return window.isSecureContext") is False

    unavailable = browser.find("form[data-scan] .camera-unavailable")
    assert unavailable.is_displayed()
    assert unavailable.text == unavailable.get_attribute("data-insecure") and "HTTP" in unavailable.text
    assert not browser.find("form[data-scan] .start-camera").is_displayed()
    assert not browser.find("form[data-scan] .camera").is_displayed()

    # The photo field remains, and a photo of a label is read by the server.
    photo = tmp_path / "label.png"
    qrcode.make(medium_url(listed[1], settings.secret, settings.base_url), border=4, box_size=8).save(photo)
    field = browser.find("form[data-scan] input[type=file][name=photos]")
    assert field.is_displayed()
    field.send_keys(str(photo))
    browser.submit_and_wait(browser.find("form[data-scan] button:not([type=button])"))
    result = handovers.reconcile(handovers.get_handover(handover.number))
    assert [item.medium_id for item in result.received] == [listed[1]]


def test_without_barcode_detector_the_camera_is_still_offered(browser, cast):
    """As on an iPhone: no BarcodeDetector, and the page reads codes with its WebAssembly decoder
    (tests/test_browser_scan.py reads a whole video of labels that way)."""
    handover, _listed = receiving_handover(cast, 1)
    browser.before_each_page(NO_BARCODE_DETECTOR)
    browser.login("sato")
    browser.open(f"/handovers/{handover.number}")
    assert browser.js("return window.isSecureContext && !('BarcodeDetector' in window)") is True
    assert not browser.find("form[data-scan] .camera-unavailable").is_displayed()
    assert browser.find("form[data-scan] .start-camera").is_displayed()
    assert browser.find("form[data-scan] input[type=file][name=photos]").is_displayed()


# ---- signature.js: the witness signs on the screen ---------------------------------------------


def approved_for_today(cast):
    """An application the city approved, scheduled today, asking for its witness (test_destruction's way)."""
    hdd = media.register(cast.responsible, "KG26", "hdd", "旧サーバHDD", serial_number="WX-1001", location=cast.cabinet.code)
    paper = media.register(cast.responsible, "KG26", "paper", "申告書原票", record_count=250, location=cast.cabinet.code)
    application = apply_for(cast, [hdd.id, paper.id], items=[{"medium": hdd.id, **DESTROY_HDD}, {"medium": paper.id, **SHRED_PAPER}])
    return destruction.decide(cast.city, application.number, True, "市職員の立会いのもとで実施すること")


def stroke(browser, canvas, points) -> None:
    """Draw through ``points`` (fractions of the box as shown) with the pointer held down."""
    width, height = canvas.size["width"], canvas.size["height"]
    at = [(round((x - 0.5) * width), round((y - 0.5) * height)) for x, y in points]  # offsets from the centre
    chain = ActionChains(browser.driver, duration=20).move_to_element_with_offset(canvas, *at[0]).click_and_hold()
    for (x0, y0), (x1, y1) in zip(at, at[1:]):
        for step in range(1, 5):
            chain.move_by_offset(round(x0 + (x1 - x0) * step / 4) - round(x0 + (x1 - x0) * (step - 1) / 4),
                                 round(y0 + (y1 - y0) * step / 4) - round(y0 + (y1 - y0) * (step - 1) / 4))
    chain.release().perform()


def ink_columns(image: Image.Image) -> list[int]:
    grey = image.convert("L")
    return sorted({x for x in range(grey.width) for y in range(0, grey.height, 2) if grey.getpixel((x, y)) < 128})


def test_the_witness_signature_drawn_on_a_phone_is_stored_as_a_png(browser, cast, settings):
    application = approved_for_today(cast)
    browser.login("sato")
    browser.driver.set_window_size(420, 900)  # a phone: the 600×200 box is shown smaller, scaled by CSS
    browser.open(f"/destructions/{application.number}/execute")
    form = browser.find("form[data-signature]")
    canvas = form.find_element(By.CSS_SELECTOR, "canvas.signature")
    assert canvas.size["width"] < 500 and canvas.get_attribute("width") == "600"
    submit = form.find_element(By.CSS_SELECTOR, "button:not([type=button])")
    missing = form.find_element(By.CSS_SELECTOR, ".signature-missing")

    # The official's own login and password on the contractor's phone (issue #11: never a name
    # typed for them). Without a signature the form is not sent; nor with one cleared with 書き直す.
    form.find_element(By.CSS_SELECTOR, "input[name=login]").send_keys("takahashi")
    form.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(PASSWORD)
    browser.js("window.__stillHere = true;")
    submit.click()
    assert missing.is_displayed() and browser.js("return window.__stillHere") is True
    stroke(browser, canvas, [(0.42, 0.3), (0.52, 0.6)])
    form.find_element(By.CSS_SELECTOR, ".clear-signature").click()
    browser.js("arguments[0].hidden = true", missing)
    submit.click()
    assert missing.is_displayed() and browser.js("return window.__stillHere") is True
    assert destruction.get_application(application.number).witnessed_at is None

    # Two strokes: one at the left of the box, one reaching its right edge.
    stroke(browser, canvas, [(0.05, 0.7), (0.15, 0.2), (0.25, 0.8), (0.35, 0.3)])
    stroke(browser, canvas, [(0.6, 0.5), (0.75, 0.4), (0.95, 0.6)])
    browser.submit_and_wait(submit)
    assert "立会いを記録しました" in browser.find("body").text

    recorded = destruction.get_application(application.number)
    assert recorded.witnessed_at and recorded.witness == "takahashi"
    assert recorded.witness_signature
    evidence = Evidence.get((Evidence.paper == application.number) & (Evidence.attachment == recorded.witness_signature))
    assert evidence.stage == "signature"
    content = ledger.attachment_path(settings.attachments_dir, recorded.witness_signature).read_bytes()
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    signature = Image.open(io.BytesIO(content))
    assert signature.format == "PNG" and signature.size == (600, 200)
    assert signature.convert("L").getpixel((2, 2)) == 255  # a white background, not transparent
    columns = ink_columns(signature)
    # The ink lies where it was drawn on the scaled box, in the canvas's own 600 px: the first
    # stroke from about x=30 to 210, the second from 360 to about 570 (unscaled, the pointer's
    # CSS pixels, it would stop near 0.95 × the box's shown width, under 480).
    assert columns and 15 <= columns[0] <= 45 and 540 <= columns[-1] <= 590
    assert not [x for x in columns if 230 <= x <= 340]  # nothing between them: the cleared stroke (250–310) is gone


# ---- checks.js: the check page reports its unsent scans ---------------------------------------


def test_the_check_page_tells_the_server_what_its_list_still_holds(browser, cast, settings):
    present = media.register(cast.worker, "KG26", "usb", "課税データ", encrypted=True, encryption="AES", pi_items=["氏名"],
                             record_count=10, location=cast.cabinet.code)
    check = checks.start(cast.worker, location_url(cast.cabinet.code, settings.secret, settings.base_url), settings.secret)
    browser.login("sato")
    browser.open(f"/checks/{check.number}")

    def devices():
        return checks.get_check(check.number).devices

    # On opening, the page registers this browser as a device holding nothing unsent.
    browser.wait(lambda d: devices(), "the page's first report")
    device = browser.js("return window.localStorage.getItem('mediatrail-device')")
    assert device and list(devices()) == [device]
    assert devices()[device]["pending"] == 0 and devices()[device]["name"] == "スマートフォン 佐藤 花子"
    assert devices()[device]["by"] == "sato"

    # A code in the list, not yet sent: within a heartbeat the server knows, and holds completion back.
    label = medium_url(present.id, settings.secret, settings.base_url)
    browser.find("form[data-scan] textarea[name=codes]").send_keys(label + "\n")
    browser.wait(lambda d: devices()[device]["pending"] > 0, "the heartbeat to report the unsent code")
    assert [waiting for waiting, _entry in checks.waiting_devices(checks.get_check(check.number))] == [device]

    # Reloaded, the list is empty: the same device (its ID stays in this browser) reports nothing
    # pending, instead of a second device appearing while the first stays stuck waiting.
    browser.driver.refresh()
    assert scanned_lines(browser) == []
    browser.wait(lambda d: devices()[device]["pending"] == 0, "the reloaded page to report an empty list")
    assert browser.js("return window.localStorage.getItem('mediatrail-device')") == device
    assert list(devices()) == [device]

    # Recording the list (through the browser's queue) leaves this device holding nothing unsent.
    browser.find("form[data-scan] textarea[name=codes]").send_keys(label + "\n")
    form = browser.find("form[data-scan]")
    assert form.find_element(By.CSS_SELECTOR, "input[name=device]").get_attribute("value") == device
    assert form.find_element(By.CSS_SELECTOR, "input[name=pending]").get_attribute("value") == "0"
    assert form.find_element(By.CSS_SELECTOR, "input[name=device_name]").get_attribute("value") == "スマートフォン 佐藤 花子"
    browser.submit_and_wait(form.find_element(By.CSS_SELECTOR, "button:not([type=button])"))
    assert "所在を確認しました" in browser.find("body").text
    browser.wait(lambda d: devices()[device]["pending"] == 0, "the page to report its list and queue empty")
    assert not checks.waiting_devices(checks.get_check(check.number))
    assert [line.id for line in checks.reconcile(checks.get_check(check.number), ["KG26"]).found] == [present.id]


@pytest.mark.parametrize("error, message", [
    ("NotAllowedError", "カメラの使用が許可されていません"),   # the person (or a policy) said no
    ("NotFoundError", "カメラが見つかりません"),               # a PC without a webcam
    ("NotReadableError", "カメラを他のアプリが使用中です"),     # a video call has it
])
def test_a_camera_that_cannot_be_had_is_a_clear_message_and_the_other_ways_remain(browser, cast, error, message):
    """The browser's own refusal, as each browser reports it (a DOMException by name)."""
    handover, _listed = receiving_handover(cast, 1)
    browser.before_each_page("navigator.mediaDevices.getUserMedia = function () {"
                             f" return Promise.reject(new DOMException('refused', '{error}')); }};")
    browser.login("sato")
    browser.open(f"/handovers/{handover.number}")
    browser.find("form[data-scan] .start-camera").click()
    unavailable = browser.find("form[data-scan] .camera-unavailable")
    browser.wait(lambda d: unavailable.is_displayed(), "the refusal to be explained")
    assert unavailable.text.startswith(message)
    assert not browser.find("form[data-scan] .camera").is_displayed()
    assert browser.find("form[data-scan] textarea[name=codes]").is_displayed()
    assert browser.find("form[data-scan] input[type=file][name=photos]").is_displayed()


def test_a_handheld_scanner_counts_as_a_label_read_and_a_slowly_typed_id_needs_the_confirmation(browser, cast, settings):
    """A wedge scanner types a whole code in milliseconds; a person types slower. scan.js tells
    them apart by the keystrokes, and a typed ID is not received without the confirmation."""
    import time

    from tracker.models import HandoverItem

    handover, listed = receiving_handover(cast, 2)
    browser.login("sato")
    browser.open(f"/handovers/{handover.number}")
    box = browser.find("form[data-scan] textarea[name=codes]")
    box.send_keys(medium_url(listed[0], settings.secret, settings.base_url) + "\n")  # all at once, like a scanner
    for character in listed[1]:
        box.send_keys(character)
        time.sleep(0.08)
    box.send_keys("\n")
    sources = browser.js("return document.querySelector('form[data-scan]').mediatrailScanner.sources")
    assert sources == {medium_url(listed[0], settings.secret, settings.base_url): "wedge"}  # the other: typed by default
    browser.submit_and_wait(browser.find("form[data-scan] button:not([type=button])"))
    answers = browser.find(".answers").text
    assert f"{listed[1]}: 手入力のIDは" in answers
    scanned = {item.medium_id: item.identified_by for item in HandoverItem.select().where(HandoverItem.scanned_at.is_null(False))}
    assert scanned == {listed[0]: "wedge"}

    box = browser.find("form[data-scan] textarea[name=codes]")
    box.send_keys(listed[1].lower())  # then the person confirms the medium is there
    browser.find("form[data-scan] input[name=confirm_typed]").click()
    browser.submit_and_wait(browser.find("form[data-scan] button:not([type=button])"))
    scanned = {item.medium_id: item.identified_by for item in HandoverItem.select().where(HandoverItem.scanned_at.is_null(False))}
    assert scanned == {listed[0]: "wedge", listed[1]: "typed"}
    assert "手入力（現物を本人が確認）" in browser.find("body").text
