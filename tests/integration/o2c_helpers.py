"""Order-to-cash test helpers: a real local SMTP server, a shipping network, a booted Hansa."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from hansa.bootstrap import Hansa, bootstrap
from hansa.config import Settings
from hansa.fulfillment import generate
from hansa.fulfillment.messages import ConfigureNode
from hansa.kernel.clock import VirtualClock
from hansa.shipping.messages import DefineCarrier
from hansa.shipping.model import carrier_to_doc


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def shop_app(db_url: str, clock: VirtualClock,
             smtp: tuple[Inbox, int]) -> Iterator[Hansa]:
    settings = Settings(db=db_url, bus="memory", listing_stock_lag_ms=0,
                        smtp_host="127.0.0.1", smtp_port=smtp[1])
    app = bootstrap(settings, clock=clock, migrate=True)
    yield app
    app.close()


NODE_SETUP = {  # code -> (kind, capabilities, priority)
    "NJ-WH": ("warehouse", ["bulky"], 1),
    "TN-DC": ("regional_dc", ["bulky", "assembly"], 2),
    "NY-MFC": ("micro_fulfillment", [], 3),
}


def configure_network(app: Hansa, locations: dict[str, str]) -> None:
    """The generated carriers, and every location of the merchant as a shipping node."""
    from hansa.inventory import queries as inventory

    for carrier in generate.carriers():
        app.bus.execute(DefineCarrier(doc=carrier_to_doc(carrier)))
    with app.db.read() as conn:
        places = {loc.id: loc for loc in inventory.locations(conn)}
    for code, location_id in locations.items():
        kind, caps, priority = NODE_SETUP.get(code, ("warehouse", ["bulky"], 9))
        loc = places[location_id]
        app.bus.execute(ConfigureNode(
            location_id=location_id, code=code, kind=kind, lat=loc.position.lat,
            lon=loc.position.lon, country=loc.country, capabilities=caps, priority=priority,
            cutoff_minute=23 * 60 + 59))
