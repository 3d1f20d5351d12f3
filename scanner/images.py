"""Load an uploaded or photographed image safely, upright, as a BGR array for ``decode``.

Phones store photos in the sensor's orientation and say how to turn them in an EXIF tag; the
label's corner points must be reported in the picture people see, so the tag is applied here.
Anything that is not a complete, reasonably sized image is refused with a bilingual message
before it is decoded into memory (a 20,000 x 20,000 PNG is a few kilobytes on disk and 1.2 GB
in memory).
"""

from __future__ import annotations

import io
import os
import struct
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Cameras save 12 or 24 megapixels by default (a 48-MP mode must be chosen by hand, and reads no
# label better than 24 MP). Decoding costs time in proportion to pixels, so anything larger is
# refused from its header, before it is decoded: a blank 49-MP PNG is 23 KB on the wire and
# 150 MB and a second of CPU once decoded.
MAX_PIXELS = 40_000_000
MAX_BYTES = 25 * 1024 * 1024  # a 24-MP JPEG is 5-12 MB


class ImageRejected(ValueError):
    """An input that is not an image we can read; ``reason`` is a stable code for programs."""

    def __init__(self, reason: str, message_ja: str, message_en: str):
        super().__init__(f"{message_ja} / {message_en}")
        self.reason = reason
        self.message_ja = message_ja
        self.message_en = message_en


def load_image(source, max_pixels: int = MAX_PIXELS, max_bytes: int = MAX_BYTES) -> np.ndarray:
    """The upright BGR pixels of ``source`` (a path, bytes, or a binary file object).

    Raises :class:`ImageRejected` for non-images, truncated or corrupt files, files over
    ``max_bytes`` and images over ``max_pixels``; ``OSError`` only for files that cannot be
    opened at all (missing, no access).
    """
    name = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "image"
    size = len(source) if isinstance(source, (bytes, bytearray)) else (
        os.path.getsize(source) if isinstance(source, (str, os.PathLike)) else None)
    if size is not None and size > max_bytes:
        raise ImageRejected(
            "too_large",
            f"{name} は大きすぎます（{size // (1024 * 1024)} MB、上限 {max_bytes // (1024 * 1024)} MB）",
            f"{name} is too large ({size // (1024 * 1024)} MB, limit {max_bytes // (1024 * 1024)} MB)",
        )
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:  # reads the header only
                _check_size(image, name, max_pixels)
                image.load()
                upright = ImageOps.exif_transpose(image)
                return np.asarray(upright.convert("RGB"))[:, :, ::-1].copy()
    except ImageRejected:
        raise
    except UnidentifiedImageError:
        raise ImageRejected(
            "not_an_image",
            f"{name} は画像ファイルではありません（PNG・JPEGなどの写真を指定してください）",
            f"{name} is not an image file (use a PNG or JPEG photo)",
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(name, None, max_pixels) from None
    except MemoryError:
        raise _too_large(name, None, max_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        if isinstance(error, (FileNotFoundError, PermissionError, IsADirectoryError)):
            raise
        raise ImageRejected(
            "corrupt",
            f"{name} は壊れているか途中までしかない画像です（{error}）",
            f"{name} is a damaged or truncated image ({error})",
        ) from None


def _check_size(image: Image.Image, name: str, max_pixels: int) -> None:
    width, height = image.size
    if width * height > max_pixels:
        raise _too_large(name, (width, height), max_pixels)


def _too_large(name: str, size: tuple[int, int] | None, max_pixels: int) -> ImageRejected:
    megapixels = max_pixels // 1_000_000
    # PIL refuses the largest bombs itself, before telling us their size
    dims_ja = f"{size[0]}×{size[1]}ピクセル、" if size else ""
    dims_en = f"{size[0]}x{size[1]} pixels, " if size else ""
    return ImageRejected(
        "too_large",
        f"{name} は大きすぎます（{dims_ja}上限{megapixels}メガピクセル）。縮小してから読み込んでください",
        f"{name} is too large ({dims_en}limit {megapixels} megapixels); resize it first",
    )
