"""Single labels as PNG (for a label printer's own software or a preview) and SVG (for the web).

Both paint the geometry of :func:`labels.design.layout_label`, as the PDF does. The PNG is drawn
at the printer's resolution with every QR module and Code 128 bar a whole number of pixels:
scaling a QR by a fractional factor makes modules of uneven width, which is how raster QR codes
become unreadable on small thermal labels.
"""

from __future__ import annotations

import functools
import io
import math
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw, ImageFont

from labels import fonts
from labels.design import QR_QUIET_MODULES, LabelContent, LabelGeometry, LabelTooSmall, layout_label
from labels.presets import Preset, get_preset

MIN_MODULE_PX = 2  # one-pixel modules vanish in any printer's dot gain


def render_png(content: LabelContent, preset_name: str | Preset = "ql-62", dpi: int | None = None) -> bytes:
    """The label as a greyscale PNG at ``dpi`` (default: the preset's printer resolution)."""
    preset = get_preset(preset_name)
    dpi = dpi or preset.dpi
    geometry = layout_label(content, preset)
    return encode_png(paint_png(geometry, dpi), dpi)


def render_svg(content: LabelContent, preset_name: str | Preset = "ql-62") -> str:
    """The label as an SVG document sized in millimetres; the QR code is a single ``<path>``."""
    geometry = layout_label(content, get_preset(preset_name))
    return paint_svg(geometry)


def paint_png(geometry: LabelGeometry, dpi: int) -> Image.Image:
    px = dpi / 25.4
    image = Image.new("L", (round(geometry.width * px), round(geometry.height * px)), 255)
    draw = ImageDraw.Draw(image)
    module, (left, top) = qr_pixel_grid(geometry, dpi)
    for col, row, width, height in geometry.qr_rects:
        x, y = left + col * module, top + row * module
        draw.rectangle((x, y, x + width * module - 1, y + height * module - 1), fill=0)
    if geometry.barcode_box is not None:
        box = geometry.barcode_box
        bar = math.floor(box.w * px / geometry.barcode_modules)
        if bar < 1:
            raise LabelTooSmall(
                f"{dpi} dpi ではバーコードのバーが1ピクセル未満になります。解像度を上げてください",
                f"at {dpi} dpi Code 128 bars would be under one pixel; use a higher resolution",
            )
        x0 = round(box.x * px + (box.w * px - bar * geometry.barcode_modules) / 2)
        y0, y1 = round(box.y * px), round((box.y + box.h) * px) - 1
        for col, width in geometry.barcode_runs:
            draw.rectangle((x0 + col * bar, y0, x0 + (col + width) * bar - 1, y1), fill=0)
    for line in geometry.lines:
        font = _pillow_font(line.bold, round(line.size * px, 1))
        draw.text((line.x * px, line.baseline * px), line.text, font=font, fill=0, anchor="ls")
    return image


def qr_pixel_grid(geometry: LabelGeometry, dpi: int) -> tuple[int, tuple[int, int]]:
    """Whole-pixel module size, floor(available / modules), and the first module's pixel position."""
    px = dpi / 25.4
    box = geometry.qr_box
    span = geometry.qr_modules + 2 * QR_QUIET_MODULES
    available = math.floor(box.w * px + 1e-6)
    module = available // span
    if module < MIN_MODULE_PX:
        raise LabelTooSmall(
            f"{dpi} dpi ではQRコードのセルが {MIN_MODULE_PX} ピクセル未満になります。解像度を上げてください",
            f"at {dpi} dpi a QR module would be under {MIN_MODULE_PX} pixels; use a higher resolution",
        )
    centring = (available - module * span) // 2
    return module, (
        math.floor(box.x * px) + centring + QR_QUIET_MODULES * module,
        math.floor(box.y * px) + centring + QR_QUIET_MODULES * module,
    )


def encode_png(image: Image.Image, dpi: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def paint_svg(geometry: LabelGeometry) -> str:
    width, height = f"{geometry.width:g}", f"{geometry.height:g}"
    (left, top), module = geometry.qr_origin, geometry.module
    qr_path = "".join(f"M{col} {row}h{w}v{h}h-{w}z" for col, row, w, h in geometry.qr_rects)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" viewBox="0 0 {width} {height}">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        # Module units keep the path short; crispEdges stops viewers blurring module edges.
        f'<path class="qr" transform="translate({left:.4f} {top:.4f}) scale({module:.5f})" '
        f'fill="#000" shape-rendering="crispEdges" d="{qr_path}"/>',
    ]
    if geometry.barcode_box is not None:
        box = geometry.barcode_box
        bars = "".join(f"M{col} 0h{w}v1h-{w}z" for col, w in geometry.barcode_runs)
        parts.append(
            f'<path class="code128" transform="translate({box.x:.4f} {box.y:.4f}) '
            f'scale({box.w / geometry.barcode_modules:.5f} {box.h:.4f})" fill="#000" shape-rendering="crispEdges" d="{bars}"/>'
        )
    family = quoteattr(fonts.SVG_FAMILY)
    for line in geometry.lines:
        weight = ' font-weight="bold"' if line.bold else ""
        parts.append(
            f'<text x="{line.x:.3f}" y="{line.baseline:.3f}" font-size="{line.size:.3f}" '
            f"font-family={family}{weight}>{escape(line.text)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


@functools.cache
def _pillow_font(bold: bool, size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.font_path(bold)), size_px)
