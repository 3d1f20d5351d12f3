"""Encrypted backups taken while the server runs, and restores that verify everything first and
leave nothing behind when they refuse: a wrong passphrase, a truncated file, an altered byte, a
folder or database that is not empty, a backup of a ledger that does not verify."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from pathlib import Path

import pytest

import tampering
from conftest import run_cli as run
from tracker import backup, config, db, ledger
from tracker.models import Medium

PASSPHRASE = "小金井の書庫 2026 correct horse"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))


@pytest.fixture(autouse=True)
def passphrase(monkeypatch):
    monkeypatch.setenv(backup.PASSPHRASE_ENVIRONMENT, PASSPHRASE)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def open_folder(folder):
    settings = config.load(folder)
    db.connect(settings.database_url)
    return settings


def events_of(folder) -> list[tuple[int, str, str]]:
    with tampering.connect(folder) as connection:
        return [(row["seq"], row["kind"], row["hash"]) for row in connection.execute("SELECT seq, kind, hash FROM event ORDER BY seq")]


@pytest.fixture
def made(demo_dir, tmp_path):
    """A backup of the demo, made through the CLI."""
    path = tmp_path / "demo.mtbk"
    result = run("--data", str(demo_dir), "backup", str(path))
    assert result.exit_code == 0, result.output
    return path


# ---- the stream --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, backup.CHUNK - 1, backup.CHUNK, backup.CHUNK + 1, 3 * backup.CHUNK])
def test_the_stream_round_trips_at_every_chunk_boundary(size):
    plain = os.urandom(size)
    sealed = io.BytesIO()
    writer = backup.EncryptingWriter(sealed, PASSPHRASE, log2_n=10)
    writer.write(plain)
    writer.finish()
    header = len(backup.MAGIC) + 4 + 16 + 7 + backup.CHECK_BYTES
    chunks = size // backup.CHUNK + 1 if size % backup.CHUNK or size == 0 else size // backup.CHUNK
    assert len(sealed.getvalue()) == header + size + chunks * backup.TAG  # one tag per chunk, nothing else
    assert size < 64 or plain[:64] not in sealed.getvalue()  # not stored in the clear
    reader = backup.DecryptingReader(io.BytesIO(sealed.getvalue()), PASSPHRASE)
    assert reader.read() == plain


def sealed_bytes(size: int = 2 * backup.CHUNK + 100) -> bytes:
    out = io.BytesIO()
    writer = backup.EncryptingWriter(out, PASSPHRASE, log2_n=10)
    writer.write(os.urandom(size))
    writer.finish()
    return out.getvalue()


def test_a_stream_cut_at_a_chunk_boundary_is_caught_as_truncated():
    whole = sealed_bytes()
    header = len(whole) - (2 * backup.CHUNK + 100) - 3 * backup.TAG
    cut = whole[: header + 2 * (backup.CHUNK + backup.TAG)]  # the first two chunks, whole and valid
    with pytest.raises(backup.BackupRefused, match="truncated or damaged"):
        backup.DecryptingReader(io.BytesIO(cut), PASSPHRASE).read()


def test_chunks_swapped_are_caught():
    whole = sealed_bytes()
    header = len(whole) - (2 * backup.CHUNK + 100) - 3 * backup.TAG
    size = backup.CHUNK + backup.TAG
    first, second = whole[header: header + size], whole[header + size: header + 2 * size]
    swapped = whole[:header] + second + first + whole[header + 2 * size:]
    with pytest.raises(backup.BackupRefused, match=f"damaged or altered after byte {header}"):
        backup.DecryptingReader(io.BytesIO(swapped), PASSPHRASE).read()


def test_a_header_demanding_absurd_memory_is_refused_before_any_work():
    whole = bytearray(sealed_bytes(10))
    whole[len(backup.MAGIC) + 1] = 40  # log2 N = 40: 2^40 * 1 KiB of memory
    with pytest.raises(backup.BackupRefused, match="not supported"):
        backup.DecryptingReader(io.BytesIO(bytes(whole)), PASSPHRASE)


# ---- backup and restore through the CLI --------------------------------------------------------


def test_backup_then_restore_into_a_new_folder_gives_the_same_verified_ledger(demo_dir, made, tmp_path):
    live = events_of(demo_dir)
    assert live[-1][1] == "backup.made"
    recorded = json.loads(tampering.connect(demo_dir).execute("SELECT data FROM event ORDER BY seq DESC LIMIT 1").fetchone()[0])
    assert recorded["sha256"] == ledger.file_sha256(made) and recorded["events"] == len(live) - 1
    assert b"mediatrail" not in made.read_bytes()[64:] and b"SQLite format" not in made.read_bytes()  # encrypted
    target = tmp_path / "restored"
    result = run("--data", str(target), "restore", str(made))
    assert result.exit_code == 0, result.output
    restored = events_of(target)
    assert restored[:-1] == live[:-1]  # everything up to the snapshot, hash for hash
    assert restored[-1][1] == "backup.restored"
    for name in ("secret.key", "checkpoint.key", "config.json"):
        assert (target / name).read_bytes() == (demo_dir / name).read_bytes()
    assert oct((target / "secret.key").stat().st_mode & 0o777) == "0o600"
    live_files = sorted(p.relative_to(demo_dir / "attachments") for p in (demo_dir / "attachments").rglob("*") if p.is_file())
    restored_files = sorted(p.relative_to(target / "attachments") for p in (target / "attachments").rglob("*") if p.is_file())
    assert restored_files == live_files
    verify = run("--data", str(target), "verify")
    assert verify.exit_code == 0, verify.output
    assert [p.name for p in tmp_path.iterdir() if ".restoring-" in p.name] == []


def test_the_passphrase_is_asked_twice_on_a_terminal(demo_dir, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tracker.cli import cli

    monkeypatch.delenv(backup.PASSPHRASE_ENVIRONMENT)
    path = tmp_path / "asked.mtbk"
    mismatch = CliRunner().invoke(cli, ["--data", str(demo_dir), "backup", str(path)], input=f"{PASSPHRASE}\nsomething else\n" * 3)
    assert mismatch.exit_code != 0 and not path.exists()
    result = CliRunner().invoke(cli, ["--data", str(demo_dir), "backup", str(path)], input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    restored = CliRunner().invoke(cli, ["--data", str(tmp_path / "r"), "restore", str(path)], input=f"{PASSPHRASE}\n")
    assert restored.exit_code == 0, restored.output


def test_a_short_passphrase_an_existing_file_and_a_medium_that_is_no_backup_are_refused(demo_dir, tmp_path, monkeypatch):
    before = events_of(demo_dir)
    existing = tmp_path / "existing.mtbk"
    existing.write_bytes(b"someone's file")
    refused = run("--data", str(demo_dir), "backup", str(existing))
    assert refused.exit_code == 1 and "is not overwritten" in refused.output
    assert existing.read_bytes() == b"someone's file"
    open_folder(demo_dir)
    ordinary = Medium.select().where(Medium.status == "stored").first().id
    db.database.close()
    not_backup = run("--data", str(demo_dir), "backup", str(tmp_path / "x.mtbk"), "--medium", ordinary)
    assert not_backup.exit_code == 1 and f"{ordinary} is not registered as a backup medium" in not_backup.output
    monkeypatch.setenv(backup.PASSPHRASE_ENVIRONMENT, "short")
    too_short = run("--data", str(demo_dir), "backup", str(tmp_path / "y.mtbk"))
    assert too_short.exit_code == 1 and "at least 10 characters" in too_short.output
    assert events_of(demo_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo", "existing.mtbk"]  # no partial files


def test_a_backup_to_a_backup_medium_is_linked_to_it(demo_dir, tmp_path):
    from tracker.models import User
    from tracker.workflows import media

    open_folder(demo_dir)
    disk = media.register(User.get_by_id("yamada"), "KG26", "hdd", "月次バックアップ用ディスク", location=None,
                          encrypted=True, encryption="AES-256 (mediatrail backup)", is_backup=True)
    db.database.close()
    path = tmp_path / "monthly.mtbk"
    assert run("--data", str(demo_dir), "backup", str(path), "--medium", disk.id).exit_code == 0
    tested = run("--data", str(demo_dir), "restore", "--test", str(path), "--medium", disk.id)
    assert tested.exit_code == 0, tested.output
    open_folder(demo_dir)
    kinds = [event.kind for event in ledger.timeline(disk.id)]
    assert kinds == ["medium.registered", "backup.made", "backup.restore_tested"]
    test_event = ledger.timeline(disk.id)[-1]
    assert test_event.data_dict["ok"] is True and test_event.data_dict["sha256"] == ledger.file_sha256(path)
    assert test_event.contract == "KG26"
    db.database.close()


@pytest.mark.parametrize("damage, message", [
    ("wrong passphrase", "wrong passphrase"),
    ("truncated", "truncated or damaged"),
    ("byte altered", "damaged or altered after byte"),
    ("not a backup", "not a mediatrail backup file"),
])
def test_a_restore_that_refuses_leaves_nothing_behind(damage, message, made, tmp_path, monkeypatch):
    content = made.read_bytes()
    if damage == "wrong passphrase":
        monkeypatch.setenv(backup.PASSPHRASE_ENVIRONMENT, PASSPHRASE + "!")
    elif damage == "truncated":
        made.write_bytes(content[: len(content) * 2 // 3])
    elif damage == "byte altered":
        altered = bytearray(content)
        altered[len(content) // 3] ^= 0x01
        made.write_bytes(bytes(altered))
    else:
        made.write_bytes(b"PK\x03\x04 a zip file\n" + content[100:])
    target = tmp_path / "restored"
    result = run("--data", str(target), "restore", str(made))
    assert result.exit_code == 1
    assert message in result.output and "nothing was restored" in result.output
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo", "demo.mtbk"]


def test_a_restore_into_a_folder_that_is_not_empty_changes_nothing(made, demo_dir, tmp_path):
    database = (demo_dir / "mediatrail.db").read_bytes()
    result = run("--data", str(demo_dir), "restore", str(made))
    assert result.exit_code == 1 and "is not an empty folder" in result.output
    assert (demo_dir / "mediatrail.db").read_bytes() == database
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("--data", str(empty), "restore", str(made)).exit_code == 0  # an empty folder is fine


def test_a_backup_of_a_tampered_ledger_is_refused_at_restore(demo_dir, tmp_path):
    tampering.edit_event(demo_dir, 5)
    path = tmp_path / "tampered.mtbk"
    assert run("--data", str(demo_dir), "backup", str(path)).exit_code == 0  # the snapshot is what it is
    target = tmp_path / "restored"
    result = run("--data", str(target), "restore", str(path))
    assert result.exit_code == 1
    assert "the restored ledger fails verification: event 'user.created' does not match its hash (altered)" in result.output
    assert not target.exists()


def test_a_failed_restore_test_is_recorded_too(made, demo_dir):
    altered = bytearray(made.read_bytes())
    altered[len(altered) // 4] ^= 0xFF
    made.write_bytes(bytes(altered))
    result = run("--data", str(demo_dir), "restore", "--test", str(made))
    assert result.exit_code == 1 and "damaged or altered" in result.output
    with tampering.connect(demo_dir) as connection:
        last = connection.execute("SELECT kind, data FROM event ORDER BY seq DESC LIMIT 1").fetchone()
    data = json.loads(last["data"])
    assert last["kind"] == "backup.restore_tested" and data["ok"] is False
    assert data["reason_en"].startswith("the backup file is damaged or altered")
    assert [p.name for p in made.parent.iterdir() if "restore-test" in p.name] == []


# ---- online, and on PostgreSQL -----------------------------------------------------------------


def databases():
    found = [pytest.param(None, id="sqlite")]
    if os.environ.get("TEST_DATABASE_URL"):
        found.append(pytest.param(os.environ["TEST_DATABASE_URL"], id="postgres"))
    return found


@pytest.mark.parametrize("database_url", databases())
def test_a_backup_taken_while_clients_scan_restores_to_a_consistent_ledger(database_url, tmp_path, monkeypatch):
    """The snapshot is one moment even though 8 clients keep storing media through the server
    while it is taken: the restored ledger verifies, and holds exactly the events up to it."""
    import scanload

    site = scanload.prepare(tmp_path / "live", database_url, clients=8)
    server = scanload.Server(site)
    server.start()
    stop, made = threading.Event(), {}
    if database_url:
        monkeypatch.setenv("DATABASE_URL", database_url)

    def take_backup():
        stop.wait(1.5)  # in the middle of the load
        settings = config.load(site.data_dir)
        db.connect(settings.database_url)
        made["backup"] = backup.make(settings, tmp_path / "online.mtbk", PASSPHRASE)
        db.database.close()
        stop.set()

    taker = threading.Thread(target=take_backup)
    taker.start()
    try:
        logs = scanload.run_clients(site, server.url, 60, stop)
    finally:
        taker.join()
        server.stop()
    assert [failure for log in logs for failure in log.failures] == []
    outcome = scanload.check(site, logs)
    assert outcome.verified and outcome.unmatched == [] and outcome.duplicated == []
    snapshot = made["backup"]
    assert site.events_before < snapshot.events < site.events_before + outcome.stored_events + 1  # taken mid-load
    monkeypatch.delenv("DATABASE_URL", raising=False)
    target = tmp_path / "restored"
    restored = backup.restore(snapshot.path, target, PASSPHRASE)  # PostgreSQL's backup restores into SQLite too
    assert (restored.events, restored.head_hash) == (snapshot.events, snapshot.head_hash)
    settings = open_folder(target)
    report = ledger.verify(settings.attachments_dir)
    assert report.ok, report.problems
    assert report.events == snapshot.events + 1  # + backup.restored
    db.database.close()


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL")
def test_restore_into_postgresql_needs_an_empty_database_and_rolls_back_a_refusal(demo_dir, tmp_path, monkeypatch):
    from tracker.models import ALL_MODELS

    path = tmp_path / "demo.mtbk"
    assert run("--data", str(demo_dir), "backup", str(path)).exit_code == 0
    url = os.environ["TEST_DATABASE_URL"]
    real = db.connect(url)
    real.drop_tables(ALL_MODELS, safe=True, cascade=True)
    real.close()
    monkeypatch.setenv("DATABASE_URL", url)
    # a refusal after the rows were loaded (the ledger in the backup does not verify) rolls back
    tampering.edit_event(demo_dir, 5)
    tampered = tmp_path / "tampered.mtbk"
    monkeypatch.delenv("DATABASE_URL")
    assert run("--data", str(demo_dir), "backup", str(tampered)).exit_code == 0
    monkeypatch.setenv("DATABASE_URL", url)
    refused = run("--data", str(tmp_path / "pg-refused"), "restore", str(tampered))
    assert refused.exit_code == 1 and "fails verification" in refused.output
    real = db.connect(url)
    assert real.get_tables() == []  # even the tables were rolled back
    real.close()
    # the good backup (SQLite) restores into the empty PostgreSQL database
    restored = run("--data", str(tmp_path / "pg"), "restore", str(path))
    assert restored.exit_code == 0, restored.output
    verify = run("--data", str(tmp_path / "pg"), "verify")
    assert verify.exit_code == 0, verify.output
    again = run("--data", str(tmp_path / "pg-again"), "restore", str(path))
    assert again.exit_code == 1 and "the database at DATABASE_URL is not empty" in again.output
    # and a PostgreSQL backup restores into SQLite
    pg_backup = tmp_path / "pg.mtbk"
    assert run("--data", str(tmp_path / "pg"), "backup", str(pg_backup)).exit_code == 0
    monkeypatch.delenv("DATABASE_URL")
    back = run("--data", str(tmp_path / "sqlite-again"), "restore", str(pg_backup))
    assert back.exit_code == 0, back.output
    assert run("--data", str(tmp_path / "sqlite-again"), "verify").exit_code == 0
    real = db.connect(url)
    real.drop_tables(ALL_MODELS, safe=True, cascade=True)
    real.close()
