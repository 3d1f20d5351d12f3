"""Handover lists as cities send them, built in the tests themselves (openpyxl, codecs).

openpyxl writes formulas without the value Excel would save beside them, so
``with_cached_values`` writes those values into the sheet XML afterwards: the file then holds
what Excel itself saves (``<f>SUM(E5:E8)</f><v>6</v>``).
"""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl

CITY_TITLE = "令和8年度 個人住民税 媒体引渡しリスト"


def saved(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_cached_values(content: bytes, values: dict[str, str], sheet_part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The workbook ``content`` with each formula cell named in ``values`` given its saved value."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == sheet_part:
                text = data.decode("utf-8")
                for cell, value in values.items():
                    text, found = re.subn(rf'(<c r="{cell}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/>', rf"\g<1><v>{value}</v>", text)
                    assert found == 1, f"no formula cell {cell} in {sheet_part}"
                data = text.encode("utf-8")
            target.writestr(member, data)
    return buffer.getvalue()


def replace_part(content: bytes, part: str, data: bytes, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The workbook ``content`` with ``part`` replaced by (or added as) ``data``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as target:
        for member in source.infolist():
            if member.filename != part:
                target.writestr(member.filename, source.read(member))
        target.writestr(part, data)
    return buffer.getvalue()


def city_workbook(cached: bool = True) -> bytes:
    """The list a city section typically sends (issue #20): a title merged across the columns,
    the section's name, a blank row, the header on row 4 with the section's own column names,
    a kind merged down over two rows, a 合計 row of SUM formulas, and a note below."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "引渡しリスト"
    sheet["A1"] = CITY_TITLE
    sheet.merge_cells("A1:I1")
    sheet["A2"] = "小金井市 市民部 市民税課 課税係"
    sheet.append([])
    sheet.append(["No.", "媒体名", "区分", "数", "人数", "シリアル番号", "暗号化", "暗号化方式", "管理番号"])
    sheet.append([1, "住民税申告書（原票） 第1箱", "紙", 1, 1200, None, "無", None, "R8-001"])
    sheet.append([2, "住民税申告書（原票） 第2箱", None, 1, 980, None, "無", None, "R8-002"])
    sheet.merge_cells("C5:C6")  # 紙 for both boxes
    sheet.append([3, "課税データ", "USBメモリ", 1, 152340, "AA1234567890", "有", "AES-256", "R8-003"])
    sheet.append([4, "給与支払報告書 電子データ", "DVD-R", 2, 48210, None, "有", "ZIP AES-256", "R8-004"])
    sheet.append(["合計", None, None, "=SUM(D5:D8)", "=SUM(E5:E8)"])
    sheet.append([])
    sheet.append(["※ 暗号化された媒体のパスワードは別途通知します。"])
    content = saved(workbook)
    return with_cached_values(content, {"D9": "5", "E9": "202730"}) if cached else content


def sheet_xml(rows_xml: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{rows_xml}</sheetData></worksheet>").encode("utf-8")


def workbook_with_rows_xml(rows_xml: str) -> bytes:
    """A workbook whose only sheet is ``rows_xml``: large sheets written in a blink."""
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "x"
    return replace_part(saved(workbook), "xl/worksheets/sheet1.xml", sheet_xml(rows_xml))


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'
