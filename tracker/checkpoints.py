"""Signed checkpoints: what the city keeps so that the contractor cannot quietly rewrite history.

A hash chain kept by the contractor can be recomputed by the contractor: edit an old event,
recompute every later hash, and ``verify()`` is satisfied again. A checkpoint is the ledger's
size and head hash at one moment, signed with the installation's own Ed25519 key and handed to
the municipality (with every paper, from the dashboard, from ``mediatrail checkpoint``). Any later
ledger — live, or an auditor's export — must still have that hash at that position; a rewritten
history cannot, and a new signature cannot be made to look old without the key the city trusts.

The text follows C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint), a C2SP signed note::

    mediatrail/3f7a9c2e1b4d5a6f                     origin: this installation
    1234                                            size: number of events
    q9Wm...base64 of the 32-byte head hash...=      root: the hash of event #1234
    time 2026-11-25T13:45:00.123456Z                extension line: when it was signed (UTC)

    — mediatrail/3f7a9c2e1b4d5a6f AbCd...base64(key ID || Ed25519 signature)...

One difference from a transparency log, stated plainly: the "root hash" line carries the head of
mediatrail's linear SHA-256 chain (``hash = sha256(prev_hash + canonical_json(event))``), not an
RFC 6962 Merkle tree root, so "extends a checkpoint" is checked by recomputing the chain up to
the checkpoint's position rather than with a consistency proof.

Every checkpoint handed out is recorded twice: as a ``checkpoint.issued`` event (papers carry
theirs in ``document.issued``) and as a line in ``DATA/checkpoints.log`` outside the database, so
that ``verify`` notices newest events deleted together with the current-state tables rewound.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tracker import db, ledger
from tracker.errors import DomainError
from tracker.models import Event
from tracker.timeutil import now_iso

KEY_FILE = "checkpoint.key"  # 32-byte Ed25519 private key (RFC 8032 seed), mode 0600
KEY_ENVIRONMENT = "MEDIATRAIL_CHECKPOINT_KEY"  # the same seed as hex, for several machines
LOG_FILE = "checkpoints.log"  # one JSON line per checkpoint handed out
ED25519 = 0x01  # C2SP signed-note signature type
EM_DASH = "\u2014"
TIME_PREFIX = "time "
MAX_NOTE_BYTES = 16_384  # a checkpoint is ~250 bytes; anything far larger is not one


class CheckpointRejected(DomainError):
    """A checkpoint that is malformed, signed by another installation or altered."""

    status = 400
    code = "checkpoint_rejected"


class CheckpointMalformed(CheckpointRejected):
    """Not a checkpoint at all (unreadable, wrong format): the wrong file, not a tampered ledger."""

    code = "checkpoint_malformed"


# ---- the installation's key --------------------------------------------------------------------


@dataclass(frozen=True)
class Verifier:
    """A public key and the name it signs under (the origin); enough to check checkpoints."""

    name: str
    public_key: bytes  # 32 bytes

    @property
    def key_id(self) -> bytes:
        # C2SP signed-note: SHA-256(key name || 0x0A || signature type || public key)[:4]
        return hashlib.sha256(self.name.encode() + b"\n" + bytes([ED25519]) + self.public_key).digest()[:4]

    @property
    def vkey(self) -> str:
        """The verifier key in the signed-note text form: ``name+hex(key ID)+base64(type || key)``."""
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(bytes([ED25519]) + self.public_key).decode()}"

    @classmethod
    def from_vkey(cls, text: str) -> Verifier:
        try:
            name, key_id_hex, encoded = text.strip().split("+", 2)  # base64 may hold "+" too
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error) as error:
            raise CheckpointRejected("公開鍵の形式が正しくありません", "the public key is not in name+id+key form") from error
        if len(raw) != 33 or raw[0] != ED25519:
            raise CheckpointRejected("公開鍵が Ed25519 の鍵ではありません", "the public key is not an Ed25519 key")
        verifier = cls(name=name, public_key=raw[1:])
        if verifier.key_id.hex() != key_id_hex.lower():
            raise CheckpointRejected("公開鍵の鍵IDが鍵と一致しません（書き換えの疑い）", "the public key's ID does not match the key (altered)")
        return verifier


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        public = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        # The origin names this installation by its key: stable, unique, needs no host name.
        return Verifier(name=f"mediatrail/{hashlib.sha256(public).hexdigest()[:16]}", public_key=public)


def signer(data_dir: Path) -> Signer:
    """The installation's signing key: ``$MEDIATRAIL_CHECKPOINT_KEY`` (hex), else ``checkpoint.key``
    in the data folder, created on first use (a data folder made before checkpoints existed)."""
    from_environment = os.environ.get(KEY_ENVIRONMENT)
    if from_environment:
        try:
            seed = bytes.fromhex(from_environment.strip())
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise CheckpointRejected(f"{KEY_ENVIRONMENT} は32バイトの16進数にしてください", f"{KEY_ENVIRONMENT} must be 32 bytes in hex")
        return Signer(Ed25519PrivateKey.from_private_bytes(seed))
    return Signer(Ed25519PrivateKey.from_private_bytes(_key_file_seed(Path(data_dir))))


def create_key(data_dir: Path) -> None:
    """Make the key file now (``mediatrail init``) unless the environment provides the key."""
    if not os.environ.get(KEY_ENVIRONMENT):
        _key_file_seed(Path(data_dir))


def _key_file_seed(data_dir: Path) -> bytes:
    path = data_dir / KEY_FILE
    if not path.exists():
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

        seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            # O_EXCL: two processes starting at once must not end up with two keys.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(seed)
                handle.flush()
                os.fsync(handle.fileno())
    seed = path.read_bytes()
    if len(seed) != 32:
        raise CheckpointRejected(f"署名鍵 {path} が壊れています（32バイトではありません）", f"the signing key {path} is damaged (not 32 bytes)")
    return seed


# ---- the note ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int  # number of events covered
    head_hash: str  # hex hash of event #size (64 zeros for an empty ledger)
    time: str  # UTC ISO, when it was signed
    note: str  # the whole signed note, as handed out
    key_id: bytes
    signature: bytes

    @property
    def fingerprint(self) -> str:
        """The first characters of the signature line's value: short enough to print on every
        page, and found by eye in the full note embedded in the PDF."""
        return base64.b64encode(self.key_id + self.signature).decode()[:16]


def make(sign_with: Signer, size: int, head_hash: str, time: str) -> Checkpoint:
    verifier = sign_with.verifier
    text = _note_text(verifier.name, size, head_hash, time)
    signature = sign_with.private_key.sign(text.encode())  # RFC 8032: deterministic
    line = f"{EM_DASH} {verifier.name} {base64.b64encode(verifier.key_id + signature).decode()}\n"
    return Checkpoint(verifier.name, size, head_hash, time, f"{text}\n{line}", verifier.key_id, signature)


def _note_text(origin: str, size: int, head_hash: str, time: str) -> str:
    root = base64.b64encode(bytes.fromhex(head_hash)).decode()
    return f"{origin}\n{size}\n{root}\n{TIME_PREFIX}{time}\n"


@dataclass(frozen=True)
class _Parts:
    text: str  # the signed text, with its final newline
    origin: str
    size: int
    head_hash: str
    time: str
    signature_lines: list[str]


def parse_format(note: str) -> _Parts:
    """Split a note into its parts, refusing (:class:`CheckpointMalformed`) what is not one."""
    if len(note.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise _malformed("大きすぎます", "too large")
    # Saved by a Windows editor: a byte-order mark and CRLF line ends; the signed text has neither.
    note = note.removeprefix("\ufeff").replace("\r\n", "\n")
    if not note.endswith("\n"):
        note += "\n"
    text, separator, signatures = note.rpartition("\n\n")
    if not separator:
        raise _malformed("署名行がありません", "no signature lines")
    lines = text.split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise _malformed("origin・件数・ハッシュの3行がありません", "origin, size and hash lines are missing")
    origin, size_text, root = lines[:3]
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise _malformed(f"件数「{size_text}」が10進数ではありません", f"size {size_text!r} is not a decimal number")
    try:
        head = base64.b64decode(root, validate=True)
    except binascii.Error:
        head = b""
    if len(head) != 32:
        raise _malformed("ハッシュ行が32バイトのbase64ではありません", "the hash line is not 32 bytes of base64")
    times = [line[len(TIME_PREFIX):] for line in lines[3:] if line.startswith(TIME_PREFIX)]
    return _Parts(text + "\n", origin, int(size_text), head.hex(), times[0] if times else "",
                  signatures.rstrip("\n").split("\n"))


def parse(note: str, trusted: Verifier) -> Checkpoint:
    """Parse ``note`` and check its signature by ``trusted``; refuse with the reason otherwise."""
    parts = parse_format(note)
    if parts.origin != trusted.name:
        # The origin is derived from the key, so a replaced key shows up here too.
        raise CheckpointRejected(
            f"このチェックポイントは別の設置（{parts.origin}）のものです。この台帳は {trusted.name} です"
            f"（別の設置のファイルか、交付後に署名鍵が替えられています）",
            f"this checkpoint is from another installation ({parts.origin}); this ledger is {trusted.name} "
            f"(a file from another installation, or the signing key was replaced after it was handed out)",
        )
    for line in parts.signature_lines:
        key_id, signature = _signature_line(line, trusted.name)
        if key_id != trusted.key_id:
            continue  # C2SP: signatures by unknown keys are ignored
        try:
            Ed25519PublicKey.from_public_bytes(trusted.public_key).verify(signature, parts.text.encode())
        except InvalidSignature as error:
            raise CheckpointRejected(
                "チェックポイントの署名が内容と一致しません（書き換えられています）",
                "the checkpoint's signature does not match its text (it was altered)",
            ) from error
        return Checkpoint(parts.origin, parts.size, parts.head_hash, parts.time, note, key_id, signature)
    raise CheckpointRejected(
        f"このチェックポイントは {trusted.name} の現在の鍵で署名されていません（別の設置のものか、鍵が替えられています）",
        f"this checkpoint is not signed by the key of {trusted.name} (another installation's, or the key was replaced)",
    )


def _signature_line(line: str, name: str) -> tuple[bytes, bytes]:
    dash, _, rest = line.partition(" ")
    signer_name, _, encoded = rest.partition(" ")
    if dash != EM_DASH or not signer_name or not encoded:
        raise _malformed("署名行の形式が正しくありません", "a signature line is malformed")
    if signer_name != name:
        return b"", b""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as error:
        raise _malformed("署名がbase64ではありません", "a signature is not base64") from error
    if len(raw) != 4 + 64:
        raise _malformed("署名の長さが Ed25519 のものではありません", "a signature is not the length of an Ed25519 signature")
    return raw[:4], raw[4:]


def _malformed(why_ja: str, why_en: str) -> CheckpointRejected:
    return CheckpointMalformed(f"チェックポイントの形式が正しくありません（{why_ja}）", f"not a mediatrail checkpoint: {why_en}")


def read_file_format(path: str | Path) -> str:
    """The note in ``path``, refused (:class:`CheckpointMalformed`) unless it is one."""
    try:
        note = Path(path).read_bytes()[: MAX_NOTE_BYTES + 1].decode("utf-8")
    except OSError as error:
        raise CheckpointMalformed(f"チェックポイントのファイル {path} を読めません", f"cannot read the checkpoint file {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise _malformed("UTF-8 のテキストではありません", "not UTF-8 text") from error
    parse_format(note)
    return note


# ---- handing one out ---------------------------------------------------------------------------


def at_head(settings) -> Checkpoint:
    """A checkpoint of the ledger as it is now; call inside ``db.writing()`` to pin the head."""
    size, head_hash = ledger.head()
    return make(signer(settings.data_dir), size, head_hash, now_iso())


def issue(actor_login: str | None, settings, purpose: str, recipient: str = "") -> Checkpoint:
    """Sign the current head, record that it was handed out, and return it.

    ``purpose``: where it goes (``cli``, ``dashboard``, ``audit_export``...). The event is the
    next one after the checkpoint, written under the same lock, so nothing comes between.
    """
    with db.writing():
        checkpoint = at_head(settings)
        ledger.append("checkpoint.issued", actor_login, data={
            "size": checkpoint.size, "head_hash": checkpoint.head_hash, "time": checkpoint.time,
            "purpose": purpose, "recipient": recipient, "checkpoint": checkpoint.note,
        })
    remember(settings, checkpoint)
    return checkpoint


def remember(settings, checkpoint: Checkpoint) -> None:
    """Append the checkpoint to ``checkpoints.log`` (outside the database). One ``write`` of one
    line in append mode, so concurrent workers never interleave within a line.

    Only once committed: inside a caller's larger transaction that may still roll back, the event
    that records the checkpoint is the only record (a log line for a head that never committed
    would later read as deleted events)."""
    if db.database.in_transaction():
        return
    line = json.dumps({"size": checkpoint.size, "time": checkpoint.time, "checkpoint": checkpoint.note}, ensure_ascii=False) + "\n"
    descriptor = os.open(Path(settings.data_dir) / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)


def file_name(checkpoint: Checkpoint) -> str:
    return f"mediatrail-checkpoint-{checkpoint.origin.split('/')[-1]}-{checkpoint.size}.txt"


# ---- checking the ledger against checkpoints ---------------------------------------------------


def compare(checkpoint: Checkpoint, length: int, hash_at, source_ja: str = "台帳", source_en: str = "the ledger") -> list[ledger.Problem]:
    """Does a ledger of ``length`` events, whose event #n has ``hash_at(n)``, extend ``checkpoint``?"""
    when = f"（{checkpoint.time} の署名）" if checkpoint.time else ""
    when_en = f" (signed {checkpoint.time})" if checkpoint.time else ""
    if checkpoint.size > length:
        return [ledger.Problem(
            length + 1 if length else None,
            f"{source_ja}は #{length} までしかありませんが、チェックポイント{when}は #{checkpoint.size} まであります："
            f"交付後にイベントが削除されています",
            f"{source_en} ends at #{length} but the checkpoint{when_en} covers #{checkpoint.size}: "
            f"events were deleted after it was handed out",
        )]
    actual = hash_at(checkpoint.size) if checkpoint.size else ledger.GENESIS
    if actual != checkpoint.head_hash:
        return [ledger.Problem(
            checkpoint.size or None,
            f"イベント #{checkpoint.size} のハッシュがチェックポイント{when}と一致しません：交付後に履歴が書き換えられています",
            f"event #{checkpoint.size}'s hash differs from the checkpoint{when_en}: history was rewritten after it was handed out",
        )]
    return []


def compare_with_database(checkpoint: Checkpoint) -> list[ledger.Problem]:
    size, _ = ledger.head()

    def hash_at(seq: int) -> str | None:
        event = Event.get_or_none(Event.seq == seq)
        return event.hash if event else None

    return compare(checkpoint, size, hash_at)


def recorded(settings) -> list[tuple[str, str]]:
    """(where it was recorded, note) of every checkpoint handed out: the events' and the log's."""
    found = []
    for event in Event.select(Event.seq, Event.data).where(Event.kind.in_(RECORDING_KINDS)).order_by(Event.seq).iterator():
        try:
            note = json.loads(event.data).get("checkpoint")
        except ValueError:
            continue  # an unreadable event is ledger.verify's to report
        if note:
            found.append((f"event #{event.seq}", note))
    log = Path(settings.data_dir) / LOG_FILE
    if log.exists():
        for number, line in enumerate(log.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                found.append((f"{LOG_FILE}:{number}", json.loads(line)["checkpoint"]))
            except (ValueError, KeyError, TypeError):
                found.append((f"{LOG_FILE}:{number}", ""))
    return found


# Events whose data carries a checkpoint handed out: papers print theirs, backups hold theirs.
RECORDING_KINDS = ("checkpoint.issued", "document.issued", "backup.made")


def check_recorded(settings) -> list[ledger.Problem]:
    """Every checkpoint this installation handed out must still verify and still match the chain.

    This catches a rewrite done without the key (or without re-signing every recorded checkpoint),
    and newest events deleted with the state rewound (the log outside the database remembers).
    A rewrite that also re-signs everything is caught only by a checkpoint kept outside:
    ``verify --checkpoint FILE`` with the city's copy.
    """
    trusted = signer(settings.data_dir).verifier
    size, _ = ledger.head()
    hashes = {}

    def hash_at(seq: int) -> str | None:
        if seq not in hashes:
            event = Event.get_or_none(Event.seq == seq)
            hashes[seq] = event.hash if event else None
        return hashes[seq]

    problems = []
    for where, note in recorded(settings):
        try:
            checkpoint = parse(note, trusted)
        except CheckpointRejected as error:
            problems.append(ledger.Problem(None, f"記録されたチェックポイント（{where}）: {error.message_ja}",
                                           f"recorded checkpoint ({where}): {error.message_en}"))
            continue
        for problem in compare(checkpoint, size, hash_at):
            problems.append(ledger.Problem(problem.event_seq, f"記録されたチェックポイント（{where}）: {problem.message_ja}",
                                           f"recorded checkpoint ({where}): {problem.message_en}"))
    return problems
