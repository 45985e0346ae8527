"""Logistics commands and events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hansa.kernel.messages import Command, Event
from hansa.kernel.money import Money
from hansa.logistics.model import Scan


# commands -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TrackShipment(Command):
    """Start tracking a shipment (fulfillment's `ShipmentCreated` becomes this). Idempotent on
    `shipment_id` with identical data."""

    shipment_id: str
    order_id: str
    customer: str  # the customer's email
    origin_location_id: str
    carrier: str
    service: str
    tracking_code: str
    destination_postal_code: str
    destination_country: str
    promised_date: date
    lines: list[tuple[str, int]]
    value: Money
    merchant: str = "default"


@dataclass(frozen=True, slots=True)
class RecordScan(Command):
    """A normalised tracking event from a provider; returns what it did ("applied", "stale",
    "duplicate", "unknown_code")."""

    provider: str
    carrier: str
    tracking_code: str
    scan: Scan


@dataclass(frozen=True, slots=True)
class RecordScans(Command):
    """Every scan of one provider message for one tracking code (webhooks repeat old scans);
    returns one outcome per scan, in order."""

    provider: str
    carrier: str
    tracking_code: str
    scans: list[Scan]


@dataclass(frozen=True, slots=True)
class SetExceptionPolicy(Command):
    """A merchant's late-parcel rules: value bands (max value minor, hours to release), credit
    share and bounds, write-off threshold."""

    merchant: str
    bands: list[tuple[int, float]]
    credit_basis_points: int = 1000
    credit_min_minor: int = 500
    credit_max_minor: int = 5000
    write_off_below_minor: int = 2500


@dataclass(frozen=True, slots=True)
class BeginIncidentResponse(Command):
    """First step of the exceptions path: ties the incident to the run acting on it."""

    incident_id: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class ReserveReship(Command):
    """Hold stock for a replacement parcel near the last scan (nothing if the parcel recovered)."""

    incident_id: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class CancelReship(Command):
    """Compensation of `ReserveReship`: release the held stock."""

    incident_id: str
    reason: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class ReleaseReship(Command):
    """The delay passed the merchant's threshold: the replacement leaves (stock is picked)."""

    incident_id: str
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class StopTracking(Command):
    """The shipment will not travel (cancelled before hand-over): no more expected scans."""

    shipment_id: str
    reason: str


# events -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShipmentTracked(Event):
    context = "logistics"
    shipment_id: str
    carrier: str
    tracking_code: str
    lane: str

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class TrackingStopped(Event):
    context = "logistics"
    shipment_id: str
    reason: str

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class ScanRecorded(Event):
    context = "logistics"
    shipment_id: str
    status: str
    substatus: str
    occurred_at: str
    city: str
    postal_code: str
    newest: bool  # false: an older scan that arrived late (history only)
    carrier: str = ""
    service: str = ""
    lane: str = ""
    previous_status: str = "unknown"
    gap_hours: float | None = None  # carrier hours since the previous current scan

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class ExpectedScanDue(Event):
    """A durable timer: the next scan of `shipment_id` after scan number `seq` was due now."""

    context = "logistics"
    shipment_id: str
    seq: int

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class ExpectedScanMissed(Event):
    """An incident opened: the parcel went quiet. The exceptions path acts on it."""

    context = "logistics"
    incident_id: str
    shipment_id: str
    order_id: str
    customer: str
    carrier: str
    lane: str
    last_status: str
    last_city: str
    expected_by: str
    missed_at: str
    value_minor: int
    currency: str
    credit_minor: int
    release_at: str
    promised_date: str

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class ShipmentRecovered(Event):
    context = "logistics"
    incident_id: str
    shipment_id: str
    status: str

    def subject(self) -> str:
        return self.shipment_id


@dataclass(frozen=True)
class ReshipReserved(Event):
    context = "logistics"
    incident_id: str
    shipment_id: str
    location_id: str
    meets_promise: bool

    def subject(self) -> str:
        return self.incident_id


@dataclass(frozen=True)
class ReshipCancelled(Event):
    context = "logistics"
    incident_id: str
    shipment_id: str
    reason: str

    def subject(self) -> str:
        return self.incident_id


@dataclass(frozen=True)
class ReshipReleased(Event):
    """Fulfillment ships it: the stock is picked at `location_id` under reference `reference`."""

    context = "logistics"
    incident_id: str
    shipment_id: str
    order_id: str
    reference: str
    location_id: str
    lines: list[list[object]] = field(default_factory=list)

    def subject(self) -> str:
        return self.incident_id


@dataclass(frozen=True)
class ExtraParcelResolved(Event):
    """Both the late original and its reship arrived: the extra becomes a return or a write-off."""

    context = "logistics"
    incident_id: str
    shipment_id: str
    outcome: str
    value_minor: int
    currency: str

    def subject(self) -> str:
        return self.incident_id


@dataclass(frozen=True)
class CarrierLaneTripped(Event):
    context = "logistics"
    carrier: str
    lane: str
    reason: str

    def subject(self) -> str:
        return f"{self.carrier}:{self.lane}"


