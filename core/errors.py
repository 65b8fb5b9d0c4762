"""Domain errors shared by every concept.

Plain Python: imports no Django, so the maths and rule modules can raise
these and the API, the console and the management commands map them to a
response in one place each.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose.

    ``code`` is stable and machine-readable, ``status`` is the HTTP status
    the API answers with, ``message`` is safe to show to the caller (never
    personal data), and ``fields`` maps a field name to the reason it was
    refused.
    """

    code = "domain_error"
    status = 400

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.fields = dict(fields or {})

    def as_dict(self) -> dict[str, object]:
        """Return the error in the API's one error shape."""
        return {
            "error": {"code": self.code, "message": self.message, "fields": self.fields}
        }


class InvalidInput(DomainError):
    """A value was refused; ``fields`` names each field and why."""

    code = "invalid_input"
    status = 422

    @classmethod
    def for_field(cls, field: str, reason: str) -> InvalidInput:
        return cls(f"{field}: {reason}", fields={field: reason})


class IdempotencyKeyReused(InvalidInput):
    """An idempotency key came back with different data (422, as in the API)."""

    code = "idempotency_key_reused"


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The request clashes with the current state (wrong status, duplicate)."""

    code = "conflict"
    status = 409


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403


class PricingCeilingExceeded(DomainError):
    """An annualised rate is above the platform's hard ceiling."""

    code = "pricing_ceiling_exceeded"
    status = 422
