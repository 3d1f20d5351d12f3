"""Label stocks: roll/tape printers for single labels, and A4 sheets for office printers.

All dimensions are millimetres. ``padding_x`` / ``padding_y`` is the strip along each edge of a
label that the layout leaves empty: the printer's unprintable margin on tape and roll labels,
feed tolerance on sheets.

Roll and tape (one label per page, page size = label size; landscape pages are rotated to the
media by CUPS, as for any landscape document):

=========  ===========  ===  ==================================================================
name       label (mm)   dpi  stock
=========  ===========  ===  ==================================================================
ql-62      62 x 29      300  Brother QL, DK-11209 die-cut 62 x 29, or 62 mm DK-22205 cut at 29;
                             printable 696 x 271 dots, hence 1.6 / 3.0 mm padding
ql-29      90 x 29      300  Brother QL, DK-11201 die-cut 29 x 90 (address label), landscape
tape-24    70 x 24      180  P-touch class 24 mm laminated tape (PT-P710BT): 128-dot head, so
                             18 mm of the 24 mm are printable
tape-36    90 x 36      360  36 mm tape (P-touch PT-P900W/P950NW, TEPRA PRO class), ~30 mm
                             printable
=========  ===========  ===  ==================================================================

A4 sheets (rows x cols, label, top / left margin, column / row gap):

=======  ========  ============  ===============  =========  ===================================
name     grid      label (mm)    margins (mm)     gaps (mm)  stock
=======  ========  ============  ===============  =========  ===================================
a4-12    6 x 2     86.4 x 42.3   21.6 / 16.3      4.6 / 0    the common Japanese 12-up (A-ONE
                                                             28172 class)
a4-24    8 x 3     70 x 33.9     12.9 / 0         0 / 0      the common Japanese 24-up (A-ONE
                                                             28185, ELECOM class); the labels
                                                             reach the page's sides, so 4.5 mm
                                                             side padding keeps print in range
l7160    7 x 3     63.5 x 38.1   15.15 / 7.25     2.5 / 0    Avery L7160 (J8160), 21-up
l7651    13 x 5    38.1 x 21.2   10.7 / 4.75      2.5 / 0    Avery L7651 (J8651), 65-up
=======  ========  ============  ===============  =========  ===================================

A custom sheet is written ``custom:COLSxROWS:WxH[:margins=TOP,LEFT][:gaps=X,Y][:padding=P|X,Y]
[:page=a4|letter|WxH]``, grid across x down like the label's width x height, e.g.
``custom:3x8:70x33.9:margins=12.9,0:gaps=0,0``; without ``margins`` the grid is centred.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from labels.design import LabelError

A4 = (210.0, 297.0)
LETTER = (215.9, 279.4)
_PAGES = {"a4": A4, "letter": LETTER}
_TOLERANCE = 0.05  # mm; sheet makers round their figures to 0.1 mm


class PresetError(LabelError):
    """An unknown preset name or an impossible custom layout."""


@dataclass(frozen=True)
class SheetLayout:
    """A sheet of ``rows`` x ``cols`` labels; slots are numbered 1.. row by row."""

    rows: int
    cols: int
    label_w: float
    label_h: float
    margin_top: float
    margin_left: float
    gap_x: float = 0.0
    gap_y: float = 0.0
    page: tuple[float, float] = A4
    padding_x: float = 1.5
    padding_y: float = 1.5
    name: str = "custom"
    description_ja: str = "カスタム"
    description_en: str = "custom sheet"
    dpi: int = 300  # for a PNG of one label of this size

    kind = "sheet"

    def __post_init__(self):
        numbers = (self.label_w, self.label_h, self.margin_top, self.margin_left, self.gap_x, self.gap_y)
        if self.rows < 1 or self.cols < 1 or self.label_w <= 0 or self.label_h <= 0 or min(numbers) < 0:
            raise PresetError(
                f"ラベルシート「{self.name}」の寸法が不正です（行・列は1以上、寸法は正、余白・間隔は0以上）",
                f"label sheet {self.name!r} has invalid dimensions (rows and columns >= 1, sizes > 0, margins and gaps >= 0)",
            )
        right = self.margin_left + self.cols * self.label_w + (self.cols - 1) * self.gap_x
        bottom = self.margin_top + self.rows * self.label_h + (self.rows - 1) * self.gap_y
        if right > self.page[0] + _TOLERANCE or bottom > self.page[1] + _TOLERANCE:
            raise PresetError(
                f"ラベルシート「{self.name}」が用紙（{self.page[0]:g}×{self.page[1]:g} mm）からはみ出します"
                f"（右端 {right:.1f} mm、下端 {bottom:.1f} mm）",
                f"label sheet {self.name!r} does not fit on the {self.page[0]:g} x {self.page[1]:g} mm page "
                f"(right edge {right:.1f} mm, bottom edge {bottom:.1f} mm)",
            )
        if 2 * self.padding_x >= self.label_w or 2 * self.padding_y >= self.label_h:
            raise PresetError(
                f"ラベルシート「{self.name}」の内側余白がラベルより大きくなっています",
                f"label sheet {self.name!r}: padding leaves no room on the label",
            )

    @property
    def per_sheet(self) -> int:
        return self.rows * self.cols

    def slot_origin(self, index: int) -> tuple[float, float]:
        """Top-left corner of slot ``index`` (0-based, row-major) on the page."""
        row, col = divmod(index, self.cols)
        return (
            self.margin_left + col * (self.label_w + self.gap_x),
            self.margin_top + row * (self.label_h + self.gap_y),
        )


@dataclass(frozen=True)
class RollPreset:
    """A label printed on its own page the size of the label (roll or tape printers)."""

    name: str
    label_w: float
    label_h: float
    dpi: int
    padding_x: float
    padding_y: float
    description_ja: str
    description_en: str

    kind = "roll"


Preset = SheetLayout | RollPreset

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in [
        RollPreset("ql-62", 62, 29, 300, 1.6, 3.0, "Brother QL 62mm幅（62×29 mm）", "Brother QL, 62 mm (62 x 29 mm)"),
        RollPreset("ql-29", 90, 29, 300, 3.0, 1.6, "Brother QL 29mm幅（29×90 mm 宛名ラベル）", "Brother QL, 29 mm (29 x 90 mm address label)"),
        RollPreset("tape-24", 70, 24, 180, 2.0, 3.0, "ラベルテープ 24mm幅（P-touch等、長さ70 mm）", "24 mm label tape (P-touch class), 70 mm long"),
        RollPreset("tape-36", 90, 36, 360, 2.0, 3.0, "ラベルテープ 36mm幅（P-touch・テプラ等、長さ90 mm）", "36 mm label tape (P-touch / TEPRA class), 90 mm long"),
        SheetLayout(6, 2, 86.4, 42.3, 21.6, 16.3, gap_x=4.6, name="a4-12",
                    description_ja="A4 12面（86.4×42.3 mm）", description_en="A4 12-up, 86.4 x 42.3 mm"),
        SheetLayout(8, 3, 70, 33.9, 12.9, 0, padding_x=4.5, name="a4-24",
                    description_ja="A4 24面（70×33.9 mm）", description_en="A4 24-up, 70 x 33.9 mm"),
        SheetLayout(7, 3, 63.5, 38.1, 15.15, 7.25, gap_x=2.5, name="l7160",
                    description_ja="Avery L7160（A4 21面 63.5×38.1 mm）", description_en="Avery L7160, A4 21-up, 63.5 x 38.1 mm"),
        SheetLayout(13, 5, 38.1, 21.2, 10.7, 4.75, gap_x=2.5, name="l7651",
                    description_ja="Avery L7651（A4 65面 38.1×21.2 mm）", description_en="Avery L7651, A4 65-up, 38.1 x 21.2 mm"),
    ]
}

CUSTOM_SYNTAX = "custom:COLSxROWS:WxH[:margins=TOP,LEFT][:gaps=X,Y][:padding=P|X,Y][:page=a4|letter|WxH]"


def list_presets() -> list[Preset]:
    """All named presets, roll presets first, in the order to offer them."""
    return list(PRESETS.values())


def get_preset(name: str | Preset) -> Preset:
    """The preset called ``name`` (case-insensitive), or a ``custom:...`` sheet; else PresetError."""
    if isinstance(name, (SheetLayout, RollPreset)):
        return name
    key = name.strip().lower()
    if key.startswith("custom:"):
        return parse_custom(key)
    if key not in PRESETS:
        valid = ", ".join(PRESETS)
        raise PresetError(
            f"ラベルのプリセット「{name}」はありません。使えるもの: {valid}、または {CUSTOM_SYNTAX}",
            f"no label preset {name!r}; valid presets: {valid}, or {CUSTOM_SYNTAX}",
        )
    return PRESETS[key]


def parse_custom(text: str) -> SheetLayout:
    """Read ``custom:3x8:70x33.9:margins=12.9,0:gaps=0,0`` (see the module docstring)."""
    parts = text.strip().lower().split(":")
    if len(parts) < 3 or parts[0] != "custom":
        raise _syntax_error(text, "形式が違います", "wrong form")
    cols, rows = _pair(text, parts[1], int)
    label_w, label_h = _pair(text, parts[2], float)
    options: dict[str, str] = {}
    for part in parts[3:]:
        key, equals, value = part.partition("=")
        if not equals or key not in ("margins", "gaps", "padding", "page"):
            raise _syntax_error(text, f"「{part}」は使えない指定です", f"unknown option {part!r}")
        options[key] = value
    page = _PAGES.get(options.get("page", "a4")) or _pair(text, options["page"], float, sep="x")
    gap_x, gap_y = _pair(text, options["gaps"], float, sep=",") if "gaps" in options else (0.0, 0.0)
    if "margins" in options:
        margin_top, margin_left = _pair(text, options["margins"], float, sep=",")
    else:
        margin_left = (page[0] - cols * label_w - (cols - 1) * gap_x) / 2
        margin_top = (page[1] - rows * label_h - (rows - 1) * gap_y) / 2
    padding = options.get("padding", "1.5")
    padding_x, padding_y = _pair(text, padding, float, sep=",") if "," in padding else (float(_number(text, padding, float)),) * 2
    return SheetLayout(
        rows, cols, label_w, label_h, margin_top, margin_left, gap_x, gap_y, page, padding_x, padding_y,
        name=text.strip(), description_ja=f"カスタム {cols}×{rows}面（{label_w:g}×{label_h:g} mm）",
        description_en=f"custom {cols} x {rows}, {label_w:g} x {label_h:g} mm",
    )


# --- helpers ---------------------------------------------------------------------------------


def _pair(text: str, value: str, kind, sep: str = "x"):
    items = value.split(sep)
    if len(items) != 2:
        raise _syntax_error(text, f"「{value}」は「a{sep}b」の形にしてください", f"{value!r} must be of the form a{sep}b")
    return tuple(_number(text, item, kind) for item in items)


def _number(text: str, value: str, kind):
    if not re.fullmatch(r"\d+" if kind is int else r"\d+(\.\d+)?", value.strip()):
        raise _syntax_error(text, f"「{value}」は数値ではありません", f"{value!r} is not a number")
    return kind(value)


def _syntax_error(text: str, reason_ja: str, reason_en: str) -> PresetError:
    return PresetError(
        f"カスタムラベル指定「{text}」を読めません: {reason_ja}。書式: {CUSTOM_SYNTAX}（例: custom:3x8:70x33.9:margins=12.9,0）",
        f"cannot read custom label layout {text!r}: {reason_en}. Syntax: {CUSTOM_SYNTAX} (e.g. custom:3x8:70x33.9:margins=12.9,0)",
    )
