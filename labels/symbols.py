"""The machine-readable symbols on a label as module grids: QR code and Code 128.

Encoding is left to the ``qrcode`` and ``python-barcode`` libraries; this module only takes
their module patterns, so that every painter draws them as exact rectangles.

The one thing done here instead of in ``qrcode``: choosing the mask. ``qrcode`` builds the
symbol eight times to score each mask (ISO/IEC 18004 §7.8.3), which is 80 % of the time of a
1,000-label sheet. :func:`qr_matrix` builds it once, derives the eight candidates by XOR-ing
the mask patterns over the data modules, and scores them together with numpy: the same
penalty rules, the same choice (``test_labels_render.py`` compares it with ``qrcode``'s own),
in about a third of the time.
"""

from __future__ import annotations

import functools
import itertools

import barcode as python_barcode
import numpy as np
import qrcode
from numpy.lib.stride_tricks import sliding_window_view
from qrcode import constants

ERROR_CORRECTION = {
    "L": constants.ERROR_CORRECT_L,
    "M": constants.ERROR_CORRECT_M,
    "Q": constants.ERROR_CORRECT_Q,
    "H": constants.ERROR_CORRECT_H,
}


def qr_matrix(text: str, error_correction: str = "M") -> list[list[bool]]:
    """The QR symbol's modules (True = dark), without quiet zone, in the smallest version that fits."""
    code = _FastMaskQRCode(error_correction=ERROR_CORRECTION[error_correction], border=0)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def code128_modules(text: str) -> list[bool]:
    """Code 128 modules of ``text`` (True = bar), start to stop character, without quiet zones."""
    return [bit == "1" for bit in python_barcode.Code128(text).build()[0]]


def runs(cells: list[bool]):
    """(start, length) of each run of True in ``cells``."""
    start = 0
    for dark, group in itertools.groupby(cells):
        length = len(list(group))
        if dark:
            yield start, length
        start += length


def dark_rectangles(matrix: list[list[bool]]):
    """Cover the dark modules with few (col, row, width, height) rectangles.

    Horizontal runs, stacked where the next row repeats them: a third fewer shapes than runs
    alone, which keeps PDFs small and fast to write.
    """
    open_rects: dict[tuple[int, int], list[int]] = {}  # (col, width) -> [col, row, width, height]
    for row, cells in enumerate(matrix):
        row_runs = set(runs(cells))
        for key in list(open_rects):
            if key not in row_runs:
                yield tuple(open_rects.pop(key))
        for col, width in row_runs:
            if (col, width) in open_rects:
                open_rects[(col, width)][3] += 1
            else:
                open_rects[(col, width)] = [col, row, width, 1]
    yield from (tuple(rect) for rect in open_rects.values())


def mask_penalties(symbols: np.ndarray) -> np.ndarray:
    """ISO/IEC 18004 mask penalty (N1 + N2 + N3 + N4) of each symbol in a (k, n, n) bool stack.

    Scores exactly as ``qrcode.util.lost_point`` does, for k symbols at once.
    """
    count, size, _ = symbols.shape
    lines = np.concatenate([symbols, symbols.transpose(0, 2, 1)], axis=1)  # rows, then columns

    # N1: every run of 5 or more equal modules in a row or column costs its length - 2.
    bounds = np.ones(lines.shape[:2] + (size + 1,), dtype=bool)
    bounds[:, :, 1:-1] = lines[:, :, 1:] != lines[:, :, :-1]
    owner, _, position = np.nonzero(bounds)
    lengths = np.diff(position)  # negative across line ends, so filtered out below
    long_runs = lengths >= 5
    n1 = np.bincount(owner[1:][long_runs], weights=lengths[long_runs] - 2, minlength=count)

    # N2: each 2 x 2 block of one colour costs 3.
    corner = symbols[:, :-1, :-1]
    same = (corner == symbols[:, 1:, :-1]) & (corner == symbols[:, :-1, 1:]) & (corner == symbols[:, 1:, 1:])
    n2 = 3 * same.sum(axis=(1, 2))

    # N3: a finder-like 1:1:3:1:1 with four light modules on either side costs 40.
    windows = sliding_window_view(lines, 11, axis=2)
    finder_like = (windows == _FINDER_LEFT).all(axis=-1) | (windows == _FINDER_RIGHT).all(axis=-1)
    n3 = 40 * finder_like.sum(axis=(1, 2))

    # N4: 10 for every full 5 % the dark share departs from 50 %.
    dark_share = symbols.sum(axis=(1, 2)) / size**2
    n4 = 10 * np.floor(np.abs(dark_share * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


# --- helpers ---------------------------------------------------------------------------------

_FINDER_LEFT = np.array([1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0], dtype=bool)
_FINDER_RIGHT = _FINDER_LEFT[::-1].copy()


class _FastMaskQRCode(qrcode.QRCode):
    """``qrcode.QRCode`` scoring its eight mask candidates in one numpy pass."""

    def map_data(self, data, mask_pattern):
        # Cells still empty after the function patterns and format/version areas are data cells.
        self._data_cells = np.array([[cell is None for cell in row] for row in self.modules])
        super().map_data(data, mask_pattern)

    def best_mask_pattern(self):
        self.makeImpl(True, 0)  # test mode: format bits left light, as qrcode scores them
        masks = _mask_patterns(self.modules_count)
        unmasked = np.array(self.modules, dtype=bool) ^ (self._data_cells & masks[0])
        candidates = unmasked[None] ^ (self._data_cells[None] & masks)
        return int(np.argmin(mask_penalties(candidates)))  # first of equals, as qrcode does


@functools.cache
def _mask_patterns(size: int) -> np.ndarray:
    """The eight data masks of ISO/IEC 18004 Table 10 for a size x size symbol (True = invert)."""
    i, j = np.indices((size, size))
    return np.array(
        [
            (i + j) % 2 == 0,
            i % 2 == 0,
            j % 3 == 0,
            (i + j) % 3 == 0,
            (i // 2 + j // 3) % 2 == 0,
            (i * j) % 2 + (i * j) % 3 == 0,
            ((i * j) % 2 + (i * j) % 3) % 2 == 0,
            ((i * j) % 3 + (i + j) % 2) % 2 == 0,
        ]
    )
