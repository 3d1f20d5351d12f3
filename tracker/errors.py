"""Refusals that a person sees: every one says why, in Japanese and in English.

Workflows raise these; the web app, the API and the CLI show ``message_ja`` / ``message_en``.
Each class maps to the HTTP status the API answers with.
"""


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message_ja: str, message_en: str, **details):
        super().__init__(f"{message_ja} / {message_en}")
        self.message_ja = message_ja
        self.message_en = message_en
        self.details = details

    def as_dict(self) -> dict:
        return {"error": self.code, "message_ja": self.message_ja, "message_en": self.message_en, **self.details}


class InvalidInput(DomainError):
    status = 400
    code = "invalid_input"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class TooManyAttempts(NotAuthenticated):
    """Too many wrong passwords for an account or from an address: refused without checking."""

    status = 429
    code = "too_many_attempts"


class NotAllowed(DomainError):
    status = 403
    code = "not_allowed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class WrongState(DomainError):
    status = 409
    code = "wrong_state"


class NeedsApproval(DomainError):
    status = 409
    code = "needs_approval"


class AlreadyExists(DomainError):
    status = 409
    code = "already_exists"


class KeyReused(DomainError):
    """An idempotency key sent again with a different request."""

    status = 409
    code = "idempotency_key_reused"


class StorageFull(DomainError):
    """The disk (or the database's quota) is full: nothing was recorded. 507 Insufficient Storage,
    a server-side condition the client should retry later — scanning stations keep the scan in
    their outbox and resend it — rather than a refusal of what was sent."""

    status = 507
    code = "storage_full"
