"""The auditor's export and `verify --export`: checked without the database, against checkpoints
the city kept. Every kind of tampering in a copy of the data — an event edited, deleted or moved,
an attachment replaced, history rewritten with every later hash recomputed — is caught both by
`verify` and by `verify --export` of an export made from the tampered copy."""

from __future__ import annotations

import json
import os

import pytest

import tampering
from conftest import run_cli as run
from tracker import audit_export, checkpoints


@pytest.fixture
def kept(demo_dir, tmp_path):
    """The city's checkpoint, taken before the tampering; then one more event on the ledger."""
    path = tmp_path / "kept.txt"
    assert run("--data", str(demo_dir), "checkpoint", "-o", str(path)).exit_code == 0
    assert run("--data", str(demo_dir), "checkpoint").exit_code == 0
    return path


def kept_size(path) -> int:
    return checkpoints.parse_format(path.read_text(encoding="utf-8")).size


def export(data_dir, target):
    result = run("--data", str(data_dir), "export", "--audit", str(target))
    assert result.exit_code == 0, result.output
    return target


def test_export_writes_every_event_attachment_checkpoint_and_the_key(demo_dir, kept, tmp_path):
    size_before = tampering.event_count(demo_dir)
    folder = export(demo_dir, tmp_path / "audit")
    summary = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    assert summary["events"] == size_before and summary["files_included"] is True
    assert tampering.event_count(demo_dir) == size_before + 1  # the export's checkpoint, recorded after it
    lines = (folder / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == size_before
    with tampering.connect(demo_dir) as connection:
        rows = {row["seq"]: row for row in connection.execute("SELECT * FROM event")}
        links = {}
        for link in connection.execute("SELECT event_id, medium FROM event_medium"):
            links.setdefault(link["event_id"], []).append(link["medium"])
        attachment_count = connection.execute("SELECT count(*) FROM attachment").fetchone()[0]
    for line in lines:
        record = json.loads(line)
        row = rows[record["seq"]]
        assert (record["hash"], record["prev_hash"], record["kind"]) == (row["hash"], row["prev_hash"], row["kind"])
        assert record["media"] == sorted(links.get(record["seq"], []))
        # README.txt's formula, applied by hand, gives the ledger's hash
        assert audit_export.event_line_hash(line) == row["hash"]
    attachments = [json.loads(line) for line in (folder / "attachments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(attachments) == attachment_count
    assert all((folder / "attachments" / row["sha256"][:2] / row["sha256"][2:]).exists() for row in attachments)
    recorded = [json.loads(line) for line in (folder / "checkpoints.jsonl").read_text(encoding="utf-8").splitlines()]
    assert kept.read_text(encoding="utf-8") in [entry["checkpoint"] for entry in recorded]
    verifier = checkpoints.Verifier.from_vkey((folder / "public_key.txt").read_text(encoding="utf-8"))
    assert verifier == checkpoints.signer(demo_dir).verifier
    own = checkpoints.parse((folder / "checkpoint.txt").read_text(encoding="utf-8"), verifier)
    assert (own.size, own.head_hash) == (size_before, json.loads(lines[-1])["hash"])
    assert "verify --export" in (folder / "README.txt").read_text(encoding="utf-8")


def test_verify_export_passes_without_any_database(demo_dir, kept, tmp_path, monkeypatch):
    folder = export(demo_dir, tmp_path / "audit")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")  # never opened
    result = run("--data", str(tmp_path / "no-such-folder"), "verify", "--export", str(folder), "--checkpoint", str(kept))
    assert result.exit_code == 0, result.output
    assert "extends the 1 checkpoint(s) you kept" in result.output
    assert f"all {tampering.event_count(demo_dir) - 1} events" in result.output


def test_export_refuses_a_folder_that_is_not_empty_and_writes_nothing(demo_dir, tmp_path):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "mine.txt").write_text("大事なファイル", encoding="utf-8")
    before = tampering.event_count(demo_dir)
    result = run("--data", str(demo_dir), "export", "--audit", str(target))
    assert result.exit_code == 1 and "not an empty folder" in result.output
    assert os.listdir(target) == ["mine.txt"] and tampering.event_count(demo_dir) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["busy", "demo"]  # no partial folder left


def test_an_export_with_one_line_altered_fails_and_names_the_event(demo_dir, kept, tmp_path):
    folder = export(demo_dir, tmp_path / "audit")
    path = folder / "events.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[9])
    record["actor"] = "someone-else"
    lines[9] = json.dumps(record, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("verify", "--export", str(folder), "--checkpoint", str(kept))
    assert result.exit_code == 3
    assert f"NG event #10: " in result.output and f"event '{record['kind']}' does not match its hash (altered)" in result.output


def test_an_export_line_that_is_not_json_fails(demo_dir, tmp_path):
    folder = export(demo_dir, tmp_path / "audit")
    path = folder / "events.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3][:40]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("verify", "--export", str(folder))
    assert result.exit_code == 3 and "line 4 of events.jsonl cannot be read (damaged)" in result.output


def test_an_export_rewritten_with_recomputed_hashes_fails_against_the_kept_checkpoint(demo_dir, kept, tmp_path):
    """Someone edits the export itself and recomputes the chain: its own checkpoint and the city's
    copy both give it away (the signature cannot be redone without the key)."""
    folder = export(demo_dir, tmp_path / "audit")
    path = folder / "events.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    target = kept_size(kept) - 5
    previous = records[target - 2]["hash"]
    for record in records[target - 1:]:
        if record["seq"] == target:
            record["data"]["note"] = "書き換え"
        record["prev_hash"] = previous
        line = json.dumps(record, ensure_ascii=False)
        record["hash"] = previous = audit_export.event_line_hash(line)
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    result = run("verify", "--export", str(folder), "--checkpoint", str(kept))
    assert result.exit_code == 3
    assert f"the checkpoint you kept ({kept}): event #{kept_size(kept)}'s hash differs from the checkpoint" in result.output
    assert "checkpoint.txt: event #" in result.output


def test_a_checkpoint_from_another_installation_fails_the_export(demo_dir, tmp_path, monkeypatch):
    from tracker import config

    monkeypatch.delenv("DATABASE_URL", raising=False)
    other = config.initialise(tmp_path / "other").data_dir
    foreign = tmp_path / "foreign.txt"
    assert run("--data", str(other), "checkpoint", "-o", str(foreign)).exit_code == 0
    folder = export(demo_dir, tmp_path / "audit")
    result = run("verify", "--export", str(folder), "--checkpoint", str(foreign))
    assert result.exit_code == 3
    assert f"the checkpoint you kept ({foreign}): this checkpoint is from another installation" in result.output


def test_a_folder_that_is_no_export_is_refused(tmp_path):
    result = run("verify", "--export", str(tmp_path))
    assert result.exit_code == 1 and "is not an audit export" in result.output


# ---- the done-when: every kind of tampering, caught by verify and by verify --export -----------


def _edit(data_dir, size):
    tampering.edit_event(data_dir, tampering.plain_event(data_dir, before=size))


def _delete(data_dir, size):
    tampering.delete_event(data_dir, tampering.plain_event(data_dir, before=size))


def _reorder(data_dir, size):
    seq = tampering.plain_event(data_dir, before=size)
    tampering.swap_events(data_dir, seq - 1, seq)


def _replace_attachment(data_dir, size):
    tampering.replace_attachment(data_dir)


def _rewrite(data_dir, size):
    tampering.rewrite_history(data_dir, tampering.plain_event(data_dir, before=size))


def _rewrite_and_resign(data_dir, size):
    tampering.rewrite_history(data_dir, tampering.plain_event(data_dir, before=size), resign=True)


# tampering -> (what `verify` says, what `verify --export` says)
TAMPERING = {
    "event edited": (_edit, "does not match its hash (altered)", "does not match its hash (altered)"),
    "event deleted": (_delete, "event numbers are not contiguous", "deleted or reordered"),
    "events reordered": (_reorder, "the hash chain to the previous event is broken", "the hash chain to the previous event is broken"),
    "attachment replaced": (_replace_attachment, "was altered", "was altered"),
    "history rewritten, later hashes recomputed": (_rewrite, "history was rewritten after it was handed out",
                                                   "history was rewritten after it was handed out"),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_with_a_copy_is_caught_by_verify_and_by_the_export(name, demo_dir, kept, tmp_path):
    tamper, said_live, said_by_export = TAMPERING[name]
    tamper(demo_dir, kept_size(kept))
    live = run("--data", str(demo_dir), "verify", "--checkpoint", str(kept))
    assert live.exit_code == 3, live.output
    assert said_live in live.output
    folder = export(demo_dir, tmp_path / "audit")
    exported = run("verify", "--export", str(folder), "--checkpoint", str(kept))
    assert exported.exit_code == 3, exported.output
    assert said_by_export in exported.output


def test_a_rewrite_resigned_with_the_key_is_still_caught_by_the_citys_checkpoint(demo_dir, kept, tmp_path):
    _rewrite_and_resign(demo_dir, kept_size(kept))
    folder = export(demo_dir, tmp_path / "audit")
    without = run("verify", "--export", str(folder))
    assert without.exit_code == 0, without.output  # self-consistent: signed by the same key
    exported = run("verify", "--export", str(folder), "--checkpoint", str(kept))
    assert exported.exit_code == 3
    assert f"event #{kept_size(kept)}'s hash differs from the checkpoint" in exported.output


def test_an_export_signed_with_a_replaced_key_fails_against_the_citys_checkpoint(demo_dir, kept, tmp_path):
    """Rewrite everything and sign it with a new key: the city's checkpoint was made with the old
    key, which the new export cannot reproduce."""
    _rewrite(demo_dir, kept_size(kept))
    (demo_dir / checkpoints.KEY_FILE).unlink()
    (demo_dir / checkpoints.LOG_FILE).unlink()
    folder = tmp_path / "audit"
    with tampering.connect(demo_dir) as connection:  # drop every recorded checkpoint as well
        connection.execute("UPDATE event SET data = json_remove(data, '$.checkpoint')")
    tampering.rewrite_history(demo_dir, 1)
    export(demo_dir, folder)
    assert run("verify", "--export", str(folder)).exit_code == 0
    exported = run("verify", "--export", str(folder), "--checkpoint", str(kept))
    assert exported.exit_code == 3
    assert "this checkpoint is from another installation" in exported.output
    assert "the signing key was replaced after it was handed out" in exported.output
