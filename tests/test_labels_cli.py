"""`mediatrail labels` end to end: demo media to a PDF sheet with embedded fonts, rasterised at
300 dpi, read back by `mediatrail decode` to the same media with valid signatures; refusals."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest

from tracker import db, ledger
from conftest import run_cli as run
from tracker.cli import EXIT_REFUSED




def test_all_labels_round_trip_through_decode(demo_dir, tmp_path):
    pdf = tmp_path / "all.pdf"
    result = run("--data", str(demo_dir), "labels", "--all", "--layout", "a4-24", "-o", str(pdf))
    assert result.exit_code == 0, result.output
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(str(path) for path in tmp_path.glob("page*.png"))
    assert len(pages) == 2
    decoded = run("--data", str(demo_dir), "decode", *pages)
    rows = [json.loads(line) for line in decoded.output.splitlines()]
    with sqlite3.connect(demo_dir / "mediatrail.db") as connection:
        # --all: every medium whose label may be printed (the demo returns a few to the city)
        from tracker.workflows.labelling import UNPRINTABLE

        unprintable = ", ".join("?" * len(UNPRINTABLE))
        expected = {medium_id for (medium_id,) in connection.execute(f"SELECT id FROM medium WHERE status NOT IN ({unprintable})", UNPRINTABLE)}
    assert {row["medium"] for row in rows if row["valid"]} == expected
    assert all(row["valid"] and row["reason"] is None for row in rows)
    assert run("--data", str(demo_dir), "verify").exit_code == 0


def test_location_labels_and_the_print_event(demo_dir, tmp_path):
    pdf = tmp_path / "places.pdf"
    result = run("--data", str(demo_dir), "labels", "--location", "LOC-00001-W", "--layout", "ql-62", "-o", str(pdf))
    assert result.exit_code == 0, result.output
    connection = sqlite3.connect(demo_dir / "mediatrail.db")
    kind, data = connection.execute("SELECT kind, data FROM event ORDER BY seq DESC LIMIT 1").fetchone()
    assert kind == "label.printed" and "LOC-00001-W" in data


@pytest.mark.parametrize("arguments, needle", [
    (["--layout", "a4-99"], "a4-24"),  # the message lists the valid presets
    (["--layout", "a4-24", "--start", "25"], "25"),
    (["KG26-99999-0"], "KG26-99999"),
])
def test_bad_requests_explain_and_write_no_file(demo_dir, tmp_path, arguments, needle):
    pdf = tmp_path / "out.pdf"
    first = arguments[0] if arguments[0].startswith("KG26") else None
    medium = [] if first else ["--all"]
    result = run("--data", str(demo_dir), "labels", *medium, *arguments, "-o", str(pdf))
    assert result.exit_code == EXIT_REFUSED and needle in result.output
    assert not pdf.exists() and not list(tmp_path.glob("out.pdf*"))


def test_a_destroyed_medium_is_not_reprinted(demo_dir, tmp_path):
    from tracker import config
    from tracker.models import Medium

    db.connect(config.load(demo_dir).database_url)
    medium = Medium.select().first()
    ledger.append("medium.destroyed", "yamada", contract="KG26", changes={"medium": {medium.id: {"status": "destroyed"}}})
    result = run("--data", str(demo_dir), "labels", medium.id, "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == EXIT_REFUSED and "destroyed" in result.output


def test_missing_printer_is_a_clear_error(demo_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no lp anywhere
    result = run("--data", str(demo_dir), "labels", "KG26-00001-7", "--printer", "QL800")
    assert result.exit_code == EXIT_REFUSED and "lp" in result.output
