"""Labels as PDF: A4 sheets of die-cut labels, or one page per label for roll and tape printers.

The PDF is vector: QR modules and Code 128 bars are filled rectangles, text is set in Noto Sans
CJK JP (embedded as a subset by fpdf2), so the printer's own resolution decides the edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from fpdf import FPDF

from labels import fonts
from labels.design import LabelContent, LabelError, LabelGeometry, layout_label
from labels.presets import Preset, RollPreset, SheetLayout, get_preset

PT_PER_MM = 72 / 25.4
DEFAULT_TITLE = "mediatrail ラベル / labels"


@dataclass(frozen=True)
class Slot:
    page: int  # 0-based
    position: int  # 1-based on its sheet, row-major, as printed on the sheet's packaging
    x: float  # top-left corner on the page, mm
    y: float


def render_pdf(contents: list[LabelContent], preset: str | Preset, start_position: int = 1, **options) -> bytes:
    """Sheet or roll PDF, whichever ``preset`` is (``start_position`` only applies to sheets)."""
    preset = get_preset(preset)
    if isinstance(preset, RollPreset):
        return render_roll_pdf(contents, preset, **options)
    return render_sheet_pdf(contents, preset, start_position, **options)


def render_sheet_pdf(
    contents: list[LabelContent],
    layout: str | SheetLayout = "a4-24",
    start_position: int = 1,
    *,
    title: str = DEFAULT_TITLE,
    created: datetime | None = None,
    outline: bool = False,
) -> bytes:
    """A4 (or the layout's page) PDF filling slots from ``start_position`` on, as many pages as needed.

    ``start_position`` (1-based, row by row) lets a half-used sheet go through the printer again.
    ``outline`` draws each label's edge in light grey, for a test print on plain paper.
    """
    layout = get_preset(layout)
    if not isinstance(layout, SheetLayout):
        raise LabelError(
            f"「{layout.name}」はロール・テープ用です。シートではなくロールとして印刷してください",
            f"{layout.name!r} is a roll/tape preset; print it as a roll, not a sheet",
        )
    slots = sheet_slots(len(contents), layout, start_position)
    # Lay every label out before the first page, so a label that cannot be printed fails fast.
    geometries = [layout_label(content, layout) for content in contents]
    pdf = _new_pdf(layout.page, title, created)
    page = None
    for slot, geometry in zip(slots, geometries):
        if slot.page != page:
            pdf.add_page()
            page = slot.page
        _paint(pdf, geometry, slot.x, slot.y, outline)
    return bytes(pdf.output())


def render_roll_pdf(
    contents: list[LabelContent],
    preset: str | Preset = "ql-62",
    *,
    title: str = DEFAULT_TITLE,
    created: datetime | None = None,
    outline: bool = False,
) -> bytes:
    """One page per label, the page the size of the label, for roll and tape printers."""
    preset = get_preset(preset)
    _require_labels(contents)
    geometries = [layout_label(content, preset) for content in contents]
    pdf = _new_pdf((preset.label_w, preset.label_h), title, created)
    for geometry in geometries:
        pdf.add_page()
        _paint(pdf, geometry, 0.0, 0.0, outline)
    return bytes(pdf.output())


def sheet_slots(count: int, layout: SheetLayout, start_position: int = 1) -> list[Slot]:
    """Where ``count`` labels go, starting at ``start_position``; raises LabelError when out of range."""
    _require_labels(range(count))
    if not isinstance(start_position, int) or not 1 <= start_position <= layout.per_sheet:
        raise LabelError(
            f"開始位置 {start_position} はシート「{layout.name}」の範囲外です（1〜{layout.per_sheet}）",
            f"start position {start_position} is outside sheet {layout.name!r} (1 to {layout.per_sheet})",
        )
    slots = []
    for number in range(start_position - 1, start_position - 1 + count):
        page, index = divmod(number, layout.per_sheet)
        x, y = layout.slot_origin(index)
        slots.append(Slot(page, index + 1, x, y))
    return slots


# --- helpers ---------------------------------------------------------------------------------


def _require_labels(contents) -> None:
    if len(contents) == 0:
        raise LabelError("印刷するラベルがありません", "no labels to print")


def _new_pdf(page_size: tuple[float, float], title: str, created: datetime | None) -> FPDF:
    pdf = FPDF(unit="mm", format=page_size)
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_title(title)
    pdf.set_creator("mediatrail")
    pdf.set_lang("ja")
    pdf.set_creation_date(created or datetime.now(timezone.utc))
    fonts.add_japanese_font(pdf)
    return pdf


def _paint(pdf: FPDF, geometry: LabelGeometry, x: float, y: float, outline: bool) -> None:
    """Draw one label with its top-left corner at (x, y) mm on the current page."""
    _fill_modules(pdf, geometry, x, y)
    for line in geometry.lines:
        pdf.set_font(fonts.FAMILY, "B" if line.bold else "", line.size * PT_PER_MM)
        pdf.text(x + line.x, y + line.baseline, line.text)
    if outline:
        pdf.set_draw_color(180)
        pdf.set_line_width(0.1)
        pdf.rect(x, y, geometry.width, geometry.height)


def _fill_modules(pdf: FPDF, geometry: LabelGeometry, x: float, y: float) -> None:
    """QR and bars as one filled path each, written straight into the page's content stream.

    fpdf2's ``rect()`` costs a graphics-state round trip per rectangle and fills each one apart,
    which leaves hairline seams between modules when a PDF viewer or RIP anti-aliases. One path
    per symbol, in a coordinate system where one unit is one module (so that the operands are
    small integers), is both faster and cleaner.
    """
    commands = []
    symbols = [(geometry.qr_origin, geometry.module, geometry.module, geometry.qr_rects)]
    if geometry.barcode_box is not None:
        box = geometry.barcode_box
        bars = tuple((col, 0, width, 1) for col, width in geometry.barcode_runs)
        symbols.append(((box.x, box.y), box.w / geometry.barcode_modules, box.h, bars))
    for (left, top), unit_x, unit_y, rects in symbols:
        # PDF space is in points with y upwards; the matrix maps (col, row) to the page.
        matrix = f"{unit_x * pdf.k:.4f} 0 0 {-unit_y * pdf.k:.4f} {(x + left) * pdf.k:.3f} {(pdf.h - y - top) * pdf.k:.3f} cm"
        path = " ".join(f"{col} {row} {w} {h} re" for col, row, w, h in rects)
        commands.append(f"q {matrix} {path} f Q")
    pdf._out("q 0 g " + " ".join(commands) + " Q")  # noqa: SLF001 - raw path, see docstring
