"""In-page live scanning in headless Chromium, per decoding path: frames per second, time to first
read, and the share of a video's labels read in one pass.

    .venv/bin/python bench/bench_browser_scan.py              # 8 labels, every path this chromium has
    .venv/bin/python bench/bench_browser_scan.py --labels 4   # shorter

The fake camera (Chromium's --use-file-for-fake-video-capture) plays a video the bench makes from
mediatrail's own label PDF (tests/label_video.py: roll labels rasterised at 200 dpi, drifting,
slightly blurred, 640×480 at 10 fps, each label 1.5 s, then a moment of empty desk). The /scan
page (which records nothing) opens the camera; the bench waits one pass of the video and reads
the page's counters (static/scan.js ``stats``):

- fps: camera frames decoded per second (each frame once; the camera delivers 10), and the
  decoding time per frame, which says how many frames a second the path could take;
- first read: from the tap on the camera button to the first code read, so it includes opening
  the camera and, for the WebAssembly path, fetching and compiling the .wasm in the worker;
- labels read: distinct labels listed after one pass of the video, of those on it.

Paths: ``native`` (BarcodeDetector: absent from Debian's chromium on Linux, so reported as not
available here), ``wasm`` (zxing-wasm in a Web Worker: what every iPhone gets), ``server`` (frames
posted to /scan/decode, the last resort, at most one a second by design). Debian's chromium and
chromedriver, as in the tests; the server is the app under waitress on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the label video and browser helpers the tests use

from selenium.webdriver.common.by import By  # noqa: E402

from conftest import Cast  # noqa: E402
from label_video import label_video  # noqa: E402
from test_browser_scan import LiveServer, camera_browser, listed_codes, log_in, wait  # noqa: E402
from tracker import config, db  # noqa: E402
from tracker.models import create_schema  # noqa: E402
from tracker.web import create_app  # noqa: E402
from tracker.workflows import labelling, media  # noqa: E402

FPS, SECONDS_PER_LABEL, GAP_FRAMES = 10, 1.5, 3
PATHS = {
    "native": "",
    "wasm": "delete window.BarcodeDetector;",
    "server": "delete window.BarcodeDetector; delete window.WebAssembly;",
}


def prepare(folder: Path, count: int):
    settings = config.load(config.initialise(folder / "data", base_url="http://mediatrail.test").data_dir)
    db.connect(settings.database_url)
    create_schema()
    cast = Cast()
    media_ids = [media.register(cast.worker, "KG26", "paper", f"申告書 第{n}箱", location=cast.cabinet.code).id
                 for n in range(1, count + 1)]
    video = label_video(labelling.label_sheet(cast.worker, settings, media_ids, layout="ql-62"), folder / "labels.y4m",
                        fps=FPS, seconds_per_label=SECONDS_PER_LABEL)
    return settings, media_ids, video


def measure(server: LiveServer, video: Path, path: str, media_ids: list[str]) -> dict:
    driver = camera_browser(video)
    try:
        if PATHS[path]:
            driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PATHS[path]})
        log_in(driver, server.url)
        driver.get(server.url + "scan")
        if path == "native" and not driver.execute_script("return 'BarcodeDetector' in window"):
            return {"path": path, "available": False}
        driver.find_element(By.CSS_SELECTOR, "form[data-scan] .start-camera").click()
        wait(driver, lambda d: d.execute_script("return document.querySelector('form[data-scan]').dataset.scanPath"), "a decoder", 60)
        used = driver.execute_script("return document.querySelector('form[data-scan]').dataset.scanPath")
        one_pass = len(media_ids) * (SECONDS_PER_LABEL + GAP_FRAMES / FPS)
        before = driver.execute_script("return document.querySelector('form[data-scan]').mediatrailScanner.stats")
        started = time.monotonic()
        time.sleep(one_pass)
        stats = driver.execute_script("return document.querySelector('form[data-scan]').mediatrailScanner.stats")
        elapsed = time.monotonic() - started
        read = {code.rstrip("/").split("/")[-2] for code in listed_codes(driver)}
        return {
            "path": used, "available": True,
            "fps": (stats["frames"] - before["frames"]) / elapsed,
            "ms_per_frame": (stats["decodeMs"] - before["decodeMs"]) / max(1, stats["frames"] - before["frames"]),
            "first_read_s": (stats["firstReadAt"] - stats["startedAt"]) / 1000 if stats["firstReadAt"] else None,
            "read": len(read & set(media_ids)), "of": len(media_ids),
        }
    finally:
        driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=8)
    parser.add_argument("--paths", default="native,wasm,server")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings, media_ids, video = prepare(Path(folder), arguments.labels)
        server = LiveServer(create_app(settings)).start()
        try:
            print(f"{len(media_ids)} labels, 640x480 at {FPS} fps, {SECONDS_PER_LABEL} s each; one pass "
                  f"{len(media_ids) * (SECONDS_PER_LABEL + GAP_FRAMES / FPS):.1f} s")
            print(f"{'path':8} {'fps':>6} {'ms/frame':>9} {'first read':>11} {'labels read':>12}")
            for path in arguments.paths.split(","):
                result = measure(server, video, path, media_ids)
                if not result["available"]:
                    print(f"{path:8} {'not available in this chromium':>31}")
                    continue
                first = f"{result['first_read_s']:.2f} s" if result["first_read_s"] is not None else "—"
                print(f"{result['path']:8} {result['fps']:6.1f} {result['ms_per_frame']:9.1f} {first:>11} {result['read']:>5} / {result['of']} "
                      f"({100 * result['read'] / result['of']:.0f} %)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
