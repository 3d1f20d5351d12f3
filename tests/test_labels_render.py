"""Label rendering: every preset prints QR codes that two independent decoders read back.

PDFs are rasterised with poppler's ``pdftoppm`` at 300 dpi (office laser, Brother QL) and at
203 dpi (the coarsest thermal label printers), then each label is cut out of the page and read
by zxing-cpp and by ZBar (pyzbar) separately.
"""

from __future__ import annotations

import io
import math
import re
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import qrcode
import zxingcpp
from PIL import Image
from pyzbar import pyzbar

from labels import design, fonts, ids, payload, presets, symbols
from labels.design import LabelContent, LabelTooSmall, layout_label
from labels.render import qr_pixel_grid, render_png, render_svg
from labels.sheets import render_pdf, render_sheet_pdf, sheet_slots

SECRET = b"test-installation-secret-0123456"
BASE = "http://192.168.10.5:8000"
ALL_PRESETS = list(presets.PRESETS)
RASTER_DPI = (300, 203)


def make_labels(count: int, **options) -> list[LabelContent]:
    return [
        design.medium_label(ids.format_id("KG26", serial), SECRET, BASE, "住民基本台帳データ入力業務", "USBメモリ", **options)
        for serial in range(1, count + 1)
    ]


def rasterise(pdf: bytes, dpi: int, tmp_path) -> list[Image.Image]:
    source = tmp_path / "labels.pdf"
    source.write_bytes(pdf)
    prefix = tmp_path / f"page{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(source), str(prefix)], check=True)
    pages = sorted(tmp_path.glob(f"page{dpi}-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
    return [Image.open(page).convert("L") for page in pages]


def read_qr(image: Image.Image) -> tuple[list[str], list[str]]:
    """What zxing-cpp and ZBar each read as QR codes in ``image``."""
    by_zxing = [result.text for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
    by_zbar = [symbol.data.decode() for symbol in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])]
    return by_zxing, by_zbar


def crop_mm(page: Image.Image, dpi: int, x: float, y: float, w: float, h: float) -> Image.Image:
    px = dpi / 25.4
    return page.crop((math.floor(x * px), math.floor(y * px), math.ceil((x + w) * px), math.ceil((y + h) * px)))


def assert_reads_as(image: Image.Image, content: LabelContent) -> None:
    by_zxing, by_zbar = read_qr(image)
    assert by_zxing == [content.qr_text]
    assert by_zbar == [content.qr_text]
    parsed = payload.parse(by_zxing[0], SECRET)
    assert (parsed.medium, parsed.valid, parsed.signed) == (content.id, True, True)


# --- PDF round trip ----------------------------------------------------------------------------


@pytest.mark.parametrize("preset_name", ALL_PRESETS)
def test_every_label_of_every_preset_decodes_from_the_pdf(preset_name, tmp_path):
    preset = presets.get_preset(preset_name)
    if preset.kind == "sheet":
        contents = make_labels(preset.per_sheet + 2)  # a full sheet and the start of the next
        places = [(slot.page, slot.x, slot.y) for slot in sheet_slots(len(contents), preset)]
    else:
        contents = make_labels(2)
        places = [(page, 0.0, 0.0) for page in range(len(contents))]
    pdf = render_pdf(contents, preset_name)
    for dpi in RASTER_DPI:
        pages = rasterise(pdf, dpi, tmp_path)
        assert len(pages) == places[-1][0] + 1
        for content, (page, x, y) in zip(contents, places):
            assert_reads_as(crop_mm(pages[page], dpi, x, y, preset.label_w, preset.label_h), content)


def test_smallest_supported_qr_decodes(tmp_path):
    content = make_labels(1)[0]
    height = design.smallest_label_height(content, padding=1.5)
    layout = presets.SheetLayout(1, 1, 3 * height, height, 20, 20, name="smallest")
    geometry = layout_label(content, layout)
    assert geometry.module == pytest.approx(design.MIN_MODULE_MM)
    assert not geometry.text_dropped
    pdf = render_sheet_pdf([content], layout)
    for dpi in RASTER_DPI:
        assert_reads_as(crop_mm(rasterise(pdf, dpi, tmp_path)[0], dpi, 20, 20, layout.label_w, layout.label_h), content)


def test_label_below_the_smallest_qr_is_refused_in_both_languages():
    content = make_labels(1)[0]
    height = design.smallest_label_height(content, padding=1.5) - 0.3
    with pytest.raises(LabelTooSmall) as refused:
        render_sheet_pdf([content], presets.SheetLayout(1, 1, 3 * height, height, 20, 20))
    assert "mm" in refused.value.message_ja and "too small" in refused.value.message_en
    assert isinstance(refused.value, ValueError)


def test_narrow_label_drops_the_text_to_keep_a_scannable_qr(tmp_path):
    content = make_labels(1)[0]
    side = design.smallest_label_height(content, padding=1.5) + 1
    layout = presets.SheetLayout(1, 1, side + 2, side, 20, 20)  # room for the QR, none beside it
    geometry = layout_label(content, layout)
    assert geometry.text_dropped and geometry.lines == ()
    assert geometry.module >= design.MIN_MODULE_MM
    pdf = render_sheet_pdf([content], layout)
    assert_reads_as(crop_mm(rasterise(pdf, 203, tmp_path)[0], 203, 20, 20, layout.label_w, layout.label_h), content)


@pytest.mark.parametrize("preset_name", ["ql-62", "tape-24", "a4-24"])
def test_code128_option_decodes_to_the_id(preset_name, tmp_path):
    content = make_labels(1, barcode=True)[0]
    preset = presets.get_preset(preset_name)
    pdf = render_pdf([content], preset_name)
    for dpi in RASTER_DPI:
        page = rasterise(pdf, dpi, tmp_path)[0]
        label = crop_mm(page, dpi, *_first_slot(preset), preset.label_w, preset.label_h)
        found = zxingcpp.read_barcodes(label, formats=zxingcpp.BarcodeFormat.Code128)
        assert [(result.format, result.text) for result in found] == [(zxingcpp.BarcodeFormat.Code128, content.id)]
        assert_reads_as(label, content)


def test_code128_that_would_be_too_thin_is_refused():
    with pytest.raises(LabelTooSmall) as refused:
        layout_label(make_labels(1, barcode=True)[0], presets.get_preset("l7651"))
    assert "Code 128" in refused.value.message_en and "バーコード" in refused.value.message_ja


def _first_slot(preset) -> tuple[float, float]:
    return preset.slot_origin(0) if preset.kind == "sheet" else (0.0, 0.0)


def test_error_correction_q_is_available_and_costs_module_size(tmp_path):
    content = make_labels(1, error_correction="Q")[0]
    stock = presets.get_preset("l7651")
    quartile, medium = layout_label(content, stock), layout_label(make_labels(1)[0], stock)
    assert quartile.qr_modules > medium.qr_modules and quartile.module < medium.module
    pdf = render_pdf([content], stock)
    assert_reads_as(crop_mm(rasterise(pdf, 203, tmp_path)[0], 203, *stock.slot_origin(0), stock.label_w, stock.label_h), content)
    with pytest.raises(design.LabelError):
        make_labels(1, error_correction="X")


# --- layout --------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset_name", ALL_PRESETS)
def test_long_text_stays_inside_the_label(preset_name):
    content = LabelContent(
        ids.format_id("KG26", 42),
        payload.medium_url(ids.format_id("KG26", 42), SECRET, BASE),
        title=("住民基本台帳ネットワークシステム改修及びデータ移行業務委託 Phase 2 " * 10)[:200],
        kind="外付けハードディスク（暗号化済み・シリアル番号 WD-1234567890）",
        caption="個人情報 持出禁止 ／ 取扱注意 ／ 無断複製禁止 ／ 使用後は施錠保管",
    )
    preset = presets.get_preset(preset_name)
    geometry = layout_label(content, preset)
    assert len(content.title) == 200
    assert geometry.lines[0].text == content.id  # the ID is never cut
    qr_right = geometry.qr_box.x + geometry.qr_box.w
    for line in geometry.lines:
        assert geometry.printable.contains(line.box), line
        assert line.box.x >= qr_right
        assert line.size >= design.MIN_TEXT_MM - 1e-9
        assert fonts.text_width(line.text, line.size, line.bold) <= geometry.printable.x + geometry.printable.w - line.x + 1e-9
    for upper, lower in zip(geometry.lines, geometry.lines[1:]):
        assert upper.box.y + upper.box.h <= lower.box.y + 1e-9
    shown = "".join(line.text for line in geometry.lines[1:])
    assert design.ELLIPSIS in shown  # something had to be cut, and it says so


def test_text_shrinks_before_it_is_cut():
    content = make_labels(1)[0]
    content = LabelContent(content.id, content.qr_text, title="住民基本台帳システム改修業務 データ移行作業", kind="USBメモリ")
    for preset_name in ALL_PRESETS:
        geometry = layout_label(content, presets.get_preset(preset_name))
        shown = "".join(line.text for line in geometry.lines)
        assert design.ELLIPSIS not in shown, preset_name
        assert content.title.replace(" ", "") in shown.replace(" ", ""), preset_name


def test_qr_keeps_its_quiet_zone_clear_of_text_and_bars():
    geometry = layout_label(make_labels(1, barcode=True)[0], presets.get_preset("ql-62"))
    quiet = geometry.qr_box
    assert all(line.box.x >= quiet.x + quiet.w for line in geometry.lines)
    assert all(bar.y >= quiet.y + quiet.h for bar in geometry.bars)
    assert geometry.printable.contains(quiet)


def test_mask_choice_matches_the_qrcode_library():
    rng = np.random.default_rng(5)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$%*+-./:"
    for index in range(120):
        level = "LMQH"[index % 4]
        length = int(rng.choice([8, 40, 54, 70, 150, 300]))  # versions 1 to 10
        text = "".join(rng.choice(list(alphabet), length))
        reference = qrcode.QRCode(error_correction=symbols.ERROR_CORRECTION[level], border=0)
        reference.add_data(text)
        reference.make(fit=True)
        assert symbols.qr_matrix(text, level) == reference.get_matrix(), (level, text)


def test_dark_rectangles_cover_exactly_the_dark_modules():
    matrix = symbols.qr_matrix(make_labels(1)[0].qr_text)
    painted = np.zeros((len(matrix), len(matrix)), dtype=int)
    for col, row, width, height in symbols.dark_rectangles(matrix):
        painted[row : row + height, col : col + width] += 1
    assert (painted == np.array(matrix, dtype=int)).all()  # every dark module once, no light one


# --- PNG and SVG ---------------------------------------------------------------------------------


@pytest.mark.parametrize("preset_name", ALL_PRESETS)
def test_png_decodes_at_the_printer_resolution(preset_name):
    content = make_labels(1)[0]
    preset = presets.get_preset(preset_name)
    image = Image.open(io.BytesIO(render_png(content, preset_name)))
    assert image.size == (round(preset.label_w * preset.dpi / 25.4), round(preset.label_h * preset.dpi / 25.4))
    assert round(image.info["dpi"][0]) == preset.dpi
    assert_reads_as(image, content)


def test_png_modules_are_whole_pixels_on_a_grid():
    content = make_labels(1)[0]
    geometry = layout_label(content, presets.get_preset("ql-62"))
    module, (left, top) = qr_pixel_grid(geometry, 300)
    span = geometry.qr_modules + 2 * design.QR_QUIET_MODULES
    assert module == math.floor(geometry.qr_box.w * 300 / 25.4) // span
    pixels = np.array(Image.open(io.BytesIO(render_png(content, "ql-62", dpi=300))))
    size = geometry.qr_modules
    blocks = pixels[top : top + size * module, left : left + size * module].reshape(size, module, size, module)
    assert (blocks.min(axis=(1, 3)) == blocks.max(axis=(1, 3))).all()  # each module one flat colour
    assert ((blocks[:, 0, :, 0] == 0) == np.array(symbols.qr_matrix(content.qr_text))).all()
    quiet = design.QR_QUIET_MODULES * module
    surround = pixels[top - quiet : top + size * module + quiet, left - quiet : left + size * module + quiet].copy()
    surround[quiet:-quiet, quiet:-quiet] = 255
    assert (surround == 255).all()


def test_png_at_another_resolution_keeps_whole_pixel_modules():
    content = make_labels(1)[0]
    image = Image.open(io.BytesIO(render_png(content, "tape-24", dpi=203)))
    assert_reads_as(image, content)


def test_svg_is_xml_with_the_qr_as_one_path():
    content = make_labels(1, barcode=True)[0]
    svg = render_svg(content, "ql-62")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("width") == "62mm" and root.get("height") == "29mm"
    qr_paths = [path for path in root.iter(f"{ns}path") if path.get("class") == "qr"]
    assert len(qr_paths) == 1
    texts = [element.text for element in root.iter(f"{ns}text")]
    assert content.id in texts and design.DEFAULT_CAPTION in texts
    assert all("Noto Sans CJK JP" in element.get("font-family") for element in root.iter(f"{ns}text"))
    # The path, drawn back into modules, is the QR code and decodes.
    matrix = np.zeros((len(symbols.qr_matrix(content.qr_text)),) * 2, dtype=bool)
    for col, row, width, height in re.findall(r"M(\d+) (\d+)h(\d+)v(\d+)h-\d+z", qr_paths[0].get("d")):
        matrix[int(row) : int(row) + int(height), int(col) : int(col) + int(width)] = True
    assert (matrix == np.array(symbols.qr_matrix(content.qr_text))).all()
    image = Image.fromarray(np.pad(~matrix, 4, constant_values=True).astype(np.uint8) * 255).resize((8 * (len(matrix) + 8),) * 2, Image.NEAREST)
    assert read_qr(image) == ([content.qr_text], [content.qr_text])


# --- fonts -----------------------------------------------------------------------------------------


def test_font_files_are_found_in_the_pypi_packages():
    for bold in (False, True):
        path = fonts.font_path(bold)
        assert path.suffix == ".otf" and path.read_bytes()[:4] == b"OTTO"


def test_missing_font_package_says_how_to_install_it(monkeypatch):
    def missing(package):
        raise ModuleNotFoundError(package)

    fonts.font_path.cache_clear()
    monkeypatch.setattr(fonts.importlib.resources, "files", missing)
    try:
        with pytest.raises(fonts.FontMissing) as missing_font:
            fonts.font_path(bold=True)
    finally:
        monkeypatch.undo()
        fonts.font_path.cache_clear()
    assert "noto-cjk-sans-jp-bold" in missing_font.value.message_ja
    assert "pip install noto-cjk-sans-jp-bold" in missing_font.value.message_en


def test_add_japanese_font_registers_regular_and_bold_once():
    from fpdf import FPDF

    pdf = FPDF()
    assert fonts.add_japanese_font(pdf) == fonts.add_japanese_font(pdf) == "NotoJP"
    pdf.add_page()
    pdf.set_font("NotoJP", size=10)
    pdf.cell(text="個人情報")
    pdf.set_font("NotoJP", "B", 10)
    pdf.cell(text="持出禁止")
    assert bytes(pdf.output()).startswith(b"%PDF")
