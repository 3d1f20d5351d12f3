"""How many label codes each decoder finds in degraded photos, how many it misreads, how fast.

    .venv/bin/python bench/bench_decode.py            # 40 frames x 12 categories
    .venv/bin/python bench/bench_decode.py --quick    # 6 frames x 12 categories
    .venv/bin/python bench/bench_decode.py --ablation # which fallback stage rescues what
    .venv/bin/python bench/bench_decode.py --save bench/out/frames   # look at the frames

A code counts as found only if a decoder returned exactly its text; any returned text that is
not in the frame is a false read. Times are wall-clock per frame on this machine, single thread,
frames generated in memory beforehand (generation is not timed).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import cv2  # noqa: E402

import labelphotos  # noqa: E402
from scanner.decode import PASSES, STAGES, Stage, decode, to_gray  # noqa: E402

DECODERS = {
    "zxing-cpp": [Stage("zxing")],
    "pyzbar": [Stage("zbar")],
    "OpenCV Aruco": [Stage("opencv-aruco")],
    "OpenCV": [Stage("opencv")],
    "cascade": None,  # scanner.decode.STAGES
}

# Candidates for the fallback part of the cascade, tried on frames zxing-cpp alone misses.
CANDIDATES = [Stage("zbar"), Stage("opencv-aruco"), Stage("opencv"), Stage("zxing-histogram")] + [
    Stage(backend, prepare, f"{backend}+{name}")
    for backend in ("zxing", "zbar", "opencv-aruco")
    for name, prepare in PASSES.items()
    if not (backend == "zxing" and name == "halve")  # zxing-cpp already tries downscaled images
]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="6 frames per category")
    parser.add_argument("--per-category", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ablation", action="store_true", help="measure every candidate fallback stage")
    parser.add_argument("--save", type=Path, help="write the frames as JPEG files into this folder")
    args = parser.parse_args(argv)
    per_category = 6 if args.quick else args.per_category

    frames = list(labelphotos.generate(per_category, args.seed))
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for frame in frames:
            cv2.imwrite(str(args.save / f"{frame.category}-{frame.index:03d}.jpg"), frame.image)
    grays = [to_gray(frame.image) for frame in frames]
    print(f"{len(frames)} frames, {sum(len(f.truth) for f in frames)} codes, seed {args.seed}\n")

    stats = {name: _measure(stages, frames, grays) for name, stages in DECODERS.items()}
    print(_table(stats, [f.category for f in frames]))
    if args.ablation:
        print(_ablation(frames, grays))


def _measure(stages, frames, grays) -> dict:
    """Per category: codes present, found, false reads, frames, seconds."""
    result = defaultdict(Counter)
    for frame, gray in zip(frames, grays):
        started = time.perf_counter()
        hits = decode(gray, stages=stages)
        elapsed = time.perf_counter() - started
        found, false = _score(frame.truth, [hit.text for hit in hits])
        row = result[frame.category]
        row.update(present=len(frame.truth), found=found, false=false, frames=1)
        row["seconds"] += elapsed
    return result


def _score(truth, texts) -> tuple[int, int]:
    remaining = Counter(truth)
    found = false = 0
    for text in texts:
        if remaining[text] > 0:
            remaining[text] -= 1
            found += 1
        elif text not in truth:
            false += 1
    return found, false


def _table(stats: dict, categories: list[str]) -> str:
    names = list(stats)
    order = list(dict.fromkeys(categories))
    lines = [
        "| category | codes | " + " | ".join(names) + " |",
        "|---|---:|" + "---:|" * len(names),
    ]
    for category in order + ["overall"]:
        rows = {name: _row(stats[name], category) for name in names}
        present = rows[names[0]]["present"]
        cells = []
        for name in names:
            row = rows[name]
            cell = f"{100 * row['found'] / present:.0f}%"
            if row["false"]:
                cell += f" ({row['false']} false)"
            cells.append(f"**{cell}**" if category == "overall" else cell)
        label = "**overall**" if category == "overall" else category
        lines.append(f"| {label} | {present} | " + " | ".join(cells) + " |")
    base_ms = _ms(_row(stats[names[0]], "overall"))
    lines += [
        "| false reads | | " + " | ".join(str(_row(stats[n], "overall")["false"]) for n in names) + " |",
        "| ms / frame | | " + " | ".join(f"{_ms(_row(stats[n], 'overall')):.1f}" for n in names) + " |",
        "| time vs zxing-cpp | | " + " | ".join(f"{_ms(_row(stats[n], 'overall')) / base_ms:.2f}x" for n in names) + " |",
    ]
    return "\n".join(lines) + "\n"


def _row(stats: dict, category: str) -> Counter:
    if category != "overall":
        return stats[category]
    return sum(stats.values(), Counter())


def _ms(row: Counter) -> float:
    return 1000 * row["seconds"] / row["frames"]


def _ablation(frames, grays) -> str:
    """On the frames zxing-cpp misses: what each candidate stage rescues, then a greedy order.

    Each candidate runs once on every missed frame; the greedy order is then computed from those
    results: repeatedly take the stage that rescues the most codes per millisecond spent on the
    frames still unread (a stage only runs on frames the earlier ones did not read).
    """
    missed = []
    for frame, gray in zip(frames, grays):
        found, _ = _score(frame.truth, [h.text for h in decode(gray, stages=[Stage("zxing")])])
        if found == 0:
            missed.append((frame, gray))
    lines = [
        f"\nFallback candidates on the {len(missed)} frames zxing-cpp alone reads nothing in:\n",
        "| stage | codes rescued | false reads | ms / frame | rescued by category |",
        "|---|---:|---:|---:|---|",
    ]
    results = {}  # stage name -> [(codes found, seconds)] per missed frame
    for stage in CANDIDATES:
        per_frame = []
        where = Counter()
        false = 0
        for frame, gray in missed:
            started = time.perf_counter()
            hits = decode(gray, stages=[stage])
            elapsed = time.perf_counter() - started
            found, wrong = _score(frame.truth, [h.text for h in hits])
            per_frame.append((found, elapsed))
            false += wrong
            where[frame.category] += found
        results[stage.name] = per_frame
        rescued = sum(found for found, _ in per_frame)
        ms = 1000 * sum(t for _, t in per_frame) / max(1, len(missed))
        detail = ", ".join(f"{c} {n}" for c, n in where.most_common() if n)
        lines.append(f"| {stage.name} | {rescued} | {false} | {ms:.1f} | {detail} |")

    lines += ["", "Greedy order (ms added = extra time per frame over all frames):", "",
              "| step | stage | codes rescued | ms added |", "|---:|---|---:|---:|"]
    unread = set(range(len(missed)))
    remaining = dict(results)
    step = 0
    while remaining and unread:
        def gain(name):
            rows = remaining[name]
            codes = sum(rows[i][0] for i in unread)
            seconds = sum(rows[i][1] for i in unread)
            return codes / max(seconds, 1e-9), codes, seconds
        best = max(remaining, key=gain)
        _, codes, seconds = gain(best)
        if codes == 0:
            break
        step += 1
        lines.append(f"| {step} | {best} | {codes} | {1000 * seconds / len(frames):.2f} |")
        unread -= {i for i in unread if remaining[best][i][0] > 0}
        del remaining[best]
    lines.append("\nCascade now: " + " -> ".join(stage.name for stage in STAGES))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
