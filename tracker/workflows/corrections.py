"""Repairing a false alarm without hiding tampering.

When a projected row differs from what the ledger's events make it for a reason other than
tampering — a value an older version stored as text while its event kept a number, say — the
append-only ledger cannot be edited, and ``verify`` would fail for good. An administrator then
records a correction: one ``ledger.corrected`` event that takes the value as stored into the
ledger, for the named fields of one row, with the reason, who, both values, and a signature by
the installation's key. ``verify`` replays it like any event, so the row agrees again, and lists
every correction every time it runs — a correction is never silent, and one recorded to cover a
real edit stays in view, with the name of the person who recorded it.

Only fields that differ now can be corrected, and only to the value stored: this repairs the
disagreement, it never sets a new value.
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tracker import checkpoints, db, ledger
from tracker.errors import InvalidInput, NotFound
from tracker.models import PROJECTED_BY_TABLE, Event, User, canonical_json
from tracker.workflows import access, inputs


def differences(table: str, key: str) -> dict[str, dict]:
    """The fields of one row whose stored value differs from the ledger's: {field: {"ledger", "stored"}}."""
    model = PROJECTED_BY_TABLE.get(table)
    if model is None:
        raise InvalidInput(f"表 {table} は台帳の表ではありません", f"{table} is not a ledger table",
                           tables=sorted(PROJECTED_BY_TABLE))
    row = model.get_or_none(model._meta.primary_key == key)
    replayed = ledger.replayed_row(table, key)
    if row is None or replayed is None:
        raise NotFound(f"{table} {key} は台帳と表の両方にある行ではありません（削除・挿入は訂正できません）",
                       f"{table} {key} is not a row both in the ledger and in the table (a deletion or insertion cannot be corrected)")
    stored = row.ledger_state()
    return {name: {"ledger": replayed.get(name), "stored": stored[name]}
            for name in model.ledger_fields if replayed.get(name) != stored[name]}


def correct(actor: User, settings, table: str, key: str, fields: list[str], reason: str) -> Event:
    """Record that ``fields`` of ``table`` ``key`` are right as stored (an administrator)."""
    access.require_admin(actor)
    reason = inputs.require_text(reason, "訂正の理由", "the reason for the correction")
    with db.writing():
        differing = differences(table, key)
        wanted = list(dict.fromkeys(fields)) or sorted(differing)
        if not wanted:
            raise InvalidInput(f"{table} {key} は台帳と一致しています。訂正するものはありません",
                               f"{table} {key} agrees with the ledger; there is nothing to correct")
        unknown = [name for name in wanted if name not in differing]
        if unknown:
            raise InvalidInput(f"{table} {key} の {', '.join(unknown)} は台帳と一致しているため訂正できません",
                               f"{table} {key}: {', '.join(unknown)} agree with the ledger and cannot be corrected",
                               differing=sorted(differing))
        statement = {"table": table, "key": key, "fields": {name: differing[name] for name in wanted}, "reason": reason}
        _, head_hash = ledger.head()
        signer = checkpoints.signer(settings.data_dir)
        signature = signer.private_key.sign(_signed_bytes(statement, head_hash))
        return ledger.append(
            ledger.CORRECTION, actor.login,
            data={**statement, "signed_by": signer.verifier.vkey, "signature": base64.b64encode(signature).decode()},
            changes={table: {key: {name: differing[name]["stored"] for name in wanted}}},
        )


def check_signatures(settings) -> list[ledger.Problem]:
    """Every correction must carry this installation's signature over what it says and the head
    it was appended to: a correction inserted by rewriting the database (without the key) fails."""
    trusted = checkpoints.signer(settings.data_dir).verifier
    public_key = Ed25519PublicKey.from_public_bytes(trusted.public_key)
    problems = []
    for event in Event.select().where(Event.kind == ledger.CORRECTION).order_by(Event.seq).iterator():
        data = event.data_dict
        statement = {name: data.get(name) for name in ("table", "key", "fields", "reason")}
        before = Event.get_or_none(Event.seq == event.seq - 1)
        try:
            signature = base64.b64decode(data.get("signature") or "", validate=True)
            public_key.verify(signature, _signed_bytes(statement, before.hash if before else ledger.GENESIS))
            valid = data.get("signed_by") == trusted.vkey
        except (ValueError, InvalidSignature):
            valid = False
        if not valid:
            problems.append(ledger.Problem(event.seq, "訂正の署名がこの設置の鍵のものではありません（改ざんの疑い）",
                                           "the correction is not signed by this installation's key (forged)"))
    return problems


def _signed_bytes(statement: dict, head_hash: str) -> bytes:
    return f"mediatrail correction\n{head_hash}\n{canonical_json(statement)}\n".encode()
