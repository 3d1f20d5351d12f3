"""Deterministic synthetic photos of mediatrail labels, degraded the way real photos are.

Each frame is 1280x720 BGR: one or more labels (QR code + printed ID, as ``labels`` will print
them) placed in 3-D on a textured desk, seen by a camera, then degraded by one category of
trouble a scanning station or phone meets: steep angles, rotation, defocus, hand shake, sensor
noise, a dim room, glare from a ceiling light, small or distant labels, heavy JPEG, a scratch
across the code, several labels at once. Every category starts from the same mild camera model
(slight blur, noise, JPEG at quality 85), so "clean" is a realistic baseline, not a test chart.

The severities are chosen so that most frames are readable by at least one library and some
defeat any single one: the point is to compare decoders, not to make unreadable pictures.

    frames = list(generate(per_category=40, seed=7))
    frame.image, frame.category, frame.truth  # truth: the texts of the codes in the frame
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator

import cv2
import numpy as np
import qrcode

from labels.ids import format_id, location_id
from labels.payload import location_url, medium_url

WIDTH, HEIGHT = 1280, 720
SECRET = b"bench-secret-not-for-production!"
BASE_URL = "https://mediatrail.example.lg.jp"
FOCAL = 1100.0  # px; a typical 1280x720 webcam's horizontal field of view is ~60 degrees
QR_MODULES = 29 + 8  # version 3 plus the quiet zone, for the label URLs above


@dataclass(frozen=True)
class LabelPhoto:
    image: np.ndarray
    category: str
    truth: tuple[str, ...]
    index: int
    quads: tuple = ()  # each code's four corners, in the order of ``truth``


def generate(per_category: int = 40, seed: int = 7, categories: list[str] | None = None) -> Iterator[LabelPhoto]:
    """``per_category`` frames of each category, the same pixels for the same arguments."""
    for name in categories or list(CATEGORIES):
        for index in range(per_category):
            # One generator per frame: a frame does not change when other categories change.
            rng = np.random.default_rng([seed, _stable_hash(name), index])
            image, poses = CATEGORIES[name](rng)
            yield LabelPhoto(image, name, tuple(p.text for p in poses), index, tuple(p.corners for p in poses))


# --- categories ------------------------------------------------------------------------------


def clean(rng):
    return _photo(rng, [_pose(rng, module=rng.uniform(3.5, 6), tilt=20)])


def perspective(rng):
    return _photo(rng, [_pose(rng, module=rng.uniform(4, 6), tilt=(45, 60))])


def rotation(rng):
    return _photo(rng, [_pose(rng, module=rng.uniform(3, 5), tilt=15, spin=180)])


def blur(rng):
    pose = _pose(rng, module=rng.uniform(3, 5), tilt=15)
    return _photo(rng, [pose], degrade=lambda img: cv2.GaussianBlur(img, (0, 0), pose.module * rng.uniform(0.3, 0.48)))


def motion(rng):
    pose = _pose(rng, module=rng.uniform(3, 5), tilt=15)
    length = pose.module * rng.uniform(1.0, 1.7)
    return _photo(rng, [pose], degrade=lambda img: _motion_blur(img, length, rng.uniform(0, 180)))


def noise(rng):
    sigma = rng.uniform(28, 45)
    return _photo(rng, [_pose(rng, module=rng.uniform(2.5, 4), tilt=15)], degrade=lambda img: _noisy(img, rng, sigma))


def dim(rng):
    gain = rng.uniform(0.06, 0.14)

    def darken(img):
        dark = img.astype(np.float32) * gain + 4  # little light: the signal sinks into read noise
        return _noisy(np.clip(dark, 0, 255).astype(np.uint8), rng, rng.uniform(3, 5))

    return _photo(rng, [_pose(rng, module=rng.uniform(3, 5), tilt=15)], degrade=darken)


def glare(rng):
    pose = _pose(rng, module=rng.uniform(3.5, 5.5), tilt=20)

    def highlight(img):
        # A ceiling light reflected in the glossy label: a saturated blob over part of the code.
        corners = np.array(pose.corners)
        cx, cy = corners.mean(0) + rng.uniform(-0.3, 0.3, 2) * pose.size
        axes = (int(pose.size * rng.uniform(0.22, 0.38)), int(pose.size * rng.uniform(0.14, 0.24)))
        blob = np.zeros(img.shape[:2], np.float32)
        cv2.ellipse(blob, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, 1.0, -1)
        blob = cv2.GaussianBlur(blob, (0, 0), pose.size * 0.08)
        strength = rng.uniform(0.8, 0.97)
        out = img.astype(np.float32)
        out += (255 - out) * (blob * strength)[:, :, None]
        return np.clip(out, 0, 255).astype(np.uint8)

    return _photo(rng, [pose], degrade=highlight)


def small(rng):
    return _photo(rng, [_pose(rng, module=rng.uniform(1.8, 2.6), tilt=15)])


def jpeg(rng):
    return _photo(rng, [_pose(rng, module=rng.uniform(2.2, 3.5), tilt=15)], quality=int(rng.integers(8, 16)))


def scratched(rng):
    pose = _pose(rng, module=rng.uniform(3.5, 5.5), tilt=15)

    def scratch(img):
        # A line scratched or drawn across part of the code.
        corners = np.array(pose.corners)
        centre = corners.mean(0) + rng.uniform(-0.15, 0.15, 2) * pose.size
        angle = rng.uniform(0, math.pi)
        reach = pose.size * rng.uniform(0.2, 0.4)
        step = np.array([math.cos(angle), math.sin(angle)]) * reach
        ends = [tuple(int(v) for v in centre - step), tuple(int(v) for v in centre + step)]
        shade = (30, 30, 30) if rng.random() < 0.5 else (250, 250, 250)
        cv2.line(img, ends[0], ends[1], shade, max(1, int(round(pose.module * rng.uniform(0.5, 1.0)))), cv2.LINE_AA)
        return img

    return _photo(rng, [pose], degrade=scratch)


def multi(rng):
    count = int(rng.integers(4, 9))
    columns, rows = 4, 2
    cells = rng.permutation(columns * rows)[:count]
    poses = []
    for cell in cells:
        cx = (cell % columns + 0.5) * WIDTH / columns + rng.uniform(-40, 40)
        cy = (cell // columns + 0.5) * HEIGHT / rows + rng.uniform(-40, 40)
        poses.append(_pose(rng, module=rng.uniform(2.4, 3.4), tilt=25, spin=25, centre=(cx, cy)))
    return _photo(rng, poses)


CATEGORIES: dict[str, Callable] = {
    f.__name__: f for f in (clean, perspective, rotation, blur, motion, noise, dim, glare, small, jpeg, scratched, multi)
}


# --- scene and camera ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pose:
    corners: tuple  # the QR code's four corners in the frame (for degradations aimed at it)
    label_corners: tuple  # the whole label's corners
    module: float
    size: float
    text: str
    caption: str


def _pose(rng, module: float, tilt=0.0, spin=10.0, centre=None) -> _Pose:
    """A label facing the camera at ``tilt`` degrees (a bound or a (low, high) range)."""
    low, high = tilt if isinstance(tilt, tuple) else (0.0, tilt)
    theta = math.radians(rng.uniform(low, high))
    direction = rng.uniform(0, 2 * math.pi)  # axis in the label plane about which it is tilted
    spin = math.radians(rng.uniform(-spin, spin))
    qr_size = module * QR_MODULES
    margin = qr_size * 0.9
    if centre is None:
        centre = (rng.uniform(margin, WIDTH - margin), rng.uniform(margin * 0.8, HEIGHT - margin * 0.8))
    serial = int(rng.integers(1, 99_999))
    if rng.random() < 0.15:
        caption = location_id(serial)
        text = location_url(caption, SECRET, BASE_URL)
    else:
        caption = format_id("KG26", serial)
        text = medium_url(caption, SECRET, BASE_URL)
    half = qr_size / 2
    qr = [(-half, -half), (half, -half), (half, half), (-half, half)]
    label = [(-half, -half), (half, -half), (half, half * 1.45), (-half, half * 1.45)]
    project = _projector(theta, direction, spin, centre)
    return _Pose(tuple(map(project, qr)), tuple(map(project, label)), module, qr_size, text, caption)


def _projector(theta, direction, spin, centre):
    axis = np.array([math.cos(direction), math.sin(direction), 0.0])
    rotation = cv2.Rodrigues(axis * theta)[0] @ cv2.Rodrigues(np.array([0, 0, spin]))[0]
    cx, cy = centre

    def project(point):
        x, y, z = rotation @ np.array([point[0], point[1], 0.0])
        depth = FOCAL + z
        return (cx + FOCAL * x / depth, cy + FOCAL * y / depth)

    return project


def _photo(rng, poses, degrade=None, quality=85):
    image = _desk(rng)
    for pose in poses:
        _place_label(image, pose)
    image = _lighting(image, rng)
    if degrade:
        image = degrade(image)
    image = cv2.GaussianBlur(image, (0, 0), 0.6)  # lens and demosaicing
    image = _noisy(image, rng, 3.0)
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR), poses


def _desk(rng) -> np.ndarray:
    """Wood-grain-ish texture plus paper clutter with printed lines: edges for detectors to chase."""
    base = np.array([rng.uniform(90, 160), rng.uniform(110, 170), rng.uniform(140, 200)], np.float32)
    grain = cv2.resize(rng.normal(0, 1, (HEIGHT // 8, WIDTH // 64)).astype(np.float32), (WIDTH, HEIGHT))
    fine = cv2.GaussianBlur(rng.normal(0, 1, (HEIGHT, WIDTH)).astype(np.float32), (0, 0), 2)
    image = base + (grain * 18 + fine * 10)[:, :, None]
    image = np.clip(image, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(1, 4))):
        x, y = int(rng.integers(0, WIDTH - 200)), int(rng.integers(0, HEIGHT - 150))
        w, h = int(rng.integers(150, 400)), int(rng.integers(120, 300))
        cv2.rectangle(image, (x, y), (x + w, y + h), (235, 238, 240), -1)
        for line in range(y + 20, y + h - 10, 18):
            cv2.putText(image, "".join(rng.choice(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789 "), 24)),
                        (x + 10, line), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (60, 60, 60), 1, cv2.LINE_AA)
    return image


def _place_label(image: np.ndarray, pose: _Pose) -> None:
    art = _label_art(pose.text, pose.caption)
    h, w = art.shape[:2]
    # Shrink with area averaging first: warpPerspective alone would alias a large downscale.
    target = max(16, int(pose.size * 1.5))
    scale = min(1.0, target / max(h, w))
    art = cv2.resize(art, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    h, w = art.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    matrix = cv2.getPerspectiveTransform(src, np.float32(pose.label_corners))
    warped = cv2.warpPerspective(art, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255)[:, :, None]
    image[:] = (warped * alpha + image * (1 - alpha)).astype(np.uint8)


_ART_CACHE: dict[str, np.ndarray] = {}


def _label_art(text: str, caption: str) -> np.ndarray:
    """The printed label: the QR code with its quiet zone, the ID in large type below."""
    if text not in _ART_CACHE:
        code = qrcode.QRCode(border=4, box_size=10, error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(text)
        qr = np.array(code.make_image().convert("L"), dtype=np.uint8)
        side = qr.shape[0]
        art = np.full((int(side * 1.45), side), 250, np.uint8)
        art[:side] = qr
        cv2.putText(art, caption, (int(side * 0.08), int(side * 1.25)), cv2.FONT_HERSHEY_SIMPLEX,
                    side / 330, 20, max(1, side // 110), cv2.LINE_AA)
        cv2.rectangle(art, (0, 0), (side - 1, art.shape[0] - 1), 160, max(1, side // 150))
        _ART_CACHE[text] = cv2.cvtColor(art, cv2.COLOR_GRAY2BGR)
    return _ART_CACHE[text]


def _lighting(image: np.ndarray, rng) -> np.ndarray:
    """Uneven room light: a soft gradient across the frame."""
    x = np.linspace(-1, 1, WIDTH, dtype=np.float32)
    y = np.linspace(-1, 1, HEIGHT, dtype=np.float32)[:, None]
    gx, gy = rng.uniform(-0.2, 0.2, 2)
    gain = 1.0 + gx * x + gy * y - 0.12 * (x**2 + y**2)
    return np.clip(image * gain[:, :, None], 0, 255).astype(np.uint8)


def _motion_blur(image: np.ndarray, length: float, angle: float) -> np.ndarray:
    size = int(math.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    kernel[size // 2, :] = 1.0
    rotation = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (size, size))
    return cv2.filter2D(image, -1, kernel / kernel.sum())


def _noisy(image: np.ndarray, rng, sigma: float) -> np.ndarray:
    noise = rng.normal(0, sigma, image.shape).astype(np.float32)
    return np.clip(image.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _stable_hash(name: str) -> int:
    return sum(ord(c) * 31**i for i, c in enumerate(name)) % (2**31)
