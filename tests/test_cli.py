"""The CLI as a new user meets it: init, demo, verify (and its tamper report), refusals."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from conftest import run_cli as run
from tracker.cli import EXIT_REFUSED, EXIT_TAMPERED




def test_demo_then_verify_passes(demo_dir):
    result = run("--data", str(demo_dir), "verify")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


@pytest.mark.parametrize("column, value", [("actor", "'takahashi'"), ("data", "'{}'"), ("at", "'2020-01-01T00:00:00.000000Z'")])
def test_editing_any_event_row_makes_verify_fail_and_name_it(demo_dir, column, value):
    connection = sqlite3.connect(demo_dir / "mediatrail.db")
    seq = connection.execute("SELECT seq FROM event WHERE kind = 'medium.stored' ORDER BY seq LIMIT 1 OFFSET 3").fetchone()[0]
    connection.execute(f"UPDATE event SET {column} = {value} WHERE seq = ?", (seq,))
    connection.commit()
    connection.close()
    result = run("--data", str(demo_dir), "verify")
    assert result.exit_code == EXIT_TAMPERED
    assert f"#{seq}" in result.output


def test_editing_a_medium_row_makes_verify_fail(demo_dir):
    connection = sqlite3.connect(demo_dir / "mediatrail.db")
    connection.execute("UPDATE medium SET record_count = record_count + 1 WHERE id = (SELECT MIN(id) FROM medium)")
    connection.commit()
    connection.close()
    result = run("--data", str(demo_dir), "verify")
    assert result.exit_code == EXIT_TAMPERED and "record_count" in result.output


def test_second_init_refuses_and_changes_nothing(demo_dir):
    secret = (demo_dir / "secret.key").read_bytes()
    database = (demo_dir / "mediatrail.db").read_bytes()
    result = run("--data", str(demo_dir), "init")
    assert result.exit_code == EXIT_REFUSED
    assert "初期化済み" in result.output and "already initialised" in result.output
    assert (demo_dir / "secret.key").read_bytes() == secret
    assert (demo_dir / "mediatrail.db").read_bytes() == database


def test_demo_twice_does_not_seed_twice(demo_dir):
    result = run("--data", str(demo_dir), "demo", "--no-serve")
    assert result.exit_code == 0 and "not seeded again" in result.output


def test_commands_on_an_uninitialised_folder_explain(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = run("--data", str(tmp_path / "nothing"), "verify")
    assert result.exit_code == EXIT_REFUSED and "mediatrail init" in result.output


def test_user_roster_and_location_commands(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    folder = str(tmp_path / "site")
    assert run("--data", folder, "init").exit_code == 0
    assert run("--data", folder, "user", "add", "yamada", "--name", "山田", "--role", "contractor", "--password", "long-enough").exit_code == 0
    assert run("--data", folder, "contract", "add", "KG26", "--title", "入力業務", "--client", "小金井市").exit_code == 0
    assert run("--data", folder, "roster", "add", "KG26", "yamada", "--role", "responsible").exit_code == 0
    refused = run("--data", folder, "roster", "add", "KG26", "nobody")
    assert refused.exit_code == EXIT_REFUSED and "nobody" in refused.output
    result = run("--data", folder, "location", "add", "キャビネットA", "--kind", "cabinet", "--purpose", "storage")
    assert result.exit_code == 0 and "LOC-00001" in result.output
    token = run("--data", folder, "user", "token", "yamada").output.strip()
    assert token.startswith("mt_")
    assert run("--data", folder, "verify").exit_code == 0


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "tracker.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "verify" in result.stdout
