"""The database connection: SQLite in the data folder by default, PostgreSQL by URL.

Models bind to ``database`` (a proxy) so that the CLI, the web app and the tests choose the
real database at run time, as in peewee's own examples.
"""

from __future__ import annotations

import errno
from contextlib import contextmanager

import peewee
from playhouse.db_url import parse as parse_url

try:
    from playhouse.postgres_ext import PooledPostgresqlExtDatabase, ServerSide
except ImportError:  # psycopg2 not installed: SQLite only
    PooledPostgresqlExtDatabase = ServerSide = None

from tracker.errors import StorageFull

database = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",  # readers never wait for the writer
    "foreign_keys": 1,
    "busy_timeout": 30_000,  # ms a writer waits for the ledger lock before giving up
    "synchronous": "normal",  # safe with WAL; a power cut loses at most the last commit
}

# PostgreSQL connections kept open between requests: opening one costs more than most pages
# (about 6 ms against 3), so each web thread takes one from the pool and gives it back.
POOL_SIZE = 32
POOL_STALE_SECONDS = 300
STREAM_BATCH = 2_000  # rows a server-side cursor fetches at a time

# Any fixed number: PostgreSQL writers take this advisory lock to append to the ledger.
LEDGER_LOCK_KEY = 0x6D656469


def connect(url: str) -> peewee.Database:
    """Open ``url`` and bind the models to it."""
    if url.startswith("sqlite:"):
        real = peewee.SqliteDatabase(url.split("sqlite:///", 1)[1], pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    else:
        options = parse_url(url)
        real = PooledPostgresqlExtDatabase(options.pop("database"), max_connections=POOL_SIZE,
                                           stale_timeout=POOL_STALE_SECONDS, **options)
    database.initialize(real)
    real.connect(reuse_if_open=True)
    return real


def is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


def stream(query):
    """``query``'s rows one at a time in constant memory, however many there are: SQLite's cursor
    steps through the table already; on PostgreSQL, psycopg2's ordinary cursor would fetch the
    whole result into memory first, so a server-side (named) cursor fetches it in batches, inside
    a transaction as PostgreSQL requires."""
    if is_sqlite():
        yield from query.iterator()
    elif database.in_transaction():
        yield from ServerSide(query, array_size=STREAM_BATCH)
    else:
        with database.atomic():
            yield from ServerSide(query, array_size=STREAM_BATCH)


def insert_rows(model, fields: list, rows: list[tuple]) -> None:
    """Many rows into ``model``'s table in few round trips: the bulk writer's path, without
    building an INSERT statement in Python per batch (``rows`` hold database values already)."""
    if not rows:
        return
    table = model._meta.table_name
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    cursor = database.cursor()
    if is_sqlite():
        cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * len(fields))})', rows)
    else:
        from psycopg2.extras import execute_values

        execute_values(cursor, f'INSERT INTO "{table}" ({columns}) VALUES %s', rows, page_size=1_000)


def update_rows(model, fields: list, rows: list[tuple]) -> None:
    """``UPDATE`` one row per tuple (the new values of ``fields``, then the primary key)."""
    if not rows:
        return
    mark = "?" if is_sqlite() else "%s"
    assignments = ", ".join(f'"{field.column_name}" = {mark}' for field in fields)
    key = model._meta.primary_key.column_name
    database.cursor().executemany(f'UPDATE "{model._meta.table_name}" SET {assignments} WHERE "{key}" = {mark}', rows)


@contextmanager
def reading():
    """One read transaction around several streams read side by side (``stream``): they see the
    same snapshot, and their cursors close with it rather than each opening and ending its own."""
    if database.in_transaction():
        yield
        return
    with database.atomic():
        yield


@contextmanager
def writing():
    """One serialised write transaction: the only way to change the ledger.

    SQLite: ``BEGIN IMMEDIATE`` takes the write lock before anything is read, so two writers
    cannot both read the same chain head. PostgreSQL: a transaction-scoped advisory lock does
    the same. Nested calls become savepoints inside the outer, already-locked transaction.
    """
    try:
        if database.in_transaction():
            with database.atomic():
                yield
            return
        if is_sqlite():
            with database.atomic("IMMEDIATE"):
                yield
        else:
            with database.atomic():
                database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (LEDGER_LOCK_KEY,))
                yield
    except peewee.DatabaseError as error:
        if is_storage_full(error):
            raise storage_full() from error
        raise


def is_storage_full(error: BaseException) -> bool:
    """The database could not grow: SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100), or the
    operating system's ENOSPC / EDQUOT. The transaction was rolled back whole in every case."""
    seen = set()
    while error is not None and id(error) not in seen:  # SQLite's own rollback may mask it: look down the chain
        seen.add(id(error))
        if getattr(error, "pgcode", None) == "53100" or getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(error).lower()
        if "database or disk is full" in text or "no space left on device" in text:
            return True
        error = error.__cause__ or error.__context__
    return False


def storage_full() -> StorageFull:
    return StorageFull(
        "保存先のディスクがいっぱいのため記録できませんでした。何も記録していません（台帳は壊れていません）。"
        "管理者に空き容量の確保を依頼し、後でもう一度送ってください",
        "the disk is full, so nothing was recorded (the ledger is intact); ask the administrator to free space, "
        "then send it again",
    )
