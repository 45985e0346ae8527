"""What every tracking adapter produces, and the signature checks they share."""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from hansa.kernel.errors import InvalidData, NotAllowed
from hansa.logistics.model import Scan


@dataclass(frozen=True, slots=True)
class TrackingUpdate:
    """One parcel's scans from one provider message (a webhook may repeat old scans)."""

    carrier: str
    tracking_code: str
    scans: list[Scan] = field(default_factory=list)


class TrackingAdapter(Protocol):
    name: str

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str) -> None:
        """Raise NotAllowed unless the message is signed with `secret`."""
        ...

    def parse(self, payload: Any) -> list[TrackingUpdate]: ...


def hmac_sha256(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def require_secret(secret: str, provider: str) -> None:
    if not secret:  # fail closed: an unconfigured provider accepts nothing
        raise NotAllowed(f"no webhook secret configured for {provider}",
                         code="webhook_not_configured")


def same(received: str | None, expected: str, provider: str) -> None:
    if not received or not hmac.compare_digest(received.strip().encode(), expected.encode()):
        raise NotAllowed(f"{provider} webhook signature does not match", code="bad_signature")


def nfkd(secret: str) -> str:
    return unicodedata.normalize("NFKD", secret)


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def timestamp(text: str | None) -> datetime:
    """ISO 8601 with or without offset (no offset: UTC)."""
    if not text:
        raise InvalidData("a tracking event without a time", code="invalid_tracking_event")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidData(f"unreadable tracking time {text!r}",
                          code="invalid_tracking_event") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()
