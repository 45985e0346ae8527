"""Pure logistics domain: normalised tracking, scan ordering, expected-scan model, reship choice.

Tracking events from any provider become `Scan`s with one status vocabulary. A shipment's
state is the scan with the latest carrier timestamp (so out-of-order deliveries settle on the
same state), and every scan moves the next expected-scan deadline, learned per carrier,
service, lane and status from history and blended with a prior.
"""

from __future__ import annotations

import enum
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hansa.kernel.clock import utc
from hansa.kernel.geo import Position, haversine_km


class TrackingStatus(enum.StrEnum):
    PRE_TRANSIT = "pre_transit"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"
    RETURN_TO_SENDER = "return_to_sender"
    FAILURE = "failure"
    EXCEPTION = "exception"
    UNKNOWN = "unknown"

    @property
    def final(self) -> bool:
        """No further scan is expected (the parcel is home, or gone)."""
        return self in _FINAL

    @property
    def troubled(self) -> bool:
        """Counts against the carrier's health."""
        return self in _TROUBLED


_FINAL = {TrackingStatus.DELIVERED, TrackingStatus.RETURN_TO_SENDER, TrackingStatus.FAILURE}
_TROUBLED = {TrackingStatus.EXCEPTION, TrackingStatus.FAILURE, TrackingStatus.RETURN_TO_SENDER}
# Ties on the carrier timestamp: the later stage of the journey wins.
_RANK = {TrackingStatus.UNKNOWN: 0, TrackingStatus.PRE_TRANSIT: 1, TrackingStatus.IN_TRANSIT: 2,
         TrackingStatus.EXCEPTION: 3, TrackingStatus.OUT_FOR_DELIVERY: 4,
         TrackingStatus.AVAILABLE_FOR_PICKUP: 5, TrackingStatus.RETURN_TO_SENDER: 6,
         TrackingStatus.FAILURE: 7, TrackingStatus.DELIVERED: 8}

# Hours until the next scan is due after a scan of each status, before any history is known.
PRIOR_HOURS: dict[TrackingStatus, float] = {
    TrackingStatus.UNKNOWN: 24, TrackingStatus.PRE_TRANSIT: 24, TrackingStatus.IN_TRANSIT: 36,
    TrackingStatus.OUT_FOR_DELIVERY: 12, TrackingStatus.AVAILABLE_FOR_PICKUP: 120,
    TrackingStatus.EXCEPTION: 24,
}
PRIOR_WEIGHT = 20.0  # the prior counts as this many observed gaps
MIN_GAP = timedelta(hours=2)
MAX_GAP = timedelta(days=10)
SIGMAS = 2.0  # expected-by = mean gap + 2 standard deviations


@dataclass(frozen=True, slots=True)
class Scan:
    """One normalised tracking event, with where and when the carrier saw the parcel."""

    status: TrackingStatus
    occurred_at: datetime
    substatus: str = ""
    message: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""
    lat: float | None = None
    lon: float | None = None

    def key(self) -> str:
        """Identity of a scan across providers and redeliveries: status, time and place."""
        raw = "|".join([self.status.value, self.substatus, utc(self.occurred_at).isoformat(),
                        self.postal_code.replace(" ", "").upper(), self.city.strip().lower()])
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    @property
    def position(self) -> Position | None:
        if self.lat is None or self.lon is None:
            return None
        return Position(self.lat, self.lon)


def order_key(scan: Scan) -> tuple[datetime, int, str]:
    """Carrier time, then journey stage, then the scan key: a total order, so any arrival
    order of the same scans settles on the same current scan."""
    return utc(scan.occurred_at), _RANK[scan.status], scan.key()


def current(scans: Iterable[Scan]) -> Scan | None:
    """The scan that states where the parcel is: the latest by carrier time, later stage on ties."""
    return max(scans, key=order_key, default=None)


def is_newer(scan: Scan, than: Scan | None) -> bool:
    return than is None or order_key(scan) > order_key(than)


def lane_of(origin_location_id: str, country: str, postal_code: str) -> str:
    """The lane a shipment travels: origin location to destination country and postal prefix."""
    prefix = postal_code.replace(" ", "").upper()[:3]
    return f"{origin_location_id}>{country.upper()}-{prefix}"


@dataclass(frozen=True, slots=True)
class GapStats:
    """Running mean and variance of observed hours between scans (Welford)."""

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, hours: float) -> GapStats:
        count = self.count + 1
        delta = hours - self.mean
        mean = self.mean + delta / count
        return GapStats(count, mean, self.m2 + delta * (hours - mean))

    @property
    def stdev(self) -> float:
        return math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else 0.0


def expected_gap(status: TrackingStatus, stats: GapStats | None) -> timedelta:
    """How long after a scan of `status` the next one is due: the prior blended with history.

    The prior is a mean of PRIOR_HOURS with a standard deviation of a quarter of it, weighted
    as PRIOR_WEIGHT observations; history takes over as it grows.
    """
    prior_mean = PRIOR_HOURS.get(status, 24.0)
    prior_sd = prior_mean / 4
    n = stats.count if stats else 0
    if n == 0 or stats is None:
        mean, sd = prior_mean, prior_sd
    else:
        w = n / (n + PRIOR_WEIGHT)
        mean = w * stats.mean + (1 - w) * prior_mean
        sd = w * stats.stdev + (1 - w) * prior_sd if n > 1 else prior_sd
    hours = mean + SIGMAS * sd
    return min(max(timedelta(hours=hours), MIN_GAP), MAX_GAP)


# exception policy ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ValueBand:
    """Shipments worth up to `up_to_minor` wait `release_after` past the missed scan."""

    up_to_minor: int
    release_after: timedelta


@dataclass(frozen=True, slots=True)
class ExceptionPolicy:
    """A merchant's rules for late parcels: when to release a reship, credit size, write-offs."""

    merchant: str
    bands: tuple[ValueBand, ...]
    credit_basis_points: int = 1000  # 10% of the shipment value
    credit_min_minor: int = 500
    credit_max_minor: int = 5000
    write_off_below_minor: int = 2500  # an extra parcel worth less is written off, not returned

    def release_after(self, value_minor: int) -> timedelta:
        for band in sorted(self.bands, key=lambda b: b.up_to_minor):
            if value_minor <= band.up_to_minor:
                return band.release_after
        return max(self.bands, key=lambda b: b.up_to_minor).release_after

    def credit_for(self, value_minor: int) -> int:
        raw = value_minor * self.credit_basis_points // 10_000
        return max(self.credit_min_minor, min(self.credit_max_minor, raw))

    def extra_parcel_outcome(self, value_minor: int) -> str:
        return "write_off" if value_minor < self.write_off_below_minor else "return"


DEFAULT_BANDS = (ValueBand(5_000, timedelta(hours=24)), ValueBand(20_000, timedelta(hours=48)),
                 ValueBand(10**12, timedelta(hours=72)))


def default_policy(merchant: str = "default") -> ExceptionPolicy:
    return ExceptionPolicy(merchant=merchant, bands=DEFAULT_BANDS)


# reship location -----------------------------------------------------------------------------
GROUND_KM_PER_HOUR = 500 / 24  # a ground parcel covers about 500 km a day
HANDLING = timedelta(hours=12)  # pick, pack and hand over


@dataclass(frozen=True, slots=True)
class Candidate:
    location_id: str
    position: Position
    available: dict[str, int]  # SKU -> available to promise


@dataclass(frozen=True, slots=True)
class ReshipChoice:
    location_id: str
    distance_km: float
    eta: datetime
    meets_promise: bool


def eta_from(origin: Position, destination: Position | None, now: datetime) -> datetime:
    km = haversine_km(origin, destination) if destination is not None else 0.0
    return now + HANDLING + timedelta(hours=km / GROUND_KM_PER_HOUR)


def choose_reship_location(candidates: Sequence[Candidate], lines: Sequence[tuple[str, int]],
                           near: Position | None, destination: Position | None,
                           promised: date, now: datetime) -> ReshipChoice | None:
    """The location nearest the last scan that holds every line and still meets the promise;
    failing that, the one with the earliest arrival. None when no location holds every line."""
    wanted: dict[str, int] = {}
    for sku, quantity in lines:
        wanted[sku] = wanted.get(sku, 0) + quantity
    deadline = datetime.combine(promised, time(23, 59), tzinfo=now.tzinfo)
    choices = []
    for c in candidates:
        if any(c.available.get(sku, 0) < q for sku, q in wanted.items()):
            continue
        distance = haversine_km(c.position, near) if near is not None else 0.0
        eta = eta_from(c.position, destination, now)
        choices.append(ReshipChoice(c.location_id, round(distance, 1), eta, eta <= deadline))
    meeting = [c for c in choices if c.meets_promise]
    if meeting:
        return min(meeting, key=lambda c: (c.distance_km, c.location_id))
    return min(choices, key=lambda c: (c.eta, c.location_id), default=None)
