"""The CLI as a new user meets it: init, demo, verify (and its tamper report), refusals."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from conftest import run_cli as run
from tracker.cli import EXIT_REFUSED, EXIT_TAMPERED, EXIT_UNBALANCED




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


# ---- for the inspection: register and balance ----------------------------------------------------


def test_register_writes_the_register_and_the_chain_of_custody(demo_dir, tmp_path):
    from tracker import register
    from tracker.cli import open_database

    ledger_csv, custody_csv = tmp_path / "台帳.csv", tmp_path / "custody.csv"
    result = run("--data", str(demo_dir), "register", "--contract", "KG26", "--csv", str(ledger_csv), "--custody-csv", str(custody_csv))
    assert result.exit_code == 0, result.output
    assert str(ledger_csv) in result.output and str(custody_csv) in result.output
    open_database(demo_dir)
    assert ledger_csv.read_bytes() == register.register_csv(["KG26"])
    assert custody_csv.read_bytes() == register.custody_csv(["KG26"])
    lines = ledger_csv.read_text(encoding="utf-8-sig").splitlines()
    with sqlite3.connect(demo_dir / "mediatrail.db") as connection:
        held_or_held_once = connection.execute(
            "SELECT COUNT(*) FROM medium WHERE contract_id = 'KG26' AND status NOT IN ('expected', 'not_received')").fetchone()[0]
    assert lines[0].startswith("媒体ID") and len(lines) == 1 + held_or_held_once
    assert "KG26-H0001" in custody_csv.read_text(encoding="utf-8-sig")  # the receiving handover's scans
    assert not list(tmp_path.glob("*.part"))

    only_custody = tmp_path / "english.csv"
    result = run("--data", str(demo_dir), "register", "--contract", "KG26", "--custody-csv", str(only_custody), "--lang", "en")
    assert result.exit_code == 0 and only_custody.read_text(encoding="utf-8-sig").startswith("Seq,")


def test_register_refusals_explain_and_write_nothing(cast, data_dir, tmp_path):
    target = tmp_path / "register.csv"
    nothing_asked = run("--data", str(data_dir), "register", "--contract", "KG26")
    assert nothing_asked.exit_code == EXIT_REFUSED
    assert "--csv" in nothing_asked.output and "指定してください" in nothing_asked.output and "give --csv FILE" in nothing_asked.output
    unknown = run("--data", str(data_dir), "register", "--contract", "XX99", "--csv", str(target))
    assert unknown.exit_code == EXIT_REFUSED and "XX99" in unknown.output and "error:" in unknown.output
    assert not target.exists() and not list(tmp_path.glob("*.csv*"))


def test_balance_prints_the_closeout_and_exits_4_when_it_does_not_balance(demo_dir):
    result = run("--data", str(demo_dir), "balance", "--contract", "KG26")
    assert result.exit_code == 0, result.output
    for line in ("複製 / copies made: 1", "返還 / returned: 3", "未受領（収支の対象外） / never received (not counted): 3", "一致 / balanced"):
        assert line in result.output
    connection = sqlite3.connect(demo_dir / "mediatrail.db")
    medium_id = connection.execute("SELECT id FROM medium WHERE status = 'stored' ORDER BY id LIMIT 1").fetchone()[0]
    connection.execute("UPDATE medium SET status = 'misplaced' WHERE id = ?", (medium_id,))
    connection.commit()
    connection.close()
    result = run("--data", str(demo_dir), "balance", "--contract", "KG26")
    assert result.exit_code == EXIT_UNBALANCED
    assert medium_id in result.output and "一致しません" in result.output and "does NOT balance" in result.output


def test_balance_of_an_unknown_contract_is_refused(cast, data_dir):
    result = run("--data", str(data_dir), "balance", "--contract", "XX99")
    assert result.exit_code == EXIT_REFUSED and "XX99" in result.output
    help_text = run("balance", "--help").output
    assert "Exit codes" in help_text and "4  does not balance" in help_text
