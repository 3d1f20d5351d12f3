"""The scanning station: frames in, each new label once to a sink, feedback to the person.

A frame source is any iterator of :class:`Frame` (camera, video file, folder of photos). The
station decodes every frame, suppresses a code it saw within the last few seconds (a label held
in front of the camera is one scan, not thirty), and turns each new valid code into a
:class:`Scan` for the current action. Labels that are not ours, forged, or unknown are shown
with their reason and never reach the sink.

What a scan *does* is the sink's business (``tracker`` writes the local one, ``outbox`` the
remote one); the station only knows, per action, whether it needs a location context.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

import cv2
import numpy as np

from labels import payload
from scanner.decode import Hit, decode
from scanner.images import ImageRejected, load_image
from scanner.resolve import Known, resolve

log = logging.getLogger(__name__)

REPEAT_SECONDS = 3.0


@dataclass(frozen=True)
class Frame:
    """One picture and its time in seconds (video position, or a monotonic clock for cameras)."""

    image: np.ndarray
    t: float
    source: str = ""


@dataclass(frozen=True)
class Scan:
    """One new, valid code seen by the station, ready for a sink."""

    text: str
    format: str | None
    medium: str | None
    location: str | None
    valid: bool
    reason: str | None
    action: str
    location_context: str | None
    context: str | None = None  # the handover or transfer number the station works on
    scanned_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="milliseconds"))
    idempotency_key: str = field(default_factory=lambda: str(uuid.uuid4()))

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Outcome:
    """What the sink made of a scan. ``queued``: not refused, but not confirmed yet either."""

    ok: bool
    message_ja: str
    message_en: str
    queued: bool = False


class Sink(Protocol):
    def record(self, scan: Scan) -> Outcome: ...


@dataclass(frozen=True)
class Action:
    """A station mode. ``needs_location``: media are acted on at the last location scanned;
    ``needs_paper``: the station works on one paper (a handover or transfer number) given at start."""

    name: str
    needs_location: bool = False
    label_ja: str = ""
    needs_paper: str = ""


ACTIONS: dict[str, Action] = {}


def register_action(name: str, needs_location: bool = False, label_ja: str = "", needs_paper: str = "") -> Action:
    """Make ``name`` available to stations (check, destroy... are added this way)."""
    ACTIONS[name] = Action(name, needs_location, label_ja or name, needs_paper)
    return ACTIONS[name]


register_action("lookup", label_ja="照会")
register_action("store", needs_location=True, label_ja="保管")
register_action("receive", label_ja="受領", needs_paper="handover")
register_action("return", label_ja="返還", needs_paper="handover")
register_action("send", label_ja="移送の発送", needs_paper="transfer")
register_action("arrive", label_ja="移送の到着", needs_paper="transfer")
register_action("destroy", label_ja="廃棄", needs_paper="application")
register_action("check", needs_location=True, label_ja="保管状況点検")


@dataclass
class Event:
    """What the station did with one newly seen code; ``scan`` is None if nothing was sent."""

    hit: Hit
    resolved: dict
    message_ja: str
    message_en: str
    scan: Scan | None = None
    outcome: Outcome | None = None

    @property
    def ok(self) -> bool:
        return self.resolved["valid"] and (self.outcome is None or self.outcome.ok or self.outcome.queued)

    def line(self) -> str:
        mark = "OK " if self.ok else "NG "
        what = payload.display(self.resolved.get("id") or self.hit.text)  # a hostile code cannot garble the console
        return f"{mark}{what}: {self.message_ja} / {self.message_en}"


class SourceError(RuntimeError):
    def __init__(self, message_ja: str, message_en: str):
        super().__init__(f"{message_ja} / {message_en}")
        self.message_ja = message_ja
        self.message_en = message_en


class Station:
    """Run with ``Station(sink, secret, action="store").run(open_source("0"))``."""

    def __init__(
        self,
        sink: Sink,
        secret: bytes,
        action: str = "lookup",
        *,
        context: str | None = None,
        known: Known | None = None,
        formats=("qr",),
        repeat_seconds: float = REPEAT_SECONDS,
        feedback=None,
        drain_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
        self.sink = sink
        self.secret = secret
        self.action = ACTIONS[action]
        if self.action.needs_paper and not context:
            raise ValueError(f"action {action!r} needs the {self.action.needs_paper} number it works on")
        self.context = context
        self.known = known
        self.formats = formats
        self.repeat_seconds = repeat_seconds
        self.feedback = feedback if feedback is not None else default_feedback()
        self.drain_seconds = drain_seconds
        self.clock = clock
        self.location_context: str | None = None
        self._last_seen: dict[str, float] = {}
        self._last_drain = float("-inf")
        self._outlines: list[tuple[Hit, dict]] = []  # this frame's codes, for the window

    def run(self, frames: Iterable[Frame]) -> list[Event]:
        """Process frames until the source ends or the person quits; every event, in order."""
        events: list[Event] = []
        try:
            for frame in frames:
                if self.clock() - self._last_drain >= self.drain_seconds:
                    self._drain()
                new = self.process(frame)
                events.extend(new)
                if not self.feedback.frame(frame, new, self._outlines):
                    break
        except SourceError as error:
            self.feedback.say(error.message_ja, error.message_en)
        except KeyboardInterrupt:
            self.feedback.say("スキャンを終了しました", "scanning stopped")
        finally:
            self.feedback.close()
        return events

    def process(self, frame: Frame) -> list[Event]:
        """Events for the codes in ``frame`` that were not seen within ``repeat_seconds``."""
        hits = decode(frame.image, self.formats)
        self._outlines = [(hit, self._resolve(hit)) for hit in hits]
        events = []
        for hit, resolved in self._outlines:
            if self._is_new(hit.text, frame.t):
                event = self._handle(hit, resolved)
                self.feedback.event(event)
                events.append(event)
        return events

    def _resolve(self, hit: Hit) -> dict:
        """What the code means; a code that cannot be understood is reported, never fatal: a
        sticker left in front of the camera must not stop the station on every start."""
        try:
            return resolve(hit, self.secret, self.known)
        except Exception:
            log.exception("could not resolve a scanned code")
            return {"text": hit.text, "id": None, "medium": None, "location": None, "valid": False, "signed": False,
                    "reason": "unreadable", "message_ja": payload.REASONS["unreadable"][0], "message_en": payload.REASONS["unreadable"][1]}

    def _is_new(self, text: str, t: float) -> bool:
        # Every sighting extends the window: a label left in view is reported once.
        last = self._last_seen.get(text)
        self._last_seen[text] = t
        return last is None or t - last > self.repeat_seconds or t < last

    def _handle(self, hit: Hit, resolved: dict) -> Event:
        if not resolved["valid"]:
            return Event(hit, resolved, resolved["message_ja"], resolved["message_en"])
        if resolved["location"]:
            self.location_context = resolved["location"]
            if self.action.needs_location:
                return Event(
                    hit, resolved,
                    f"場所 {self.location_context} で{self.action.label_ja}します。媒体をスキャンしてください",
                    f"{self.action.name} at {self.location_context}: scan the media now",
                )
        elif self.action.needs_location and not self.location_context:
            return Event(
                hit, resolved,
                "先に場所のラベルをスキャンしてください", "scan a location label first",
            )
        scan = Scan(
            text=hit.text, format=hit.format, medium=resolved["medium"], location=resolved["location"],
            valid=True, reason=resolved["reason"], action=self.action.name,
            location_context=self.location_context, context=self.context,
        )
        self._drain()
        outcome = self._record(scan)
        return Event(hit, resolved, outcome.message_ja, outcome.message_en, scan, outcome)

    def _record(self, scan: Scan) -> Outcome:
        try:
            return self.sink.record(scan)
        except Exception as error:  # the person at the station needs a message, not a traceback
            log.exception("sink failed for %s", scan.text)
            return Outcome(False, f"記録できませんでした（{error}）", f"could not record the scan ({error})")

    def _drain(self) -> None:
        self._last_drain = self.clock()
        drain = getattr(self.sink, "drain", None)
        if drain is None:
            return
        try:
            drain()
        except Exception:
            log.exception("draining the sink's queue failed")
        # A storage check waits for scans still queued here: tell the server how many there are.
        report = getattr(self.sink, "report_queue", None)
        if report is not None and self.location_context:
            try:
                report(self.action.name, self.location_context)
            except Exception:
                log.exception("reporting the queue failed")


# --- frame sources --------------------------------------------------------------------------


def open_source(spec: str | int, say: Callable[[str, str], None] | None = None) -> Iterator[Frame]:
    """Frames from a camera index (``0``), a video file, or a folder of images (name order)."""
    say = say or _print
    if isinstance(spec, int) or str(spec).isdigit():
        return camera_frames(int(spec), say=say)
    path = Path(spec)
    if path.is_dir():
        return folder_frames(path, say=say)
    if path.is_file():
        return video_frames(path)
    raise SourceError(f"{spec} が見つかりません（カメラ番号・動画・フォルダを指定）", f"{spec} not found (give a camera number, video file or folder)")


def camera_frames(
    index: int,
    *,
    reconnects: int = 3,
    wait: float = 2.0,
    say: Callable[[str, str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    capture: Callable[[int], object] = cv2.VideoCapture,
) -> Iterator[Frame]:
    """Live frames; a camera that stops delivering is reopened up to ``reconnects`` times."""
    say = say or _print
    failures = 0
    while failures <= reconnects:
        camera = capture(index)
        try:
            while camera.isOpened():
                ok, image = camera.read()
                if not ok:
                    break
                failures = 0
                yield Frame(image, clock(), f"camera {index}")
        finally:
            camera.release()
        failures += 1
        if failures <= reconnects:
            say(
                f"カメラ {index} から映像が来ません。再接続します（{failures}/{reconnects}）",
                f"camera {index} is not delivering frames; reconnecting ({failures}/{reconnects})",
            )
            sleep(wait)
    raise SourceError(f"カメラ {index} が使えません。接続を確認してください", f"camera {index} is unavailable; check the connection")


def video_frames(path: str | os.PathLike) -> Iterator[Frame]:
    """Frames of a video file, timed by their position in the video (results do not depend on
    how fast this machine decodes)."""
    video = cv2.VideoCapture(os.fspath(path))
    if not video.isOpened():
        raise SourceError(f"{path} を動画として開けません", f"cannot open {path} as a video")
    fps = video.get(cv2.CAP_PROP_FPS) or 0.0
    index = 0
    try:
        while True:
            ok, image = video.read()
            if not ok:
                return
            t = index / fps if fps > 0 else video.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            yield Frame(image, t, f"{path}#{index}")
            index += 1
    finally:
        video.release()


def folder_frames(
    path: str | os.PathLike,
    *,
    seconds_per_image: float = 60.0,
    say: Callable[[str, str], None] | None = None,
) -> Iterator[Frame]:
    """Each image file is one frame, ``seconds_per_image`` apart: by default every photo counts,
    even two photos of the same label."""
    say = say or _print
    files = sorted(p for p in Path(path).iterdir() if p.is_file() and not p.name.startswith("."))
    for index, file in enumerate(files):
        try:
            image = load_image(file)
        except ImageRejected as error:
            say(error.message_ja, error.message_en)
            continue
        yield Frame(image, index * seconds_per_image, str(file))


# --- feedback -------------------------------------------------------------------------------


class ConsoleFeedback:
    """One line per event on stdout: for headless stations, SSH sessions and tests."""

    def __init__(self, out=None):
        self.out = out

    def event(self, event: Event) -> None:
        self._print(event.line())

    def say(self, message_ja: str, message_en: str) -> None:
        self._print(f"-- {message_ja} / {message_en}")

    def frame(self, frame: Frame, events: list[Event], outlines: list[tuple[Hit, dict]]) -> bool:
        return True

    def close(self) -> None:
        pass

    def _print(self, line: str) -> None:
        print(line, file=self.out or sys.stdout, flush=True)


class WindowFeedback(ConsoleFeedback):
    """A live window with each code outlined (green valid, red not), and a bell per scan."""

    WINDOW = "mediatrail"
    QUIT_KEYS = (ord("q"), 27)  # q or Esc

    def event(self, event: Event) -> None:
        super().event(event)
        self._print("\a" if event.ok else "\a\a")

    def frame(self, frame, events, outlines) -> bool:
        image = frame.image if frame.image.ndim == 3 else cv2.cvtColor(frame.image, cv2.COLOR_GRAY2BGR)
        image = image.copy()
        for hit, resolved in outlines:
            colour = (0, 200, 0) if resolved["valid"] else (0, 0, 255)
            corners = np.array(hit.points, dtype=np.int32).reshape(-1, 1, 2)
            cv2.polylines(image, [corners], True, colour, 3)
        cv2.imshow(self.WINDOW, image)
        return (cv2.waitKey(1) & 0xFF) not in self.QUIT_KEYS

    def close(self) -> None:
        try:
            cv2.destroyWindow(self.WINDOW)
        except cv2.error:
            pass


def default_feedback() -> ConsoleFeedback:
    """A window when there is a display and OpenCV can open one, else console lines."""
    if os.environ.get("DISPLAY") or sys.platform in ("win32", "darwin"):
        try:
            cv2.namedWindow(WindowFeedback.WINDOW)
            return WindowFeedback()
        except cv2.error:
            pass
    return ConsoleFeedback()


def _print(message_ja: str, message_en: str) -> None:
    print(f"-- {message_ja} / {message_en}", flush=True)
