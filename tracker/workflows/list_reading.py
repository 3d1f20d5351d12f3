"""Opening the city's list file as sheets of text cells — safely, whatever the bytes are.

The file comes from outside (a city's e-mail, a USB stick) and may be anything: a CSV in
UTF-8, UTF-8 with a BOM or Shift_JIS (cp932), tab-separated text, an .xlsx workbook with
several sheets, an old .xls, a password-encrypted workbook, or a zip crafted to expand to
gigabytes. Everything that can go wrong becomes one ``InvalidInput`` that says what was found
and what to do; nothing else escapes.

An .xlsx is a zip of XML parts. Before openpyxl parses anything, the zip's directory is read
and refused when its parts would expand past ``MAX_UNCOMPRESSED_BYTES`` or hold more than
``MAX_SHARED_STRINGS`` shared strings (openpyxl loads that whole table when the workbook
opens: a 2 MB file of tiny strings once took 50 s and 1.2 GB). The sizes in a zip's directory
cannot lie to us: Python's zipfile stops at the declared size and fails the CRC check of a
part that holds more. XML is parsed with defusedxml (no DTDs, no entity expansion).

Each sheet gives ``(line, cells)``: Excel's row numbers (or the CSV's line numbers) and the
cells as text. Formula cells read as the value Excel saved with them; a formula saved without
a value (written by a program that does not calculate) is reported by cell so that the list
can refuse it instead of reading it as empty. A value merged down over several rows is given
to each of them, as a person reading the printed list would.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

import olefile
import openpyxl
from defusedxml.ElementTree import fromstring
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries

from tracker.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
# What the parts of an .xlsx may expand to, together. A 5,000-row list of 10 columns is 2–4 MB
# of XML; parsing costs about a second per MB on a small server.
MAX_UNCOMPRESSED_BYTES = 16 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
# Shared strings: a 5,000-row list of 10 columns has at most 50,000 different texts.
MAX_SHARED_STRINGS = 100_000
# Rows of a sheet (with cells in them, even empty formatted ones), counted before parsing.
MAX_DATA_ROWS = 5_000  # the data rows one import takes (handover_list.MAX_ROWS)
MAX_SHEET_ROWS = MAX_DATA_ROWS + 200
# Columns read: far more than any list has. Cells further right are not read.
MAX_COLUMNS = 100
# The last filled row may be at most this far down a sheet (the old .xls limit), so that gaps of
# empty rows cost nothing worth measuring.
MAX_SHEET_ROW = 65_536

TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")
WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm")
OLD_EXCEL_EXTENSIONS = (".xls",)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office files, and encrypted new ones

Row = tuple[int, list[str]]


@dataclass
class Sheet:
    """One table-shaped source: a worksheet, or the whole of a CSV file."""

    name: str  # the worksheet's name; "" for CSV and text files
    read_as: str  # for messages: "UTF-8", "Shift_JIS (cp932)", "Excel (.xlsx)"
    _head: list[Row] = field(default_factory=list, repr=False)
    _source: object = field(default=None, repr=False)  # _WorksheetSource, or a list of rows

    def head(self, count: int) -> list[Row]:
        """The first ``count`` rows (blank ones included), cheap: the sheet is not read further."""
        if isinstance(self._source, list):
            return self._source[:count]
        if len(self._head) < count:
            # Read MAX_COLUMNS wide; trailing empty cells are dropped so that a row is as long as its text.
            self._head = [(line, _trimmed(cells)) for line, cells in self._source.rows(max_row=count, fill_after=None)]
        return self._head[:count]

    def rows(self, fill_after: int = 0) -> Iterator[Row]:
        """Every row, with the value of a range merged down over rows below ``fill_after`` (the
        header) given to each of its rows."""
        if isinstance(self._source, list):
            return iter(self._source)
        return self._source.rows(max_row=None, fill_after=fill_after)

    def filled_rows(self) -> int:
        """How many rows hold anything, counted without building them (a sheet of 100,000 rows is
        refused from this count)."""
        if isinstance(self._source, list):
            return sum(1 for _line, cells in self._source if any(cell.strip() for cell in cells))
        return self._source._scan().filled_rows

    def uncached_formula(self, line: int, column: int) -> str | None:
        """The formula of a cell saved without its value, or None (after ``rows`` was read)."""
        if isinstance(self._source, list):
            return None
        return self._source.uncached.get((line, column))


class ListFile:
    """The sheets of one uploaded file; use as a context manager (a workbook holds its zip open)."""

    def __init__(self, sheets: list[Sheet], workbook=None):
        self.sheets = sheets
        self._workbook = workbook

    def __enter__(self) -> ListFile:
        return self

    def __exit__(self, *_exc) -> None:
        if self._workbook is not None:
            self._workbook.close()


def open_list(filename: str, content: bytes) -> ListFile:
    """The file's sheets, or InvalidInput saying what the file is and what to do."""
    extension = _extension(filename)
    require_size(content)  # before decoding or unzipping, so an oversized upload costs nothing
    # What the bytes are decides how they are read; the name only decides what is welcome.
    if content.startswith(OLE_MAGIC):
        raise _ole_file(filename, content)
    if extension in OLD_EXCEL_EXTENSIONS:
        raise _old_excel(filename)
    if extension not in TEXT_EXTENSIONS + WORKBOOK_EXTENSIONS:
        raise InvalidInput(
            f"ファイル「{filename}」の形式には対応していません。CSV（.csv）、テキスト（.txt）、Excel ブック（.xlsx）のいずれかで保存してください",
            f"file {filename!r} is not a supported type; save the list as CSV (.csv), text (.txt) or an Excel workbook (.xlsx)",
            filename=filename,
        )
    if extension in WORKBOOK_EXTENSIONS or content.startswith(ZIP_MAGIC):
        return _open_workbook(filename, content)
    text, read_as = _decode(content)
    return ListFile([Sheet("", read_as, _source=_text_rows(text))])


def require_size(content: bytes) -> None:
    if len(content) > MAX_BYTES:
        raise InvalidInput(
            f"ファイルが大きすぎます（{len(content):,}バイト。上限は{MAX_BYTES:,}バイト = {MAX_BYTES // (1024 * 1024)}MB です）。リストを分けて取り込んでください",
            f"the file is too large ({len(content):,} bytes; the limit is {MAX_BYTES:,} bytes = {MAX_BYTES // (1024 * 1024)} MB); split the list",
            size=len(content), limit=MAX_BYTES,
        )


def _extension(filename: str) -> str:
    name = filename.strip().lower()
    return name[name.rfind("."):] if "." in name else ""


# --- Text ---------------------------------------------------------------------------------------

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


def _text_rows(text: str) -> list[Row]:
    """(line, cells) for each row of CSV or tab-separated text."""
    # Excel's "Text (Tab delimited)" gives .txt files with tabs. A title line above the header
    # may have neither, so judge by the first lines together.
    start = "\n".join(text.lstrip("\r\n").split("\n", 40)[:40])
    delimiter = "\t" if start.count("\t") > start.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    try:
        for cells in reader:
            # Rows are numbered as Excel numbers them when it opens the CSV: a cell holding a
            # line break stays within one row.
            rows.append((len(rows) + 1, [cell.replace("\x00", "") for cell in cells[:MAX_COLUMNS]]))
    except csv.Error as error:
        line = len(rows) + 1
        raise InvalidInput(
            f"{line}行目を CSV として読めません（{error}）",
            f"line {line} cannot be read as CSV ({error})",
            lines=[line],
        ) from error
    return rows


# --- Old and encrypted Excel files --------------------------------------------------------------

def _ole_file(filename: str, content: bytes) -> InvalidInput:
    """An OLE2 compound file: an Excel 97–2003 workbook, or a password-encrypted new one."""
    try:
        with olefile.OleFileIO(content) as ole:
            encrypted = ole.exists("EncryptedPackage")
    except Exception:  # a damaged compound file: say what the magic number says  # noqa: BLE001
        encrypted = False
    if encrypted:
        return InvalidInput(
            f"「{filename}」はパスワードで暗号化された Excel ブックです。暗号化されたままでは読めません。"
            "Excel で開き（パスワードは市から別送されたもの）、「ファイル」→「情報」→「ブックの保護」→「パスワードを使用して暗号化」で"
            "パスワードを消して保存し、そのファイルを取り込んでください（記録されるハッシュは取り込んだファイルのものです）",
            f"{filename!r} is a password-encrypted Excel workbook and cannot be read as it is. Open it in Excel with the "
            "password the city sent separately, remove the password (File > Info > Protect Workbook > Encrypt with Password), "
            "save, and import that file (the hash recorded is of the file imported)",
            filename=filename, found="encrypted_workbook",
        )
    return _old_excel(filename)


def _old_excel(filename: str) -> InvalidInput:
    return InvalidInput(
        f"「{filename}」は古い形式の Excel ファイル（.xls、Excel 97–2003）です。この形式は読めません。"
        "Excel で開いて「名前を付けて保存」→「Excel ブック（*.xlsx）」か「CSV UTF-8（コンマ区切り）」で保存し直してください",
        f"{filename!r} is an old-format Excel file (.xls, Excel 97–2003), which cannot be read. Open it in Excel and "
        "save it as \"Excel Workbook (*.xlsx)\" or \"CSV UTF-8 (Comma delimited)\"",
        filename=filename, found="xls",
    )


# --- Workbooks ----------------------------------------------------------------------------------

def _open_workbook(filename: str, content: bytes) -> ListFile:
    # openpyxl and zipfile report a damaged or foreign file as any of zipfile, XML, KeyError,
    # ValueError... errors; for a person they all mean the same thing, so all are caught here.
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        _check_archive(filename, archive)
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True, keep_links=False)
    except InvalidInput:
        raise
    except Exception as error:  # noqa: BLE001 — see above
        raise _not_a_workbook(filename, error) from error
    try:
        sheets = [Sheet(sheet.title, "Excel (.xlsx)", _source=_WorksheetSource(filename, archive, sheet))
                  for sheet in workbook.worksheets]
    except Exception as error:  # noqa: BLE001
        workbook.close()
        raise _not_a_workbook(filename, error) from error
    return ListFile(sheets, workbook)


def _check_archive(filename: str, archive: zipfile.ZipFile) -> None:
    """Refuse, from the zip's directory alone, what would cost too much to open."""
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise _too_big(filename, f"{len(members):,}個の部品", f"{len(members):,} parts", "members", len(members))
    if any(member.flag_bits & 0x1 for member in members):
        raise InvalidInput(
            f"「{filename}」の中身がパスワード付き zip として暗号化されています。暗号化を解除した Excel ブックを取り込んでください",
            f"{filename!r} has parts encrypted as a password-protected zip; import the workbook without the password",
            filename=filename, found="encrypted_zip",
        )
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _too_big(filename, f"展開すると{total / 1024 / 1024:,.0f}MB（上限{MAX_UNCOMPRESSED_BYTES // 1024 // 1024}MB）",
                       f"{total / 1024 / 1024:,.0f} MB when expanded (limit {MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB)",
                       "uncompressed_bytes", total)
    shared = [member for member in members if member.filename.lower().endswith("sharedstrings.xml")]
    count = sum(_count_tags(archive, member, _SHARED_STRING) for member in shared)
    if count > MAX_SHARED_STRINGS:
        raise _too_big(filename, f"文字列が{count:,}個（上限{MAX_SHARED_STRINGS:,}個）",
                       f"{count:,} distinct texts (limit {MAX_SHARED_STRINGS:,})", "shared_strings", count)
    _check_sheet_sizes(filename, archive)


# <si>, <si …> or a prefixed <x:si>; a <row …> that is not empty (<row …/>).
_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?si[\s>/]")
_ROW_WITH_CELLS = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?row(?:\s[^>]{0,400}?)?(?<!/)>")
_TAG_WINDOW = 512


def _count_tags(archive: zipfile.ZipFile, member: zipfile.ZipInfo, pattern: re.Pattern) -> int:
    """How many times ``pattern`` occurs in the part, counted while streaming the bytes, without
    parsing the XML: a regular expression over at most MAX_UNCOMPRESSED_BYTES, fast enough to run
    before anything else."""
    count, tail = 0, b""
    with archive.open(member) as part:
        while chunk := part.read(1 << 20):
            window = tail + chunk
            # A tag wholly inside the kept tail was counted with the previous chunk.
            count += sum(1 for found in pattern.finditer(window) if found.end() > len(tail))
            tail = window[-_TAG_WINDOW:]
    return count


def _check_sheet_sizes(filename: str, archive: zipfile.ZipFile) -> None:
    """No sheet may have more rows than a list can: refused here, before any XML is parsed."""
    names = _sheet_names(archive)
    for member in archive.infolist():
        if member.filename in names:
            rows = _count_tags(archive, member, _ROW_WITH_CELLS)
            if rows > MAX_SHEET_ROWS:
                sheet = names[member.filename]
                raise InvalidInput(
                    f"「{filename}」のシート「{sheet}」には{rows:,}行あります。引渡しリストとして取り込めるのは、1シート"
                    f"{MAX_SHEET_ROWS:,}行（データ{MAX_DATA_ROWS:,}行）までです。リストを分けるか、リストの表だけを新しいブックにコピーして保存してください",
                    f"{filename!r}: sheet {sheet!r} has {rows:,} rows; a workbook imported as a handover list may have at most "
                    f"{MAX_SHEET_ROWS:,} rows per sheet ({MAX_DATA_ROWS:,} data rows); split the list, or copy it alone into a new workbook",
                    sheet=sheet, rows=rows, limit=MAX_SHEET_ROWS,
                )


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """{part path: sheet name} from the workbook's own index (xl/workbook.xml and its rels)."""
    relations = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        workbook = fromstring(archive.read("xl/workbook.xml"))
        rels = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}  # not a workbook openpyxl could open either: it will say so
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return {targets[sheet.get(relations)]: sheet.get("name", "")
            for sheet in workbook.iter() if sheet.tag.rsplit("}", 1)[-1] == "sheet" and sheet.get(relations) in targets}


def _too_big(filename: str, what_ja: str, what_en: str, measure: str, found: int) -> InvalidInput:
    return InvalidInput(
        f"「{filename}」は引渡しリストとしては大きすぎます（{what_ja}）。5,000行のリストでもずっと小さくなります。"
        "別の表やデータが含まれていないか確かめ、リストの表だけを新しいブックにコピーして保存するか、CSV で保存して取り込んでください",
        f"{filename!r} is far too large for a handover list ({what_en}); even a 5,000-row list is much smaller. "
        "Check it holds no other tables or data, copy just the list into a new workbook, or save it as CSV",
        filename=filename, measure=measure, found=found,
    )


def _not_a_workbook(filename: str, error: Exception) -> InvalidInput:
    return InvalidInput(
        f"「{filename}」を Excel ブック（.xlsx）として開けません。ファイルが壊れているか、別の形式です。"
        "Excel で開けるか確かめ、「Excel ブック（*.xlsx）」か「CSV UTF-8（コンマ区切り）」で保存し直してください",
        f"{filename!r} cannot be opened as an Excel workbook (.xlsx): it is damaged or another format. "
        "Check that Excel opens it, and save it again as \"Excel Workbook (*.xlsx)\" or \"CSV UTF-8 (Comma delimited)\"",
        filename=filename,
        reason=type(error).__name__,
    )


class _WorksheetSource:
    """A worksheet read in openpyxl's streaming (read-only) mode, plus what that mode leaves
    out: merged ranges, and which formulas were saved without a value."""

    def __init__(self, filename: str, archive: zipfile.ZipFile, worksheet):
        self.filename = filename
        self.archive = archive
        self.worksheet = worksheet
        self.uncached: dict[tuple[int, int], str] = {}
        self._scanned = None

    def rows(self, max_row: int | None, fill_after: int | None) -> Iterator[Row]:
        """Rows up to ``max_row`` (None: the whole sheet, scanned first); merged values filled
        down from ranges starting below ``fill_after`` (None: none)."""
        try:
            yield from self._rows(max_row, fill_after)
        except InvalidInput:
            raise
        except Exception as error:  # noqa: BLE001 — a damaged sheet, whatever openpyxl says about it
            raise _not_a_workbook(self.filename, error) from error

    def _rows(self, max_row: int | None, fill_after: int | None) -> Iterator[Row]:
        # Some programs write wrong sheet dimensions, which would cut rows off in read-only mode.
        self.worksheet.reset_dimensions()
        if max_row is None:
            scan = self._scan()
            last_row, last_column, merged = scan.last_row, scan.last_column, scan.merged_down
        else:
            last_row, last_column, merged = max_row, MAX_COLUMNS, []
        if not last_row:
            return
        starts: dict[int, list[tuple[int, int]]] = {}  # row → [(column, last row)] of merges starting there
        for column, first, last in merged:
            if fill_after is not None and first > fill_after:
                starts.setdefault(first, []).append((column, last))
        carried: dict[int, tuple[str, int]] = {}  # column → (value, last row it covers)
        # min_row=1: openpyxl then fills skipped rows, so enumerate gives Excel's row numbers.
        width = max(1, min(last_column, MAX_COLUMNS))
        values = self.worksheet.iter_rows(min_row=1, max_row=last_row, max_col=width, values_only=True)
        for line, row in enumerate(values, start=1):
            cells = [_cell_text(value) for value in row]
            if starts:
                for column, (value, last) in list(carried.items()):
                    if line > last:
                        del carried[column]
                    elif column - 1 < len(cells) and not cells[column - 1].strip():
                        cells[column - 1] = value
                for column, last in starts.get(line, ()):
                    if column - 1 < len(cells):
                        carried[column] = (cells[column - 1], last)
            yield line, cells

    def _scan(self) -> _SheetScan:
        if self._scanned is None:
            self._scanned = _scan_sheet(self.filename, self.archive, self.worksheet)
            self.uncached = self._scanned.uncached
        return self._scanned


@dataclass
class _SheetScan:
    last_row: int = 0
    last_column: int = 0
    filled_rows: int = 0
    merged_down: list[tuple[int, int, int]] = field(default_factory=list)  # (column, first row, last row)
    uncached: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) → formula


def _scan_sheet(filename: str, archive: zipfile.ZipFile, worksheet) -> _SheetScan:
    """One streaming pass over the sheet's XML: its extent, merged ranges and uncached formulas."""
    scanner = _SheetScanner(filename, worksheet.title)
    # The part's path inside the zip, as openpyxl's read-only worksheet knows it.
    with archive.open(worksheet._worksheet_path) as part:
        scanner.parse(part)
    return scanner.scan


class _SheetScanner:
    """Expat callbacks, no element tree: this pass costs a fraction of openpyxl's own. Like
    defusedxml, it refuses any DTD, so no entity can expand."""

    def __init__(self, filename: str, sheet: str):
        self.filename, self.sheet = filename, sheet
        self.scan = _SheetScan()
        self.row = self.column = 0
        self.row_filled = False
        self.cell_type = ""
        self.has_value = self.in_value = self.in_formula = False
        self.formula: list[str] | None = None
        self.value_text = False

    def parse(self, part) -> None:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._text
        while chunk := part.read(1 << 16):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)

    def _doctype(self, *_args) -> None:
        raise ValueError("a DTD in a worksheet")  # reported as a damaged workbook

    def _start(self, name: str, attributes: dict) -> None:
        tag = name.rsplit(" ", 1)[-1]
        if tag == "c":
            self.column = _column_of(attributes.get("r", "")) or self.column + 1
            self.cell_type = attributes.get("t", "")
            self.has_value, self.formula = False, None
        elif tag == "v":
            self.in_value = True
            self.has_value = self.has_value or self.cell_type == "str"  # a formula's empty text is a value
        elif tag == "f":
            self.in_formula, self.formula = True, []
        elif tag == "is":
            self.has_value = True
        elif tag == "row":  # rows and cells without r= follow the one before, as in openpyxl
            number = attributes.get("r", "")
            self.row = int(number) if number.isdigit() else self.row + 1
            self.column, self.row_filled = 0, False
        elif tag == "mergeCell":
            _add_merge(self.scan, attributes.get("ref", ""))

    def _text(self, text: str) -> None:
        if self.in_value and text:
            self.has_value = True
        elif self.in_formula and len(self.formula) < 100:
            self.formula.append(text)

    def _end(self, name: str) -> None:
        tag = name.rsplit(" ", 1)[-1]
        if tag == "v":
            self.in_value = False
        elif tag == "f":
            self.in_formula = False
        elif tag == "c":
            if (self.has_value or self.formula is not None) and self.column <= MAX_COLUMNS:
                self.row_filled = True
                self.scan.last_column = max(self.scan.last_column, self.column)
                if self.formula is not None and not self.has_value:
                    self.scan.uncached[(self.row, self.column)] = "=" + ("".join(self.formula) or "…")
        elif tag == "row" and self.row_filled:
            self.scan.filled_rows += 1
            self.scan.last_row = self.row
            if self.row > MAX_SHEET_ROW:
                raise _far_below(self.filename, self.sheet, self.row)


def _far_below(filename: str, sheet: str, row: int) -> InvalidInput:
    return InvalidInput(
        f"「{filename}」のシート「{sheet}」の{row:,}行目に値があります。{MAX_SHEET_ROW:,}行目より下は読みません。"
        "リストの表から離れた値を削除して保存し直してください",
        f"{filename!r}, sheet {sheet!r}: row {row:,} holds a value, and rows past {MAX_SHEET_ROW:,} are not read; "
        "delete values far below the list and save again",
        sheet=sheet, line=row,
    )


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")


def _column_of(ref: str) -> int:
    found = _REF.match(ref)
    return column_index_from_string(found.group(1).upper()) if found else 0


def _add_merge(scan: _SheetScan, ref: str) -> None:
    """A range merged over several rows gives its value to each row, in its first column only: a
    value merged across columns belongs to the first of them."""
    try:
        first_column, first_row, _last_column, last_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return  # not a range we understand: the cells read as Excel saved them
    if first_row and last_row and first_column and last_row > first_row and first_column <= MAX_COLUMNS:
        scan.merged_down.append((first_column, first_row, min(last_row, MAX_SHEET_ROW)))


def _trimmed(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def cell_name(line: int, column: int) -> str:
    """Excel's name of a cell, E12."""
    return f"{get_column_letter(column)}{line}"


def _cell_text(value) -> str:
    if value is None:
        return ""
    # Excel stores every number as a float; 3.0 typed as 3 should read back as "3".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)
