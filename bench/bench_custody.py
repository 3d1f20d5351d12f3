"""A handover at the size of a large city list: import, scan every label, confirm, issue the 預り証.

    .venv/bin/python bench/bench_custody.py [--rows 1000]

Everything goes through the workflows the web pages and the API call, on SQLite in a temporary
data folder: the list (CSV, Shift_JIS) is parsed and registered in one event; each label is
scanned as a full signed label URL through ``scans.scan_batch`` (what a phone's batch sends);
the city's confirmation changes every medium and issues the receipt PDF with one line per item.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labels.payload import medium_url  # noqa: E402
from tracker import config, db, ledger  # noqa: E402
from tracker.models import create_schema  # noqa: E402
from tracker.workflows import handovers, people, roster, scans  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        settings = config.initialise(Path(folder) / "data")
        db.connect(settings.database_url)
        create_schema()
        worker, city = cast()
        handover = handovers.start(worker, "BN26", "receive", "2026-11-25 10:00", "市役所", "手渡し", "市 職員")
        content = handover_list(rows)

        timings = {}
        started = time.perf_counter()
        registered = handovers.import_list(worker, handover.number, "list.csv", content)
        timings["import"] = time.perf_counter() - started

        codes = [medium_url(medium.id, settings.secret, settings.base_url) for medium in registered]
        started = time.perf_counter()
        for batch in range(0, len(codes), scans.MAX_BATCH):
            answers = scans.scan_batch(worker, codes[batch:batch + scans.MAX_BATCH], "receive", handover.number, settings.secret)
            assert all(answer["ok"] for answer in answers)
        timings["scan"] = time.perf_counter() - started

        handovers.sign(worker, handover.number)
        started = time.perf_counter()
        document = handovers.confirm(city, handover.number, settings)
        timings["confirm"] = time.perf_counter() - started
        pages = document_pages(settings, document)

        started = time.perf_counter()
        ok = ledger.verify(settings.attachments_dir).ok
        timings["verify"] = time.perf_counter() - started

    print(f"| step | {rows} media | per medium |\n|---|---|---|")
    print(f"| import the list (parse + register, one event) | {timings['import']:.2f} s | {timings['import'] / rows * 1000:.2f} ms |")
    print(f"| scan every label (signed URL, batch of {scans.MAX_BATCH}) | {timings['scan']:.2f} s | {timings['scan'] / rows * 1000:.2f} ms |")
    print(f"| city confirms + 預り証 PDF ({pages} pages) | {timings['confirm']:.2f} s | {timings['confirm'] / rows * 1000:.2f} ms |")
    print(f"| verify the whole ledger | {timings['verify']:.2f} s ({'ok' if ok else 'FAILED'}) | |")


def cast():
    admin = people.create_user(None, "admin", "管理者", "admin", "benchmark-pw")
    people.create_contract(admin, "BN26", "ベンチマーク", "小金井市")
    worker = people.create_user(admin, "worker", "作業者", "contractor", "benchmark-pw")
    city = people.create_user(admin, "city", "市 職員", "municipality", "benchmark-pw", organisation="小金井市 市民税課")
    roster.decide(city, roster.apply_add(admin, "BN26", "worker", "responsible").number, True)
    people.sign_pledge(worker, "BN26")
    return worker, city


def handover_list(rows: int) -> bytes:
    lines = ["管理番号,名称,種類,数量,件数,個人情報項目,製造番号,暗号化,暗号化方式,封印番号"]
    for n in range(1, rows + 1):
        if n % 3:
            lines.append(f"R-{n:05d},住民税申告書 第{n}箱,紙,1,{n * 7 % 1500},氏名、住所、個人番号,,無,,S-{n:05d}")
        else:
            lines.append(f"R-{n:05d},課税データ{n},USB,1,{n * 13 % 9000},氏名、住所,SN-{n:05d},有,AES-256,S-{n:05d}")
    return ("\n".join(lines) + "\n").encode("cp932")


def document_pages(settings, document) -> int:
    from pypdf import PdfReader

    return len(PdfReader(ledger.attachment_path(settings.attachments_dir, document.attachment_id)).pages)


if __name__ == "__main__":
    main()
