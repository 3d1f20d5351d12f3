"""Find and read the codes in one image: zxing-cpp first, other decoders only where it fails.

zxing-cpp is the fastest library and finds the most codes on its own, so it runs on every frame.
It also reports codes it detected but could not decode (checksum errors); the fallback stages
then run only on a crop around each of those, one after the other until one reads it: zxing-cpp
on a sharpened crop, with its global-histogram binariser, 2x upscaled, upscaled then sharpened,
then zbar (pyzbar) on an adaptively binarised and on a CLAHE-equalised crop. A crop costs a
small fraction of a 1280x720 frame, which is what keeps the cascade within 2x zxing-cpp's time.
Only when zxing-cpp neither read nor saw anything do the first fallbacks run on the whole frame
(``Stage.whole_frame``; the slow ones never do), and what they see is again read on crops.
``bench/bench_decode.py --ablation`` measures the candidates (OpenCV's two QR detectors,
denoising... included); those that rescued nothing more are not in ``STAGES`` but stay available
in ``BACKENDS`` / ``PASSES``.

A decoder that is not installed, whose shared library does not load, or that raises is skipped
with one log line; it never stops a scan. Only texts a decoder returned as valid are reported:
no stage guesses or repairs a text.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol, Sequence

import cv2
import numpy as np

log = logging.getLogger(__name__)

Point = tuple[float, float]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, end exclusive

# Canonical format names (zxing-cpp's spelling) and the aliases callers may use.
FORMATS = ("QRCode", "MicroQRCode", "DataMatrix", "Code128", "Code39", "EAN13")
_ALIASES = {
    "qr": "QRCode",
    "microqr": "MicroQRCode",
    "datamatrix": "DataMatrix",
    "code128": "Code128",
    "code39": "Code39",
    "ean13": "EAN13",
    **{name.lower(): name for name in FORMATS},
}


@dataclass(frozen=True)
class Hit:
    """One code read from an image; ``points`` are its 4 corners in the input image's pixels."""

    text: str
    format: str
    points: tuple[Point, Point, Point, Point]
    backend: str = field(default="", compare=False)

    @property
    def center(self) -> Point:
        xs, ys = zip(*self.points)
        return (sum(xs) / 4, sum(ys) / 4)

    @property
    def size(self) -> float:
        xs, ys = zip(*self.points)
        return max(max(xs) - min(xs), max(ys) - min(ys))


class Backend(Protocol):
    name: str

    def read(self, gray: np.ndarray, formats: frozenset[str]) -> list[Hit]:
        """Codes of ``formats`` in the 8-bit grey image; may raise, the cascade skips it then."""


class BackendUnavailable(RuntimeError):
    """The decoder's Python package or shared library cannot be loaded."""


@dataclass(frozen=True)
class Stage:
    """Run backend ``backend`` on ``prepare(gray)``; ``prepare`` returns the image and its scale.

    ``whole_frame=False``: the stage only runs on crops around codes an earlier stage saw but could
    not read, never on a whole frame (for stages too slow for that).
    """

    backend: str
    prepare: Callable[[np.ndarray], tuple[np.ndarray, float]] | None = None
    label: str = ""
    whole_frame: bool = True

    @property
    def name(self) -> str:
        return self.label or self.backend


def decode(image, formats: Iterable[str] | str = ("qr",), *, stages: Sequence[Stage] | None = None) -> list[Hit]:
    """All codes found in ``image`` (numpy grey/BGR/BGRA array or PIL image), de-duplicated.

    ``formats``: names such as ``"qr"``, ``"code128"`` (see ``FORMATS``), or ``"all"``.
    ``stages`` overrides the cascade (tests, the benchmark's single-library runs).

    The first stage reads the whole frame. A zxing-cpp stage also reports where it saw a code it
    could not read; the later stages then run only on a crop around each such spot, which costs a
    fraction of a whole frame. Only when nothing at all was read or seen does a later stage run on
    the whole frame (and may in turn point at spots for the stages after it).
    """
    wanted = parse_formats(formats)
    gray = to_gray(image)
    stages = STAGES if stages is None else stages
    hits: list[Hit] = []
    for index, stage in enumerate(stages):
        if index > 0 and not stage.whole_frame:
            continue
        hits, spots = run_stage(stage, gray, wanted, locate=True)
        if spots:
            hits += _read_spots(stages[index + 1 :], gray, wanted, spots)
        if hits or spots:  # the crops held every code seen; the whole frame would not do better
            break
    return _unique(hits)


def _read_spots(stages: Sequence[Stage], gray: np.ndarray, formats: frozenset[str], spots: list[Box]) -> list[Hit]:
    """Each spot's crop through ``stages`` until one reads something there."""
    hits = []
    for x0, y0, x1, y1 in _merged(spots):
        crop = np.ascontiguousarray(gray[y0:y1, x0:x1])
        for stage in stages:
            found, _ = run_stage(stage, crop, formats)
            if found:
                hits += [_moved(hit, x0, y0) for hit in found]
                break
    return hits


def run_stage(stage: Stage, gray: np.ndarray, formats: frozenset[str], locate: bool = False) -> tuple[list[Hit], list[Box]]:
    """One stage's hits in ``gray``'s coordinates and, with ``locate`` and a backend able to tell,
    the boxes around codes it saw but could not read; ([], []) when its backend is missing or fails.
    """
    backend = BACKENDS.get(stage.backend)
    if backend is None or not (formats & getattr(backend, "formats", frozenset(FORMATS))):
        return [], []
    try:
        prepared, scale = stage.prepare(gray) if stage.prepare else (gray, 1.0)
        if locate and hasattr(backend, "locate"):
            hits, unread = backend.locate(prepared, formats)
        else:
            hits, unread = backend.read(prepared, formats), []
    except Exception as error:  # a broken decoder must not stop the scanning station
        _warn_once(stage.backend, error)
        return [], []
    if scale != 1.0:
        hits = [_rescaled(hit, 1.0 / scale) for hit in hits]
        unread = [tuple((x / scale, y / scale) for x, y in quad) for quad in unread]
    hits = _unique(hit for hit in hits if hit.text and hit.format in formats)
    unread = [quad for quad in unread if not _read_inside(quad, hits)]
    return hits, [_padded_box(quad, gray.shape) for quad in unread]


def parse_formats(formats: Iterable[str] | str) -> frozenset[str]:
    if isinstance(formats, str):
        formats = [formats]
    names = set()
    for name in formats:
        key = name.strip().lower().replace("_", "").replace("-", "").replace(" ", "")
        if key == "all":
            names.update(FORMATS)
        elif key in _ALIASES:
            names.add(_ALIASES[key])
        else:
            raise ValueError(f"unknown barcode format {name!r}; known: {', '.join(FORMATS)}, all")
    return frozenset(names)


def to_gray(image) -> np.ndarray:
    """An 8-bit single-channel, C-contiguous copy-or-view of a numpy (BGR) or PIL image."""
    if not isinstance(image, np.ndarray):
        image = np.asarray(image.convert("L"))  # PIL: convert() handles palette, RGBA, 16-bit
    if image.dtype != np.uint8:
        raise TypeError(f"expected an 8-bit image, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    elif image.ndim == 3:
        code = {3: cv2.COLOR_BGR2GRAY, 4: cv2.COLOR_BGRA2GRAY}[image.shape[2]]
        image = cv2.cvtColor(image, code)
    elif image.ndim != 2:
        raise TypeError(f"expected a 2-D grey or 3-D colour image, got shape {image.shape}")
    return np.ascontiguousarray(image)


# --- backends -------------------------------------------------------------------------------


class ZxingBackend:
    name = "zxing"
    formats = frozenset(FORMATS)

    def __init__(self, binarizer: str | None = None, name: str = "zxing"):
        self.binarizer = binarizer  # a zxingcpp.Binarizer member name; None: its default
        self.name = name

    def read(self, gray, formats):
        return self.locate(gray, formats)[0]

    def locate(self, gray, formats):
        """The codes read, and the corners of those detected but not decoded (checksum errors...)."""
        import zxingcpp

        wanted = zxingcpp.barcode_formats_from_str(",".join(sorted(formats)))
        options = {"binarizer": getattr(zxingcpp.Binarizer, self.binarizer)} if self.binarizer else {}
        # try_invert off: labels are printed dark on light, and the inverted pass costs ~25%.
        results = zxingcpp.read_barcodes(gray, formats=wanted, try_invert=False, return_errors=True, **options)
        hits = [Hit(r.text, r.format.name, _zxing_points(r.position), self.name) for r in results if r.valid]
        unread = [_zxing_points(r.position) for r in results if not r.valid]
        return hits, unread


class ZbarBackend:
    name = "zbar"
    formats = frozenset({"QRCode", "Code128", "Code39", "EAN13"})
    _ZBAR_NAMES = {"QRCode": "QRCODE", "Code128": "CODE128", "Code39": "CODE39", "EAN13": "EAN13"}

    def read(self, gray, formats):
        try:
            from pyzbar import pyzbar
        except (ImportError, OSError) as error:  # OSError: libzbar missing (pyzbar loads it on import)
            raise BackendUnavailable(f"pyzbar/libzbar not available: {error}") from error
        ours = {zbar: name for name, zbar in self._ZBAR_NAMES.items() if name in formats}
        symbols = [pyzbar.ZBarSymbol[zbar] for zbar in ours]
        hits = []
        for result in pyzbar.decode(gray, symbols=symbols):
            try:
                text = result.data.decode("utf-8")
            except UnicodeDecodeError:
                continue  # not a text we could have printed
            hits.append(Hit(text, ours[result.type], _corners([(p.x, p.y) for p in result.polygon]), self.name))
        return hits


class OpenCvBackend:
    """OpenCV's QR reader: ``aruco=True`` uses the ArUco-based finder-pattern detector."""

    formats = frozenset({"QRCode"})

    def __init__(self, aruco: bool = True):
        self.aruco = aruco
        self.name = "opencv-aruco" if aruco else "opencv"
        self._detector = None

    def read(self, gray, formats):
        if self._detector is None:
            self._detector = cv2.QRCodeDetectorAruco() if self.aruco else cv2.QRCodeDetector()
        found, texts, points, _ = self._detector.detectAndDecodeMulti(gray)
        if not found or points is None:
            return []
        return [
            Hit(text, "QRCode", _corners(corners.tolist()), self.name)
            for text, corners in zip(texts, points)
            if text
        ]


BACKENDS: dict[str, Backend] = {
    "zxing": ZxingBackend(),
    "zxing-histogram": ZxingBackend("GlobalHistogram", "zxing-histogram"),
    "zbar": ZbarBackend(),
    "opencv-aruco": OpenCvBackend(aruco=True),
    "opencv": OpenCvBackend(aruco=False),
}


# --- preprocessing passes -------------------------------------------------------------------


def upscale(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """Small or distant labels: modules of 1-2 px are below what the detectors can sample."""
    return cv2.resize(gray, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC), 2.0


def upscale_sharpen(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """Small and blurred (heavy JPEG, distance): upscaled first, so the unsharp mask restores
    module edges at sub-pixel scale. Too slow for whole frames, cheap on a crop."""
    large, scale = upscale(gray)
    return sharpen(large)[0], scale


def halve(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """For the slower decoders: a quarter of the pixels, and large codes still have 2+ px modules."""
    return cv2.resize(gray, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA), 0.5


def clahe(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """Dim light and glare: local contrast equalisation brings a washed-out code back."""
    return cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(gray), 1.0


def sharpen(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """Blur and motion blur: an unsharp mask restores module edges."""
    blurred = cv2.GaussianBlur(gray, (0, 0), 3)
    return cv2.addWeighted(gray, 2.0, blurred, -1.0, 0), 1.0


def binarize(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """Uneven light and noise: a smoothed adaptive threshold over a window a few modules wide."""
    smooth = cv2.medianBlur(gray, 3)
    return cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 5), 1.0


def denoise(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """Sensor noise in low light: a small Gaussian keeps edges but removes speckle."""
    return cv2.GaussianBlur(gray, (0, 0), 1.2), 1.0


PASSES = {"halve": halve, "upscale": upscale, "upscale_sharpen": upscale_sharpen, "clahe": clahe, "sharpen": sharpen, "binarize": binarize, "denoise": denoise}

# The cascade, measured with `bench_decode.py`: the whole-frame stages in the greedy order of
# `--ablation` (most codes rescued per millisecond on the frames still unread), then the stages
# that only pay off on crops. zbar on a whole frame cost 4.5 ms/frame for one code; OpenCV's
# detectors and denoising rescued nothing once these had run.
STAGES: list[Stage] = [
    Stage("zxing"),
    Stage("zxing", sharpen, "zxing+sharpen"),
    Stage("zxing-histogram"),
    Stage("zxing", upscale, "zxing+upscale"),
    Stage("zxing", upscale_sharpen, "zxing+upscale_sharpen", whole_frame=False),
    Stage("zbar", binarize, "zbar+binarize", whole_frame=False),
    Stage("zbar", clahe, "zbar+clahe", whole_frame=False),
]


# --- helpers --------------------------------------------------------------------------------

_warned: set[tuple[str, str]] = set()


def _warn_once(backend: str, error: Exception) -> None:
    key = (backend, type(error).__name__)
    if key not in _warned:
        _warned.add(key)
        log.warning("barcode backend %s skipped: %s: %s", backend, type(error).__name__, error)


def _zxing_points(position) -> tuple[Point, Point, Point, Point]:
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return tuple((float(p.x), float(p.y)) for p in corners)


def _corners(points: list) -> tuple[Point, Point, Point, Point]:
    """Four corners; zbar gives 1-D codes as a scan-line polygon, so fall back to its bounds."""
    points = [(float(x), float(y)) for x, y in points]
    if len(points) == 4:
        return tuple(points)
    xs, ys = zip(*points)
    return ((min(xs), min(ys)), (max(xs), min(ys)), (max(xs), max(ys)), (min(xs), max(ys)))


def _rescaled(hit: Hit, factor: float) -> Hit:
    points = tuple((x * factor, y * factor) for x, y in hit.points)
    return Hit(hit.text, hit.format, points, hit.backend)


def _moved(hit: Hit, dx: float, dy: float) -> Hit:
    points = tuple((x + dx, y + dy) for x, y in hit.points)
    return Hit(hit.text, hit.format, points, hit.backend)


# A detection's corners can be off (a partial quad from a blurred finder pattern): a crop of the
# code's size on every side still costs a tenth of a 1280x720 frame and holds the whole code.
SPOT_MARGIN = 1.0


def _padded_box(quad, shape) -> Box:
    xs, ys = zip(*quad)
    margin = SPOT_MARGIN * max(max(xs) - min(xs), max(ys) - min(ys)) + 16
    height, width = shape[:2]
    return (
        max(0, int(min(xs) - margin)), max(0, int(min(ys) - margin)),
        min(width, int(max(xs) + margin) + 1), min(height, int(max(ys) + margin) + 1),
    )


def _merged(boxes: list[Box]) -> list[Box]:
    """Overlapping boxes joined: one crop per code, not one per partial detection of it."""
    boxes = list(boxes)
    joined = True
    while joined:
        joined = False
        for i, a in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                b = boxes[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    boxes[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del boxes[j]
                    joined = True
                    break
            if joined:
                break
    return boxes


def _read_inside(quad, hits: list[Hit]) -> bool:
    """A code already read lies in this detection: it was of that code (or a part of it)."""
    xs, ys = zip(*quad)
    return any(min(xs) <= hit.center[0] <= max(xs) and min(ys) <= hit.center[1] <= max(ys) for hit in hits)


def _unique(hits: Iterable[Hit]) -> list[Hit]:
    """Drop repeats: same text with centres closer than half the code's size is one code."""
    kept: list[Hit] = []
    for hit in hits:
        if not any(_same_code(hit, other) for other in kept):
            kept.append(hit)
    return kept


def _same_code(a: Hit, b: Hit) -> bool:
    if a.text != b.text:
        return False
    return math.dist(a.center, b.center) < max(a.size, b.size, 1.0) / 2
