"""``verify`` checks every issued paper's printed head against the chain (issue #11, "Outside the
chain, inside the proof"): a history rewritten with every later hash recomputed and every
recorded checkpoint re-signed with the installation's key used to pass ``mediatrail verify``;
the papers already issued still print the old heads, and now ``verify`` says which."""

from __future__ import annotations

import tampering
from conftest import run_cli as run
from tracker import checkpoints, config, db, ledger
from tracker.models import Document


def papers_after(data_dir, seq: int) -> list[str]:
    db.connect(config.load(data_dir).database_url)
    try:
        return [paper.serial for paper in Document.select().where(Document.head_seq >= seq).order_by(Document.serial)]
    finally:
        db.database.close()


def test_a_resigned_rewrite_is_caught_by_the_heads_the_issued_papers_print(demo_dir):
    assert run("--data", str(demo_dir), "checkpoint").exit_code == 0  # as the dashboard offers the city
    assert run("--data", str(demo_dir), "verify").exit_code == 0
    size = tampering.event_count(demo_dir)
    seq = tampering.plain_event(demo_dir, before=size // 2)
    caught = papers_after(demo_dir, seq)
    assert caught  # the demo issued papers after that event
    tampering.rewrite_history(demo_dir, seq, resign=True, papers=False)
    result = run("--data", str(demo_dir), "verify")
    assert result.exit_code == 3, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("NG ")]
    assert len(lines) == len(caught)
    for line, serial in zip(lines, caught):
        assert f"issued paper {serial} prints a ledger head (#" in line and "the chain no longer has (rewritten)" in line
        assert f"発行済みの文書 {serial} に印刷された台帳の先頭" in line


def test_the_same_rewrite_recording_the_new_heads_too_needs_the_citys_copy(demo_dir, tmp_path):
    kept = tmp_path / "kept.txt"
    assert run("--data", str(demo_dir), "checkpoint", "-o", str(kept)).exit_code == 0
    size = checkpoints.parse_format(kept.read_text(encoding="utf-8")).size
    tampering.rewrite_history(demo_dir, tampering.plain_event(demo_dir, before=size), resign=True, papers=True)
    assert run("--data", str(demo_dir), "verify").exit_code == 0  # everything inside agrees
    assert run("--data", str(demo_dir), "verify", "--checkpoint", str(kept)).exit_code == 3


def test_verify_is_quiet_about_papers_that_match(cast, settings):
    from tracker.workflows import papers

    papers.issue(cast.worker, settings, "KG26", "receipt", "KG26-H0001", lambda issue: b"%PDF-1.4 " + issue.head_hash.encode())
    report = ledger.verify(settings.attachments_dir)
    assert report.ok, [str(problem) for problem in report.problems]
