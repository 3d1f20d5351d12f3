"""Bad and hostile list files (issues #20 and #11): each is refused with a message that says what
was found and what to do, before anything costly is parsed; and nothing but the domain's
InvalidInput ever comes out of the parser, whatever the bytes (hypothesis)."""

from __future__ import annotations

import io
import zipfile

import msoffcrypto.format.ooxml
import openpyxl
import pytest
import xlwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listfiles import inline, replace_part, saved, workbook_with_rows_xml
from tracker.errors import InvalidInput
from tracker.workflows import list_reading
from tracker.workflows.handover_list import MAX_ROWS, parse


def refusal(filename: str, content: bytes, **options) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse(filename, content, **options)
    return caught.value


def small_list() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["名称", "種類"])
    workbook.active.append(["申告書", "紙"])
    return saved(workbook)


@pytest.fixture
def openpyxl_must_not_open(monkeypatch):
    """The refusal must come from the zip's directory, before openpyxl parses anything."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("openpyxl was asked to open a file that should have been refused first")
    monkeypatch.setattr(list_reading.openpyxl, "load_workbook", refuse)


# --- Old and encrypted Excel files --------------------------------------------------------------

def test_a_password_encrypted_workbook_says_so_and_how_to_remove_it():
    encrypted = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(small_list())).encrypt("city-password", encrypted)
    error = refusal("引渡しリスト.xlsx", encrypted.getvalue())
    assert "「引渡しリスト.xlsx」はパスワードで暗号化された Excel ブックです" in error.message_ja
    assert "パスワードを使用して暗号化" in error.message_ja
    assert "is a password-encrypted Excel workbook" in error.message_en and "Encrypt with Password" in error.message_en
    assert error.details["found"] == "encrypted_workbook"


def old_excel() -> bytes:
    book = xlwt.Workbook()
    sheet = book.add_sheet("一覧")
    for column, text in enumerate(["名称", "種類"]):
        sheet.write(0, column, text)
        sheet.write(1, column, ["申告書", "紙"][column])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("filename", ["list.xls", "list.xlsx", "list.csv", "LIST.XLS"])
def test_an_old_excel_file_is_named_as_such_whatever_its_name(filename):
    error = refusal(filename, old_excel())
    assert f"「{filename}」は古い形式の Excel ファイル（.xls、Excel 97–2003）です" in error.message_ja
    assert "Excel ブック（*.xlsx）" in error.message_ja and "CSV UTF-8" in error.message_ja
    assert "old-format Excel file (.xls" in error.message_en and error.details["found"] == "xls"


def test_an_xls_name_on_other_bytes_is_still_asked_to_be_saved_as_xlsx():
    assert refusal("list.xls", "名称,種類\n".encode()).details["found"] == "xls"


def test_a_workbook_with_zip_encrypted_parts(openpyxl_must_not_open):
    content = bytearray(small_list())
    # Set the "encrypted" flag of every entry, in local headers and in the central directory.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := content.find(signature, start)) != -1:
            content[start + offset] |= 0x01
            start += 4
    error = refusal("list.xlsx", bytes(content))
    assert "パスワード付き zip" in error.message_ja and error.details["found"] == "encrypted_zip"


# --- Size: zip bombs, shared strings, rows ------------------------------------------------------

def test_a_zip_bomb_is_refused_from_the_directory(openpyxl_must_not_open):
    bomb = replace_part(small_list(), "xl/worksheets/sheet2.xml", b"\0" * (list_reading.MAX_UNCOMPRESSED_BYTES + 1))
    assert len(bomb) < 200_000
    error = refusal("list.xlsx", bomb)
    assert "引渡しリストとしては大きすぎます（展開すると" in error.message_ja and "上限16MB" in error.message_ja
    assert "far too large for a handover list" in error.message_en
    assert error.details["measure"] == "uncompressed_bytes" and error.details["found"] > list_reading.MAX_UNCOMPRESSED_BYTES


def huge_shared_strings(count: int) -> bytes:
    """Issue #11: a small XLSX whose shared-strings table is huge (it took 50 s and 1.2 GB)."""
    strings = "".join(f"<si><t>{index}</t></si>" for index in range(count))
    part = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{count}" uniqueCount="{count}">{strings}</sst>').encode()
    return replace_part(small_list(), "xl/sharedStrings.xml", part)


def test_too_many_shared_strings_are_refused_before_openpyxl_builds_them(openpyxl_must_not_open):
    content = huge_shared_strings(list_reading.MAX_SHARED_STRINGS + 1)
    assert len(content) < 2 * 1024 * 1024
    error = refusal("list.xlsx", content)
    assert f"上限{list_reading.MAX_SHARED_STRINGS:,}個" in error.message_ja
    assert f"limit {list_reading.MAX_SHARED_STRINGS:,}" in error.message_en
    assert error.details == {"filename": "list.xlsx", "measure": "shared_strings", "found": list_reading.MAX_SHARED_STRINGS + 1}


def test_shared_strings_are_counted_across_read_chunks():
    # Tags cut in two by the 1 MiB read chunks must be counted once.
    archive = zipfile.ZipFile(io.BytesIO(huge_shared_strings(120_000)))
    member = archive.getinfo("xl/sharedStrings.xml")
    assert member.file_size > 2 << 20
    assert list_reading._count_tags(archive, member, list_reading._SHARED_STRING) == 120_000


def test_shared_strings_under_the_limit_are_read():
    strings = '<si><t>名称</t></si><si><t>種類</t></si><si><t>申告書</t></si><si><t>紙</t></si>'
    part = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"{strings}</sst>").encode()
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>')
    content = workbook_with_rows_xml(rows)
    content = replace_part(content, "xl/sharedStrings.xml", part)
    content = replace_part(content, "[Content_Types].xml", zipfile.ZipFile(io.BytesIO(content)).read("[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                     b'spreadsheetml.sharedStrings+xml"/></Types>'))
    content = replace_part(content, "xl/_rels/workbook.xml.rels", zipfile.ZipFile(io.BytesIO(content)).read("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                             b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
    assert [row.title for row in parse("list.xlsx", content).rows] == ["申告書"]


def test_a_sheet_of_a_hundred_thousand_rows_is_refused_with_its_count(openpyxl_must_not_open):
    rows = [f'<row r="1">{inline("A1", "名称")}{inline("B1", "種類")}</row>']
    rows += [f'<row r="{line}">{inline(f"A{line}", "申告書")}{inline(f"B{line}", "紙")}</row>' for line in range(2, 100_002)]
    content = workbook_with_rows_xml("".join(rows))
    assert len(content) < list_reading.MAX_BYTES
    error = refusal("list.xlsx", content)
    assert "シート「Sheet」には100,001行あります" in error.message_ja and f"データ{MAX_ROWS:,}行" in error.message_ja
    assert "sheet 'Sheet' has 100,001 rows" in error.message_en
    assert error.details == {"sheet": "Sheet", "rows": 100_001, "limit": list_reading.MAX_SHEET_ROWS}


def test_a_value_far_below_the_list_is_named():
    rows = (f'<row r="1">{inline("A1", "名称")}{inline("B1", "種類")}</row>'
            f'<row r="2">{inline("A2", "申告書")}{inline("B2", "紙")}</row>'
            f'<row r="1000000">{inline("A1000000", "x")}</row>')
    error = refusal("list.xlsx", workbook_with_rows_xml(rows))
    assert "シート「Sheet」の1,000,000行目に値があります" in error.message_ja and error.details["line"] == 1_000_000


def test_cells_far_to_the_right_do_not_widen_the_rows():
    rows = (f'<row r="1">{inline("A1", "名称")}{inline("B1", "種類")}{inline("XFD1", "far")}</row>'
            f'<row r="2">{inline("A2", "申告書")}{inline("B2", "紙")}{inline("XFD2", "far")}</row>')
    assert [row.title for row in parse("list.xlsx", workbook_with_rows_xml(rows)).rows] == ["申告書"]


def test_xml_entities_are_refused_not_expanded():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
              '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>').encode()
    error = refusal("list.xlsx", replace_part(small_list(), "xl/worksheets/sheet1.xml", laughs))
    assert "Excel ブック（.xlsx）として開けません" in error.message_ja


def test_a_damaged_workbook():
    content = small_list()
    error = refusal("list.xlsx", content[: len(content) // 2])
    assert "Excel ブック（.xlsx）として開けません" in error.message_ja and "cannot be opened as an Excel workbook" in error.message_en


# --- Nothing but InvalidInput, whatever comes in (hypothesis) -----------------------------------

FILENAMES = st.sampled_from(["list.csv", "list.txt", "list.tsv", "list.xlsx", "list.xlsm", "list.xls", "list.pdf", "list"])
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GRIDS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parses_or_refuses(filename: str, content: bytes, **options) -> None:
    try:
        parse(filename, content, **options)
    except InvalidInput as error:
        assert error.message_ja and error.message_en  # every refusal says why, in both languages


@FUZZ
@given(FILENAMES, st.binary(max_size=4096))
def test_arbitrary_bytes(filename, content):
    parses_or_refuses(filename, content)


@FUZZ
@given(FILENAMES, st.sampled_from([b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf", b""]), st.binary(max_size=2048))
def test_arbitrary_bytes_behind_a_known_signature(filename, signature, content):
    parses_or_refuses(filename, signature + content)


VALID_XLSX = small_list()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID_XLSX) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_a_workbook_with_bytes_changed(changes):
    content = bytearray(VALID_XLSX)
    for offset, value in changes:
        content[offset] = value
    parses_or_refuses("list.xlsx", bytes(content))


CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["名称", "種類", "数量", "件数", "暗号化", "暗号化方式", "製造番号", "管理番号", "合計", "小計", "※注", "紙", "USB",
                     "有", "無", "1", "１２", "-3", "1.5", "=SUM(A1:A2)", "名称・種類", "", " "]),
    st.integers(-10, 10_000_000), st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
)
GRID = st.lists(st.lists(CELL, max_size=8), max_size=14)
MAPPING = st.one_of(st.none(), st.dictionaries(st.sampled_from(["名称", "種類", "x", "数量", "合計"]),
                                               st.sampled_from(["title", "kind", "quantity", "ignore", "bogus"]), max_size=3))


def grid_as_csv(grid, encoding: str) -> bytes:
    import csv

    text = io.StringIO()
    csv.writer(text).writerows([["" if cell is None else str(cell) for cell in row] for row in grid])
    return text.getvalue().encode(encoding, errors="replace")


@GRIDS
@given(GRID, st.sampled_from(["utf-8", "utf-8-sig", "cp932"]), MAPPING)
def test_arbitrary_cell_grids_as_csv(grid, encoding, mapping):
    parses_or_refuses("list.csv", grid_as_csv(grid, encoding), mapping=mapping)


@GRIDS
@given(GRID, MAPPING, st.sampled_from([None, "Sheet", "無い"]))
def test_arbitrary_cell_grids_as_xlsx(grid, mapping, sheet):
    workbook = openpyxl.Workbook()
    for row in grid:
        try:
            workbook.active.append(row)
        except Exception:  # noqa: BLE001 — openpyxl refuses to write some texts (control characters)
            return
    parses_or_refuses("list.xlsx", saved(workbook), mapping=mapping, sheet=sheet)
