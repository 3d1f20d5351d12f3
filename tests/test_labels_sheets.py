"""Label sheets and rolls as PDF: presets, start position, fonts, text, metadata; printing."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
from datetime import datetime, timezone

import pypdf
import pytest

from labels import design, ids, presets, printing
from labels.design import LabelError
from labels.presets import PresetError, SheetLayout, get_preset, parse_custom
from labels.sheets import render_pdf, render_roll_pdf, render_sheet_pdf, sheet_slots

SECRET = b"test-installation-secret-0123456"
BASE = "https://mediatrail.example.jp"
PT = 72 / 25.4
SHEETS = [name for name, preset in presets.PRESETS.items() if preset.kind == "sheet"]
ROLLS = [name for name, preset in presets.PRESETS.items() if preset.kind == "roll"]


def make_labels(count: int, title: str = "台帳入力業務", kind: str = "USBメモリ") -> list[design.LabelContent]:
    return [design.medium_label(ids.format_id("KG26", serial), SECRET, BASE, title, kind) for serial in range(1, count + 1)]


def pdf_tool(tool: str, pdf: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "labels.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])], capture_output=True, text=True, check=True).stdout


# --- presets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SHEETS)
def test_sheet_presets_sit_symmetrically_on_a4(name):
    # The makers' sheets are centred; a typo in a margin or gap shows up as asymmetry.
    layout = get_preset(name)
    right = layout.page[0] - layout.margin_left - layout.cols * layout.label_w - (layout.cols - 1) * layout.gap_x
    bottom = layout.page[1] - layout.margin_top - layout.rows * layout.label_h - (layout.rows - 1) * layout.gap_y
    assert layout.page == presets.A4
    assert right == pytest.approx(layout.margin_left, abs=0.05)
    assert bottom == pytest.approx(layout.margin_top, abs=0.05)


def test_named_sheet_presets_have_the_stated_grids():
    grids = {name: (get_preset(name).cols, get_preset(name).rows, get_preset(name).label_w, get_preset(name).label_h) for name in SHEETS}
    assert grids == {"a4-12": (2, 6, 86.4, 42.3), "a4-24": (3, 8, 70, 33.9), "l7160": (3, 7, 63.5, 38.1), "l7651": (5, 13, 38.1, 21.2)}


def test_roll_presets_have_printer_resolutions():
    assert {name: get_preset(name).dpi for name in ROLLS} == {"ql-62": 300, "ql-29": 300, "tape-24": 180, "tape-36": 360}


def test_unknown_preset_names_the_valid_ones():
    with pytest.raises(PresetError) as unknown:
        get_preset("a4-99")
    assert isinstance(unknown.value, ValueError)
    for name in presets.PRESETS:
        assert name in unknown.value.message_ja and name in unknown.value.message_en
    assert "custom:" in unknown.value.message_en


def test_preset_names_are_case_and_space_insensitive():
    assert get_preset("  L7160 ") is presets.PRESETS["l7160"]


def test_custom_layout_reads_like_the_preset_it_copies():
    custom = get_preset("CUSTOM:3x8:70x33.9:margins=12.9,0:gaps=0,0:padding=4.5,1.5")
    a4_24 = get_preset("a4-24")
    fields = ("rows", "cols", "label_w", "label_h", "margin_top", "margin_left", "gap_x", "gap_y", "page", "padding_x", "padding_y")
    assert [getattr(custom, f) for f in fields] == [getattr(a4_24, f) for f in fields]
    assert isinstance(custom, SheetLayout) and custom.kind == "sheet"


def test_custom_layout_without_margins_is_centred():
    layout = parse_custom("custom:2x5:80x50:gaps=10,2")
    assert layout.margin_left == pytest.approx((210 - 2 * 80 - 10) / 2)
    assert layout.margin_top == pytest.approx((297 - 5 * 50 - 4 * 2) / 2)
    assert parse_custom("custom:1x1:100x100:page=letter").page == presets.LETTER
    assert parse_custom("custom:1x1:100x100:page=100x150:padding=2").padding_y == 2


@pytest.mark.parametrize(
    "text",
    [
        "custom:3x8",
        "custom:3x8:70",
        "custom:threex8:70x33.9",
        "custom:3x8:70x33.9:margins=12.9",
        "custom:3x8:70x33.9:colour=red",
        "custom:3x8:70x40",  # 8 x 40 mm is taller than A4
        "custom:3x8:75x33.9:margins=12.9,0",  # 3 x 75 mm is wider than A4
        "custom:0x8:70x33.9",
    ],
)
def test_bad_custom_layouts_are_refused_in_both_languages(text):
    with pytest.raises(PresetError) as refused:
        get_preset(text)
    assert refused.value.message_ja and refused.value.message_en
    assert refused.value.message_ja != refused.value.message_en


# --- start position -----------------------------------------------------------------------------


def test_start_position_puts_the_first_label_in_that_slot():
    layout = get_preset("a4-24")
    slots = sheet_slots(3, layout, start_position=5)
    assert [(slot.page, slot.position) for slot in slots] == [(0, 5), (0, 6), (0, 7)]
    assert (slots[0].x, slots[0].y) == pytest.approx((70.0, 12.9 + 33.9))  # row 2, column 2
    assert (slots[2].x, slots[2].y) == pytest.approx((0.0, 12.9 + 2 * 33.9))  # row 3, column 1


def test_labels_after_a_late_start_continue_on_a_new_sheet():
    layout = get_preset("l7160")
    slots = sheet_slots(10, layout, start_position=20)
    assert [(slot.page, slot.position) for slot in slots] == [(0, 20), (0, 21)] + [(1, n) for n in range(1, 9)]
    assert (slots[2].x, slots[2].y) == (layout.margin_left, layout.margin_top)


def test_start_position_is_where_the_pdf_prints(tmp_path):
    layout = get_preset("a4-24")
    contents = make_labels(2)
    pdf = render_sheet_pdf(contents, layout, start_position=5)
    # pdftotext -bbox gives each word's box in points: the first ID must sit inside slot 5.
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', pdf_tool("pdftotext", pdf, tmp_path, "-bbox"))
    x_min, y_min, x_max, y_max = next(map(float, word[:4]) for word in words if word[4] == contents[0].id)
    slot_x, slot_y = layout.slot_origin(4)
    assert slot_x * PT <= x_min and x_max <= (slot_x + layout.label_w) * PT
    assert slot_y * PT <= y_min and y_max <= (slot_y + layout.label_h) * PT


@pytest.mark.parametrize("start", [0, -1, 25, 100])
def test_start_beyond_the_sheet_is_refused(start):
    with pytest.raises(LabelError) as refused:
        render_sheet_pdf(make_labels(1), "a4-24", start_position=start)
    assert "24" in refused.value.message_ja and "24" in refused.value.message_en
    assert isinstance(refused.value, ValueError)


def test_last_slot_is_a_valid_start():
    assert len(pypdf.PdfReader(io.BytesIO(render_sheet_pdf(make_labels(2), "a4-24", start_position=24))).pages) == 2


def test_no_labels_is_refused():
    with pytest.raises(LabelError):
        render_sheet_pdf([], "a4-24")


def test_roll_preset_is_not_a_sheet():
    with pytest.raises(LabelError) as refused:
        render_sheet_pdf(make_labels(1), "ql-62")
    assert "roll" in refused.value.message_en


# --- the PDF itself ---------------------------------------------------------------------------------


def test_sheet_pdf_pages_metadata_and_size():
    created = datetime(2026, 4, 1, 9, 30, tzinfo=timezone.utc)
    pdf = render_sheet_pdf(make_labels(30), "a4-24", title="KG26 ラベル", created=created)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((210 * PT, 297 * PT), abs=0.01)
    assert reader.metadata.title == "KG26 ラベル"
    assert reader.metadata.creation_date == created


@pytest.mark.parametrize("name", ROLLS)
def test_roll_pdf_has_one_label_sized_page_per_label(name):
    preset = get_preset(name)
    reader = pypdf.PdfReader(io.BytesIO(render_roll_pdf(make_labels(3), name)))
    assert len(reader.pages) == 3
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((preset.label_w * PT, preset.label_h * PT), abs=0.01)


def test_render_pdf_picks_sheet_or_roll():
    assert len(pypdf.PdfReader(io.BytesIO(render_pdf(make_labels(2), "ql-29"))).pages) == 2
    assert len(pypdf.PdfReader(io.BytesIO(render_pdf(make_labels(2), "l7651"))).pages) == 1


@pytest.mark.parametrize("name", ["a4-12", "tape-24"])
def test_every_font_is_embedded(name, tmp_path):
    rows = pdf_tool("pdffonts", render_pdf(make_labels(2), name), tmp_path).splitlines()[2:]
    assert len(rows) == 2  # Noto Sans CJK JP regular and bold, nothing else
    for row in rows:
        # name, type (two words), encoding, emb, sub, uni, object, generation
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
    assert "NotoSansCJKJP" in rows[0]


def test_japanese_text_is_extractable(tmp_path):
    contents = make_labels(2, title="住民基本台帳入力", kind="外付けHDD")
    text = pdf_tool("pdftotext", render_sheet_pdf(contents, "l7160"), tmp_path)
    for expected in ("住民基本台帳入力", "外付けHDD", "個人情報", "持出禁止", contents[0].id, contents[1].id):
        assert expected in text


def test_outline_draws_label_edges():
    plain = render_sheet_pdf(make_labels(1), "a4-12", created=datetime(2026, 1, 1, tzinfo=timezone.utc))
    outlined = render_sheet_pdf(make_labels(1), "a4-12", created=datetime(2026, 1, 1, tzinfo=timezone.utc), outline=True)
    assert len(outlined) > len(plain)


# --- printing -------------------------------------------------------------------------------------


def _fake_lp(directory, script: str):
    lp = directory / "lp"
    lp.write_text("#!/bin/sh\n" + script)
    lp.chmod(lp.stat().st_mode | stat.S_IEXEC)
    return lp


def test_print_file_sends_the_file_to_lp(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "args.txt"
    _fake_lp(bin_dir, f'printf "%s\\n" "$@" > "{record}"\necho "request id is QL800-17 (1 file(s))"\n')
    monkeypatch.setenv("PATH", str(bin_dir))
    label = tmp_path / "labels.pdf"
    label.write_bytes(render_pdf(make_labels(1), "ql-62"))
    assert printing.print_file(label, "QL800", copies=2) == "request id is QL800-17 (1 file(s))"
    assert record.read_text().splitlines() == ["-d", "QL800", "-n", "2", "--", str(label)]


def test_unknown_printer_is_reported_in_both_languages(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_lp(bin_dir, 'echo "lp: The printer or class does not exist." >&2\nexit 1\n')
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(printing.PrintError) as failed:
        printing.print_file(tmp_path / "labels.pdf", "NoSuchPrinter")
    assert failed.value.reason == "unknown_printer"
    assert "NoSuchPrinter" in failed.value.message_ja and "NoSuchPrinter" in failed.value.message_en


def test_other_lp_failures_carry_lp_message(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_lp(bin_dir, 'echo "lp: Unable to access \\"x.pdf\\" - No such file or directory" >&2\nexit 1\n')
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(printing.PrintError) as failed:
        printing.print_file("x.pdf", "QL800")
    assert failed.value.reason == "failed" and "No such file" in failed.value.message_en


def test_missing_lp_is_reported_in_both_languages(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no lp anywhere
    with pytest.raises(printing.PrintError) as failed:
        printing.print_file(tmp_path / "labels.pdf", "QL800")
    assert failed.value.reason == "no_lp"
    assert "CUPS" in failed.value.message_ja and "lp" in failed.value.message_en


def test_copies_must_be_positive(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ValueError):
        printing.print_file(tmp_path / "labels.pdf", "QL800", copies=0)


def test_lp_runs_in_the_c_locale(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "env.txt"
    _fake_lp(bin_dir, f'echo "$LC_ALL" > "{record}"\n')
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    printing.print_file(tmp_path / "labels.pdf", "QL800")
    assert record.read_text().strip() == "C"
    assert os.environ["LC_ALL"] == "ja_JP.UTF-8"  # the caller's environment is left alone
