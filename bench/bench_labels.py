"""How fast labels render: a 1,000-label A4 sheet PDF, and single PNG labels.

    .venv/bin/python bench/bench_labels.py                 # 1,000 labels on a4-24, best of 3
    .venv/bin/python bench/bench_labels.py --labels 5000 --preset l7651 --png 500

Pinned to one CPU core. IDs come from ids.format_id and QR texts from payload.medium_url under a
random secret, so every QR code differs as in real use. Times are wall-clock, best of --repeat,
after one warm-up render (the font metrics used for layout are read once per process, as in the
web app; fpdf2 parses and subsets the font again for every PDF). The breakdown rows time stages
on their own: what a PDF costs regardless of its size, layout, and QR encoding with this
project's mask scoring and with qrcode's stock one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

import qrcode  # noqa: E402

from labels import design, ids, payload, presets, render, sheets, symbols  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--preset", default="a4-24")
    parser.add_argument("--png", type=int, default=200, help="PNG labels to time")
    parser.add_argument("--png-preset", default="ql-62")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    contents = make_contents(args.labels)
    layout = presets.get_preset(args.preset)
    sheets.render_sheet_pdf(contents[:10], layout)  # warm-up: font metrics, Pillow, numpy

    rows = []
    seconds, pdf = best_of(args.repeat, lambda: sheets.render_sheet_pdf(contents, layout))
    pages = -(-args.labels // layout.per_sheet)
    rows.append((f"sheet PDF, {args.labels} labels on {args.preset} ({pages} pages, {len(pdf) // 1024} KiB)", seconds, args.labels))
    seconds, _ = best_of(args.repeat, lambda: sheets.render_sheet_pdf(contents[:1], layout))
    rows.append(("  of which fixed per PDF (1-label PDF: font load + subset)", seconds, 1))
    seconds, _ = best_of(args.repeat, lambda: [design.layout_label(content, layout) for content in contents])
    rows.append(("  layout_label (QR encoding + text fitting)", seconds, args.labels))
    seconds, _ = best_of(args.repeat, lambda: [symbols.qr_matrix(content.qr_text) for content in contents])
    rows.append(("  QR encoding, numpy mask scoring (symbols.qr_matrix)", seconds, args.labels))
    seconds, _ = best_of(1, lambda: [stock_qr_matrix(content.qr_text) for content in contents])
    rows.append(("  QR encoding, qrcode's own mask scoring (for comparison)", seconds, args.labels))

    png_preset = presets.get_preset(args.png_preset)
    seconds, _ = best_of(args.repeat, lambda: [render.render_png(content, png_preset) for content in contents[: args.png]])
    rows.append((f"PNG, {args.png} single labels {args.png_preset} at {png_preset.dpi} dpi", seconds, args.png))
    seconds, _ = best_of(args.repeat, lambda: [render.render_svg(content, png_preset) for content in contents[: args.png]])
    rows.append((f"SVG, {args.png} single labels {args.png_preset}", seconds, args.png))
    seconds, _ = best_of(args.repeat, lambda: sheets.render_roll_pdf(contents[: args.png], png_preset))
    rows.append((f"roll PDF, {args.png} labels {args.png_preset}", seconds, args.png))

    print(f"{'what':<72} {'seconds':>8} {'ms/label':>9} {'labels/s':>9}")
    for what, seconds, count in rows:
        print(f"{what:<72} {seconds:>8.3f} {1000 * seconds / count:>9.2f} {count / seconds:>9.0f}")
    print(f"(one core, best of {args.repeat}; Python {sys.version.split()[0]}, qrcode {qrcode_version()})")


def make_contents(count: int) -> list[design.LabelContent]:
    secret = payload.new_secret()
    return [
        design.medium_label(
            ids.format_id("KG26", serial),
            secret,
            "https://mediatrail.example.lg.jp",
            "住民基本台帳データ入力業務",
            ("USBメモリ", "外付けHDD", "紙原票（箱）")[serial % 3],
        )
        for serial in range(1, count + 1)
    ]


def best_of(repeat: int, work):
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def stock_qr_matrix(text: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=symbols.ERROR_CORRECTION["M"], border=0)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def qrcode_version() -> str:
    from importlib.metadata import version

    return version("qrcode")


if __name__ == "__main__":
    main()
