"""Every page, as every role, on a phone (390 × 844) and on a desktop (1366 × 900), in a real
browser (Debian's chromium through Debian's chromedriver, as tests/test_browser.py) against the
demo's data.

The pages come from the app's own URL map (every GET route that answers with a page), so a page
added later is visited without anyone listing it here; its path parameters are filled with real
numbers from the demo (every handover, transfer, application, check and incident; one medium in
each status). A parameter this test cannot fill fails the test, naming it.

On each page, at each size, the test fails on
- horizontal overflow: ``document.scrollingElement.scrollWidth > innerWidth``;
- an internal code on screen in Japanese mode: a status, kind, category, method, direction or
  event code (``stored``, ``held``, ``clear``, ``purge``, ``destroy``…) standing as a word;
- a hidden table column: a cell of a shown row that is not shown, or, on the phone, a cell shown
  without its column's label.

Screenshots of every visit go to ``test-artifacts/screens/<role>/<size>-<page>.png`` (gitignored;
CI keeps them as artifacts). One browser session per role; the demo is seeded once per module.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest

from test_browser import CHROMEDRIVER, CHROMIUM, _missing

if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):  # test_browser skips or fails already; say so here too
    _missing("the all-pages test needs chromium and chromedriver")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common import selenium_manager  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from waitress import wasyncore  # noqa: E402
from waitress.server import create_server  # noqa: E402

from labels import fonts  # noqa: E402
from labels.payload import KIND_LOCATION, KIND_MEDIUM, signature  # noqa: E402
from tracker import config, db, demo, vocabulary  # noqa: E402
from tracker.models import (  # noqa: E402
    Concern,
    Contract,
    DestructionApplication,
    Document,
    Handover,
    Incident,
    Location,
    Medium,
    StorageCheck,
    Subcontract,
    Transfer,
    User,
    create_schema,
)
from tracker.web import create_app  # noqa: E402
from tracker.workflows import media  # noqa: E402

SIZES = {"phone": (390, 844, True), "desktop": (1366, 900, False)}
ROLES = {"worker": "sato", "responsible": "yamada", "city": "takahashi", "other-city": "kobayashi", "admin": "admin"}
ARTIFACTS = Path(os.environ.get("MEDIATRAIL_SCREENS", Path(__file__).resolve().parent.parent / "test-artifacts" / "screens"))

# Words that are codes in the database, never text for a Japanese reader.
INTERNAL_CODES = sorted(
    {code for table in (vocabulary.STATUSES, vocabulary.MEDIUM_KINDS, vocabulary.HANDOVER_STATUSES, vocabulary.TRANSFER_STATUSES,
                        vocabulary.COPY_STATUSES, vocabulary.DESTRUCTION_STATUSES, vocabulary.SANITIZATION_CATEGORIES,
                        vocabulary.SANITIZATION_TECHNIQUES, vocabulary.EVIDENCE_STAGES, vocabulary.LOCATION_PURPOSES,
                        vocabulary.LOCATION_KINDS, vocabulary.CHECK_STATUSES, vocabulary.CHECK_FINDINGS,
                        vocabulary.DUE_STATES, vocabulary.INCIDENT_STATUSES)
     for code in table if code.isascii() and code.islower() and code not in ("ok",)}
    | set(vocabulary.EVENTS)
    | {"held", "pending", "receive", "return", "contractor", "municipality", "responsible", "worker", "missing", "signed", "draft"}
)
CODE_PATTERN = re.compile(r"(?<![A-Za-z0-9_.\-/])(" + "|".join(re.escape(code) for code in INTERNAL_CODES) + r")(?![A-Za-z0-9_\-/])")

# Routes that answer with a file, not a page.
NOT_PAGES = re.compile(r"\.(pdf|csv|svg|crt|pem|png|json)$|^/static/|^/api/|/evidence/|/pledges/sheets/")

PAGE_CHECK = """
const problems = [];
document.querySelectorAll('details').forEach(d => { d.open = true; });  // what a tap would show counts too
const width = window.innerWidth;
if (document.scrollingElement.scrollWidth > width) {
  const wide = Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > width + 1)
    .slice(-3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + (e.textContent || '').trim().slice(0, 40));
  problems.push('overflow: ' + document.scrollingElement.scrollWidth + ' > ' + width + ' ' + JSON.stringify(wide));
}
const phone = arguments[0];
document.querySelectorAll('table.list').forEach(table => {
  table.querySelectorAll('tbody tr').forEach(row => {
    if (!row.getClientRects().length) return;
    Array.from(row.cells).forEach((cell, index) => {
      if (!cell.getClientRects().length || getComputedStyle(cell).visibility === 'hidden') {
        problems.push('hidden column ' + index + ' in ' + (table.tHead ? table.tHead.textContent.trim().slice(0, 60) : 'a table'));
      } else if (phone && cell.colSpan === 1 && table.tHead && !cell.hasAttribute('data-label')) {
        problems.push('unlabelled cell ' + index + ' on the phone: ' + cell.textContent.trim().slice(0, 30));
      }
    });
  });
});
return problems;
"""


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """The demo's data in a fresh folder (SQLite), and the app serving it on 127.0.0.1."""
    previous = os.environ.pop("DATABASE_URL", None)
    settings = config.load(config.initialise(tmp_path_factory.mktemp("demo") / "data", base_url="http://mediatrail.test").data_dir)
    db.connect(settings.database_url)
    create_schema()
    demo.seed(20, settings)
    # A name without a single space, as a pasted file name or serial run can be: it must wrap.
    yamada = User.get_by_id("yamada")
    media.register(yamada, "KG26", "usb", "LONG_NAME_WITHOUT_SPACES_" * 8, location=Location.select().first().code,
                   serial_number="SN" + "0123456789" * 8)
    app = create_app(settings)
    server = create_server(app, host="127.0.0.1", port=0, threads=4, ident="mediatrail-pages")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield app, settings, f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(5)
        server.task_dispatcher.shutdown()
        db.database.close()
        if previous is not None:
            os.environ["DATABASE_URL"] = previous


def japanese_fonts(folder: Path) -> Path:
    """A fontconfig file that adds the Noto Sans CJK JP the papers embed (a PyPI package) to the
    system's fonts, so screenshots show Japanese without a system font package."""
    (folder / "fonts").mkdir()
    for bold in (False, True):
        (folder / "fonts" / fonts.font_path(bold).name).symlink_to(fonts.font_path(bold))
    config_file = folder / "fonts.conf"
    config_file.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                           f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>{folder / "fonts"}</dir>'
                           f'<cachedir>{folder / "cache"}</cachedir></fontconfig>')
    return config_file


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # this run's screenshots only
    def no_selenium_manager(*_args, **_kwargs):
        raise AssertionError("selenium-manager must not run: the browser and its driver come from apt")

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,900", "--lang=ja",
                     "--hide-scrollbars"):
        options.add_argument(argument)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(selenium_manager.SeleniumManager, "binary_paths", no_selenium_manager)
        service = Service(str(CHROMEDRIVER), env={**os.environ, "FONTCONFIG_FILE": str(japanese_fonts(tmp_path_factory.mktemp("fonts")))})
        chrome = webdriver.Chrome(service=service, options=options)
    chrome.set_page_load_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()


def samples(settings) -> dict[str, list[str]]:
    """Real values for each kind of path parameter, by the route's first path segment."""
    by_status = {}
    for medium in Medium.select().order_by(Medium.id):
        by_status.setdefault(medium.status, medium.id)
    location = Location.select().order_by(Location.code).first()
    medium = Medium.select().where(Medium.status == "stored").order_by(Medium.id).first()
    return {
        "handovers/number": [h.number for h in Handover.select().order_by(Handover.number)],
        "transfers/number": [t.number for t in Transfer.select().order_by(Transfer.number)],
        "destructions/number": [a.number for a in DestructionApplication.select().order_by(DestructionApplication.number)],
        "incidents/number": [i.number for i in Incident.select().order_by(Incident.number)],
        "checks/number": [c.number for c in StorageCheck.select().order_by(StorageCheck.number)],
        "contracts/code": [c.code for c in Contract.select().order_by(Contract.code)],
        "pledges/contract_code": [c.code for c in Contract.select().order_by(Contract.code)],
        "locations/code": [place.code for place in Location.select().order_by(Location.code)],
        "media/medium_id": sorted({*by_status.values(), Medium.get(Medium.title.startswith("LONG_NAME")).id}),
        "subcontracts/number": [s.number for s in Subcontract.select().order_by(Subcontract.number)],
        "concerns/number": [c.number for c in Concern.select().order_by(Concern.number)],
        "d/serial": [d.serial for d in Document.select().order_by(Document.serial)],
        "m/medium_id": [medium.id], "m/signature": [signature(KIND_MEDIUM, medium.id, settings.secret)],
        "l/location_id": [location.code], "l/signature": [signature(KIND_LOCATION, location.code, settings.secret)],
    }


def page_urls(app, settings) -> list[str]:
    """Every page's URL, once per endpoint and sample (a route spelled in two cases is one page)."""
    values = samples(settings)
    urls, seen = [], set()
    adapter = app.url_map.bind("mediatrail.test")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule.lower()):
        if "GET" not in rule.methods or NOT_PAGES.search(rule.rule) or rule.endpoint in seen:
            continue
        seen.add(rule.endpoint)
        segment = rule.rule.strip("/").split("/")[0].lower()
        arguments = sorted(rule.arguments)
        missing = [name for name in arguments if f"{segment}/{name}" not in values]
        assert not missing, f"{rule.rule}: no sample for {missing}; add one to samples() in {__file__}"
        columns = [values[f"{segment}/{name}"] for name in arguments]
        rows = max((len(column) for column in columns), default=1)
        for index in range(rows):
            filled = {name: column[min(index, len(column) - 1)] for name, column in zip(arguments, columns, strict=True) if column}
            if len(filled) == len(arguments):
                urls.append(adapter.build(rule.endpoint, filled))
    return sorted(set(urls))


def visit(chrome, base: str, path: str, role: str) -> list[str]:
    chrome.get(base + path)
    if chrome.execute_script("return document.contentType") != "text/html":
        return []
    problems = []
    slug = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "home"
    for size, (width, height, mobile) in SIZES.items():
        chrome.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
        WebDriverWait(chrome, 5).until(lambda d, width=width: d.execute_script("return window.innerWidth") == width)
        (ARTIFACTS / role).mkdir(parents=True, exist_ok=True)
        chrome.save_screenshot(str(ARTIFACTS / role / f"{size}-{slug}.png"))
        problems += [f"{size} {path}: {problem}" for problem in chrome.execute_script(PAGE_CHECK, size == "phone")]
    text = chrome.find_element(By.TAG_NAME, "body").get_attribute("innerText")
    for line in text.splitlines():
        for found in CODE_PATTERN.finditer(line):
            problems.append(f"{path}: internal code {found.group(1)!r} on screen: {line.strip()[:80]}")
    return problems


def log_in(chrome, base: str, login: str) -> None:
    chrome.delete_all_cookies()
    chrome.get(base + "/login?lang=ja")
    chrome.find_element(By.CSS_SELECTOR, "input[name=login]").send_keys(login)
    chrome.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(demo.DEMO_PASSWORD)
    chrome.find_element(By.CSS_SELECTOR, "form button").click()
    WebDriverWait(chrome, 10).until(lambda d: "/login" not in d.current_url)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_the_screen_in_plain_japanese_with_every_column(role, demo_app, driver):
    app, settings, base = demo_app
    urls = page_urls(app, settings)
    assert len(urls) > 40  # the demo's every record page, not only the lists
    log_in(driver, base, ROLES[role])
    problems = []
    for path in urls:
        problems += visit(driver, base, path, role)
    assert not problems, "\n".join(problems)


def test_the_pages_open_to_anyone_fit_the_phone(demo_app, driver):
    """Logged out: the login page and the public paper verification page."""
    _app, _settings, base = demo_app
    driver.delete_all_cookies()
    serial = Document.select().order_by(Document.serial).first().serial
    problems = []
    for path in ("/login?lang=ja", f"/d/{serial}", "/certificate"):
        problems += visit(driver, base, path, "anonymous")
    assert not problems, "\n".join(problems)
