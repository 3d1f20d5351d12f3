"""Encrypted backups taken while the server runs, and restores that check everything first.

What a backup holds (a tar stream, then encrypted):

* ``database/mediatrail.db`` — SQLite: a consistent snapshot by ``VACUUM INTO`` (one read
  transaction on the WAL database; writers carry on meanwhile);
  ``database/<table>.jsonl`` — PostgreSQL: every table's rows read in one ``REPEATABLE READ``
  read-only transaction, so all tables are from the same moment (no ``pg_dump`` needed, and it
  restores into SQLite or PostgreSQL alike);
* ``data/config.json``, ``data/secret.key`` (labels stay valid), ``data/checkpoint.key`` (unless
  the key comes from the environment), ``data/checkpoints.log``;
* ``attachments/..`` — every file the snapshot's ledger cites (content-addressed, never changed
  once written, so copying them after the snapshot is consistent);
* ``manifest.json`` last — SHA-256 and size of every member, the snapshot's event count, head
  hash and a checkpoint of it signed with the installation's key.

The encryption (Art. 6(1): media leaving the premises are encrypted): scrypt derives two keys
from the passphrase; the stream is cut into 1 MiB chunks, each sealed with AES-256-GCM under a
nonce of (random prefix, chunk counter, last-chunk flag) — the STREAM construction (Hoang,
Reyhanitabar, Rogaway & Vizár 2015), as in age — with the header as associated data. So a reader
needs only one chunk of memory, a reordered, dropped or altered chunk fails its tag, and a file cut
short is told apart from a whole one. A short HMAC under the second key tells a wrong
passphrase from damage.

A restore decrypts into a staging folder beside the target, checks the manifest, loads the
database, runs ``ledger.verify`` and the recorded checkpoints, and only then moves into place;
a refusal leaves the target as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import shutil
import sqlite3
import struct
import tarfile
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from tracker import checkpoints, config, db, ledger
from tracker.errors import AlreadyExists, DomainError, InvalidInput
from tracker.models import ALL_MODELS, Event, Medium, create_schema
from tracker.timeutil import now_iso

PASSPHRASE_ENVIRONMENT = "MEDIATRAIL_BACKUP_PASSPHRASE"
MIN_PASSPHRASE = 10

MAGIC = b"MEDIATRAIL-BACKUP\n"
VERSION = 1
CHUNK = 1 << 20  # plaintext bytes per sealed chunk
TAG = 16
SCRYPT_LOG2_N = 17  # OWASP's minimum for scrypt: N=2^17, r=8, p=1 (128 MiB, about a second)
SCRYPT_R, SCRYPT_P = 8, 1
ACCEPTED_LOG2_N = range(10, 21)  # a header asking for more memory than this is refused, not obeyed
_HEADER = struct.Struct(f">{len(MAGIC)}sBBBB16s7s")  # magic, version, log2 N, r, p, salt, nonce prefix
CHECK_BYTES = 16

MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/mediatrail.db"
DATA_FILES = (config.CONFIG_FILE, config.SECRET_FILE, checkpoints.KEY_FILE, checkpoints.LOG_FILE)
_MEMBER = re.compile(r"^(manifest\.json|database/mediatrail\.db|database/[a-z_]+\.jsonl|"
                     r"data/(config\.json|secret\.key|checkpoint\.key|checkpoints\.log)|attachments/[0-9a-f]{2}/[0-9a-f]{62})$")


class BackupRefused(InvalidInput):
    code = "backup_refused"


# ---- the encrypted stream ----------------------------------------------------------------------


def _keys(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> tuple[bytes, bytes]:
    # NFC: the same passphrase typed on a Mac and on Windows (composed or not) gives the same key.
    material = Scrypt(salt=salt, length=64, n=1 << log2_n, r=r, p=p).derive(unicodedata.normalize("NFC", passphrase).encode())
    return material[:32], material[32:]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


class EncryptingWriter(io.RawIOBase):
    """A write-only file object: what is written goes out sealed, chunk by chunk."""

    def __init__(self, out, passphrase: str, log2_n: int = SCRYPT_LOG2_N):
        super().__init__()
        salt, prefix = secrets.token_bytes(16), secrets.token_bytes(7)
        self.header = _HEADER.pack(MAGIC, VERSION, log2_n, SCRYPT_R, SCRYPT_P, salt, prefix)
        key, check_key = _keys(passphrase, salt, log2_n, SCRYPT_R, SCRYPT_P)
        self.out, self.aead, self.prefix = out, AESGCM(key), prefix
        self.buffer, self.counter = bytearray(), 0
        out.write(self.header + hmac.new(check_key, self.header, hashlib.sha256).digest()[:CHECK_BYTES])

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:  # keep at least one byte back: the last chunk is sealed as last
            self._seal(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def finish(self) -> None:
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()

    def _seal(self, plain: bytes, last: bool) -> None:
        self.out.write(self.aead.encrypt(_nonce(self.prefix, self.counter, last), plain, self.header))
        self.counter += 1


class DecryptingReader(io.RawIOBase):
    """A read-only file object over a sealed stream; refuses a wrong passphrase, a damaged or
    altered chunk, and a stream cut short, each with its own message."""

    def __init__(self, source, passphrase: str):
        super().__init__()
        header = source.read(_HEADER.size)
        if len(header) < _HEADER.size or not header.startswith(MAGIC):
            raise BackupRefused("mediatrail のバックアップファイルではありません。何も復元していません", "this is not a mediatrail backup file; nothing was restored")
        _, version, log2_n, r, p, salt, prefix = _HEADER.unpack(header)
        if version != VERSION or log2_n not in ACCEPTED_LOG2_N or (r, p) != (SCRYPT_R, SCRYPT_P):
            raise BackupRefused("このバックアップの形式には対応していません（版または鍵導出の設定）",
                                "this backup's format version or key-derivation settings are not supported")
        key, check_key = _keys(passphrase, salt, log2_n, r, p)
        expected = hmac.new(check_key, header, hashlib.sha256).digest()[:CHECK_BYTES]
        if not hmac.compare_digest(source.read(CHECK_BYTES), expected):
            raise BackupRefused("パスフレーズが違います（またはファイルの先頭が壊れています）。何も復元していません",
                                "wrong passphrase (or the start of the file is damaged); nothing was restored")
        self.source, self.aead, self.prefix, self.header = source, AESGCM(key), prefix, header
        self.counter, self.offset, self.finished = 0, _HEADER.size + CHECK_BYTES, False
        self.plain, self.position, self.lookahead = memoryview(b""), 0, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while self.position == len(self.plain) and not self.finished:
            self._open_next()
        count = min(len(target), len(self.plain) - self.position)
        target[:count] = self.plain[self.position: self.position + count]  # a view: no copy of the rest
        self.position += count
        return count

    def _open_next(self) -> None:
        sealed = self.lookahead + self.source.read(CHUNK + TAG - len(self.lookahead))
        self.lookahead = self.source.read(1)
        last = not self.lookahead  # nothing after it: it must have been sealed as the last chunk
        try:
            self.plain = memoryview(self.aead.decrypt(_nonce(self.prefix, self.counter, last), sealed, self.header))
            self.position = 0
        except InvalidTag as error:
            if last:
                raise BackupRefused(
                    f"バックアップファイルが途中で切れているか、壊れています（{self.offset + len(sealed)} バイト目で終わり）。何も復元していません",
                    f"the backup file is truncated or damaged (it ends at byte {self.offset + len(sealed)}); nothing was restored",
                ) from error
            raise BackupRefused(
                f"バックアップファイルの {self.offset} バイト目以降が壊れているか、書き換えられています。何も復元していません",
                f"the backup file is damaged or altered after byte {self.offset}; nothing was restored",
            ) from error
        self.offset += len(sealed)
        self.counter += 1
        self.finished = last


# ---- making one --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Made:
    path: Path
    sha256: str
    size_bytes: int
    events: int
    head_hash: str
    files: int
    source: str


def make(settings, target: Path, passphrase: str, medium_id: str | None = None, log2_n: int = SCRYPT_LOG2_N) -> Made:
    """Snapshot the database and data folder into ``target`` (never overwritten), encrypted,
    then record ``backup.made`` (linked to the backup medium, when given)."""
    target = Path(target)
    require_passphrase(passphrase)
    if target.exists():
        raise AlreadyExists(f"{target} は既にあります。上書きしません", f"{target} exists; it is not overwritten")
    medium = _backup_medium(medium_id) if medium_id else None
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".mediatrail-backup-", dir=target.parent))
    partial = target.with_name(target.name + ".part")
    try:
        source, members = _snapshot(settings, work)
        events, head_hash = _head_of(work, source)
        attachment_ids = _attachment_ids(work, source)
        for sha256 in attachment_ids:
            path = ledger.attachment_path(settings.attachments_dir, sha256)
            if path.exists():
                members.append((f"attachments/{sha256[:2]}/{sha256[2:]}", path))
        for name in DATA_FILES:
            if (settings.data_dir / name).exists():
                members.append((f"data/{name}", settings.data_dir / name))
        members = [(name, _log_up_to(path, work, events) if name == f"data/{checkpoints.LOG_FILE}" else path)
                   for name, path in members]
        checkpoint = checkpoints.make(checkpoints.signer(settings.data_dir), events, head_hash, now_iso())
        with open(partial, "wb") as out:
            writer = EncryptingWriter(out, passphrase, log2_n)
            manifest = _write_tar(writer, members, {
                "format": "mediatrail-backup", "version": VERSION, "created_at": now_iso(), "source": source,
                "origin": checkpoint.origin, "events": events, "head_hash": head_hash, "checkpoint": checkpoint.note,
                "checkpoint_key_included": (settings.data_dir / checkpoints.KEY_FILE).exists(),
            })
            writer.finish()
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    made = Made(target, ledger.file_sha256(target), target.stat().st_size, events, head_hash,
                len(manifest["files"]), source)
    ledger.append("backup.made", None, contract=medium.contract_id if medium else None, media=[medium.id] if medium else [], data={
        "file": target.name, "sha256": made.sha256, "bytes": made.size_bytes, "source": source,
        "events": events, "head_hash": head_hash, "files": made.files, "checkpoint": checkpoint.note,
        "medium": medium.id if medium else None,
    })
    checkpoints.remember(settings, checkpoint)
    return made


def require_passphrase(passphrase: str) -> None:
    if len(passphrase or "") < MIN_PASSPHRASE:
        raise BackupRefused(f"パスフレーズは{MIN_PASSPHRASE}文字以上にしてください", f"the passphrase must be at least {MIN_PASSPHRASE} characters")


def _backup_medium(medium_id: str) -> Medium:
    from tracker.workflows import media

    medium = media.get_medium(medium_id)
    if not medium.is_backup:
        raise BackupRefused(f"{medium.id} はバックアップ媒体として登録されていません（媒体の登録で「バックアップ」を指定してください）",
                            f"{medium.id} is not registered as a backup medium (register it with the backup flag)")
    media.require_status(medium, ("received", "stored", "in_use"))
    return medium


def _snapshot(settings, work: Path) -> tuple[str, list[tuple[str, Path]]]:
    if db.is_sqlite():
        snapshot = work / "mediatrail.db"
        with sqlite3.connect(settings.database_url.split("sqlite:///", 1)[1]) as live:
            live.execute("PRAGMA busy_timeout = 30000")
            live.execute("VACUUM INTO ?", (str(snapshot),))
        live.close()
        return "sqlite", [(SQLITE_MEMBER, snapshot)]
    folder = work / "database"
    folder.mkdir()
    with db.database.atomic():
        # The first statement of the transaction: every table is then read as of one moment.
        db.database.execute_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        _dump_tables(folder)
    return "postgresql", [(f"database/{path.name}", path) for path in sorted(folder.iterdir())]


def _dump_tables(folder: Path) -> None:
    for model in ALL_MODELS:
        # Primary-key order: a copy's ID comes after its original's, so its parent loads first.
        with open(folder / f"{model._meta.table_name}.jsonl", "w", encoding="utf-8") as out:
            for row in model.select().order_by(model._meta.primary_key).dicts().iterator():
                out.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")


def _head_of(work: Path, source: str) -> tuple[int, str]:
    if source == "sqlite":
        with sqlite3.connect(work / "mediatrail.db") as snapshot:
            row = snapshot.execute("SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1").fetchone()
        snapshot.close()
        return (row[0], row[1]) if row else (0, ledger.GENESIS)
    last = None
    with open(work / "database" / f"{Event._meta.table_name}.jsonl", encoding="utf-8") as rows:
        for line in rows:
            last = line
    if last is None:
        return 0, ledger.GENESIS
    row = json.loads(last)
    return row["seq"], row["hash"]


def _attachment_ids(work: Path, source: str) -> list[str]:
    if source == "sqlite":
        with sqlite3.connect(work / "mediatrail.db") as snapshot:
            found = [row[0] for row in snapshot.execute("SELECT sha256 FROM attachment ORDER BY sha256")]
        snapshot.close()
        return found
    with open(work / "database" / "attachment.jsonl", encoding="utf-8") as rows:
        return [json.loads(line)["sha256"] for line in rows]


def _log_up_to(log: Path, work: Path, events: int) -> Path:
    """The checkpoints log as of the snapshot: a paper issued while the backup ran is not in the
    snapshot, and its checkpoint must not be either (the restore would read it as deleted events)."""
    kept = work / checkpoints.LOG_FILE
    with open(log, encoding="utf-8", errors="replace") as lines, open(kept, "w", encoding="utf-8") as out:
        for line in lines:
            try:
                if int(json.loads(line)["size"]) > events:
                    continue
            except (ValueError, KeyError, TypeError):
                pass  # an unreadable line is kept as found: verify reports it
            out.write(line)
    return kept


def _write_tar(writer: EncryptingWriter, members: list[tuple[str, Path]], manifest: dict) -> dict:
    manifest["files"] = {}
    with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        for name, path in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = path.stat().st_size, int(path.stat().st_mtime), 0o600
            with open(path, "rb") as content:
                hashing = _Hashing(content)
                archive.addfile(info, hashing)
            manifest["files"][name] = {"sha256": hashing.digest.hexdigest(), "size": info.size}
        body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(body), 0, 0o600
        archive.addfile(info, io.BytesIO(body))
    return manifest


class _Hashing:
    """Reads through to a file, hashing what passes: one read per member, even for big ones."""

    def __init__(self, content):
        self.content, self.digest = content, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        block = self.content.read(size)
        self.digest.update(block)
        return block


# ---- restoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    data_dir: Path
    events: int
    head_hash: str
    files: int
    source: str
    backup_sha256: str


def restore(backup_file: Path, data_dir: Path, passphrase: str) -> Restored:
    """Restore into an empty data folder (and, with ``DATABASE_URL``, an empty database): all of
    it, verified, or nothing. The restored ledger records ``backup.restored``."""
    data_dir = Path(data_dir)
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise BackupRefused(f"復元先 {data_dir} は空のフォルダではありません。上書きしないため、新しいフォルダを指定してください",
                            f"the target {data_dir} is not an empty folder; give a new one (nothing is overwritten)")
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        _require_empty_database(database_url)
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{data_dir.name}.restoring-", dir=data_dir.parent))
    try:
        restored = _unpack_and_check(Path(backup_file), staging, passphrase, database_url, record=True)
        db.database.close()
        if data_dir.exists():
            data_dir.rmdir()  # empty, checked above
        os.replace(staging, data_dir)
    except BaseException:
        _close_quietly()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dataclasses.replace(restored, data_dir=data_dir)


def trial_restore(settings, backup_file: Path, passphrase: str, medium_id: str | None = None) -> Restored:
    """Restore into a throwaway folder (always SQLite), verify everything, delete it, and record
    ``backup.restore_tested`` on this installation — the check Art. 6(2) asks of backups."""
    medium = _backup_medium(medium_id) if medium_id else None
    live_url = settings.database_url
    scratch = Path(tempfile.mkdtemp(prefix=".mediatrail-restore-test-", dir=Path(backup_file).resolve().parent))
    outcome, problem = None, None
    try:
        outcome = _unpack_and_check(Path(backup_file), scratch / "data", passphrase, None, record=False)
    except DomainError as error:
        problem = error
    finally:
        _close_quietly()
        shutil.rmtree(scratch, ignore_errors=True)
        db.connect(live_url)
    sha256 = ledger.file_sha256(Path(backup_file)) if Path(backup_file).is_file() else None
    data = {"file": Path(backup_file).name, "sha256": sha256, "ok": problem is None,
            "medium": medium.id if medium else None}
    if outcome:
        data.update(events=outcome.events, head_hash=outcome.head_hash, files=outcome.files, source=outcome.source)
    else:
        data.update(reason_ja=problem.message_ja, reason_en=problem.message_en)
    ledger.append("backup.restore_tested", None, contract=medium.contract_id if medium else None,
                  media=[medium.id] if medium else [], data=data)
    if problem:
        raise problem
    return outcome


def _require_empty_database(url: str) -> None:
    real = db.connect(url)
    tables = set(real.get_tables())
    has_rows = any(model.select().exists() for model in ALL_MODELS if model._meta.table_name in tables)
    real.close()
    if has_rows:
        raise BackupRefused("DATABASE_URL のデータベースは空ではありません。上書きしないため、新しいデータベースを指定してください",
                            "the database at DATABASE_URL is not empty; give a new one (nothing is overwritten)")


def _unpack_and_check(backup_file: Path, staging: Path, passphrase: str, database_url: str | None, record: bool) -> Restored:
    staging.mkdir(parents=True, exist_ok=True)
    try:
        source_file = open(backup_file, "rb")
    except OSError as error:
        raise BackupRefused(f"バックアップファイル {backup_file} を読めません", f"cannot read the backup file {backup_file}: {error.strerror}") from error
    with source_file:
        manifest, files = _extract(DecryptingReader(source_file, passphrase), staging)
    _check_manifest(manifest, files)
    for name in DATA_FILES:
        if (staging / "data" / name).exists():
            os.replace(staging / "data" / name, staging / name)
    if (staging / "attachments").exists() is False:
        (staging / "attachments").mkdir()
    try:
        settings = _open_database(staging, manifest, database_url)
        # One transaction for loading, checking and recording: a refused restore leaves an
        # (empty) PostgreSQL database as it was; DDL is transactional there too.
        with db.database.atomic():
            _load_tables_if_needed(staging, manifest, database_url)
            _verify_restored(settings, manifest)
            if record:
                ledger.append("backup.restored", None, data={
                    "sha256": ledger.file_sha256(backup_file), "events": manifest["events"],
                    "head_hash": manifest["head_hash"], "created_at": manifest["created_at"],
                })
    finally:
        shutil.rmtree(staging / "data", ignore_errors=True)
        shutil.rmtree(staging / "database", ignore_errors=True)
        (staging / MANIFEST).unlink(missing_ok=True)
    return Restored(staging, manifest["events"], manifest["head_hash"], len(files), manifest["source"], ledger.file_sha256(backup_file))


def _extract(reader: DecryptingReader, staging: Path) -> tuple[dict, dict[str, str]]:
    """Write each member under ``staging``, hashing it; only names a backup can hold, only files."""
    files: dict[str, str] = {}
    manifest = None
    try:
        with tarfile.open(fileobj=reader, mode="r|") as archive:
            for member in archive:
                if not member.isfile() or not _MEMBER.match(member.name) or member.name in files:
                    raise BackupRefused(f"バックアップに想定外の項目があります: {member.name}", f"the backup holds an unexpected entry: {member.name}")
                content = archive.extractfile(member)
                if member.name == MANIFEST:
                    manifest = json.loads(content.read(1 << 22))
                    continue
                destination = staging / member.name
                destination.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                private = member.name.startswith("data/") and member.name.endswith(".key")
                descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
                with os.fdopen(descriptor, "wb") as out:
                    for block in iter(lambda: content.read(1 << 20), b""):
                        digest.update(block)
                        out.write(block)
                files[member.name] = digest.hexdigest()
    except (tarfile.TarError, ValueError) as error:
        raise BackupRefused("バックアップの中身が読めません（壊れています）", "the backup's contents cannot be read (damaged)") from error
    if not isinstance(manifest, dict):
        raise BackupRefused("バックアップに目録（manifest.json）がありません", "the backup has no manifest.json")
    return manifest, files


def _check_manifest(manifest: dict, files: dict[str, str]) -> None:
    listed = manifest.get("files") or {}
    for name in sorted(set(listed) | set(files)):
        if name not in files:
            raise BackupRefused(f"目録にある {name} がバックアップにありません", f"{name} is in the manifest but not in the backup")
        if name not in listed:
            raise BackupRefused(f"{name} は目録にありません", f"{name} is in the backup but not in its manifest")
        if listed[name]["sha256"] != files[name]:
            raise BackupRefused(f"{name} のハッシュが目録と一致しません", f"{name} does not match its hash in the manifest")


def _open_database(staging: Path, manifest: dict, database_url: str | None) -> config.Settings:
    """Connect to where the restored installation will keep its database: the SQLite snapshot
    itself when it is one and the target is SQLite, else a new database to load rows into."""
    sqlite_target = staging / config.DATABASE_FILE
    if manifest["source"] == "sqlite":
        if not database_url:
            os.replace(staging / SQLITE_MEMBER, sqlite_target)
        else:  # a SQLite backup into PostgreSQL: read its rows out first
            db.connect(f"sqlite:///{staging / SQLITE_MEMBER}")
            _dump_tables(staging / "database")
            db.database.close()
    url = database_url or f"sqlite:///{sqlite_target}"
    db.connect(url)
    return config.Settings(data_dir=staging, database_url=url, base_url="", secret=b"")


def _load_tables_if_needed(staging: Path, manifest: dict, database_url: str | None) -> None:
    create_schema()  # the tables (and columns added since the backup was made)
    if manifest["source"] != "sqlite" or database_url:
        _load_tables(staging / "database")


def _load_tables(folder: Path) -> None:
    for model in ALL_MODELS:
        path = folder / f"{model._meta.table_name}.jsonl"
        if not path.exists():
            continue
        model.delete().execute()  # an empty database but for what create_schema wrote (its schema version)
        with open(path, encoding="utf-8") as rows:
            batch = []
            for line in rows:
                batch.append(json.loads(line))
                if len(batch) == 500:
                    model.insert_many(batch).execute()
                    batch = []
            if batch:
                model.insert_many(batch).execute()
    if not db.is_sqlite():
        for model in ALL_MODELS:
            key = model._meta.primary_key
            if key.field_type == "AUTO":  # the serial must continue after the restored rows
                table, column = model._meta.table_name, key.column_name
                db.database.execute_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                    f"coalesce(max(\"{column}\"), 1), max(\"{column}\") IS NOT NULL) FROM \"{table}\"")


def _verify_restored(settings: config.Settings, manifest: dict) -> None:
    """Nothing is kept unless the restored ledger is exactly the one the manifest describes."""
    report = ledger.verify(settings.attachments_dir)
    if not report.ok:
        first = report.problems[0]
        raise BackupRefused(f"復元した台帳が検証に失敗しました: {first.message_ja}", f"the restored ledger fails verification: {first.message_en}")
    if (report.events, report.head_hash) != (manifest["events"], manifest["head_hash"]):
        raise BackupRefused("復元した台帳が目録の件数・ハッシュと一致しません", "the restored ledger differs from the manifest's size and head hash")
    if manifest.get("checkpoint_key_included") or os.environ.get(checkpoints.KEY_ENVIRONMENT):
        checkpoint = checkpoints.parse(manifest["checkpoint"], checkpoints.signer(settings.data_dir).verifier)
        if (checkpoint.size, checkpoint.head_hash) != (report.events, report.head_hash):
            raise BackupRefused("バックアップのチェックポイントが台帳と一致しません", "the backup's checkpoint does not match its ledger")
        recorded = checkpoints.check_recorded(settings)
        if recorded:
            raise BackupRefused(f"復元した台帳が記録済みのチェックポイントと一致しません: {recorded[0].message_ja}",
                                f"the restored ledger does not match a recorded checkpoint: {recorded[0].message_en}")


def _close_quietly() -> None:
    try:
        if not db.database.is_closed():
            if db.database.in_transaction():
                db.database.rollback()
            db.database.close()
    except Exception:  # noqa: BLE001 - cleaning up after a refusal that is already being reported
        pass
