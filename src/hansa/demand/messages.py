"""Demand commands and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hansa.kernel.messages import Command, Event


# commands ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class IngestSignals(Command):
    """A batch of raw signals (API, bus, files); see `hansa.demand.signals` for the shape.
    Weather alerts are `{"kind": "weather_alert", "alert": <NWS GeoJSON Feature>}`."""

    signals: tuple[dict[str, Any], ...]
    source: str = ""
    backfill: bool = False  # past signals loaded before going live: counted, never detected


@dataclass(frozen=True, slots=True)
class FitBaselines(Command):
    """Refit every baseline of `kind` from the last `history_days` of hourly velocities."""

    kind: str = "add_to_cart"
    history_days: int = 28


@dataclass(frozen=True, slots=True)
class ReviewSpikes(Command):
    """Re-evaluate open spikes whose keys went quiet, so that they close and re-arm."""


@dataclass(frozen=True, slots=True)
class RaisePurchaseOrder(Command):
    """Raise the open PO for `sku` by `add_quantity` (a PO change through the supplier's
    channel), or send a new PO when none is open; guarded by the PO value per hour."""

    spike_id: str
    sku: str
    supplier_code: str
    add_quantity: int
    unit_cost: int
    currency: str
    po_number: str = ""  # the open PO to raise; "" sends a new one
    new_po_number: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class LoadZoneAreas(Command):
    """Map NWS zones / counties (UGC) and SAME codes to postal codes and/or a polygon, so alerts
    that name only those codes cover the right cells (see `hansa.demand.zones`)."""

    areas: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class RevertPurchaseOrder(Command):
    """Compensation: put the PO lines back as they were before the raise (of one SKU of the
    spike when `sku` is set: a category spike raises one per SKU)."""

    spike_id: str
    idempotency_key: str = ""
    sku: str = ""


@dataclass(frozen=True, slots=True)
class PublishZonePromise(Command):
    """Record the zone's delivery promise now and once the transfer lands (ReplenishmentPlanned
    follows for marketing and the ad valve)."""

    spike_id: str
    sku: str
    postal_code: str
    country: str
    transfer_ids: tuple[str, ...] = ()
    arrives_at: str = ""  # ISO time the transfer is due at the target
    target_location_id: str = ""
    po_number: str = ""
    po_added: int = 0


# events -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignalsObserved(Event):
    """Raw signals published on the bus by a collector (pixel, search, sentiment feed)."""

    context = "demand"
    signals: list[dict[str, Any]]
    source: str = ""

    def subject(self) -> str:
        return self.source or "signals"


@dataclass(frozen=True)
class SignalsIngested(Event):
    context = "demand"
    count: int
    alerts: int
    source: str

    def subject(self) -> str:
        return self.source or "signals"


@dataclass(frozen=True)
class BaselinesFitted(Event):
    context = "demand"
    kind: str
    series: int
    methods: dict[str, int]
    seconds: float

    def subject(self) -> str:
        return self.kind


@dataclass(frozen=True)
class SpikeConfirmed(Event):
    """Edge-triggered: velocity crossed the baseline by the margin with significance."""

    context = "demand"
    spike_id: str
    item: str
    zone: str
    kind: str
    postal_code: str
    country: str
    observed: int
    expected: float
    ratio: float
    p_value: float
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def subject(self) -> str:
        return self.spike_id


@dataclass(frozen=True)
class SpikeSubsided(Event):
    context = "demand"
    spike_id: str
    item: str
    zone: str
    ratio: float

    def subject(self) -> str:
        return self.spike_id


@dataclass(frozen=True)
class PurchaseOrderRaised(Event):
    context = "demand"
    spike_id: str
    sku: str
    po_number: str
    added: int
    value: int
    currency: str

    def subject(self) -> str:
        return self.spike_id


@dataclass(frozen=True)
class ReplenishmentPlanned(Event):
    """For marketing and the ad valve: what the path did about a spike, and the promise."""

    context = "demand"
    spike_id: str
    sku: str
    zone: str
    postal_code: str
    po_number: str
    po_added: int
    transfer_ids: list[str]
    arrives_at: str
    promise_now: dict[str, Any] | None
    promise_after_transfer: dict[str, Any] | None

    def subject(self) -> str:
        return self.spike_id
