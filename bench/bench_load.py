"""Scans per second and latency with 16 clients through the API of a real `mediatrail serve`.

    .venv/bin/python bench/bench_load.py [--seconds 60] [--clients 16] [--threads 8]
                                         [--postgres URL | --skip-postgres]

Each client stores its own media in turn through ``POST /api/v1/scans`` (a new idempotency key
per scan, every tenth resent with the same key), as ``tests/test_load.py`` does for a few
seconds. Afterwards every acknowledged scan is matched to exactly one ledger event and the
ledger is verified; a run where that fails says so in the last column.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import scanload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads (serve --threads)")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--skip-postgres", action="store_true")
    arguments = parser.parse_args()
    targets = [("SQLite (WAL)", None)] + ([] if arguments.skip_postgres else [("PostgreSQL", arguments.postgres)])
    print(f"{arguments.clients} clients, {arguments.seconds:g} s, waitress {arguments.threads} threads, {os.cpu_count()} CPUs\n")
    print("| database | scans acknowledged | scans/s | p50 ms | p99 ms | max ms | failed requests | exactly once + verify |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, url in targets:
        with tempfile.TemporaryDirectory() as folder:
            row = run(Path(folder) / "data", url, arguments)
        print(f"| {name} | {row['acknowledged']:,} | {row['rate']:.1f} | {row['p50']:.0f} | {row['p99']:.0f} | {row['max']:.0f} | "
              f"{row['failed']} | {row['check']} |")


def run(data_dir: Path, url: str | None, arguments) -> dict:
    os.environ.pop("DATABASE_URL", None)
    site = scanload.prepare(data_dir, url, arguments.clients)
    server = scanload.Server(site, threads=arguments.threads)
    server.start()
    try:
        logs = scanload.run_clients(site, server.url, arguments.seconds)
    finally:
        server.stop()
    outcome = scanload.check(site, logs)
    latencies = [seconds * 1000 for log in logs for seconds in log.latencies]
    acknowledged = sum(len(log.acknowledged) for log in logs)
    failed = sum(len(log.failures) for log in logs)
    exact = outcome.verified and not outcome.unmatched and not outcome.duplicated and outcome.stored_events == acknowledged
    return {
        "acknowledged": acknowledged, "rate": acknowledged / arguments.seconds,
        "p50": statistics.median(latencies), "p99": scanload.percentile(latencies, 0.99), "max": max(latencies),
        "failed": failed, "check": "ok" if exact and not outcome.problems else f"FAILED {outcome.problems[:1] or outcome.unmatched[:1]}",
    }


if __name__ == "__main__":
    main()
