"""What goes on a label and where: one geometry for the PDF, SVG and PNG painters.

:func:`layout_label` turns a :class:`LabelContent` and a label size into a
:class:`LabelGeometry` in millimetres (origin at the label's top-left corner): the QR code's
dark rectangles, the optional Code 128 bars and the text lines with their font sizes. The
painters (``sheets.py`` for PDF, ``render.py`` for SVG and PNG) only translate it; no painter
decides anything about layout.

Layout, left to right: the QR code as large as the label's printable height allows (but at
most :data:`QR_MAX_SHARE` of the width), then a text column with the ID in large bold type, the
contract name, the kind of medium and the caption. With ``barcode=True`` a Code 128 of the ID
runs along the bottom across the whole printable width, where its bars are widest.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from dataclasses import dataclass
from typing import Protocol

from labels import fonts, payload, symbols

DEFAULT_CAPTION = "個人情報 持出禁止"

# Quiet zone around the QR, in modules, inside the label's own padding. ISO/IEC 18004 asks for 4;
# 2 is what mainstream readers (and both decoders in the tests) need, and the label padding plus
# the label stock's white edge add another 1.5 mm or more, so a sticker on a dark case keeps a
# clear margin while small labels get modules about 12 % larger than with 4.
QR_QUIET_MODULES = 2
# Smallest QR module printed: 0.33 mm = 2.6 dots at 203 dpi, 3.9 dots at 300 dpi. Measured on
# PDFs rasterised by pdftoppm (10 labels each): zxing-cpp decodes down to 0.18 mm at 203 dpi,
# ZBar needs 0.30 mm at 203 dpi (0.22 mm at 300 dpi); 0.33 mm keeps 10 % for dot gain, so the
# weaker of two phone-class decoders still reads a label from the cheapest thermal printer.
MIN_MODULE_MM = 0.33
QR_MAX_SHARE = 0.5  # of the printable width, so that the text column keeps room
TEXT_GAP_MM = 0.6  # between the QR's quiet zone and the text column

MIN_TEXT_MM = 1.8  # em height, ~5 pt: the smallest kanji still legible on a thermal print
LINE_HEIGHT = 1.25  # line box / em height
TEXT_TO_ID = 0.75  # largest size of the other lines relative to the ID
ELLIPSIS = "…"

CODE128_QUIET_MODULES = 10  # required by ISO/IEC 15417 on each side
MIN_BAR_MM = 0.25  # narrowest Code 128 bar: 2 dots at 203 dpi
BARCODE_HEIGHT_SHARE = 0.22  # of the printable height
BARCODE_HEIGHT_MM = (4.0, 10.0)  # clamped to this range
BARCODE_GAP_MM = 0.8


@dataclass(frozen=True)
class LabelContent:
    """Everything printed on one label. ``qr_text`` is the signed payload URL (``payload.py``)."""

    id: str
    qr_text: str
    title: str = ""  # contract name, e.g. 「住民基本台帳データ入力業務」
    kind: str = ""  # kind of medium, e.g. 「USBメモリ」
    caption: str = DEFAULT_CAPTION
    barcode: bool = False  # add a Code 128 of the ID for 1-D handheld scanners
    error_correction: str = "M"  # M restores ~15 % of damaged modules; Q (~25 %) costs a version

    def __post_init__(self):
        if self.error_correction not in symbols.ERROR_CORRECTION:
            raise LabelError(
                f"誤り訂正レベル「{self.error_correction}」は L・M・Q・H のいずれかにしてください",
                f"error correction {self.error_correction!r} must be one of L, M, Q, H",
            )


def medium_label(canonical_id: str, secret: bytes, base_url: str, title: str, kind: str, **options) -> LabelContent:
    """The label of a medium, its QR signed with the installation's secret."""
    return LabelContent(canonical_id, payload.medium_url(canonical_id, secret, base_url), title, kind, **options)


def location_label(canonical_id: str, secret: bytes, base_url: str, name: str, **options) -> LabelContent:
    """The label of a cabinet, safe or room; ``name`` takes the contract name's place."""
    options.setdefault("kind", "保管場所")
    options.setdefault("caption", "")
    return LabelContent(canonical_id, payload.location_url(canonical_id, secret, base_url), name, **options)


class LabelStock(Protocol):
    """A label size: the presets in ``presets.py`` provide these attributes."""

    label_w: float
    label_h: float
    padding_x: float  # printable area starts this far in from the left and right edges
    padding_y: float


class LabelError(ValueError):
    """A label request that cannot be printed as asked; says why in Japanese and English."""

    def __init__(self, message_ja: str, message_en: str):
        super().__init__(f"{message_ja} / {message_en}")
        self.message_ja = message_ja
        self.message_en = message_en


class LabelTooSmall(LabelError):
    """The label cannot hold a QR code (or Code 128) that still scans reliably."""


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    def contains(self, other: Rect, tolerance: float = 1e-6) -> bool:
        return (
            other.x >= self.x - tolerance
            and other.y >= self.y - tolerance
            and other.x + other.w <= self.x + self.w + tolerance
            and other.y + other.h <= self.y + self.h + tolerance
        )


@dataclass(frozen=True)
class TextLine:
    text: str
    x: float
    baseline: float
    size: float  # em height in mm
    bold: bool
    box: Rect  # the line's advance width times its line height: ink stays inside


@dataclass(frozen=True)
class LabelGeometry:
    width: float
    height: float
    printable: Rect  # the label minus the padding its printer cannot print on
    qr_box: Rect  # the symbol including its quiet zone; square
    qr_modules: int  # symbol side in modules, without quiet zone
    qr_rects: tuple[tuple[int, int, int, int], ...]  # dark (col, row, w, h) in modules
    barcode_box: Rect | None = None  # the Code 128 strip including its quiet zones
    barcode_modules: int = 0  # strip width in modules
    barcode_runs: tuple[tuple[int, int], ...] = ()  # bars as (col, width) in modules
    lines: tuple[TextLine, ...] = ()
    text_dropped: bool = False  # the text did not fit beside a scannable QR

    @property
    def module(self) -> float:
        return self.qr_box.w / (self.qr_modules + 2 * QR_QUIET_MODULES)

    @property
    def bars(self) -> tuple[Rect, ...]:
        if self.barcode_box is None:
            return ()
        box, module = self.barcode_box, self.barcode_box.w / self.barcode_modules
        return tuple(Rect(box.x + col * module, box.y, width * module, box.h) for col, width in self.barcode_runs)

    @property
    def qr_origin(self) -> tuple[float, float]:
        """Top-left corner of the first module (inside the quiet zone)."""
        inset = QR_QUIET_MODULES * self.module
        return self.qr_box.x + inset, self.qr_box.y + inset


def layout_label(content: LabelContent, stock: LabelStock) -> LabelGeometry:
    """Place QR, bars and text on a label of ``stock``'s size; raise :class:`LabelTooSmall`."""
    printable = Rect(stock.padding_x, stock.padding_y, stock.label_w - 2 * stock.padding_x, stock.label_h - 2 * stock.padding_y)
    matrix = symbols.qr_matrix(content.qr_text, content.error_correction)
    modules = len(matrix)

    barcode_box, barcode_modules, barcode_runs = None, 0, ()
    upper = printable
    if content.barcode:
        barcode_box, barcode_modules, barcode_runs = _code128(content.id, printable)
        upper = Rect(printable.x, printable.y, printable.w, barcode_box.y - BARCODE_GAP_MM - printable.y)

    side = min(upper.h, upper.w * QR_MAX_SHARE)
    text_dropped = False
    if _module_size(side, modules) < MIN_MODULE_MM:
        side = min(upper.h, upper.w)  # a QR alone on the label is better than no label
        text_dropped = True
    if _module_size(side, modules) < MIN_MODULE_MM:
        raise _qr_too_small(stock, modules, side)
    qr_box = Rect(upper.x, upper.y + (upper.h - side) / 2, side, side)

    lines: tuple[TextLine, ...] = ()
    if not text_dropped:
        column_x = qr_box.x + side + TEXT_GAP_MM
        column = Rect(column_x, upper.y, printable.x + printable.w - column_x, upper.h)
        lines = _fit_text(content, column)
    return LabelGeometry(
        width=stock.label_w,
        height=stock.label_h,
        printable=printable,
        qr_box=qr_box,
        qr_modules=modules,
        qr_rects=tuple(symbols.dark_rectangles(matrix)),
        barcode_box=barcode_box,
        barcode_modules=barcode_modules,
        barcode_runs=barcode_runs,
        lines=lines,
        text_dropped=text_dropped,
    )


def smallest_label_height(content: LabelContent, padding: float = 1.5) -> float:
    """Label height (mm) below which ``content``'s QR would come out under MIN_MODULE_MM."""
    modules = len(symbols.qr_matrix(content.qr_text, content.error_correction))
    return (modules + 2 * QR_QUIET_MODULES) * MIN_MODULE_MM + 2 * padding


# --- helpers ---------------------------------------------------------------------------------


def _module_size(side: float, modules: int) -> float:
    return side / (modules + 2 * QR_QUIET_MODULES)


def _qr_too_small(stock: LabelStock, modules: int, side: float) -> LabelTooSmall:
    need = (modules + 2 * QR_QUIET_MODULES) * MIN_MODULE_MM
    return LabelTooSmall(
        f"ラベル（{stock.label_w:g}×{stock.label_h:g} mm）が小さすぎます。QRコードのセルが"
        f"{_module_size(side, modules):.2f} mmになり、確実に読み取れる最小値 {MIN_MODULE_MM} mm を下回ります"
        f"（QRコードに {need:.1f} mm 角の印刷領域が必要です）",
        f"label ({stock.label_w:g} x {stock.label_h:g} mm) is too small: QR modules would be "
        f"{_module_size(side, modules):.2f} mm, below the {MIN_MODULE_MM} mm that scans reliably "
        f"(the QR code needs a printable square of {need:.1f} mm)",
    )


def _code128(text: str, printable: Rect) -> tuple[Rect, int, tuple[tuple[int, int], ...]]:
    """The Code 128 strip along the bottom: its box, width in modules and bars."""
    modules = symbols.code128_modules(text)
    total = len(modules) + 2 * CODE128_QUIET_MODULES
    if printable.w / total < MIN_BAR_MM:
        need = total * MIN_BAR_MM + 2 * printable.x
        raise LabelTooSmall(
            f"ラベルの幅が足りずバーコード（Code 128）を印刷できません。幅 {need:.1f} mm 以上のラベルを使うか、バーコードなしにしてください",
            f"label too narrow for the Code 128 barcode: use a label at least {need:.1f} mm wide, or no barcode",
        )
    height = min(max(printable.h * BARCODE_HEIGHT_SHARE, BARCODE_HEIGHT_MM[0]), BARCODE_HEIGHT_MM[1])
    box = Rect(printable.x, printable.y + printable.h - height, printable.w, height)
    runs = tuple((CODE128_QUIET_MODULES + col, width) for col, width in symbols.runs(modules))
    return box, total, runs


@dataclass(frozen=True)
class _Field:
    text: str
    bold: bool
    share: float  # preferred em height as a share of the column height
    max_size: float  # mm
    max_lines: int


_SCALES = [0.9**step for step in range(30)]


def _fit_text(content: LabelContent, column: Rect) -> tuple[TextLine, ...]:
    """Largest sizes at which everything fits whole; else the rest at MIN_TEXT_MM, cut with '…'.

    When even the smallest type does not hold the text, the ID keeps as much of its size as the
    column allows (it is what people read and type); then the title loses lines, and finally
    kind, title and caption are left off in that order.
    """
    # The ID is the human fallback when the QR fails: it is shrunk to fit, never cut.
    id_limit = column.w / fonts.text_width(content.id, 1.0, bold=True)
    if min(id_limit, column.h / LINE_HEIGHT) < MIN_TEXT_MM:
        return ()
    for fields in _fallbacks(content):
        for cutting in (False, True):
            for scale in _SCALES:
                sizes = _sizes(fields, column.h, id_limit, scale, rest_at_minimum=cutting)
                wrapped, whole = zip(*(_wrap(f.text, size, f.bold, column.w, f.max_lines) for f, size in zip(fields, sizes)))
                height = sum(len(lines) * size * LINE_HEIGHT for lines, size in zip(wrapped, sizes))
                if height <= column.h and (cutting or all(whole)):
                    return _place(fields, sizes, wrapped, column, height)
                if all(size <= MIN_TEXT_MM for size in sizes):
                    break
    return ()


def _sizes(fields: list[_Field], height: float, id_limit: float, scale: float, rest_at_minimum: bool) -> list[float]:
    id_field = fields[0]
    id_size = max(MIN_TEXT_MM, min(id_field.max_size, id_field.share * height, id_limit) * scale)
    if rest_at_minimum:
        return [id_size] + [MIN_TEXT_MM] * (len(fields) - 1)
    # Nothing is set larger than the ID, which must stand out.
    return [id_size] + [max(MIN_TEXT_MM, min(f.max_size, f.share * height, TEXT_TO_ID * id_size) * scale) for f in fields[1:]]


def _fallbacks(content: LabelContent):
    """The fields to try, ID first: all, then fewer title lines, then without kind, title, caption."""
    fields = {
        "id": _Field(content.id, True, 0.34, 7.0, 1),
        "title": _Field(content.title, False, 0.2, 4.5, 3),
        "kind": _Field(content.kind, False, 0.17, 4.0, 1),
        "caption": _Field(content.caption, True, 0.17, 4.0, 1),
    }
    fields = {name: f for name, f in fields.items() if f.text.strip()}
    for title_lines in (3, 2, 1):
        if "title" in fields:
            fields["title"] = dataclasses.replace(fields["title"], max_lines=title_lines)
        yield list(fields.values())
    for name in ("kind", "title", "caption"):
        if fields.pop(name, None) is not None:
            yield list(fields.values())


def _place(fields, sizes, wrapped, column: Rect, height: float) -> tuple[TextLine, ...]:
    placed = []
    top = column.y + (column.h - height) / 2  # centred beside the QR
    for f, size, lines in zip(fields, sizes, wrapped):
        for text in lines:
            line_h = size * LINE_HEIGHT
            baseline = top + (line_h - size) / 2 + fonts.ASCENT * size
            width = fonts.text_width(text, size, f.bold)
            placed.append(TextLine(text, column.x, baseline, size, f.bold, Rect(column.x, top, width, line_h)))
            top += line_h
    return tuple(placed)


def _wrap(text: str, size: float, bold: bool, width: float, max_lines: int) -> tuple[list[str], bool]:
    """Break into at most ``max_lines`` lines no wider than ``width``; False if text was cut.

    Japanese breaks between any two characters; a space is preferred as the break when there is
    one in the second half of the line, so that Latin words stay whole. A cut ends with '…'.
    """
    lines: list[str] = []
    rest = " ".join(text.split())
    while rest:
        count = _fitting_prefix(rest, size, bold, width)
        if count == len(rest):
            return lines + [rest], True
        if len(lines) == max_lines - 1:
            count = _fitting_prefix(rest, size, bold, width - fonts.text_width(ELLIPSIS, size, bold))
            return lines + [rest[:count].rstrip() + ELLIPSIS], False
        space = rest.rfind(" ", count // 2, count + 1)
        if space > 0:
            count = space
        if count == 0:
            return lines, False
        lines.append(rest[:count].rstrip())
        rest = rest[count:].lstrip()
    return lines, True


def _fitting_prefix(text: str, size: float, bold: bool, width: float) -> int:
    """Number of leading characters of ``text`` whose advance fits in ``width``."""
    ends = list(itertools.accumulate(fonts.text_width(char, size, bold) for char in text))
    return bisect.bisect_right(ends, width + 1e-9)
