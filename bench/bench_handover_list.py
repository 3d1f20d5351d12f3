"""How fast the city's handover list is read, and how fast an oversized one is refused.

    .venv/bin/python bench/bench_handover_list.py            # best of 3

A list over the row limit must be refused after reading just past the limit, not after parsing
every row: someone pasting a 100,000-line export should get the refusal at once, and the server
should not spend its time on it. Times are wall-clock, best of --repeat, one CPU core; the
refusal's figures (limit, rows found, line) are asserted by tests/test_handover_list.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from tracker.errors import InvalidInput  # noqa: E402
from tracker.workflows.handover_list import MAX_BYTES, MAX_ROWS, parse  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--oversized-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    full = ("名称,種類,件数\n" + "".join(f"課税資料 {n},紙,{n % 500 + 1}\n" for n in range(MAX_ROWS))).encode("utf-8")
    oversized = ("名称,種類\n" + "書類,紙\n" * args.oversized_rows).encode("utf-8")
    assert len(oversized) < MAX_BYTES, "the oversized list must pass the byte limit to reach the row limit"

    def read_full():
        assert len(parse("list.csv", full)) == MAX_ROWS

    def refuse_oversized():
        try:
            parse("list.csv", oversized)
        except InvalidInput as error:
            assert error.details["limit"] == MAX_ROWS
            return
        raise AssertionError("an oversized list was accepted")

    print(f"| what | rows | seconds (best of {args.repeat}) |")
    print("|---|---:|---:|")
    print(f"| read a list at the limit | {MAX_ROWS:,} | {best(read_full, args.repeat):.3f} |")
    print(f"| refuse a list over the limit | {args.oversized_rows:,} | {best(refuse_oversized, args.repeat):.3f} |")


def best(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


if __name__ == "__main__":
    main()
