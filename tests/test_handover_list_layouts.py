"""Handover lists as cities really send them (issue #20): the table found wherever it is, the
columns matched by their many names or by a mapping, and every row not imported listed with
the reason. Each fixture is built here and imported without editing the file."""

from __future__ import annotations

import io

import openpyxl
import pytest

from listfiles import CITY_TITLE, city_workbook, saved, with_cached_values
from tracker.errors import InvalidInput
from tracker.workflows import handover_list, list_columns
from tracker.workflows.handover_list import NeedsMapping, NeedsSheet, Skipped, parse


def skipped(table) -> list[tuple[str, str]]:
    return [(entry.lines, entry.reason) for entry in table.skipped]


# --- The city's workbook ------------------------------------------------------------------------

def test_city_workbook_imports_the_data_rows_and_lists_the_rest():
    table = parse("R8引渡しリスト.xlsx", city_workbook())

    assert (table.sheet, table.header_line, table.read_as) == ("引渡しリスト", 4, "Excel (.xlsx)")
    assert [(row.line, row.title, row.kind, row.quantity, row.record_count, row.encrypted, row.city_reference)
            for row in table.rows] == [
        (5, "住民税申告書（原票） 第1箱", "paper", 1, 1200, False, "R8-001"),
        (6, "住民税申告書（原票） 第2箱", "paper", 1, 980, False, "R8-002"),  # 紙 merged down from C5
        (7, "課税データ", "usb", 1, 152340, True, "R8-003"),
        (8, "給与支払報告書 電子データ", "optical", 2, 48210, True, "R8-004"),
    ]
    assert table.rows[2].serial_number == "AA1234567890" and table.rows[3].encryption == "ZIP AES-256"
    assert skipped(table) == [("1", "title"), ("2", "title"), ("3", "blank"), ("9", "totals"), ("10", "blank"), ("11", "note")]
    assert table.skipped[0].text == CITY_TITLE and table.skipped[3].text == "合計"
    assert table.columns == (
        (2, "媒体名", "title"), (3, "区分", "kind"), (4, "数", "quantity"), (5, "人数", "record_count"),
        (6, "シリアル番号", "serial_number"), (7, "暗号化", "encrypted"), (8, "暗号化方式", "encryption"),
        (9, "管理番号", "city_reference"),
    )


def test_the_totals_formula_is_read_as_its_saved_value_and_not_imported():
    content = city_workbook()
    assert b"<f>SUM(E5:E8)</f><v>202730</v>" in zipped_sheet(content)
    table = parse("list.xlsx", content)
    assert ("9", "totals") in skipped(table) and all(row.line != 9 for row in table.rows)


def test_a_totals_row_whose_formulas_have_no_saved_value_still_imports():
    table = parse("list.xlsx", city_workbook(cached=False))
    assert len(table.rows) == 4 and ("9", "totals") in skipped(table)


def test_a_formula_without_a_saved_value_in_a_data_row_is_refused_naming_the_cell():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["名称", "種類", "件数"])
    sheet.append(["申告書", "紙", 10])
    sheet.append(["申告書2", "紙", "=C2*2"])
    with pytest.raises(InvalidInput) as caught:
        parse("list.xlsx", saved(workbook))
    error = caught.value
    assert "3行目: セル C3（件数）は数式 =C2*2 ですが、計算結果が保存されていません" in error.message_ja
    assert "line 3: cell C3 (record count) holds the formula =C2*2 saved without its value" in error.message_en
    assert error.details["lines"] == [3]
    # The same formula saved with its value, as Excel saves it, is read as that value.
    rows = parse("list.xlsx", with_cached_values(saved(workbook), {"C3": "20"})).rows
    assert rows[1].record_count == 20


def test_a_protected_sheet_and_workbook_are_read():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["名称", "種類"])
    sheet.append(["申告書", "紙"])
    sheet.protection.sheet = True
    sheet.protection.password = "city"
    workbook.security = openpyxl.workbook.protection.WorkbookProtection(workbookPassword="city", lockStructure=True)
    assert [row.title for row in parse("list.xlsx", saved(workbook)).rows] == ["申告書"]


def zipped_sheet(content: bytes, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(content)).read(part)


# --- Sheets -------------------------------------------------------------------------------------

def cover_and_list(second_list: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    cover = workbook.active
    cover.title = "表紙"
    cover["B3"] = "媒体引渡しリスト"
    cover["B5"] = "令和8年4月1日"
    cover["B6"] = "小金井市 市民税課"
    listing = workbook.create_sheet("一覧")
    listing.append(["引渡し分"])
    listing.append(["名称", "種類", "数量"])
    listing.append(["申告書", "紙", 2])
    if second_list:
        other = workbook.create_sheet("前回分")
        other.append(["名称", "種類"])
        other.append(["前回の申告書", "紙"])
    return saved(workbook)


def test_a_list_on_the_second_sheet_is_found():
    table = parse("list.xlsx", cover_and_list())
    assert (table.sheet, table.header_line, [row.title for row in table.rows]) == ("一覧", 2, ["申告書"])
    assert skipped(table) == [("1", "title")]


def test_lists_on_two_sheets_ask_which_and_the_answer_is_read():
    content = cover_and_list(second_list=True)
    with pytest.raises(NeedsSheet) as caught:
        parse("list.xlsx", content)
    assert caught.value.details["sheets"] == [{"name": "一覧", "header_line": 2}, {"name": "前回分", "header_line": 1}]
    assert "「一覧」（2行目が見出し）" in caught.value.message_ja and "'前回分' (header on line 1)" in caught.value.message_en
    assert [row.title for row in parse("list.xlsx", content, sheet="前回分").rows] == ["前回の申告書"]
    assert [row.title for row in parse("list.xlsx", content, sheet="一覧").rows] == ["申告書"]


def test_a_sheet_that_does_not_exist_is_named():
    with pytest.raises(InvalidInput) as caught:
        parse("list.xlsx", cover_and_list(), sheet="別紙")
    assert "シート「別紙」はありません" in caught.value.message_ja and "「表紙」、「一覧」" in caught.value.message_ja
    assert caught.value.details["sheets"] == ["表紙", "一覧"]


# --- Text files with a title --------------------------------------------------------------------

CSV_WITH_TITLE = (
    "令和8年度 個人住民税 媒体引渡しリスト,,,\r\n"
    "市民税課,,,\r\n"
    ",,,\r\n"
    "品名,種別,件数,暗号化\r\n"
    "申告書 第1箱,紙,850,無\r\n"
    "課税データ,ＵＳＢメモリ,\"152,340\",○\r\n"
    "計,,\"153,190\",\r\n"
)


@pytest.mark.parametrize("encoding, prefix", [("utf-8", b"\xef\xbb\xbf"), ("utf-8", b""), ("cp932", b"")])
def test_csv_with_a_title_line_in_each_encoding(encoding, prefix):
    content = prefix + CSV_WITH_TITLE.replace("○", "有").replace("無\r\n", "無\r\n").encode(encoding)
    if encoding == "cp932":
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")
    with pytest.raises(InvalidInput) as caught:  # 暗号化「有」 needs its method: still all or nothing
        parse("list.csv", content)
    assert "6行目: 暗号化「有」ですが、暗号化方式が空です" in caught.value.message_ja

    fixed = prefix + CSV_WITH_TITLE.replace("暗号化\r\n", "暗号化,暗号化方式\r\n").replace("○\r\n", "○,AES-256\r\n").encode(encoding)
    table = parse("list.csv", fixed)
    assert table.header_line == 4 and table.sheet == ""
    assert [(row.line, row.title, row.kind, row.record_count, row.encrypted) for row in table.rows] == [
        (5, "申告書 第1箱", "paper", 850, False), (6, "課税データ", "usb", 152340, True),
    ]
    assert skipped(table) == [("1", "title"), ("2", "title"), ("3", "blank"), ("7", "totals")]


def test_tab_separated_with_a_title_line():
    content = "引渡しリスト\r\n\r\n名称\t種類\r\n申告書\t紙\r\n".encode("cp932")
    table = parse("list.txt", content)
    assert (table.header_line, [row.title for row in table.rows], skipped(table)) == (3, ["申告書"], [("1", "title"), ("2", "blank")])


# --- Rows that are not media --------------------------------------------------------------------

def test_subtotals_inside_the_table_are_skipped_and_reading_goes_on():
    content = "名称,種類,数量\n申告書1,紙,1\n小計,,1\n申告書2,紙,1\n 計 ,,1\n合計（2件）,,2\n".encode()
    table = parse("list.csv", content)
    assert [row.title for row in table.rows] == ["申告書1", "申告書2"]
    assert skipped(table) == [("3", "totals"), ("5", "totals"), ("6", "totals")]


def test_a_title_that_contains_a_totals_word_is_a_medium():
    rows = parse("list.csv", "名称,種類\n合計所得金額一覧,紙\n".encode()).rows
    assert [row.title for row in rows] == ["合計所得金額一覧"]


def test_notes_below_the_totals_are_not_imported():
    content = "名称,種類,数量\n申告書,紙,1\n合計,,1\n\n上記のとおり引き渡します。\n担当,山田\n".encode()
    table = parse("list.csv", content)
    assert [row.title for row in table.rows] == ["申告書"]
    assert skipped(table) == [("3", "totals"), ("4", "blank"), ("5", "note"), ("6", "note")]


def test_a_medium_after_the_grand_total_is_refused_not_dropped():
    content = "名称,種類\n申告書,紙\n合計,\n追加の申告書,紙\n".encode()
    with pytest.raises(InvalidInput) as caught:
        parse("list.csv", content)
    assert "4行目: 3行目の「合計」の行より後にありますが、媒体の行に見えます" in caught.value.message_ja
    assert "line 4: comes after the totals row on line 3 yet describes a medium" in caught.value.message_en


def test_a_bad_row_between_subtotals_is_still_an_error():
    content = "名称,種類\n申告書,紙\n小計,\n壊れた行,フロッピー\n申告書2,紙\n".encode()
    with pytest.raises(InvalidInput) as caught:
        parse("list.csv", content)
    assert "4行目: 種類「フロッピー」は分かりません" in caught.value.message_ja


def test_a_repeated_header_and_a_note_inside_the_table_are_skipped():
    content = "名称,種類\n申告書,紙\n※以下は電子媒体\n名称,種類\nデータ,USB\n".encode()
    table = parse("list.csv", content)
    assert [row.title for row in table.rows] == ["申告書", "データ"]
    assert skipped(table) == [("3", "note"), ("4", "header")]


def test_trailing_blank_rows_are_not_reported():
    table = parse("list.csv", "名称,種類\n申告書,紙\n,\n,\n\n".encode())
    assert skipped(table) == []


def test_skipped_rows_say_why_in_both_languages():
    entry = Skipped(3, 5, "blank")
    assert entry.lines == "3–5"
    assert entry.as_dict() == {"first_line": 3, "last_line": 5, "reason": "blank", "reason_ja": "空行",
                               "reason_en": "blank", "text": ""}


# --- Column names -------------------------------------------------------------------------------

@pytest.mark.parametrize("field, name", [(field, name) for field, names in list_columns.SYNONYMS.items() for name in names])
def test_every_synonym_names_its_field(field, name):
    assert list_columns.field_of(name, {}) == field


@pytest.mark.parametrize("written, field", [
    ("ＮＯ．", None), ("媒体名", "title"), ("品　名", None), ("品名 ", "title"), ("数量（枚）", "quantity"),
    ("※件数[人]", "record_count"), ("ｼﾘｱﾙ番号", "serial_number"), ("ＳＥＲＩＡＬ　ＮＯ．", "serial_number"),
    ("暗号化の有無（有・無）", "encrypted"), ("管理番号*", "city_reference"), ("MEDIA TYPE", "kind"),
])
def test_names_are_matched_in_any_width(written, field):
    assert list_columns.field_of(written, {}) == field


def test_synonym_headers_as_a_section_writes_them():
    content = "ＮＯ．,品名,種別,数量（枚）,人数,製造番号,暗号化の有無,暗号化の方式,整理番号,備考\n1,申告書,紙,3,120,,無,,A-1,至急\n".encode()
    [row] = parse("list.csv", content).rows
    assert (row.title, row.kind, row.quantity, row.record_count, row.city_reference) == ("申告書", "paper", 3, 120, "A-1")


def test_the_synonym_table_names_each_word_once():
    names = [list_columns.header_key(name) for names in list_columns.SYNONYMS.values() for name in names]
    fields = {}
    for field, words in list_columns.SYNONYMS.items():
        for word in words:
            assert fields.setdefault(list_columns.header_key(word), field) == field
    assert len(fields) <= len(names)


def test_header_key_is_stable():
    for text in ("※ 数量（枚）※", "数量(枚)(箱)", "  媒体 名  ", "ＡＢＣ（注）"):
        assert list_columns.header_key(list_columns.header_key(text)) == list_columns.header_key(text)


# --- The mapping step ---------------------------------------------------------------------------

OWN_NAMES = "受付番号,資料の名前,媒体のかたち,枚,備考\nA-1,申告書,紙,3,\nA-2,課税データ,USB,1,至急\n".encode()


def test_unknown_names_ask_for_a_mapping_with_a_preview():
    with pytest.raises(NeedsMapping) as caught:
        parse("list.csv", OWN_NAMES)
    error = caught.value
    assert "必須の列がありません: 名称（title）、種類（kind）" in error.message_ja and "列の対応" in error.message_ja
    assert "required columns missing: title (名称), kind (種類)" in error.message_en and "mapping" in error.message_en
    assert error.details["header_line"] == 1 and error.details["sheet"] == ""
    assert error.details["columns"] == [
        {"column": 1, "name": "受付番号", "guess": "ignore"}, {"column": 2, "name": "資料の名前", "guess": "ignore"},
        {"column": 3, "name": "媒体のかたち", "guess": "ignore"}, {"column": 4, "name": "枚", "guess": "ignore"},
        {"column": 5, "name": "備考", "guess": "ignore"},
    ]
    assert error.details["preview"] == [{"line": 2, "cells": ["A-1", "申告書", "紙", "3", ""]},
                                        {"line": 3, "cells": ["A-2", "課税データ", "USB", "1", "至急"]}]


def test_a_mapping_reads_the_list():
    mapping = {"受付番号": "city_reference", "資料の名前": "title", "媒体のかたち": "kind", "枚": "quantity", "備考": "ignore"}
    table = parse("list.csv", OWN_NAMES, mapping=mapping)
    assert [(row.title, row.kind, row.quantity, row.city_reference) for row in table.rows] == [
        ("申告書", "paper", 3, "A-1"), ("課税データ", "usb", 1, "A-2")]
    assert table.columns == ((1, "受付番号", "city_reference"), (2, "資料の名前", "title"), (3, "媒体のかたち", "kind"), (4, "枚", "quantity"))


def test_a_mapping_overrides_a_synonym_and_ignores_a_column():
    content = "名称,種類,数,枚数\n申告書,紙,9,3\n".encode()
    [row] = parse("list.csv", content, mapping={"数": "ignore", "枚数": "quantity"}).rows
    assert row.quantity == 3


@pytest.mark.parametrize("mapping, words", [
    ("名称=title", "mapping"), ({"名称": "colour"}, "colour"), ({"名称": 3}, "mapping"), ({"": "title"}, "mapping"),
])
def test_a_bad_mapping_is_refused_naming_what(mapping, words):
    with pytest.raises(InvalidInput) as caught:
        parse("list.csv", "名称,種類\na,紙\n".encode(), mapping=mapping)
    assert words in caught.value.message_en and caught.value.details["field"] == "mapping"


def test_a_header_cell_naming_two_fields_asks_for_the_mapping():
    with pytest.raises(NeedsMapping) as caught:
        parse("list.csv", "名称・種類,数量\n申告書 紙,1\n".encode())
    assert "列「名称・種類」は名称と種類のどちらの列か分かりません" in caught.value.message_ja
    assert "column '名称・種類' could be title or kind" in caught.value.message_en


def test_two_columns_meaning_one_field_ask_for_the_mapping_and_the_mapping_settles_it():
    content = "名称,媒体名,種類\n申告書,原票,紙\n".encode()
    with pytest.raises(NeedsMapping) as caught:
        parse("list.csv", content)
    assert "列「名称」と「媒体名」はどちらも名称の列です" in caught.value.message_ja
    assert [row.title for row in parse("list.csv", content, mapping={"媒体名": "ignore"}).rows] == ["申告書"]


def test_the_layout_offers_the_first_rows_and_another_header_line():
    content = city_workbook()
    layout = handover_list.layout("list.xlsx", content)
    assert (layout.sheets, layout.sheet, layout.header_line) == (("引渡しリスト",), "引渡しリスト", 4)
    assert layout.head[0] == (1, (CITY_TITLE, "", "", "", "", "", "", "", ""))
    assert ("媒体名", "title") in [(name, guess) for _column, name, guess in layout.columns]
    assert [line for line, _cells in layout.preview] == [5, 6, 7, 8, 9]
    other = handover_list.layout("list.xlsx", content, header_line=2)
    assert other.header_line == 2 and other.columns == ((1, "小金井市 市民部 市民税課 課税係", "ignore"),)


def test_no_recognisable_table():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "お世話になっております。"
    workbook.active["A2"] = "媒体の引渡しについてご連絡します。"
    with pytest.raises(InvalidInput) as caught:
        parse("連絡.xlsx", saved(workbook))
    error = caught.value
    assert not isinstance(error, NeedsMapping)
    assert "「連絡.xlsx」に引渡しリストの表が見つかりません" in error.message_ja and "シート「Sheet」" in error.message_ja
    assert "holds no table a handover list could be (sheet 'Sheet'" in error.message_en
