"""Finding media by a piece of text without reading every row.

``ILIKE '%text%'`` over five columns cannot use an ordinary index: at a million media every
search read the whole table. Text is matched instead through an index of the text's trigrams
(every run of three characters), which finds any substring of three characters or more from
the index alone:

* **SQLite**: an FTS5 table with the ``trigram`` tokenizer over the medium's ID, title, serial
  number, description and seal number, kept by triggers on ``medium`` (so every way a row
  changes — the ledger applying an event, a restore — keeps it current);
* **PostgreSQL**: the ``pg_trgm`` extension's GIN index on the same columns joined in one
  lower-cased expression, which ``LIKE`` uses.

A search of one or two characters has no trigram; it matches the start of an ID, serial number,
seal number or title instead (ordinary indexes), and the page says so. Wildcards typed by the
reader (``%``, ``_``) are ordinary characters here, and the text is cut at ``MAX_TEXT``: nothing
the reader types can make the database read every row.
"""

from __future__ import annotations

import logging

import peewee

from tracker import db
from tracker.models import Medium

log = logging.getLogger(__name__)

MAX_TEXT = 200  # characters of search text kept (the API refuses longer; the page cuts)
TRIGRAM = 3
COLUMNS = ("id", "title", "serial_number", "description", "seal_number")
_FTS = "medium_search"
_PG_INDEX = "medium_search_trgm"
_PG_EXPRESSION = "lower(" + " || ' ' || ".join(f'coalesce("{column}", \'\')' for column in COLUMNS) + ")"
_PREFIX_END = "\U0010ffff"  # sorts after any character: [text, text + this) is "starts with text"


def create_index() -> None:
    """Create the text index if it is missing, and fill it from the media already there (a data
    folder made before it existed)."""
    if db.is_sqlite():
        _create_fts()
    else:
        _create_trigram_index()


def matching(text: str) -> peewee.Expression | None:
    """The condition on ``Medium`` for media whose text contains ``text``; None for no text."""
    text = clean(text)
    if not text:
        return None
    if len(text) < TRIGRAM:
        return _starting_with(text)
    if db.is_sqlite():
        phrase = '"' + text.replace('"', '""') + '"'
        return peewee.SQL(f'"t1"."rowid" IN (SELECT rowid FROM "{_FTS}" WHERE "{_FTS}" MATCH ?)', [phrase])
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return peewee.SQL(f'{_qualified_expression()} LIKE %s', [pattern])


def not_leading(column: peewee.Field):
    """``column`` written so that SQLite will not choose its index to lead the query: without
    statistics its planner prefers walking a contract's media (all of them) to the text index.
    PostgreSQL plans by its statistics and gets the plain column."""
    return peewee.NodeList((peewee.SQL("+"), column), glue="") if db.is_sqlite() else column


def clean(text: str) -> str:
    return " ".join((text or "").split())[:MAX_TEXT]


def is_prefix_only(text: str) -> bool:
    """The search is too short for substrings: it matched only the start of each field."""
    return 0 < len(clean(text)) < TRIGRAM


def _starting_with(text: str) -> peewee.Expression:
    condition = None
    for column in (Medium.id, Medium.serial_number, Medium.seal_number, Medium.title):
        part = (column >= text) & (column < text + _PREFIX_END)
        condition = part if condition is None else condition | part
    return condition


def _qualified_expression() -> str:
    # The same expression as the index, on peewee's alias for the queried table ("t1"); media
    # queries select from medium first, so it is medium.
    return _PG_EXPRESSION.replace('coalesce("', 'coalesce("t1"."')


def _create_fts() -> None:
    real = db.database
    existed = _FTS in real.get_tables()
    columns = ", ".join(COLUMNS)
    new = ", ".join(f"new.{column}" for column in COLUMNS)
    old = ", ".join(f"old.{column}" for column in COLUMNS)
    real.execute_sql(f"CREATE VIRTUAL TABLE IF NOT EXISTS {_FTS} USING fts5({columns}, content='medium', "
                     "content_rowid='rowid', tokenize='trigram')")
    real.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {_FTS}_insert AFTER INSERT ON medium BEGIN "
                     f"INSERT INTO {_FTS}(rowid, {columns}) VALUES (new.rowid, {new}); END")
    real.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {_FTS}_delete AFTER DELETE ON medium BEGIN "
                     f"INSERT INTO {_FTS}({_FTS}, rowid, {columns}) VALUES ('delete', old.rowid, {old}); END")
    real.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {_FTS}_update AFTER UPDATE OF {columns} ON medium BEGIN "
                     f"INSERT INTO {_FTS}({_FTS}, rowid, {columns}) VALUES ('delete', old.rowid, {old}); "
                     f"INSERT INTO {_FTS}(rowid, {columns}) VALUES (new.rowid, {new}); END")
    if not existed:
        real.execute_sql(f"INSERT INTO {_FTS}({_FTS}) VALUES ('rebuild')")


def _create_trigram_index() -> None:
    real = db.database
    try:
        with real.atomic():
            real.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except peewee.DatabaseError as error:  # not allowed to create extensions: searches fall back to scans
        log.warning("pg_trgm is not available (%s); media searches will read the whole table", error)
        return
    real.execute_sql(f'CREATE INDEX IF NOT EXISTS {_PG_INDEX} ON medium USING gin (({_PG_EXPRESSION}) gin_trgm_ops)')
