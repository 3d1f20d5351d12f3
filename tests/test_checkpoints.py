"""Signed checkpoints: the format (C2SP), handing them out (CLI, dashboard, every paper), and
`verify --checkpoint` against the live database — including history rewritten after one was
handed over, which the chain alone cannot see."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import tampering
from conftest import csrf, login, run_cli as run
from tracker import checkpoints, config, ledger
from tracker.models import Document, Event

SEED = bytes(range(32))


def fixed_signer():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return checkpoints.Signer(Ed25519PrivateKey.from_private_bytes(SEED))


def test_a_checkpoint_is_a_c2sp_signed_note_over_size_and_head():
    head = hashlib.sha256(b"head").hexdigest()
    made = checkpoints.make(fixed_signer(), 1234, head, "2026-11-25T13:45:00.000000Z")
    text, blank, signature_line = made.note.partition("\n\n")
    origin, size, root, time = text.split("\n")
    assert origin == made.origin and origin.startswith("mediatrail/") and len(origin) == len("mediatrail/") + 16
    assert size == "1234" and base64.b64decode(root).hex() == head and time == "time 2026-11-25T13:45:00.000000Z"
    dash, name, encoded = signature_line.rstrip("\n").split(" ")
    assert dash == "\u2014" and name == origin
    raw = base64.b64decode(encoded)
    public = fixed_signer().verifier.public_key
    # key ID as C2SP signed-note recommends: SHA-256(name || 0x0A || 0x01 || key)[:4]
    assert raw[:4] == hashlib.sha256(origin.encode() + b"\n\x01" + public).digest()[:4]
    Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], (text + "\n").encode())  # raises if wrong
    assert made.fingerprint == encoded[:16]


def test_parse_accepts_its_own_note_and_a_windows_saved_copy():
    signer = fixed_signer()
    made = checkpoints.make(signer, 7, ledger.GENESIS.replace("0", "a"), "2026-11-25T13:45:00.000000Z")
    for note in (made.note, "\ufeff" + made.note.replace("\n", "\r\n")):
        parsed = checkpoints.parse(note, signer.verifier)
        assert (parsed.size, parsed.head_hash, parsed.time) == (7, "a" * 64, "2026-11-25T13:45:00.000000Z")


@pytest.mark.parametrize("change, reason", [
    (lambda note: note.replace("\n7\n", "\n8\n"), "altered"),
    (lambda note: note.split("\n\n")[0] + "\n", "not a mediatrail checkpoint: no signature lines"),
    (lambda note: note.replace("\n7\n", "\n07\n"), "is not a decimal number"),
    (lambda note: "hello\n\n" + note.split("\n\n")[1], "origin, size and hash lines are missing"),
])
def test_parse_refuses_with_the_reason(change, reason):
    signer = fixed_signer()
    note = checkpoints.make(signer, 7, "b" * 64, "2026-11-25T13:45:00.000000Z").note
    with pytest.raises(checkpoints.CheckpointRejected) as refused:
        checkpoints.parse(change(note), signer.verifier)
    assert reason in refused.value.message_en


def test_vkey_round_trips_and_a_changed_key_id_is_refused():
    verifier = fixed_signer().verifier
    assert checkpoints.Verifier.from_vkey(verifier.vkey) == verifier
    name, key_id, key = verifier.vkey.split("+", 2)
    with pytest.raises(checkpoints.CheckpointRejected, match="does not match the key"):
        checkpoints.Verifier.from_vkey(f"{name}+00000000+{key}")


def test_the_key_lives_in_the_data_folder_or_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(checkpoints.KEY_ENVIRONMENT, raising=False)
    first = config.initialise(tmp_path / "a").data_dir
    key_file = first / checkpoints.KEY_FILE
    assert len(key_file.read_bytes()) == 32 and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert checkpoints.signer(first).verifier == checkpoints.signer(first).verifier  # stable
    second = config.initialise(tmp_path / "b").data_dir
    assert checkpoints.signer(second).verifier.name != checkpoints.signer(first).verifier.name  # one per installation
    # Several machines sharing one PostgreSQL database share the key through the environment.
    monkeypatch.setenv(checkpoints.KEY_ENVIRONMENT, SEED.hex())
    assert checkpoints.signer(first).verifier == checkpoints.signer(second).verifier == fixed_signer().verifier
    monkeypatch.setenv(checkpoints.KEY_ENVIRONMENT, "abcd")
    with pytest.raises(checkpoints.CheckpointRejected, match="must be 32 bytes"):
        checkpoints.signer(first)


def test_a_data_folder_made_before_checkpoints_gets_its_key_on_first_use(tmp_path, monkeypatch):
    monkeypatch.delenv(checkpoints.KEY_ENVIRONMENT, raising=False)
    folder = config.initialise(tmp_path / "old").data_dir
    (folder / checkpoints.KEY_FILE).unlink()
    name = checkpoints.signer(folder).verifier.name
    assert (folder / checkpoints.KEY_FILE).exists() and checkpoints.signer(folder).verifier.name == name


# ---- handing them out --------------------------------------------------------------------------


def test_checkpoint_command_prints_records_and_writes_it(demo_dir, tmp_path):
    before = tampering.event_count(demo_dir)
    kept = tmp_path / "kept.txt"
    result = run("--data", str(demo_dir), "checkpoint", "-o", str(kept), "--to", "小金井市 市民税課")
    assert result.exit_code == 0, result.output
    note = kept.read_text(encoding="utf-8")
    assert result.stdout == note
    checkpoint = checkpoints.parse(note, checkpoints.signer(demo_dir).verifier)
    with tampering.connect(demo_dir) as connection:
        head = connection.execute("SELECT hash FROM event WHERE seq = ?", (before,)).fetchone()["hash"]
        recorded = connection.execute("SELECT * FROM event WHERE seq = ?", (before + 1,)).fetchone()
    assert (checkpoint.size, checkpoint.head_hash) == (before, head)
    data = json.loads(recorded["data"])
    assert recorded["kind"] == "checkpoint.issued"
    assert (data["size"], data["head_hash"], data["checkpoint"], data["recipient"]) == (before, head, note, "小金井市 市民税課")
    logged = [json.loads(line) for line in (demo_dir / checkpoints.LOG_FILE).read_text(encoding="utf-8").splitlines()]
    assert logged[-1]["checkpoint"] == note
    # -o never overwrites, and a refusal records nothing
    again = run("--data", str(demo_dir), "checkpoint", "-o", str(kept))
    assert again.exit_code == 1 and "is not overwritten" in again.output
    assert tampering.event_count(demo_dir) == before + 1 and kept.read_text(encoding="utf-8") == note


def test_every_issued_paper_carries_the_signed_checkpoint_it_was_made_at(demo_dir):
    from pypdf import PdfReader

    from tracker import db

    settings = config.load(demo_dir)
    db.connect(settings.database_url)
    trusted = checkpoints.signer(demo_dir).verifier
    documents = list(Document.select())
    assert documents
    for document in documents:
        reader = PdfReader(ledger.attachment_path(settings.attachments_dir, document.attachment_id))
        note = reader.attachments["checkpoint.txt"][0].decode()
        checkpoint = checkpoints.parse(note, trusted)
        assert (checkpoint.size, checkpoint.head_hash, checkpoint.time) == (document.head_seq, document.head_hash, document.issued_at)
        path = ledger.attachment_path(settings.attachments_dir, document.attachment_id)
        footer = subprocess.run(["pdftotext", "-l", "1", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert f"署名 {checkpoint.fingerprint}…" in footer
        issued = Event.select().where((Event.kind == "document.issued") & Event.data.contains(document.serial)).get()
        assert json.loads(issued.data)["checkpoint"] == note
    db.database.close()


def test_the_city_downloads_the_latest_checkpoint_from_the_dashboard(client, cast, settings):
    login(client, "takahashi")
    page = client.get("/").get_data(as_text=True)
    assert "チェックポイント" in page and 'action="/checkpoint"' in page
    size, head = ledger.head()
    response = client.post("/checkpoint", data={"csrf_token": csrf(client)})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "attachment" in response.headers["Content-Disposition"]
    checkpoint = checkpoints.parse(response.get_data(as_text=True), checkpoints.signer(settings.data_dir).verifier)
    assert (checkpoint.size, checkpoint.head_hash) == (size, head)
    recorded = Event.select().order_by(Event.seq.desc()).first()
    assert (recorded.kind, recorded.actor, json.loads(recorded.data)["purpose"]) == ("checkpoint.issued", "takahashi", "dashboard")


# ---- verify --checkpoint -----------------------------------------------------------------------


@pytest.fixture
def kept_checkpoint(demo_dir, tmp_path):
    """A checkpoint the city took home, then more work on the ledger after it."""
    kept = tmp_path / "kept.txt"
    assert run("--data", str(demo_dir), "checkpoint", "-o", str(kept)).exit_code == 0
    assert run("--data", str(demo_dir), "checkpoint").exit_code == 0
    return kept


def test_verify_passes_against_a_checkpoint_the_ledger_extends(demo_dir, kept_checkpoint):
    result = run("--data", str(demo_dir), "verify", "--checkpoint", str(kept_checkpoint))
    assert result.exit_code == 0, result.output
    assert "extends the 1 checkpoint(s) you kept" in result.output


def test_history_rewritten_with_every_later_hash_recomputed_is_caught(demo_dir, kept_checkpoint):
    size = checkpoints.parse_format(kept_checkpoint.read_text(encoding="utf-8")).size
    tampering.rewrite_history(demo_dir, tampering.plain_event(demo_dir, before=size))
    from tracker import db

    db.connect(config.load(demo_dir).database_url)
    # The chain alone is satisfied again; only the heads of papers issued after the edit would tell.
    assert all("prints a ledger head" in problem.message_en for problem in ledger.verify().problems)
    db.database.close()
    plain = run("--data", str(demo_dir), "verify")
    assert plain.exit_code == 3
    assert f"event #{size}'s hash differs from the checkpoint" in plain.output  # the recorded checkpoints notice
    against_kept = run("--data", str(demo_dir), "verify", "--checkpoint", str(kept_checkpoint))
    assert against_kept.exit_code == 3
    assert f"the checkpoint you kept ({kept_checkpoint}): event #{size}'s hash differs from the checkpoint" in against_kept.output
    assert "history was rewritten after it was handed out" in against_kept.output


def test_a_rewrite_that_resigns_every_recorded_checkpoint_is_caught_by_the_citys_copy(demo_dir, kept_checkpoint):
    size = checkpoints.parse_format(kept_checkpoint.read_text(encoding="utf-8")).size
    tampering.rewrite_history(demo_dir, tampering.plain_event(demo_dir, before=size), resign=True)
    plain = run("--data", str(demo_dir), "verify")
    assert plain.exit_code == 0, plain.output  # with the key, everything inside the installation agrees
    against_kept = run("--data", str(demo_dir), "verify", "--checkpoint", str(kept_checkpoint))
    assert against_kept.exit_code == 3
    assert "history was rewritten after it was handed out" in against_kept.output


def test_newest_events_deleted_with_the_state_rewound_are_caught(demo_dir, tmp_path):
    before = tmp_path / "before.db"
    tampering.copy_database(demo_dir / "mediatrail.db", before)
    assert run("--data", str(demo_dir), "checkpoint").exit_code == 0  # one more event after the copy
    kept = tmp_path / "kept.txt"
    assert run("--data", str(demo_dir), "checkpoint", "-o", str(kept)).exit_code == 0  # covers it
    size = checkpoints.parse_format(kept.read_text(encoding="utf-8")).size
    tampering.copy_database(before, demo_dir / "mediatrail.db")  # events and state as they were: consistent, shorter
    assert tampering.event_count(demo_dir) == size - 1
    plain = run("--data", str(demo_dir), "verify")
    assert plain.exit_code == 3
    assert f"ends at #{size - 1} but the checkpoint" in plain.output and "events were deleted" in plain.output
    against_kept = run("--data", str(demo_dir), "verify", "--checkpoint", str(kept))
    assert against_kept.exit_code == 3 and "events were deleted after it was handed out" in against_kept.output


def test_a_checkpoint_from_another_installation_is_named_as_such(demo_dir, tmp_path, monkeypatch):
    other = config.initialise(tmp_path / "other").data_dir
    monkeypatch.delenv("DATABASE_URL", raising=False)
    foreign = tmp_path / "foreign.txt"
    assert run("--data", str(other), "checkpoint", "-o", str(foreign)).exit_code == 0
    database_before = (demo_dir / "mediatrail.db").read_bytes()
    result = run("--data", str(demo_dir), "verify", "--checkpoint", str(foreign))
    assert result.exit_code == 3
    assert "this checkpoint is from another installation" in result.output
    assert checkpoints.signer(other).verifier.name in result.output
    assert (demo_dir / "mediatrail.db").read_bytes() == database_before


def test_a_file_that_is_no_checkpoint_is_refused_not_failed(demo_dir, tmp_path):
    wrong = tmp_path / "notes.txt"
    wrong.write_text("買い物メモ\n牛乳\n", encoding="utf-8")
    result = run("--data", str(demo_dir), "verify", "--checkpoint", str(wrong))
    assert result.exit_code == 1
    assert "not a mediatrail checkpoint" in result.output
    missing = run("--data", str(demo_dir), "verify", "--checkpoint", str(tmp_path / "nowhere.txt"))
    assert missing.exit_code == 1 and "cannot read the checkpoint file" in missing.output


def test_an_altered_checkpoint_fails(demo_dir, kept_checkpoint, tmp_path):
    note = kept_checkpoint.read_text(encoding="utf-8")
    lines = note.split("\n")
    lines[1] = str(int(lines[1]) - 1)  # claim an earlier size
    altered = tmp_path / "altered.txt"
    altered.write_text("\n".join(lines), encoding="utf-8")
    result = run("--data", str(demo_dir), "verify", "--checkpoint", str(altered))
    assert result.exit_code == 3 and "signature does not match its text" in result.output
