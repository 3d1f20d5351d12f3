"""The Japanese font every label and PDF of mediatrail is set in: Noto Sans CJK JP.

The OpenType (CFF) files come from the PyPI packages ``noto-cjk-sans-jp-regular`` and
``noto-cjk-sans-jp-bold`` (SIL Open Font License), so a plain ``pip install`` is enough: no system
font, no download at run time. Label layout measures text with :func:`text_width` from the same
file the PDF embeds and Pillow draws with, so what fits on paper fits in every output.
"""

from __future__ import annotations

import functools
import importlib.resources
import pathlib

FAMILY = "NotoJP"  # the name under which add_japanese_font registers the font on an FPDF
SVG_FAMILY = "'Noto Sans CJK JP', 'Noto Sans JP', sans-serif"

# Where the glyphs sit in the em square (OS/2 typo metrics of Noto Sans CJK): CJK ideographs fill
# -0.12 .. 0.88 em around the baseline, which is what layout needs to keep ink inside a box.
ASCENT = 0.88
DESCENT = 0.12

_PACKAGES = {
    False: ("noto_cjk_sans_jp_regular", "NotoSansCJKjp-Regular.otf", "noto-cjk-sans-jp-regular"),
    True: ("noto_cjk_sans_jp_bold", "NotoSansCJKjp-Bold.otf", "noto-cjk-sans-jp-bold"),
}


class FontMissing(RuntimeError):
    """The Noto Sans CJK JP package is not installed."""

    def __init__(self, distribution: str):
        self.message_ja = (
            f"日本語フォント（Noto Sans CJK JP）が見つかりません。"
            f"`pip install {distribution}` でインストールしてください"
        )
        self.message_en = (
            f"Japanese font (Noto Sans CJK JP) not found; install it with `pip install {distribution}`"
        )
        super().__init__(f"{self.message_ja} / {self.message_en}")


@functools.cache
def font_path(bold: bool = False) -> pathlib.Path:
    """Path of the Noto Sans CJK JP OpenType file (regular or bold) shipped on PyPI."""
    package, filename, distribution = _PACKAGES[bool(bold)]
    try:
        path = pathlib.Path(str(importlib.resources.files(package) / filename))
    except ModuleNotFoundError:
        raise FontMissing(distribution) from None
    if not path.is_file():
        raise FontMissing(distribution)
    return path


def add_japanese_font(pdf) -> str:
    """Register Noto Sans CJK JP regular and bold on an fpdf2 ``FPDF`` as :data:`FAMILY`.

    Afterwards ``pdf.set_font("NotoJP", size=10)`` and ``pdf.set_font("NotoJP", "B", 10)`` work;
    fpdf2 embeds only the glyphs the document uses. Returns the family name.
    """
    if FAMILY.lower() not in pdf.fonts:  # fpdf2 keys fonts by lower-case family + style
        pdf.add_font(FAMILY, "", str(font_path(False)))
        pdf.add_font(FAMILY, "B", str(font_path(True)))
    return FAMILY


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Advance width of ``text`` set at ``size`` (em height, any unit; the result is in that unit)."""
    advances = _advances(bool(bold))
    missing = advances.get(0xFFFD, 1.0)
    return size * sum(advances.get(ord(char), missing) for char in text)


@functools.cache
def _advances(bold: bool) -> dict[int, float]:
    # Only cmap and hmtx are read (lazily), so this costs ~0.1 s once per process, not per label.
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path(bold)), lazy=True) as font:
        units = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        return {code: metrics[glyph][0] / units for code, glyph in font.getBestCmap().items()}
