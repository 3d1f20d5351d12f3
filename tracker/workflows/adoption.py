"""An older data folder's passwords and tokens, taken into the ledger once.

Before passwords and API tokens were ledger facts, their rows were written beside the chain, so
``verify`` could not tell a token inserted or a hash swapped in the database. A folder made by
such a version is brought under the ledger the first time a newer version opens it: one
``security.adopted`` event records each password's fingerprint and each token's row as they are
at that moment. What was changed in the database before then cannot be told apart — the event
says so, and ``verify`` lists it with the moment it happened.
"""

from __future__ import annotations

from tracker import db, ledger
from tracker.models import SECRETS_IN_LEDGER, ApiToken, Meta, User, secret_fingerprint


def record_secrets_kept_outside() -> int:
    """Adopt what an older version kept outside the ledger; returns the number of events written
    (0 when the folder was made by this version or was adopted before)."""
    if Meta.get_or_none(Meta.key == SECRETS_IN_LEDGER):
        return 0
    with db.writing():
        if Meta.get_or_none(Meta.key == SECRETS_IN_LEDGER):  # another process was first
            return 0
        users = {user.login: {"password_fingerprint": secret_fingerprint(user.password_hash)}
                 for user in User.select().where(User.password_hash != "").order_by(User.login)}
        api_tokens = {token.token_sha256: token.ledger_state() for token in ApiToken.select().order_by(ApiToken.token_sha256)}
        written = 0
        if users or api_tokens:
            ledger.append("security.adopted", None,
                          data={"users": sorted(users), "tokens": len(api_tokens),
                                "note": "passwords and API tokens kept outside the ledger by an older version, as found"},
                          changes={key: rows for key, rows in (("user", users), ("api_token", api_tokens)) if rows})
            written = 1
        Meta.insert(key=SECRETS_IN_LEDGER, value="1").on_conflict_ignore().execute()
    return written
