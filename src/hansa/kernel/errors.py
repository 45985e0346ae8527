"""A small error taxonomy, mapped to HTTP once, in the heads, with stable codes."""

from __future__ import annotations

from typing import Any


class HansaError(Exception):
    """Base of every error Hansa raises on purpose; `code` is stable and machine-readable."""

    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details


class NotFound(HansaError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    default_code = "not_found"


class InvalidData(HansaError):
    """The input is malformed or breaks an invariant; retrying it unchanged will fail again."""

    default_code = "invalid_data"


class NotAllowed(HansaError):
    """The caller may not do this (auth, channel scope, kill switch)."""

    default_code = "not_allowed"


class Conflict(HansaError):
    """The request clashes with current state (out of stock, idempotency key reused)."""

    default_code = "conflict"


class UnexpectedState(HansaError):
    """Something that should not happen did; a bug or corrupted state, worth paging for."""

    default_code = "unexpected_state"
