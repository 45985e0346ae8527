"""Customer email over a real local SMTP server (aiosmtpd): the missed-scan message arrives
once, with its Message-ID; an SMTP outage retries instead of losing the message."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from tests.e2e.server import free_port
from tests.integration.logistics_helpers import PHILADELPHIA, drain, scan, stock_up, track

from hansa.adapters.messaging.smtp import SmtpTransport
from hansa.adapters.smtp import SmtpServer
from hansa.bootstrap import Hansa, bootstrap
from hansa.bus.dispatcher import RetryPolicy
from hansa.config import Settings
from hansa.kernel.clock import VirtualClock
from hansa.logistics.model import TrackingStatus
from hansa.support import queries as support_queries


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def app(db_url: str, smtp: tuple[Inbox, int]) -> Iterator[Hansa]:
    transport = SmtpTransport(SmtpServer("127.0.0.1", smtp[1], timeout=5), "care@shop.example")
    hansa = bootstrap(Settings(db=db_url, bus="memory"), clock=VirtualClock(), migrate=True,
                      messaging={"email": transport},
                      retry=RetryPolicy(max_attempts=5, base=timedelta(seconds=1)))
    yield hansa
    hansa.close()


def miss_a_scan(app: Hansa) -> None:
    ids = stock_up(app)
    track(app, origin=ids["CHI"])
    scan(app, TrackingStatus.IN_TRANSIT, app.clock.now(), **PHILADELPHIA)
    assert isinstance(app.clock, VirtualClock)
    app.clock.advance(timedelta(hours=55))
    drain(app)


def test_the_delay_message_is_emailed_once_with_its_message_id(
        app: Hansa, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    miss_a_scan(app)
    drain(app)

    [received] = inbox.messages
    with app.db.read() as conn:
        [message] = support_queries.messages(conn)
    assert (received["To"], received["From"], received["Subject"]) == (
        "ada@example.com", "care@shop.example", "Your parcel is running late")
    assert received["Message-ID"] == f"<{message['id']}@hansa>"
    assert "12.00 USD of store credit" in received.get_payload(decode=True).decode()
    assert (message["status"], message["transport"]) == ("sent", "smtp")


def test_an_smtp_outage_is_retried_and_the_message_is_not_lost(
        app: Hansa, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    transport = app.extras["message_transports"]["email"]  # type: ignore[index]
    working = transport.server
    transport.server = SmtpServer("127.0.0.1", free_port(), timeout=5)  # nothing listens there
    miss_a_scan(app)
    with app.db.read() as conn:
        [message] = support_queries.messages(conn)
    assert message["status"] == "queued"

    transport.server = working
    assert isinstance(app.clock, VirtualClock)
    app.clock.advance(timedelta(minutes=5))  # the retry is due
    drain(app)

    assert len(inbox.messages) == 1
    with app.db.read() as conn:
        assert support_queries.messages(conn)[0]["status"] == "sent"
