"""Polling a carrier's tracking API, for parcels whose carrier does not push to our webhook.

`UpsPoller` asks a UPS Track API style endpoint (`GET {base}/api/track/v1/details/{code}`,
bearer token) about one tracking code and normalises the answer with the UPS adapter, so a
polled scan and a pushed scan of the same event are the same scan (duplicates are ignored
downstream). `poll_once` polls the carrier's parcels that are still on their way, those whose
next scan is due soonest first, and records what it learns like a webhook would.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from hansa.adapters.tracking.base import TrackingUpdate
from hansa.adapters.tracking.recording import record_updates
from hansa.adapters.tracking.ups import UpsAdapter
from hansa.bus.messagebus import MessageBus
from hansa.kernel.errors import InvalidData
from hansa.logistics import queries as logistics


class PollError(Exception):
    """The carrier's API did not answer usefully for one tracking code."""


@dataclass
class UpsPoller:
    base_url: str
    token: str
    timeout: float = 10.0
    client: httpx.Client | None = None
    carrier: str = "ups"
    adapter: UpsAdapter = field(default_factory=UpsAdapter)

    def fetch(self, tracking_code: str) -> list[TrackingUpdate]:
        """The parcel's scans as the API reports them; [] when the API does not know it."""
        client = self.client or httpx.Client(timeout=self.timeout)
        url = f"{self.base_url.rstrip('/')}/api/track/v1/details/{tracking_code}"
        try:
            response = client.get(url, headers={
                "Authorization": f"Bearer {self.token}", "transId": uuid.uuid4().hex[:32],
                "transactionSrc": "hansa"})
        except httpx.HTTPError as exc:
            raise PollError(f"{tracking_code}: {type(exc).__name__}: {exc}") from exc
        finally:
            if self.client is None:
                client.close()
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise PollError(f"{tracking_code}: HTTP {response.status_code} "
                            f"{response.text[:200]}")
        try:
            payload: Any = response.json()
            return self.adapter.parse(payload)
        except (ValueError, InvalidData) as exc:
            raise PollError(f"{tracking_code}: unreadable answer: {exc}") from exc


@dataclass
class PollReport:
    polled: int = 0
    unknown: int = 0  # the carrier had nothing for the code (yet)
    errors: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"polled": self.polled, "unknown": self.unknown, "errors": self.errors,
                "outcomes": dict(sorted(self.outcomes.items()))}


def poll_once(bus: MessageBus, poller: UpsPoller, *, limit: int = 200) -> PollReport:
    """Poll up to `limit` of the carrier's parcels still on their way; one failing code is
    reported and the others go on."""
    with bus.db.read() as conn:
        codes = logistics.codes_to_poll(conn, poller.carrier, limit)
    report = PollReport()
    for code in codes:
        report.polled += 1
        try:
            updates = poller.fetch(code)
        except PollError as exc:
            report.errors.append(str(exc))
            continue
        if not updates:
            report.unknown += 1
            continue
        report.outcomes.update(record_updates(bus, poller.carrier, updates))
    return report
