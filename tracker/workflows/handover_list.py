"""Reading the city's handover list (引渡しリスト) when media are received.

The municipality hands over media together with a list of what it is handing over. The
contractor imports that list so that every medium on it is expected (and labelled) before
anything changes hands; a list that was half read, or read with a wrong column, would leave a
medium nobody accounts for. So reading is all or nothing: ``parse`` returns every row, or raises
one ``InvalidInput`` that says in Japanese and English what to fix and on which line.

Cities send whatever their office software produces: CSV saved from Excel as UTF-8 (usually
with a BOM) or as Shift_JIS, tab-separated text, or an .xlsx workbook; with Japanese or English
column names, full-width digits and 「有」/「○」 for yes. All of those are accepted here.

Line numbers are the row numbers a person sees in Excel: the header is line 1 and the first
data row line 2 (in a CSV file they are the text lines unless a cell holds a line break).
Pure functions: no database, no Flask.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import openpyxl

from tracker import vocabulary
from tracker.errors import InvalidInput
from tracker.models import MEDIUM_KINDS
from tracker.workflows import inputs

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
MAX_LISTED_ERRORS = 20  # more than this on one screen helps nobody; the total is still given
TITLE_MAX_LENGTH = 200  # as media.register, so a row read here is never refused there

TEXT_EXTENSIONS = (".csv", ".txt")
WORKBOOK_EXTENSIONS = (".xlsx",)


@dataclass(frozen=True)
class ListRow:
    line: int  # row number as a person sees it: header = 1, first data row = 2
    title: str
    kind: str  # one of tracker.models.MEDIUM_KINDS
    quantity: int
    record_count: int
    pi_items: tuple[str, ...]
    serial_number: str
    encrypted: bool
    encryption: str
    seal_number: str
    city_reference: str


def parse(filename: str, content: bytes) -> list[ListRow]:
    """Every row of the handover list ``content`` (named ``filename``), or InvalidInput."""
    extension = os.path.splitext(filename.strip().lower())[1]
    if extension not in TEXT_EXTENSIONS + WORKBOOK_EXTENSIONS:
        raise InvalidInput(
            f"ファイル「{filename}」の形式には対応していません。CSV（.csv）、テキスト（.txt）、Excel ブック（.xlsx）のいずれかで保存してください",
            f"file {filename!r} is not a supported type; save the list as CSV (.csv), text (.txt) or an Excel workbook (.xlsx)",
            filename=filename,
        )
    # Checked before decoding or unzipping, so an oversized upload costs nothing.
    if len(content) > MAX_BYTES:
        raise InvalidInput(
            f"ファイルが大きすぎます（{len(content):,}バイト。上限は{MAX_BYTES:,}バイト = {MAX_BYTES // (1024 * 1024)}MB です）。リストを分けて取り込んでください",
            f"the file is too large ({len(content):,} bytes; the limit is {MAX_BYTES:,} bytes = {MAX_BYTES // (1024 * 1024)} MB); split the list",
            size=len(content),
            limit=MAX_BYTES,
        )
    if extension in WORKBOOK_EXTENSIONS:
        rows, read_as = _workbook_rows(filename, content), "Excel (.xlsx)"
    else:
        text, read_as = _decode(content)
        rows = _text_rows(text)
    columns = _read_header(rows, read_as)
    return _read_data(rows, columns)


# --- Column names -------------------------------------------------------------------------------

# Japanese and English names for each field, compared after _header_key (NFKC, lower-case).
HEADER_ALIASES = {
    "title": ("名称", "文書名", "データ名", "title", "name"),
    "kind": ("種類", "媒体の種類", "媒体種類", "媒体", "kind", "type", "medium"),
    "quantity": ("数量", "quantity", "qty"),
    "record_count": ("件数", "記録件数", "records", "record_count", "record count"),
    "pi_items": ("個人情報項目", "個人情報の項目", "pi_items", "items", "personal information items"),
    "serial_number": ("製造番号", "シリアル番号", "シリアル", "serial", "serial_number", "serial number", "serial no."),
    "encrypted": ("暗号化", "暗号化の有無", "encrypted"),
    "encryption": ("暗号化方式", "暗号化の方式", "encryption", "encryption method"),
    "seal_number": ("封印番号", "seal", "seal_number", "seal number"),
    "city_reference": ("管理番号", "市管理番号", "市の管理番号", "reference", "city_reference", "city reference"),
}
REQUIRED_FIELDS = ("title", "kind")
FIELD_NAMES = {  # for messages: (Japanese, English)
    "title": ("名称", "title"),
    "kind": ("種類", "kind"),
    "quantity": ("数量", "quantity"),
    "record_count": ("件数", "record count"),
    "pi_items": ("個人情報項目", "personal information items"),
    "serial_number": ("製造番号", "serial number"),
    "encrypted": ("暗号化", "encrypted"),
    "encryption": ("暗号化方式", "encryption method"),
    "seal_number": ("封印番号", "seal number"),
    "city_reference": ("管理番号", "city reference"),
}


def _normalise(text: str) -> str:
    """Full-width letters and digits to ASCII, half-width katakana to full-width, lower case."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def _header_key(text: str) -> str:
    key = _normalise(text)
    # City templates mark required columns (※名称, 名称*) and add units (数量（枚）); neither
    # changes what the column holds.
    key = re.sub(r"\s*\([^)]*\)$", "", key)
    return key.strip("※* ")


HEADER_FIELDS = {_header_key(alias): field for field, aliases in HEADER_ALIASES.items() for alias in aliases}


# --- Values -------------------------------------------------------------------------------------

def _kind_words() -> dict[str, str]:
    words = {kind: kind for kind in MEDIUM_KINDS}
    # The names the app itself shows (紙（原票）, USBメモリ, optical disc...) are always accepted.
    for kind, names in vocabulary.MEDIUM_KINDS.items():
        words.update({name: kind for name in names})
    extra = {
        "paper": ("紙", "原票", "書類", "paper"),
        "usb": ("usb", "usbメモリ", "usbメモリー"),
        "hdd": ("ハードディスク", "外付けhdd"),
        "optical": ("光ディスク", "cd", "cd-r", "cd-rom", "dvd", "dvd-r", "dvd-rom", "bd", "bd-r", "ブルーレイ"),
        "tape": ("磁気テープ", "テープ"),
        "other": ("その他",),
    }
    for kind, names in extra.items():
        words.update({name: kind for name in names})
    return {_normalise(word): kind for word, kind in words.items()}


KIND_WORDS = _kind_words()
KIND_CHOICES_JA = "・".join(vocabulary.MEDIUM_KINDS[kind][0] for kind in MEDIUM_KINDS)

# 〇 (ideographic zero) and ◯ (large circle) are what Japanese input methods often give for ○.
YES_WORDS = {"有", "有り", "あり", "済", "済み", "○", "〇", "◯", "yes", "y", "true", "1"}
NO_WORDS = {"", "無", "無し", "なし", "×", "✕", "-", "no", "n", "false", "0"}

# 、 , ， / ・ as asked; ／ and ･ are their full/half-width twins, and a line break is what
# Alt+Enter leaves inside an Excel cell.
PI_ITEM_SEPARATORS = re.compile(r"[、,，/／・･\n]")


# --- Reading rows -------------------------------------------------------------------------------

def _decode(content: bytes) -> tuple[str, str]:
    """The text and the name of the encoding it was read as; UTF-8 first, then cp932."""
    # UTF-8 first: Shift_JIS text is almost never valid UTF-8, while UTF-8 text often "decodes"
    # as cp932 into mojibake.
    bom = content.startswith(codecs.BOM_UTF8)
    skip = len(codecs.BOM_UTF8) if bom else 0
    try:
        return content[skip:].decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as error:
        utf8_at = error.start + skip
    cp932_at = None
    if not bom:  # a BOM says the file is UTF-8; reading it as Shift_JIS would only give garbage
        try:
            return content.decode("cp932"), "Shift_JIS (cp932)"
        except UnicodeDecodeError as error:
            cp932_at = error.start

    def where_ja(offset: int) -> str:
        return f"{_line_of(content, offset)}行目付近（{offset + 1}バイト目、0x{content[offset]:02X}）"

    def where_en(offset: int) -> str:
        return f"line {_line_of(content, offset)}, byte {offset + 1}: 0x{content[offset]:02X}"

    if cp932_at is None:
        message_ja = f"先頭に UTF-8 の印（BOM）がありますが、{where_ja(utf8_at)}に UTF-8 として読めないバイトがあります"
        message_en = f"the file starts with a UTF-8 byte order mark but has a byte that is not UTF-8 ({where_en(utf8_at)})"
    else:
        message_ja = (
            "文字コードを判別できません。UTF-8 としては" + where_ja(utf8_at)
            + "、Shift_JIS としては" + where_ja(cp932_at) + "に読めないバイトがあります"
        )
        message_en = (
            "cannot tell the character encoding: the file is neither UTF-8 (bad byte at " + where_en(utf8_at)
            + ") nor Shift_JIS/cp932 (bad byte at " + where_en(cp932_at) + ")"
        )
    raise InvalidInput(
        message_ja + "。Excel で「CSV UTF-8（コンマ区切り）」形式で保存し直してください",
        message_en + "; save it again from Excel as \"CSV UTF-8 (Comma delimited)\"",
        line=_line_of(content, cp932_at if cp932_at is not None else utf8_at),
        utf8_byte=utf8_at + 1,
        cp932_byte=None if cp932_at is None else cp932_at + 1,
    )


def _line_of(content: bytes, offset: int) -> int:
    return content.count(b"\n", 0, offset) + 1


def _text_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) for each row of CSV or tab-separated text."""
    # Excel's "Text (Tab delimited)" gives .txt files with tabs; judge by the first line.
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for line, cells in enumerate(reader, start=1):
            yield line, cells
    except csv.Error as error:
        raise InvalidInput(
            f"{line + 1}行目を CSV として読めません（{error}）",
            f"line {line + 1} cannot be read as CSV ({error})",
            lines=[line + 1],
        ) from error


def _workbook_rows(filename: str, content: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) for each row of the workbook's first sheet, cells as text."""
    # openpyxl reports a damaged or foreign file as any of zipfile, XML, KeyError, ValueError...
    # errors; for a person they all mean the same thing, so all are caught here and only here.
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        raise _not_a_workbook(filename, error) from error
    try:
        sheet = workbook.worksheets[0]
        # Some programs write wrong sheet dimensions, which would cut rows off in read-only mode.
        sheet.reset_dimensions()
        # min_row=1: openpyxl then fills skipped rows, so enumerate gives Excel's row numbers.
        for line, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield line, [_cell_text(value) for value in values]
    except Exception as error:
        raise _not_a_workbook(filename, error) from error
    finally:
        workbook.close()


def _not_a_workbook(filename: str, error: Exception) -> InvalidInput:
    return InvalidInput(
        f"「{filename}」を Excel ブック（.xlsx）として開けません。ファイルが壊れているか、別の形式です。"
        "パスワードで保護されたブックは保護を解除して保存し直してください",
        f"{filename!r} cannot be opened as an Excel workbook (.xlsx): it is damaged or another format. "
        "Remove any password protection and save it again",
        filename=filename,
        reason=type(error).__name__,
    )


def _cell_text(value) -> str:
    if value is None:
        return ""
    # Excel stores every number as a float; 3.0 typed as 3 should read back as "3".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


# --- Header and data ----------------------------------------------------------------------------

def _read_header(rows: Iterator[tuple[int, list[str]]], read_as: str) -> dict[str, int]:
    """Field -> column index, from the first non-blank row; refuses missing or doubled columns."""
    for line, cells in rows:
        if not _is_blank(cells):
            break
    else:
        raise InvalidInput("ファイルが空です（見出し行もデータもありません）", "the file is empty (no header row, no data)")
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        field = HEADER_FIELDS.get(_header_key(cell))
        if field is None:
            continue  # other columns (備考, 担当課...) are the city's business, not ours
        if field in columns:
            name_ja, name_en = FIELD_NAMES[field]
            first = cells[columns[field]].strip()
            raise InvalidInput(
                f"{line}行目（見出し行）の列「{first}」と「{cell.strip()}」はどちらも{name_ja}の列です。どちらか一方にしてください",
                f"line {line} (header): columns {first!r} and {cell.strip()!r} both mean {name_en}; keep only one",
                line=line,
            )
        columns[field] = index
    missing = [field for field in REQUIRED_FIELDS if field not in columns]
    if missing:
        found = [cell.strip() for cell in cells if cell.strip()]
        missing_ja = "、".join(f"{FIELD_NAMES[field][0]}（{FIELD_NAMES[field][1]}）" for field in missing)
        missing_en = ", ".join(f"{FIELD_NAMES[field][1]} ({FIELD_NAMES[field][0]})" for field in missing)
        raise InvalidInput(
            f"必須の列がありません: {missing_ja}。{line}行目を見出し行として {read_as} で読みました。"
            f"見つかった列: {'、'.join(found) or 'なし'}",
            f"required columns missing: {missing_en}. Line {line} was read as the header ({read_as}); "
            f"columns found: {', '.join(found) or 'none'}",
            line=line,
            missing=missing,
            found=found,
        )
    return columns


def _read_data(rows: Iterator[tuple[int, list[str]]], columns: dict[str, int]) -> list[ListRow]:
    parsed: list[ListRow] = []
    errors: list[tuple[int, str, str]] = []  # (line, Japanese, English)
    first_seen: dict[str, dict[str, int]] = {"serial_number": {}, "city_reference": {}}
    data_rows = 0
    for line, cells in rows:
        if _is_blank(cells):
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            # Stop here: reading on would only measure by how much the list is too long.
            raise InvalidInput(
                f"データ行が上限の{MAX_ROWS:,}行を超えています（少なくとも{data_rows:,}行あり、{line}行目が{data_rows:,}行目の"
                "データです）。リストを分けて取り込んでください",
                f"the list has more than {MAX_ROWS:,} data rows, the limit (at least {data_rows:,} found; "
                f"line {line} is data row {data_rows:,}); split the list",
                limit=MAX_ROWS,
                found_at_least=data_rows,
                line=line,
            )
        row, row_errors = _read_row(line, cells, columns)
        errors.extend(row_errors)
        # Checked on the raw cells, so a duplicate is reported even on a row with other errors.
        errors.extend(_duplicates(line, cells, columns, first_seen))
        if row is not None:
            parsed.append(row)
    if errors:
        raise _listed(errors)
    if not parsed:
        raise InvalidInput("見出し行だけで、データの行がありません", "the list has a header row but no data rows")
    return parsed


def _cell(cells: list[str], columns: dict[str, int], field: str) -> str:
    index = columns.get(field)
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _read_row(line: int, cells: list[str], columns: dict[str, int]) -> tuple[ListRow | None, list[tuple[int, str, str]]]:
    """The row, or None and what is wrong with it (every problem, not just the first)."""
    errors: list[tuple[int, str, str]] = []

    def refuse(message_ja: str, message_en: str) -> None:
        errors.append((line, message_ja, message_en))

    def number(field: str, default: int, minimum: int) -> int:
        text = _cell(cells, columns, field)
        if not text:
            return default
        try:
            return inputs.parse_count(unicodedata.normalize("NFKC", text), *FIELD_NAMES[field], minimum=minimum)
        except InvalidInput as error:
            refuse(error.message_ja, error.message_en)
            return default

    title = _cell(cells, columns, "title")
    if not title:
        refuse("名称が空です", "the title (名称) is empty")
    elif len(title) > TITLE_MAX_LENGTH:
        refuse(f"名称は{TITLE_MAX_LENGTH}文字以内にしてください（{len(title)}文字）", f"the title must be at most {TITLE_MAX_LENGTH} characters ({len(title)})")

    kind_text = _cell(cells, columns, "kind")
    kind = KIND_WORDS.get(_normalise(kind_text), "")
    if not kind_text:
        refuse("種類が空です", "the kind (種類) is empty")
    elif not kind:
        refuse(
            f"種類「{kind_text}」は分かりません（{KIND_CHOICES_JA} のいずれか）",
            f"kind {kind_text!r} is not known (use one of {', '.join(MEDIUM_KINDS)})",
        )

    quantity = number("quantity", default=1, minimum=1)
    record_count = number("record_count", default=0, minimum=0)

    encrypted_text = _cell(cells, columns, "encrypted")
    encrypted = _normalise(encrypted_text) in YES_WORDS
    if not encrypted and _normalise(encrypted_text) not in NO_WORDS:
        refuse(
            f"暗号化「{encrypted_text}」は 有・無（あり・なし、○・×）のどちらかで入力してください",
            f"encrypted {encrypted_text!r} must be yes or no (有/無, あり/なし, ○/×)",
        )
    encryption = _cell(cells, columns, "encryption")
    if encrypted and not encryption:
        refuse("暗号化「有」ですが、暗号化方式が空です", "encrypted is yes but the encryption method (暗号化方式) is empty")

    if errors:
        return None, errors
    pi_items = tuple(item.strip() for item in PI_ITEM_SEPARATORS.split(_cell(cells, columns, "pi_items")) if item.strip())
    return ListRow(
        line=line,
        title=title,
        kind=kind,
        quantity=quantity,
        record_count=record_count,
        pi_items=pi_items,
        # Identifiers are compared with what is printed on the medium: full-width ＡＢ１２ is AB12.
        serial_number=unicodedata.normalize("NFKC", _cell(cells, columns, "serial_number")),
        encrypted=encrypted,
        encryption=encryption,
        seal_number=unicodedata.normalize("NFKC", _cell(cells, columns, "seal_number")),
        city_reference=unicodedata.normalize("NFKC", _cell(cells, columns, "city_reference")),
    ), []


def _duplicates(line: int, cells: list[str], columns: dict[str, int], first_seen: dict[str, dict[str, int]]) -> list[tuple[int, str, str]]:
    """Serial numbers and city references must each name one medium only."""
    errors = []
    for field, seen in first_seen.items():
        text = _cell(cells, columns, field)
        if not text:
            continue
        key = _normalise(text)
        if key in seen:
            name_ja, name_en = FIELD_NAMES[field]
            errors.append((
                line,
                f"{name_ja}「{text}」が{seen[key]}行目と重複しています",
                f"{name_en} {text!r} is also on line {seen[key]}",
            ))
        else:
            seen[key] = line
    return errors


def _listed(errors: list[tuple[int, str, str]]) -> InvalidInput:
    """One refusal for the whole file: the first errors by line, and how many there are."""
    shown = errors[:MAX_LISTED_ERRORS]
    more = len(errors) - len(shown)
    lines_ja = [f"{line}行目: {message}" for line, message, _ in shown]
    lines_en = [f"line {line}: {message}" for line, _, message in shown]
    if more:
        lines_ja.append(f"ほか{more}件")
        lines_en.append(f"and {more} more")
    return InvalidInput(
        f"引渡しリストに誤りが{len(errors)}件あります。直してからもう一度取り込んでください:\n" + "\n".join(lines_ja),
        f"the handover list has {len(errors)} error(s); fix them and import it again:\n" + "\n".join(lines_en),
        lines=sorted({line for line, _, _ in errors}),
        error_count=len(errors),
    )
