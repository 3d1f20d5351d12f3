"""A short video of printed labels for Chromium's fake camera, made from mediatrail's own label PDF.

Chromium plays a Y4M file as its camera (``--use-file-for-fake-video-capture=FILE.y4m``) and
loops it. Each label of the PDF (one per page: a roll preset) is rasterised with poppler's
``pdftoppm``, laid on a grey desk, drifted across the frame as a hand-held label moves, slightly
blurred, and held for ``seconds_per_label``, with a moment of empty desk between labels. The
frames are written as raw YUV 4:2:0 (the format Chromium reads), so no video tool is needed.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

DESK = (118, 112, 104)  # a grey-brown table top


def rasterise(pdf: bytes, dpi: int = 200) -> list[Image.Image]:
    """Every page of ``pdf`` as an RGB image (pdftoppm, as a person's printout would look)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "labels.pdf"
        source.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(source), str(Path(folder) / "page")], check=True)
        return [Image.open(page).convert("RGB") for page in sorted(Path(folder).glob("page*.png"))]


def frames(labels: list[Image.Image], size=(640, 480), fps: int = 10, seconds_per_label: float = 1.5,
           gap_frames: int = 3, label_width: int = 440, blur: float = 0.8):
    """The frames: each label drifting ~1.5 px a frame, slightly blurred, then the empty desk."""
    width, height = size
    desk = Image.new("RGB", size, DESK)
    held = max(1, round(fps * seconds_per_label))
    for label in labels:
        scaled = label.resize((label_width, round(label.height * label_width / label.width)), Image.LANCZOS)
        for n in range(held):
            frame = desk.copy()
            x = (width - scaled.width) // 2 - held + round(1.5 * n)
            y = (height - scaled.height) // 2 + round(12 * math.sin(n / 4))
            frame.paste(scaled, (x, y))
            yield frame.filter(ImageFilter.GaussianBlur(blur))
        for _ in range(gap_frames):
            yield desk


def write_y4m(path: Path, images, size=(640, 480), fps: int = 10) -> int:
    """``images`` as a Y4M (4:2:0, BT.601) file; returns the number of frames."""
    width, height = size
    count = 0
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for image in images:
            rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
            r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
            y = 0.299 * r + 0.587 * g + 0.114 * b
            u = (b - y) * 0.564 + 128
            v = (r - y) * 0.713 + 128
            half = lambda plane: plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))  # noqa: E731
            out.write(b"FRAME\n")
            for plane in (y, half(u), half(v)):
                out.write(np.clip(plane + 0.5, 0, 255).astype(np.uint8).tobytes())
            count += 1
    return count


def label_video(pdf: bytes, path: Path, fps: int = 10, seconds_per_label: float = 1.5) -> Path:
    """The fake camera's video for the labels of ``pdf``, written to ``path``."""
    write_y4m(path, frames(rasterise(pdf), fps=fps, seconds_per_label=seconds_per_label), fps=fps)
    return path
