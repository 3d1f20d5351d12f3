"""Issuing a PDF: a serial never reused, the ledger head it was made from, and its exact bytes
kept as an attachment, all recorded by one ``document.issued`` event.

The PDF is rendered inside the write lock from rows the ledger has already written, so what it
prints is what the ledger held at the head it names. Downloading it again returns the stored
bytes, so the paper a city official holds and the file here stay identical; ``verify()`` re-hashes
the file with every other attachment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tracker import checkpoints, db, ledger
from tracker.documents.paper import Issue
from tracker.models import Document, Event, User
from tracker.timeutil import now_iso
from tracker.workflows import access, attachments, inputs


def issue(
    actor: User,
    settings,
    contract_code: str,
    kind: str,
    subject: str,
    render: Callable[[Issue], bytes],
    media: Iterable[str] = (),
    issuer: User | None = None,
) -> Document:
    """Render, store and record one paper. ``issuer``: the person printed as issuing it, when not
    the one whose action issued it (a 預り証 is the contractor's, though the city's confirmation
    triggers it)."""
    with db.writing():
        head_seq, head_hash = ledger.head()
        serial = inputs.next_number(Document, contract_code, "D", digits=5)
        issued_at = now_iso()
        checkpoint = checkpoints.make(checkpoints.signer(settings.data_dir), head_seq, head_hash, issued_at)
        paper = Issue(
            serial=serial, head_seq=head_seq, head_hash=head_hash, verify_url=verify_url(settings, serial),
            issued_at=issued_at, issued_by=(issuer or actor).name, checkpoint=checkpoint.note,
        )
        content = render(paper)
        sha256, changes = attachments.store(settings.attachments_dir, content, "application/pdf", f"{serial}.pdf")
        changes["document"] = {serial: {
            "contract": contract_code, "kind": kind, "subject": subject, "head_seq": head_seq,
            "head_hash": head_hash, "attachment": sha256, "issued_by": actor.login, "issued_at": paper.issued_at,
        }}
        ledger.append("document.issued", actor.login, contract=contract_code,
                      data={"serial": serial, "kind": kind, "subject": subject, "sha256": sha256,
                            "checkpoint": checkpoint.note},
                      changes=changes, media=media)
    checkpoints.remember(settings, checkpoint)
    return Document.get_by_id(serial)


def preview(settings, render: Callable[[Issue], bytes]) -> bytes:
    """The paper as it would print now, for checking before it is issued: no serial, nothing recorded."""
    head_seq, head_hash = ledger.head()
    return render(Issue(serial="（未発行 / preview）", head_seq=head_seq, head_hash=head_hash,
                        verify_url=settings.base_url, issued_at=now_iso(), issued_by=""))


def issued_or_preview(settings, kind: str, subject: str, preview: Callable[[], bytes]) -> tuple[bytes, str]:
    """(PDF, file name) of a paper: the bytes as issued once it was, else ``preview()`` of it now.
    The caller checks the reader may see the subject."""
    issued = latest(kind, subject)
    if issued is not None:
        return content(settings, issued), f"{issued.serial}.pdf"
    return preview(), f"{subject}-preview.pdf"


def verify_url(settings, serial: str) -> str:
    return f"{settings.base_url.rstrip('/')}/d/{serial}"


def get_document(actor: User, serial: str) -> Document:
    document = find_document(serial)
    access.require_read(actor, document.contract)
    return document


def find_document(serial: str) -> Document:
    """A paper by its serial, for anyone holding it: the public verification page shows only its proof."""
    return inputs.find_paper(Document, serial, "文書番号", "document numbered")


def may_read(actor: User | None, document: Document) -> bool:
    """Whether ``actor`` (None: nobody logged in) may see the paper's content, beyond its proof."""
    return actor is not None and access.allows(access.require_read, actor, document.contract)


def latest(kind: str, subject: str) -> Document | None:
    return Document.select().where((Document.kind == kind) & (Document.subject == subject)).order_by(Document.serial.desc()).first()


def content(settings, document: Document) -> bytes:
    return attachments.read(settings.attachments_dir, document.attachment_id)


@dataclass(frozen=True)
class Check:
    """What the verification page tells the reader of a paper."""

    chain_holds_head: bool  # the ledger still has, at the position printed, the hash printed
    file_intact: bool  # the stored PDF still hashes to what was recorded when it was issued
    report: ledger.Report  # the whole ledger re-verified now
    # A later paper of the same kind about the same thing (a register printed again): this one
    # stays valid as what was issued then; the reader is told a newer edition exists.
    newer_edition: str | None = None

    @property
    def ok(self) -> bool:
        return self.chain_holds_head and self.file_intact and self.report.ok


def check(settings, document: Document) -> Check:
    at_head = Event.get_or_none(Event.seq == document.head_seq) if document.head_seq else None
    holds = at_head.hash == document.head_hash if at_head else document.head_hash == ledger.GENESIS
    path = ledger.attachment_path(settings.attachments_dir, document.attachment_id)
    intact = path.exists() and ledger.file_sha256(path) == document.attachment_id
    report = ledger.verify(settings.attachments_dir)
    report.problems.extend(checkpoints.check_recorded(settings))  # a rewrite that recomputed every hash
    newest = latest(document.kind, document.subject)
    newer = newest.serial if newest is not None and newest.serial != document.serial else None
    return Check(chain_holds_head=holds, file_intact=intact, report=report, newer_edition=newer)


def matches(document: Document, content: bytes) -> bool:
    return hashlib.sha256(content).hexdigest() == document.attachment_id
