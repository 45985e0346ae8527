"""Signed webhook calls of flows: the sending port, the signature, and the bus consumer.

The body is signed with HMAC-SHA256 over `<timestamp>.<body>` with the flow's secret and sent
with `X-Hansa-Timestamp`, `X-Hansa-Signature: v1=<hex>` and `Idempotency-Key` (the step's key,
so a receiver can drop the duplicates that retries may cause). A failed call raises, so the bus
retries it with backoff and dead-letters it after the last attempt.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from hansa.automation import flow_store
from hansa.automation.actions import WebhookRequested
from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.errors import NotFound

SIGNATURE_VERSION = "v1"


class WebhookFailed(Exception):
    """The receiver did not answer 2xx (or could not be reached): retryable."""


class WebhookSender(Protocol):
    """Port: POST `body` to `url` with `headers`; raise WebhookFailed unless the answer is 2xx."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int: ...


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION}={digest.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return hmac.compare_digest(signature(secret, timestamp, body), header)


def signed_headers(secret: str, timestamp: str, body: bytes, key: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hansa-Timestamp": timestamp,
            "X-Hansa-Signature": signature(secret, timestamp, body), "Idempotency-Key": key}


@dataclass(frozen=True)
class WebhookConsumer:
    """Sends each `WebhookRequested` (consumer `automation.webhooks`)."""

    sender: WebhookSender

    def __call__(self, event: WebhookRequested, uow: UnitOfWork) -> None:
        row = flow_store.load_flow(uow.conn, event.flow)
        if row is None:  # terminal: the flow (and its secret) is gone
            raise NotFound(f"flow {event.flow} no longer exists; webhook not sent",
                           code="flow_not_found")
        timestamp = str(int(uow.now().timestamp()))
        body = event.body.encode()
        self.sender.post(event.url, body, signed_headers(row.webhook_secret, timestamp, body,
                                                         event.idempotency_key))
