"""Reading the city's handover list (引渡しリスト) when media are received.

The municipality hands over media together with a list of what it is handing over. The
contractor imports that list so that every medium on it is expected (and labelled) before
anything changes hands; a list that was half read, or read with a wrong column, would leave a
medium nobody accounts for. So reading is all or nothing: ``parse`` returns every row, or raises
one ``InvalidInput`` that says in Japanese and English what to fix and on which line.

Lists come out of each section's own Excel habits, and are read as the city sent them, never
edited first: CSV (UTF-8, UTF-8 with a BOM, Shift_JIS, tab-separated) or .xlsx
(``list_reading``); a title, the section's name and notes above the header, which is found by
its column names in any sheet (``list_columns``); totals and subtotal rows (合計, 小計, 計) and
notes below the data, and blank rows, skipped and listed with the reason; full-width digits
and 「有」/「○」 for yes. Two outcomes are questions rather than mistakes, and are raised as
their own ``InvalidInput`` subclasses so that a page can ask them: which sheet
(``NeedsSheet``), and which column is which (``NeedsMapping``).

Line numbers are the row numbers a person sees in Excel (or the CSV's lines).
Pure functions: no database, no Flask.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tracker import vocabulary
from tracker.errors import InvalidInput
from tracker.models import MEDIUM_KINDS
from tracker.workflows import inputs, list_columns, list_reading
from tracker.workflows.list_columns import FIELDS, HEADER_SEARCH_ROWS, Header
from tracker.workflows.list_reading import MAX_BYTES, Sheet  # noqa: F401 — MAX_BYTES is part of this module's contract

MAX_ROWS = list_reading.MAX_DATA_ROWS
# Rows besides the data a list may have (title, notes, totals) before its size alone refuses it.
MAX_OTHER_ROWS = 200
MAX_LISTED_ERRORS = 20  # more than this on one screen helps nobody; the total is still given
TITLE_MAX_LENGTH = 200  # as media.register, so a row read here is never refused there
PREVIEW_ROWS = 5  # data rows shown under the columns in the mapping step

# Why a row was not imported, for the preview and the API: (Japanese, English).
SKIP_REASONS = {
    "title": ("見出しより上（表題・注記）", "above the header (title or note)"),
    "blank": ("空行", "blank"),
    "header": ("見出しの繰返し", "header repeated"),
    "totals": ("合計・小計の行", "totals or subtotal row"),
    "note": ("注記", "note"),
}


@dataclass(frozen=True)
class ListRow:
    line: int  # row number as a person sees it in Excel (or the CSV's line)
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


@dataclass(frozen=True)
class Skipped:
    """Rows ``first_line``–``last_line`` not imported, and why (a key of SKIP_REASONS)."""

    first_line: int
    last_line: int
    reason: str
    text: str = ""  # the first row's first words, so a person recognises it

    @property
    def lines(self) -> str:
        return str(self.first_line) if self.first_line == self.last_line else f"{self.first_line}–{self.last_line}"

    def as_dict(self) -> dict:
        name_ja, name_en = SKIP_REASONS[self.reason]
        return {"first_line": self.first_line, "last_line": self.last_line, "reason": self.reason,
                "reason_ja": name_ja, "reason_en": name_en, "text": self.text}


@dataclass(frozen=True)
class ListTable:
    """What a list holds: the rows to import, and where they came from."""

    read_as: str
    sheet: str  # the worksheet's name; "" for CSV
    header_line: int
    columns: tuple[tuple[int, str, str], ...]  # (column number, header text, field) of each column read
    rows: tuple[ListRow, ...]
    skipped: tuple[Skipped, ...]


class NeedsSheet(InvalidInput):
    """Several sheets of the workbook hold a list: the person says which (``sheet=``)."""


class NeedsMapping(InvalidInput):
    """No row names every required field (or a name is ambiguous): the person says which column
    is which (``mapping=``). ``details`` carry the guessed header, its columns and a preview."""


def parse(filename: str, content: bytes, mapping: dict | None = None, sheet: str | None = None) -> ListTable:
    """The handover list ``content`` (named ``filename``), or InvalidInput.

    ``mapping``: {header text: field or "ignore"}, for names the synonyms do not know.
    ``sheet``: the worksheet to read, when several hold a list.
    """
    mapping = list_columns.parse_mapping(mapping)
    with list_reading.open_list(filename, content) as opened:
        chosen, header = _find_table(filename, opened.sheets, mapping, sheet)
        return _read_table(filename, chosen, header)


@dataclass(frozen=True)
class Layout:
    """What the mapping step shows: the sheet's first rows, and its columns with a guess each."""

    sheets: tuple[str, ...]
    sheet: str
    head: tuple[tuple[int, tuple[str, ...]], ...]  # the first rows as read, for choosing the header
    header_line: int
    columns: tuple[tuple[int, str, str], ...]  # (column number, header text, guessed field or IGNORE)
    preview: tuple[tuple[int, tuple[str, ...]], ...]  # the first rows below the header


def layout(filename: str, content: bytes, mapping: dict | None = None, sheet: str | None = None,
           header_line: int | None = None) -> Layout:
    """The layout of ``sheet`` (or of the sheet the list most likely is on), with the header on
    ``header_line`` (or where it most likely is), for the mapping step."""
    mapping = list_columns.parse_mapping(mapping)
    with list_reading.open_list(filename, content) as opened:
        sheets = _named(filename, opened.sheets, sheet)
        guesses = [(candidate, header) for candidate in sheets if (header := _best_header(candidate, mapping)) is not None]
        chosen, header = max(guesses, key=lambda pair: len(pair[1].columns)) if guesses else (sheets[0], None)
        head = chosen.head(HEADER_SEARCH_ROWS)
        width = max((index + 1 for _line, cells in head for index, cell in enumerate(cells) if cell.strip()), default=0)
        if header_line is not None:
            header = next((list_columns.read_header(line, cells, mapping) for line, cells in head if line == header_line), header)
        if header is None:
            raise _no_table(filename, opened.sheets)
        return Layout(
            sheets=tuple(candidate.name for candidate in opened.sheets),
            sheet=chosen.name,
            head=tuple((line, tuple(_short(cell) for cell in (cells + [""] * width)[:width])) for line, cells in head),
            header_line=header.line,
            columns=_guessed_columns(header),
            preview=tuple((line, tuple(_short(cell) for cell in (cells + [""] * width)[:width])) for line, cells in _below(chosen, header)),
        )


# --- Finding the table --------------------------------------------------------------------------

def _find_table(filename: str, sheets: list[Sheet], mapping: dict[str, str], wanted: str | None) -> tuple[Sheet, Header]:
    candidates = _named(filename, sheets, wanted)
    found = [(candidate, header) for candidate in candidates
             if (header := list_columns.find_header(candidate.head(HEADER_SEARCH_ROWS), mapping)) is not None]
    if len(found) > 1:
        names_ja = "、".join(f"「{candidate.name}」（{header.line}行目が見出し）" for candidate, header in found)
        names_en = ", ".join(f"{candidate.name!r} (header on line {header.line})" for candidate, header in found)
        raise NeedsSheet(
            f"「{filename}」には引渡しリストらしい表が複数のシートにあります: {names_ja}。取り込むシートを選んでください",
            f"{filename!r} has a list on more than one sheet: {names_en}; choose the sheet to import",
            sheets=[{"name": candidate.name, "header_line": header.line} for candidate, header in found],
        )
    if found:
        chosen, header = found[0]
        if header.conflicts:
            raise _needs_mapping(filename, chosen, header, " ".join(c.message_ja + "。" for c in header.conflicts),
                                 "; ".join(c.message_en for c in header.conflicts) + ".")
        return chosen, header
    guesses = [(candidate, header) for candidate in candidates if (header := _guess(candidate, mapping)) is not None]
    if not guesses:
        raise _no_table(filename, candidates)
    chosen, header = max(guesses, key=lambda pair: len(pair[1].columns))  # the first of the best
    missing = header.missing
    found_names = [cell.strip() for cell in header.cells if cell.strip()]
    missing_ja = "、".join(f"{FIELDS[field][0]}（{FIELDS[field][1]}）" for field in missing)
    missing_en = ", ".join(f"{FIELDS[field][1]} ({FIELDS[field][0]})" for field in missing)
    raise _needs_mapping(
        filename, chosen, header,
        f"必須の列がありません: {missing_ja}。{_where_ja(chosen, header.line)}を見出し行として {chosen.read_as} で読みました。"
        f"見つかった列: {'、'.join(found_names) or 'なし'}。",
        f"required columns missing: {missing_en}. Line {header.line}{_sheet_en(chosen)} was read as the header ({chosen.read_as}); "
        f"columns found: {', '.join(found_names) or 'none'}.",
        missing=missing, found=found_names,
    )


def _named(filename: str, sheets: list[Sheet], wanted: str | None) -> list[Sheet]:
    if not wanted:
        return sheets
    named = [candidate for candidate in sheets if candidate.name == wanted]
    if not named:
        names = [candidate.name for candidate in sheets]
        raise InvalidInput(
            f"「{filename}」にシート「{wanted}」はありません（シート: {'、'.join(f'「{n}」' for n in names) or 'なし'}）",
            f"{filename!r} has no sheet {wanted!r} (sheets: {', '.join(repr(n) for n in names) or 'none'})",
            sheet=wanted, sheets=names,
        )
    return named


def _best_header(sheet: Sheet, mapping: dict[str, str]) -> Header | None:
    head = sheet.head(HEADER_SEARCH_ROWS)
    return list_columns.find_header(head, mapping) or list_columns.guess_header(head, mapping)


def _guess(sheet: Sheet, mapping: dict[str, str]) -> Header | None:
    return list_columns.guess_header(sheet.head(HEADER_SEARCH_ROWS), mapping)


def _needs_mapping(filename: str, sheet: Sheet, header: Header, why_ja: str, why_en: str, **details) -> NeedsMapping:
    return NeedsMapping(
        why_ja + "どの列が何かを「列の対応」で選んでください（API では mapping に「列名: 項目」を指定）",
        why_en + " Say which column is which in the column mapping (API: mapping of column name to field)",
        sheet=sheet.name, header_line=header.line,
        columns=[{"column": number, "name": name, "guess": guess} for number, name, guess in _guessed_columns(header)],
        preview=[{"line": line, "cells": [_short(cell) for cell in cells]} for line, cells in _below(sheet, header)],
        **details,
    )


def _no_table(filename: str, sheets: list[Sheet]) -> InvalidInput:
    if all(_is_blank(cells) for sheet in sheets for _line, cells in sheet.head(HEADER_SEARCH_ROWS)):
        return InvalidInput(f"「{filename}」は空です（見出し行もデータもありません）",
                            f"{filename!r} is empty (no header row, no data)", sheets=[sheet.name for sheet in sheets])
    where_ja = "、".join(f"シート「{sheet.name}」" for sheet in sheets if sheet.name) or "ファイル"
    where_en = ", ".join(f"sheet {sheet.name!r}" for sheet in sheets if sheet.name) or "the file"
    return InvalidInput(
        f"「{filename}」に引渡しリストの表が見つかりません（{where_ja}の先頭{HEADER_SEARCH_ROWS}行に、列名が2つ以上並んだ行がありません）。"
        "市から届いたリストのファイルか確かめてください。表が別の場所にある場合は、表を先頭のシートの上の方にコピーして保存してください",
        f"{filename!r} holds no table a handover list could be ({where_en}: no row among the first {HEADER_SEARCH_ROWS} has two "
        "or more column names). Check that this is the city's list; if the table is elsewhere, copy it to the top of a sheet",
        sheets=[sheet.name for sheet in sheets],
    )


def _guessed_columns(header: Header) -> tuple[tuple[int, str, str], ...]:
    by_index = {index: field for field, index in header.columns.items()}
    return tuple((index + 1, cell.strip(), by_index.get(index, list_columns.IGNORE))
                 for index, cell in enumerate(header.cells) if cell.strip())


def _below(sheet: Sheet, header: Header) -> list[tuple[int, list[str]]]:
    rows = [(line, cells) for line, cells in sheet.head(header.line + HEADER_SEARCH_ROWS)
            if line > header.line and not _is_blank(cells)]
    width = len(header.cells)
    return [(line, (cells + [""] * width)[:width]) for line, cells in rows[:PREVIEW_ROWS]]


def _short(text: str, limit: int = 60) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sheet_ja(sheet: Sheet) -> str:
    return f"シート「{sheet.name}」" if sheet.name else "ファイル"


def _where_ja(sheet: Sheet, line: int) -> str:
    return f"シート「{sheet.name}」の{line}行目" if sheet.name else f"{line}行目"


def _sheet_en(sheet: Sheet) -> str:
    return f" of sheet {sheet.name!r}" if sheet.name else ""


# --- Reading the table --------------------------------------------------------------------------

def _read_table(filename: str, sheet: Sheet, header: Header) -> ListTable:
    filled = sheet.filled_rows()
    if filled > MAX_ROWS + MAX_OTHER_ROWS:
        raise InvalidInput(
            f"{_sheet_ja(sheet)}には値のある行が{filled:,}行あります。1回に取り込めるのは{MAX_ROWS:,}行までです。"
            "リストを分けて取り込んでください",
            f"{'sheet ' + repr(sheet.name) if sheet.name else 'the file'} has {filled:,} filled rows; one import takes at most "
            f"{MAX_ROWS:,} data rows; split the list",
            limit=MAX_ROWS, filled_rows=filled, sheet=sheet.name,
        )
    reader = _TableReader(sheet, header)
    for line, cells in sheet.rows(fill_after=header.line):
        reader.read(line, cells)
    return reader.finish(filename)


_NOTE_MARKS = ("※", "注", "*", "備考", "参考", "(注)", "注意")
_GRAND_TOTALS = {"合計", "総計", "総合計", "累計", "total", "totals", "grand total", "sum"}
_SUBTOTALS = {"計", "小計", "中計", "subtotal", "sub total", "sub-total"}


def _total_word(text: str) -> str | None:
    """"grand" for 合計 and its kin, "sub" for 小計 and 計, else None."""
    if len(text) > 20 or not text.strip():
        return None
    key = unicodedata.normalize("NFKC", text).strip().lower()
    key = re.sub(r"[(\[].*$", "", key)  # 合計（5件）
    key = re.sub(r"[\s:：]", "", key) if not key.isascii() else re.sub(r"\s+", " ", key).strip(" :")
    if key in _GRAND_TOTALS:
        return "grand"
    return "sub" if key in _SUBTOTALS else None


class _TableReader:
    """Rows below the header, one at a time: data rows read and checked, the rest classified."""

    def __init__(self, sheet: Sheet, header: Header):
        self.sheet, self.header = sheet, header
        self.rows: list[ListRow] = []
        self.errors: list[tuple[int, str, str]] = []  # (line, Japanese, English)
        self.skipped: list[Skipped] = []
        self.blank_run: list[int] = []  # blank rows not yet known to be inside the table
        # After a totals row, rows that are not a medium are taken as notes below the table,
        # unless a medium follows them (then they were bad rows inside it).
        self.after_totals: tuple[int, str, str] | None = None  # (line, "grand" or "sub", the word) of the last totals row
        self.held: list[tuple[int, list[tuple[int, str, str]], Skipped]] = []
        self.first_seen: dict[str, dict[str, int]] = {"serial_number": {}, "city_reference": {}}
        self.data_rows = 0

    def read(self, line: int, cells: list[str]) -> None:
        if line < self.header.line:
            self._skip(line, "blank" if _is_blank(cells) else "title", cells)
            return
        if line == self.header.line:
            return
        if _is_blank(cells):
            self.blank_run.append(line)
            return
        for blank in self.blank_run:
            self._skip(blank, "blank", [])
        self.blank_run = []
        totals = None if self._names_a_medium(cells) else \
            next(((word, cell.strip()) for cell in cells if (word := _total_word(cell))), None)
        if totals:
            self._skip(line, "totals", cells)
            self.after_totals = (line, *totals)
            return
        if self._repeats_header(cells):
            self._skip(line, "header", cells)
            return
        if _is_note(cells):
            self._skip(line, "note", cells)
            return
        self._data_row(line, cells)

    def _data_row(self, line: int, cells: list[str]) -> None:
        self.data_rows += 1
        if self.data_rows > MAX_ROWS:
            # Stop here: reading on would only measure by how much the list is too long.
            raise InvalidInput(
                f"データ行が上限の{MAX_ROWS:,}行を超えています（少なくとも{self.data_rows:,}行あり、{line}行目が{self.data_rows:,}行目の"
                "データです）。リストを分けて取り込んでください",
                f"the list has more than {MAX_ROWS:,} data rows, the limit (at least {self.data_rows:,} found; "
                f"line {line} is data row {self.data_rows:,}); split the list",
                limit=MAX_ROWS, found_at_least=self.data_rows, line=line,
            )
        row, errors = _read_row(line, cells, self.header.columns)
        errors += self._uncached_formulas(line)
        if self.after_totals is not None and row is None:  # not a medium: perhaps a note below the table
            self.data_rows -= 1
            self.held.append((line, errors, Skipped(line, line, "note", _first_text(cells))))
            return
        if self.after_totals is not None and self.after_totals[1] == "grand":
            total_line, _grand, word = self.after_totals
            errors.append((line, f"{total_line}行目の「{word}」の行より後にありますが、媒体の行に見えます。"
                                 "合計の行より上に移すか、リストでなければ削除してください",
                           f"comes after the totals row on line {total_line} yet describes a medium; move it above the "
                           "totals or delete it if it is not on the list"))
        for held_line, held_errors, _skipped in self.held:  # a medium follows: they were inside the table
            self.data_rows += 1
            self.errors.extend(held_errors or [(held_line, "媒体の行として読めません", "cannot be read as a medium")])
        self.held = []
        self.errors.extend(errors)
        # Checked on the raw cells, so a duplicate is reported even on a row with other errors.
        self.errors.extend(_duplicates(line, cells, self.header.columns, self.first_seen))
        if row is not None and not errors:
            self.rows.append(row)

    def _uncached_formulas(self, line: int) -> list[tuple[int, str, str]]:
        errors = []
        for field, index in self.header.columns.items():
            formula = self.sheet.uncached_formula(line, index + 1)
            if formula is not None:
                cell = list_reading.cell_name(line, index + 1)
                errors.append((line,
                               f"セル {cell}（{FIELDS[field][0]}）は数式 {_short(formula, 40)} ですが、計算結果が保存されていません。"
                               "Excel で開いて保存し直してください",
                               f"cell {cell} ({FIELDS[field][1]}) holds the formula {_short(formula, 40)} saved without its value; "
                               "open the file in Excel and save it again"))
        return errors

    def _names_a_medium(self, cells: list[str]) -> bool:
        """A row whose title is 「合計所得金額一覧」 is a medium, not a totals row."""
        title = _cell(cells, self.header.columns, "title")
        return bool(title) and _total_word(title) is None

    def _repeats_header(self, cells: list[str]) -> bool:
        return all(_cell(cells, self.header.columns, field) == self.header.cells[index].strip()
                   for field, index in self.header.columns.items())

    def _skip(self, line: int, reason: str, cells: list[str]) -> None:
        last = self.skipped[-1] if self.skipped else None
        if last and last.reason == reason and last.last_line == line - 1 and reason == "blank":
            self.skipped[-1] = Skipped(last.first_line, line, reason, last.text)
        else:
            self.skipped.append(Skipped(line, line, reason, _first_text(cells)))

    def finish(self, filename: str) -> ListTable:
        # Blank rows after the last row of the table are not rows of it: not reported.
        for _line, _errors, skipped in self.held:
            self.skipped.append(skipped)
        if self.errors:
            raise _listed(self.errors)
        if not self.rows:
            raise InvalidInput(
                f"見出し行（{_where_ja(self.sheet, self.header.line)}）だけで、データの行がありません",
                f"the list has a header row (line {self.header.line}{_sheet_en(self.sheet)}) but no data rows",
                line=self.header.line, sheet=self.sheet.name,
            )
        columns = tuple(sorted((index + 1, self.header.cells[index].strip(), field) for field, index in self.header.columns.items()))
        return ListTable(self.sheet.read_as, self.sheet.name, self.header.line, columns, tuple(self.rows),
                         tuple(sorted(self.skipped, key=lambda skipped: skipped.first_line)))


def _is_blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _is_note(cells: list[str]) -> bool:
    """One cell of text that starts like a note: 「※暗号化キーは別送します」."""
    filled = [cell.strip() for cell in cells if cell.strip()]
    return len(filled) == 1 and unicodedata.normalize("NFKC", filled[0]).startswith(_NOTE_MARKS)


def _first_text(cells: list[str]) -> str:
    return _short(next((cell for cell in cells if cell.strip()), ""), 40)


# --- Values -------------------------------------------------------------------------------------

def _normalise(text: str) -> str:
    """Full-width letters and digits to ASCII, half-width katakana to full-width, lower case."""
    return unicodedata.normalize("NFKC", text).strip().lower()


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
            return inputs.parse_count(unicodedata.normalize("NFKC", text), *FIELDS[field], minimum=minimum)
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
            name_ja, name_en = FIELDS[field]
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
