"""Which column of the city's list is which field: synonyms, the header row, and mappings.

Every section of a city names its columns its own way (媒体名, 品名, 名称…; 区分, 種別, 種類…),
so each field has a table of names here. To teach mediatrail a new name, add it to ``SYNONYMS``:
names are compared after ``header_key`` (NFKC, so full- and half-width forms are the same name;
lower case; units in brackets, ※ and * marks and spaces dropped), so write each name once, in
any width.

A name the table does not know is given a field by a *mapping* (header text → field, or
``IGNORE``): chosen once in the handover page, or sent with the API call, and remembered per
contract. The header row is the first of the first ``HEADER_SEARCH_ROWS`` rows in which the
names (mapping first, then synonyms) give every required field.

Pure functions: no database, no Flask.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tracker.errors import InvalidInput

# A list starts with its title, the section's name, a date, notes… and then the header.
HEADER_SEARCH_ROWS = 30
REQUIRED_FIELDS = ("title", "kind")
MAX_NAME_LENGTH = 100
MAX_MAPPED_COLUMNS = 100  # as list_reading.MAX_COLUMNS: columns further right are not read
IGNORE = "ignore"  # in a mapping: a column that is none of the fields (備考, No. …)

FIELDS = {  # field → (Japanese, English), in the order the mapping step offers them
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

# The words Japanese municipal lists use for each field, and English ones. Extend freely: a
# name may stand for one field only (a test checks), and a name that could mean two fields
# (番号, 内容, 備考) belongs in no list: the mapping step asks instead.
SYNONYMS = {
    "title": (
        "名称", "媒体名", "媒体名称", "媒体の名称", "品名", "品目", "品目名", "文書名", "書類名", "資料名",
        "簿冊名", "帳票名", "データ名", "ファイル名", "件名", "title", "name", "item name", "medium name",
    ),
    "kind": (
        "種類", "種別", "区分", "媒体", "媒体種別", "媒体の種類", "媒体種類", "媒体区分", "媒体の種別",
        "記録媒体", "形態", "媒体の形態", "kind", "type", "medium", "media type", "medium type",
    ),
    "quantity": ("数量", "数", "個数", "枚数", "箱数", "冊数", "本数", "点数", "媒体数", "quantity", "qty"),
    "record_count": (
        "件数", "記録件数", "データ件数", "登録件数", "レコード数", "人数", "対象人数", "対象者数", "人員",
        "records", "record count", "record_count", "number of records",
    ),
    "pi_items": (
        "個人情報項目", "個人情報の項目", "記録項目", "記録されている項目", "含まれる個人情報", "個人情報",
        "pi_items", "items", "personal information items", "personal information",
    ),
    "serial_number": (
        "製造番号", "シリアル番号", "シリアル", "シリアルno", "シリアルno.", "s/n", "sn", "serial", "serial_number",
        "serial number", "serial no", "serial no.",
    ),
    "encrypted": ("暗号化", "暗号化の有無", "暗号化有無", "暗号化(有無)", "暗号", "encrypted", "encryption yes/no"),
    "encryption": (
        "暗号化方式", "暗号化の方式", "暗号方式", "暗号化方法", "暗号化の方法", "暗号化ソフト", "encryption",
        "encryption method",
    ),
    "seal_number": ("封印番号", "封印no", "封印no.", "封緘番号", "シール番号", "seal", "seal_number", "seal number", "seal no."),
    "city_reference": (
        "管理番号", "市管理番号", "市の管理番号", "整理番号", "管理no", "管理no.", "reference", "city_reference",
        "city reference", "ref.",
    ),
}


def header_key(text: str) -> str:
    """The form names are compared in: 「※ 数量（枚）」, 「数量*」 and 「数量」 are one name."""
    key = unicodedata.normalize("NFKC", text).strip().lower()
    if len(key) > MAX_NAME_LENGTH:  # not a column name; and the patterns below stay cheap
        return key
    # City templates mark required columns (※名称, 名称*) and add units (数量（枚）, 件数[人]);
    # neither changes what the column holds. NFKC has made （） into ().
    previous = None
    while key != previous:
        previous = key
        key = re.sub(r"\s*[(\[][^)\]]*[)\]]$", "", key.strip("※*＊ \t\r\n"))
    return re.sub(r"\s+", " ", key)


def _synonym_fields() -> dict[str, str]:
    table: dict[str, str] = {}
    for field, names in SYNONYMS.items():
        for name in names:
            key = header_key(name)
            if table.get(key, field) != field:
                raise ValueError(f"synonym {name!r} names both {table[key]} and {field}")
            table[key] = field
    return table


SYNONYM_FIELDS = _synonym_fields()

# A header cell naming two fields at once, 「名称・種類」 or 「数量/件数」.
_COMPOUND_SEPARATORS = re.compile(r"[・/／、,，]")


def parse_mapping(mapping) -> dict[str, str]:
    """A mapping as given by a form or an API call, checked: {header text: field or IGNORE}."""
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise InvalidInput("列の対応（mapping）は「列名: 項目」の組にしてください",
                           "the mapping must be an object of column name: field", field="mapping")
    checked: dict[str, str] = {}
    for header, field in mapping.items():
        if not isinstance(header, str) or not isinstance(field, str) or not header_key(header):
            raise InvalidInput("列の対応（mapping）の列名と項目は文字列にしてください",
                               "each mapping entry must be a column name (text) and a field name (text)", field="mapping")
        if field not in FIELDS and field not in (IGNORE, ""):
            raise InvalidInput(
                f"列「{header}」の項目「{field}」はありません。{', '.join(FIELDS)}、または {IGNORE}（読まない）にしてください",
                f"column {header!r}: no field {field!r}; use one of {', '.join(FIELDS)}, or {IGNORE}",
                field="mapping", column=header)
        checked[header_key(header)] = field or IGNORE
    if len(checked) > 200:
        raise InvalidInput("列の対応（mapping）が多すぎます（200列まで）", "the mapping names too many columns (at most 200)",
                           field="mapping")
    return checked


def changed_names(chosen: dict[str, str], base: dict[str, str]) -> dict[str, str]:
    """The entries of ``chosen`` that say something ``base`` and the synonyms do not already say:
    what a person changed in the mapping step, and so what is worth remembering."""
    return {name: field for name, field in chosen.items() if field != (field_of(name, base) or IGNORE)}


def field_of(cell: str, mapping: dict[str, str]) -> str | None:
    """The field a header cell names: the mapping first (IGNORE → None), then the synonyms."""
    key = header_key(cell)
    if not key:
        return None
    if key in mapping:
        field = mapping[key]
        return None if field == IGNORE else field
    return SYNONYM_FIELDS.get(key)


def _compound_fields(cell: str) -> list[str]:
    """The fields a cell like 「名称・種類」 names, when it names more than one."""
    parts = [SYNONYM_FIELDS.get(header_key(part)) for part in _COMPOUND_SEPARATORS.split(cell)]
    fields = list(dict.fromkeys(field for field in parts if field))
    return fields if len(fields) > 1 else []


@dataclass(frozen=True)
class Conflict:
    """A header cell that names two fields, or two columns that name the same field."""

    message_ja: str
    message_en: str


@dataclass(frozen=True)
class Header:
    line: int
    cells: tuple[str, ...]
    columns: dict[str, int]  # field → column index
    conflicts: tuple[Conflict, ...]

    @property
    def missing(self) -> list[str]:
        return [field for field in REQUIRED_FIELDS if field not in self.columns]


def read_header(line: int, cells: list[str], mapping: dict[str, str]) -> Header:
    """What row ``line`` says if taken as the header (conflicts collected, not raised)."""
    columns: dict[str, int] = {}
    conflicts: list[Conflict] = []
    for index, cell in enumerate(cells):
        field = field_of(cell, mapping)
        if field is None:
            if header_key(cell) not in mapping:
                named = _compound_fields(cell)
                if named:
                    conflicts.append(Conflict(
                        f"{line}行目（見出し行）の列「{cell.strip()}」は{'と'.join(FIELDS[f][0] for f in named)}のどちらの列か分かりません",
                        f"line {line} (header): column {cell.strip()!r} could be {' or '.join(FIELDS[f][1] for f in named)}",
                    ))
                    for field in named:
                        columns.setdefault(field, index)
            continue
        if field in columns:
            first = cells[columns[field]].strip()
            name_ja, name_en = FIELDS[field]
            conflicts.append(Conflict(
                f"{line}行目（見出し行）の列「{first}」と「{cell.strip()}」はどちらも{name_ja}の列です",
                f"line {line} (header): columns {first!r} and {cell.strip()!r} both mean {name_en}",
            ))
            continue
        columns[field] = index
    return Header(line, tuple(cells), columns, tuple(conflicts))


def find_header(rows: list[tuple[int, list[str]]], mapping: dict[str, str]) -> Header | None:
    """The first row that names every required field, or None."""
    for line, cells in rows[:HEADER_SEARCH_ROWS]:
        header = read_header(line, cells, mapping)
        if not header.missing:
            return header
    return None


def guess_header(rows: list[tuple[int, list[str]]], mapping: dict[str, str]) -> Header | None:
    """The row most likely to be the header when none names every required field: the one that
    names the most fields; failing that, the first with two or more cells of text (a title row
    is one merged cell). None when no row looks like a header at all."""
    best: Header | None = None
    for line, cells in rows[:HEADER_SEARCH_ROWS]:
        header = read_header(line, cells, mapping)
        if header.columns and (best is None or len(header.columns) > len(best.columns)):
            best = header
    if best is not None:
        return best
    for line, cells in rows[:HEADER_SEARCH_ROWS]:
        texts = [cell for cell in cells if cell.strip() and not _is_number(cell)]
        if len(texts) >= 2:
            return read_header(line, cells, mapping)
    return None


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[\d,.\-+ ]+", unicodedata.normalize("NFKC", text).strip()))
