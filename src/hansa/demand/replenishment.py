"""Replenishment numbers (pure): reorder point and order-up-to level from a forecast, its error,
the supplier's lead time in hours, the review period and a service level; orders rounded to the
supplier's MOQ and case pack. The weekly min/max planner of a typical ERP sits behind the same
interface, tuned from the same history (the honest baseline).

Demand over a horizon of H hours is taken as normal with mean mu x H and standard deviation
sigma x sqrt(H) (hourly errors independent). With z the service-level quantile:
  reorder point      s = mu L + z sigma sqrt(L)
  order-up-to level  S = mu (L + R) + z sigma sqrt(L + R)
An order is placed when the inventory position (on hand - reserved + on order) is at or below
s (continuous review) or at each review (periodic): quantity S - position, then at least the
MOQ and a whole number of case packs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import NormalDist
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Supply:
    lead_time_hours: int
    moq: int = 1
    case_pack: int = 1

    def __post_init__(self) -> None:
        if self.lead_time_hours < 0 or self.moq < 1 or self.case_pack < 1:
            raise ValueError("lead time >= 0, MOQ >= 1, case pack >= 1")


@dataclass(frozen=True, slots=True)
class Forecast:
    """Demand per hour: mean and the standard deviation of the hourly forecast error."""

    mean_per_hour: float
    sigma_per_hour: float

    def __post_init__(self) -> None:
        if self.mean_per_hour < 0 or self.sigma_per_hour < 0:
            raise ValueError("a forecast's mean and error are >= 0")


@dataclass(frozen=True, slots=True)
class Levels:
    reorder_point: int
    order_up_to: int
    safety_stock: int

    def as_dict(self) -> dict[str, int]:
        return {"reorder_point": self.reorder_point, "order_up_to": self.order_up_to,
                "safety_stock": self.safety_stock}


def z_of(service_level: float) -> float:
    if not 0.5 <= service_level < 1:
        raise ValueError("service level in [0.5, 1)")
    return NormalDist().inv_cdf(service_level)


def economic_order_quantity(per_hour: float, order_cost: float, unit_cost: float,
                            holding_rate_per_year: float = 0.25) -> float:
    """Units per order that balance ordering and holding cost (Harris): sqrt(2 D K / h)."""
    annual = per_hour * 8760
    holding = unit_cost * holding_rate_per_year
    return math.sqrt(2 * annual * order_cost / holding) if holding > 0 and annual > 0 else 0.0


def levels(forecast: Forecast, supply: Supply, review_hours: int,
           service_level: float, min_lot: float = 0.0) -> Levels:
    """(s, S) from the forecast; S is at least s + `min_lot` (an EOQ, so that orders are not
    smaller than what pays for placing them); see the module docstring."""
    z = z_of(service_level)
    lead, cover = supply.lead_time_hours, supply.lead_time_hours + max(review_hours, 0)
    mu, sigma = forecast.mean_per_hour, forecast.sigma_per_hour
    safety = z * sigma * math.sqrt(cover)
    reorder = mu * lead + z * sigma * math.sqrt(lead)
    up_to = mu * cover + safety
    return Levels(math.ceil(reorder), max(math.ceil(up_to), math.ceil(reorder + min_lot)),
                  math.ceil(safety))


def round_order(quantity: float, supply: Supply) -> int:
    """Nothing for a need <= 0; else at least the MOQ, in whole case packs."""
    if quantity <= 0:
        return 0
    wanted = max(math.ceil(quantity), supply.moq)
    return math.ceil(wanted / supply.case_pack) * supply.case_pack


def order_quantity(position: int, lv: Levels, supply: Supply) -> int:
    """Order up to S when the position is at or below the reorder point."""
    if position > lv.reorder_point:
        return 0
    return round_order(lv.order_up_to - position, supply)


@dataclass(frozen=True, slots=True)
class Slot:
    """What a made-to-order item's production covers: units, ready at `ready_hours` from now."""

    units: int
    ready_hours: int


def production_slot(quantity: int, schedule: list[tuple[date, int]], now: datetime,
                    lead_time_hours: int) -> Slot:
    """For a made-to-order item: the planned production by day (from the supplier's schedule)
    decides when `quantity` can be ready. Units come from today's and later days' plans, in
    order; the order is ready at the end of the day whose cumulative plan covers it, and never
    sooner than the item's lead time. A schedule that cannot cover it all gives what it can, by
    its last day. No schedule: the lead time alone."""
    if not schedule:
        return Slot(quantity, lead_time_hours)
    made, ready = 0, now
    for day, planned in sorted(schedule):
        if day < now.date() or planned <= 0:
            continue
        made += planned
        ready = datetime.combine(day + timedelta(days=1), datetime.min.time(),
                                 tzinfo=now.tzinfo)
        if made >= quantity:
            break
    hours = math.ceil((ready - now) / timedelta(hours=1))
    return Slot(min(quantity, made), max(lead_time_hours, hours))


class ReplenishmentPolicy(Protocol):
    """What the simulator, the bench and the path ask: how much to order now."""

    name: str

    def order(self, sku: str, position: int, hour: int) -> int: ...


@dataclass
class SensingPolicy:
    """Hansa's policy: (s, S) from the baseline forecast, re-evaluated every hour; a confirmed
    spike lifts the forecast (`uplift`) until it subsides."""

    forecast: dict[str, Forecast]
    supply: dict[str, Supply]
    service_level: float = 0.95
    review_hours: int = 24
    uplift: dict[str, float] | None = None
    name: str = "demand-sensing"

    def levels_for(self, sku: str) -> Levels:
        base = self.forecast[sku]
        factor = (self.uplift or {}).get(sku, 1.0)
        lifted = Forecast(base.mean_per_hour * factor, base.sigma_per_hour * math.sqrt(factor))
        return levels(lifted, self.supply[sku], self.review_hours, self.service_level)

    def order(self, sku: str, position: int, hour: int) -> int:
        return order_quantity(position, self.levels_for(sku), self.supply[sku])


@dataclass(frozen=True, slots=True)
class MinMax:
    low: int
    high: int


def min_max_from_history(daily: list[float], supply: Supply, *, service_level: float = 0.95,
                         review_days: int = 7, holding_rate_per_day: float = 0.25 / 365,
                         order_cost: float = 50.0, unit_cost: float = 10.0) -> MinMax:
    """How a competent planner tunes an ERP's min/max from daily history for a weekly review:
    min = mean demand over the lead time and the review period (the stock must last until the
    next review's order lands) + safety stock over the same span at the same service level;
    max = min + the larger of the review period's demand and the economic order quantity."""
    if not daily:
        return MinMax(0, supply.moq)
    n = len(daily)
    mean = sum(daily) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in daily) / max(n - 1, 1))
    lead_days = supply.lead_time_hours / 24
    z = z_of(service_level)
    span = lead_days + review_days
    low = mean * span + z * sd * math.sqrt(span)
    annual = mean * 365
    holding = unit_cost * holding_rate_per_day * 365
    eoq = math.sqrt(2 * annual * order_cost / holding) if holding > 0 and annual > 0 else 0.0
    high = low + max(mean * review_days, eoq)
    return MinMax(math.ceil(low), max(math.ceil(high), math.ceil(low) + supply.moq))


@dataclass
class WeeklyMinMaxPolicy:
    """The manual baseline: a planner reviews once a week (hour 0 of each week) and orders up to
    max when the position is at or below min."""

    rules: dict[str, MinMax]
    supply: dict[str, Supply]
    review_every_hours: int = 168
    name: str = "weekly-min-max"

    def order(self, sku: str, position: int, hour: int) -> int:
        if hour % self.review_every_hours:
            return 0
        rule = self.rules[sku]
        if position > rule.low:
            return 0
        return round_order(rule.high - position, self.supply[sku])
