"""The city's handover list (引渡しリスト): every accepted form, and every refusal saying where."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tracker.errors import InvalidInput
from tracker.workflows import handover_list
from tracker.workflows.handover_list import MAX_BYTES, MAX_ROWS, ListRow, parse

SAMPLE = Path(__file__).resolve().parents[1] / "tracker" / "samples" / "handover-list-sample.csv"

JAPANESE_CSV = (
    "管理番号,名称,種類,数量,件数,個人情報項目,製造番号,暗号化,暗号化方式,封印番号\r\n"
    "R6-001,住民税申告書（原票） 第1箱,紙,\"1,200\",850,氏名、住所、個人番号,,無,,S-001\r\n"
    "R6-002,課税データ,USBメモリ,1,\"152,340\",氏名・住所/生年月日,AB1234,有,AES-256,S-002\r\n"
)


def refusal(filename: str, content: bytes, **options) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse(filename, content, **options)
    return caught.value


def rows_of(filename: str, content: bytes, **options) -> list[ListRow]:
    return list(parse(filename, content, **options).rows)


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def workbook_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def assert_japanese_rows(rows: list[ListRow]) -> None:
    assert rows == [
        ListRow(
            line=2, title="住民税申告書（原票） 第1箱", kind="paper", quantity=1200, record_count=850,
            pi_items=("氏名", "住所", "個人番号"), serial_number="", encrypted=False, encryption="",
            seal_number="S-001", city_reference="R6-001",
        ),
        ListRow(
            line=3, title="課税データ", kind="usb", quantity=1, record_count=152340,
            pi_items=("氏名", "住所", "生年月日"), serial_number="AB1234", encrypted=True, encryption="AES-256",
            seal_number="S-002", city_reference="R6-002",
        ),
    ]


# --- Accepted forms -----------------------------------------------------------------------------

def test_utf8_with_bom():
    assert_japanese_rows(rows_of("引渡しリスト.csv", b"\xef\xbb\xbf" + JAPANESE_CSV.encode("utf-8")))


def test_utf8_without_bom():
    assert_japanese_rows(rows_of("list.csv", JAPANESE_CSV.encode("utf-8")))


def test_shift_jis():
    content = JAPANESE_CSV.encode("cp932")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # the test really feeds bytes that are not UTF-8
    assert_japanese_rows(rows_of("LIST.CSV", content))


def test_tab_separated_text():
    assert_japanese_rows(rows_of("list.txt", JAPANESE_CSV.replace('"1,200"', "1200").replace('"152,340"', "152340").replace(",", "\t").encode("cp932")))


def test_xlsx_first_sheet_with_excel_row_numbers():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A2"], sheet["B2"], sheet["C2"], sheet["D2"], sheet["E2"], sheet["F2"] = "名称", "媒体の種類", "数量", "件数", "暗号化", "暗号化方式"
    sheet.append(["住民税申告書", "紙（原票）", 3, 1200.0, None, None])  # Excel stores numbers as floats
    sheet.append([None, None, None, None, None, None])  # blank row: skipped, still counted
    sheet.append(["課税データ", "ＵＳＢ", 1, 5, True, "BitLocker"])
    workbook.create_sheet("メモ")["A1"] = "二枚目のシートは読まない"
    buffer = io.BytesIO()
    workbook.save(buffer)

    rows = rows_of("引渡しリスト.xlsx", buffer.getvalue())

    assert [(row.line, row.title, row.kind, row.quantity, row.record_count, row.encrypted, row.encryption) for row in rows] == [
        (3, "住民税申告書", "paper", 3, 1200, False, ""),
        (5, "課税データ", "usb", 1, 5, True, "BitLocker"),
    ]


def test_english_headers_and_defaults():
    content = csv_bytes(
        "Name,Type,Serial Number,Encrypted,Encryption,Seal,Reference,Items,Remarks",
        "Tax data,DVD-R,SN-1,yes,AES-256,S-9,REF-1,name/address,ignored column",
        "Paper box,paper,,no,,,,,",
    )
    rows = rows_of("list.csv", content)
    assert rows[0] == ListRow(
        line=2, title="Tax data", kind="optical", quantity=1, record_count=0, pi_items=("name", "address"),
        serial_number="SN-1", encrypted=True, encryption="AES-256", seal_number="S-9", city_reference="REF-1",
    )
    assert (rows[1].kind, rows[1].quantity, rows[1].record_count, rows[1].pi_items, rows[1].encrypted) == ("paper", 1, 0, (), False)


def test_full_width_digits_and_letters():
    content = csv_bytes(
        "名称,種類,数量,件数,製造番号,管理番号",
        "申告書,紙,１２,\"１，２３４\",ＳＮ－０１,Ｒ６－００１",
    )
    [row] = rows_of("list.csv", content)
    assert (row.quantity, row.record_count, row.serial_number, row.city_reference) == (12, 1234, "SN-01", "R6-001")


def test_header_variants_kind_words_and_yes_no_words():
    content = csv_bytes(
        "※名称,媒体,数量（枚）,暗号化の有無,暗号化方式",
        "a,ハードディスク,,○,AES",
        "b,磁気テープ,,〇,AES",
        "c,CD-R,,済,AES",
        "d,SSD,,×,",
        "e,その他,,なし,",
        "f,原票,,,",
    )
    rows = rows_of("list.csv", content)
    assert [(row.kind, row.encrypted) for row in rows] == [
        ("hdd", True), ("tape", True), ("optical", True), ("ssd", False), ("other", False), ("paper", False),
    ]


def test_blank_rows_are_skipped_but_counted():
    content = csv_bytes("名称,種類", "", "a,usb", ",", "  ,  ", "b,hdd")
    assert [(row.line, row.title) for row in rows_of("list.csv", content)] == [(3, "a"), (6, "b")]


def test_pi_items_split_on_every_separator():
    content = csv_bytes("名称,種類,個人情報項目", "a,paper,\"氏名、住所,生年月日，電話番号/性別 ・ 個人番号\"")
    assert rows_of("list.csv", content)[0].pi_items == ("氏名", "住所", "生年月日", "電話番号", "性別", "個人番号")


def test_rows_are_frozen():
    row = rows_of("list.csv", csv_bytes("名称,種類", "a,usb"))[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.title = "b"


def test_sample_file_parses_into_five_rows():
    content = SAMPLE.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = rows_of(SAMPLE.name, content)
    assert len(rows) == 5
    assert [row.kind for row in rows] == ["paper", "paper", "usb", "optical", "hdd"]
    assert rows[0].quantity == 1200 and rows[2].record_count == 152340
    assert all(row.encryption for row in rows if row.encrypted)
    assert len({row.city_reference for row in rows}) == 5


# --- Refusals -----------------------------------------------------------------------------------

def test_bytes_that_are_neither_utf8_nor_shift_jis():
    # Line 1 is Shift_JIS (so not UTF-8); line 3 has a lead byte 0x81 followed by a comma,
    # which is not Shift_JIS either.
    content = csv_bytes("名称,種類", "a,usb", encoding="cp932") + b"b\x81,usb\r\n"
    error = refusal("list.csv", content)
    assert "UTF-8 としては1行目付近" in error.message_ja and "Shift_JIS としては3行目付近" in error.message_ja
    assert "UTF-8 (bad byte at line 1," in error.message_en and "cp932 (bad byte at line 3," in error.message_en
    assert "0x81" in error.message_ja and "0x81" in error.message_en
    assert error.details["line"] == 3 and error.details["utf8_byte"] == 1


def test_bom_but_not_utf8():
    content = b"\xef\xbb\xbf" + csv_bytes("title,kind", "申告書,紙", encoding="cp932")
    error = refusal("list.csv", content)
    assert "2行目" in error.message_ja and "BOM" in error.message_ja
    assert "line 2" in error.message_en and "byte order mark" in error.message_en


def test_no_recognisable_header_lists_missing_and_found_columns():
    error = refusal("list.csv", csv_bytes("番号,メモ", "1,a"))
    assert "名称" in error.message_ja and "種類" in error.message_ja and "番号、メモ" in error.message_ja
    assert "title" in error.message_en and "kind" in error.message_en and "番号, メモ" in error.message_en
    assert error.details["missing"] == ["title", "kind"] and error.details["found"] == ["番号", "メモ"]


def test_missing_required_column_is_named_in_both_languages():
    error = refusal("list.csv", csv_bytes("名称,数量", "a,1"))
    assert "種類（kind）" in error.message_ja and "名称（" not in error.message_ja
    assert "kind (種類)" in error.message_en and "title (" not in error.message_en


def test_two_columns_for_the_same_field():
    error = refusal("list.csv", csv_bytes("名称,種類,name", "a,usb,b"))
    assert "「名称」" in error.message_ja and "「name」" in error.message_ja
    assert "'名称'" in error.message_en and "'name'" in error.message_en


def test_duplicate_city_references_name_both_lines():
    error = refusal("list.csv", csv_bytes("管理番号,名称,種類", "R-1,a,usb", "R-2,b,usb", "r-1,c,usb"))
    assert "4行目" in error.message_ja and "2行目" in error.message_ja and "管理番号" in error.message_ja
    assert "line 4" in error.message_en and "line 2" in error.message_en and "city reference" in error.message_en
    assert error.details["lines"] == [4]


def test_duplicate_serial_numbers_name_both_lines_even_on_a_bad_row():
    error = refusal("list.csv", csv_bytes("名称,種類,製造番号", "a,usb,SN1", "b,???,ＳＮ１"))
    assert "3行目: 製造番号「ＳＮ１」が2行目と重複" in error.message_ja
    assert "line 3: serial number 'ＳＮ１' is also on line 2" in error.message_en
    assert error.details["error_count"] == 2  # the bad kind and the duplicate


def test_a_hundred_thousand_rows_are_refused_with_their_count():
    content = ("名称,種類\n" + "書類,紙\n" * 100_000).encode("utf-8")
    assert len(content) < MAX_BYTES
    error = refusal("list.csv", content)
    assert "100,001行" in error.message_ja and f"{MAX_ROWS:,}行まで" in error.message_ja
    assert "100,001 filled rows" in error.message_en and f"{MAX_ROWS:,} data rows" in error.message_en
    assert error.details["limit"] == MAX_ROWS and error.details["filled_rows"] == 100_001


def test_one_row_too_many_is_refused_at_that_row():
    content = ("名称,種類\n" + "書類,紙\n" * (MAX_ROWS + 1)).encode("utf-8")
    error = refusal("list.csv", content)
    assert f"{MAX_ROWS:,}行" in error.message_ja and f"{MAX_ROWS:,} data rows" in error.message_en
    assert error.details["limit"] == MAX_ROWS and error.details["found_at_least"] == MAX_ROWS + 1
    assert error.details["line"] == MAX_ROWS + 2


def test_exactly_max_rows_is_accepted():
    content = ("名称,種類\n" + "書類,紙\n" * MAX_ROWS).encode("utf-8")
    assert len(rows_of("list.csv", content)) == MAX_ROWS


def test_file_too_large():
    error = refusal("list.csv", b"a" * (MAX_BYTES + 1))
    assert f"{MAX_BYTES + 1:,}バイト" in error.message_ja and f"{MAX_BYTES:,}バイト" in error.message_ja
    assert f"{MAX_BYTES + 1:,} bytes" in error.message_en and "5 MB" in error.message_en


@pytest.mark.parametrize("filename", ["list.pdf", "list", "list.csv.zip"])
def test_unknown_file_type(filename):
    error = refusal(filename, JAPANESE_CSV.encode("utf-8"))
    assert filename in error.message_ja and ".xlsx" in error.message_ja
    assert filename in error.message_en and ".csv" in error.message_en


def test_xlsx_that_is_not_a_workbook():
    error = refusal("list.xlsx", JAPANESE_CSV.encode("utf-8"))
    assert "Excel ブック" in error.message_ja and "list.xlsx" in error.message_ja
    assert "Excel workbook" in error.message_en and "list.xlsx" in error.message_en

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert refusal("list.xlsx", buffer.getvalue()).details["filename"] == "list.xlsx"


def test_per_line_errors_are_collected_into_one_refusal():
    content = csv_bytes(
        "名称,種類,数量,件数,暗号化,暗号化方式",
        "ok,usb,1,1,有,AES",
        "a,フロッピー,1,1,,",
        "b,usb,0,1,,",
        ",usb,1,-5,,",
        "c,usb,1,1,有,",
        "d,usb,1,1,たぶん,",
        "e,usb,1,1.5,,",
    )
    error = refusal("list.csv", content)
    for message in (
        "3行目: 種類「フロッピー」は分かりません",
        "4行目: 数量は1〜",
        "5行目: 名称が空です",
        "5行目: 件数は0〜",
        "6行目: 暗号化「有」ですが、暗号化方式が空です",
        "7行目: 暗号化「たぶん」",
        "8行目: 件数「1.5」は整数",
    ):
        assert message in error.message_ja
    for message in (
        "line 3: kind 'フロッピー' is not known",
        "line 4: quantity must be between 1",
        "line 5: the title",
        "line 5: record count must be between 0",
        "line 6: encrypted is yes but the encryption method",
        "line 7: encrypted 'たぶん'",
        "line 8: record count '1.5' must be a whole number",
    ):
        assert message in error.message_en
    assert error.details["lines"] == [3, 4, 5, 6, 7, 8]
    assert error.details["error_count"] == 7
    assert "7件" in error.message_ja and "7 error" in error.message_en


def test_at_most_twenty_errors_are_listed_with_the_total():
    content = csv_bytes("名称,種類", *[f"a{i},floppy" for i in range(30)])
    error = refusal("list.csv", content)
    assert "21行目" in error.message_ja and "22行目" not in error.message_ja and "ほか10件" in error.message_ja
    assert "line 21" in error.message_en and "line 22" not in error.message_en and "and 10 more" in error.message_en
    assert "30件" in error.message_ja and "30 error" in error.message_en
    assert error.details["lines"] == list(range(2, 32))


def test_empty_file_and_header_only_are_refused():
    assert "空" in refusal("list.csv", b"").message_ja
    assert "empty" in refusal("list.csv", b"\r\n \r\n").message_en
    error = refusal("list.csv", csv_bytes("名称,種類", ""))
    assert "データの行がありません" in error.message_ja and "no data rows" in error.message_en


def test_xlsx_errors_use_excel_row_numbers():
    error = refusal("list.xlsx", workbook_bytes([["名称", "種類"], ["a", "usb"], [None, None], ["b", "walkman"]]))
    assert "4行目" in error.message_ja and "line 4" in error.message_en
    assert error.details["lines"] == [4]


def test_nothing_is_returned_partially():
    # A good row before a bad one must not slip through: the whole list is refused.
    with pytest.raises(InvalidInput):
        parse("list.csv", csv_bytes("名称,種類", "good,usb", "bad,"))
    assert handover_list.parse("list.csv", csv_bytes("名称,種類", "good,usb")).rows[0].title == "good"
