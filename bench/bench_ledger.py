"""Ledger append throughput with 8 concurrent writer processes, on SQLite and PostgreSQL.

    .venv/bin/python bench/bench_ledger.py [--events-per-writer 200] [--postgres URL]

Each writer records label prints (one event and one projected row each, through the same
workflow the app uses). The run ends with ``verify()`` to show the chain did not fork.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker import config, db, ledger  # noqa: E402
from tracker.models import ALL_MODELS, User, create_schema  # noqa: E402
from tracker.workflows import labelling, media, people, places, roster  # noqa: E402

WRITERS = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events-per-writer", type=int, default=200)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--skip-postgres", action="store_true")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = config.initialise(Path(folder) / "data")
        targets = [("SQLite (WAL)", settings.database_url)]
        if not arguments.skip_postgres:
            targets.append(("PostgreSQL", arguments.postgres))
        print("| database | writers | events | seconds | events/s | verify |\n|---|---|---|---|---|---|")
        for name, url in targets:
            count, seconds, ok = run(url, arguments.events_per_writer)
            print(f"| {name} | {WRITERS} | {count} | {seconds:.2f} | {count / seconds:,.0f} | {'ok' if ok else 'FAILED'} |")


def run(url: str, per_writer: int) -> tuple[int, float, bool]:
    real = db.connect(url)
    real.drop_tables(ALL_MODELS, safe=True, cascade=not db.is_sqlite())
    create_schema()
    admin = people.create_user(None, "admin", "管理者", "admin", "benchmark-pw")
    people.create_contract(admin, "BN26", "ベンチマーク", "小金井市")
    worker = people.create_user(admin, "worker", "作業者", "contractor", "benchmark-pw")
    city = people.create_user(admin, "city", "市 職員", "municipality", "benchmark-pw", organisation="小金井市 市民税課")
    roster.decide(city, roster.apply_add(admin, "BN26", "worker", "responsible").number, True)
    people.sign_pledge(worker, "BN26")
    places.create_location(admin, "キャビネット", "cabinet", "storage")
    medium_ids = [media.register(worker, "BN26", "usb", f"媒体{n}", encrypted=True, encryption="AES").id for n in range(WRITERS)]
    before = ledger.head()[0]
    real.close()
    context = multiprocessing.get_context("spawn")
    # Writers start together once imported and connected: process start-up is not timed.
    ready = context.Barrier(WRITERS + 1)
    processes = [context.Process(target=write, args=(url, medium_id, per_writer, ready)) for medium_id in medium_ids]
    for process in processes:
        process.start()
    ready.wait()
    start = time.perf_counter()
    for process in processes:
        process.join()
    seconds = time.perf_counter() - start
    db.connect(url)
    appended = ledger.head()[0] - before
    ok = appended == WRITERS * per_writer and ledger.verify().ok
    db.database.close()
    return appended, seconds, ok


def write(url: str, medium_id: str, count: int, ready) -> None:
    db.connect(url)
    worker = User.get_by_id("worker")
    ready.wait()
    for _ in range(count):
        labelling.record_print(worker, [medium_id], "bench")


if __name__ == "__main__":
    main()
