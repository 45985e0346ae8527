"""Business KPIs of one simulated run, and the daily series the report draws."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median
from typing import Any

KPI_KEYS = (
    "revenue", "gross_margin", "lost_sales_units", "stockout_sku_days", "on_time_rate",
    "shipments_per_order", "holding_cost", "reships", "credits_issued", "orders_at_bad_price",
    "breaker_trips", "false_breaker_trips", "customer_messages",
    "minutes_to_customer_message_p50",
)


@dataclass(slots=True)
class DayPoint:
    """One simulated day, for the report's charts."""

    day: int
    revenue: float = 0.0
    gross_margin: float = 0.0
    lost_units: int = 0
    stockout_skus: int = 0
    zone_stock: int = 0  # units on hand at the sites serving the focus zone
    zone_promise_days: float | None = None  # mean promised days for orders from the zone
    breaker_trips: int = 0
    orders: int = 0


@dataclass(slots=True)
class Tally:
    """Running totals; money in cents until `as_dict` turns it into currency units."""

    revenue: int = 0
    cogs: int = 0
    logistics: int = 0
    holding: float = 0.0
    orders: int = 0
    units_sold: int = 0
    lost_units: int = 0
    lost_orders: int = 0
    stockout_sku_days: int = 0
    shipped_orders: int = 0
    on_time_orders: int = 0
    shipments: int = 0
    missed_scans: int = 0
    reships: int = 0
    preemptive_reships: int = 0  # released by Hansa's exceptions path before anyone asked
    complaint_reships: int = 0  # sent by the care desk after a customer complained
    complaints: int = 0
    incidents: int = 0  # missed scans Hansa noticed (logistics incidents)
    extra_parcels_returned: int = 0
    extra_parcels_written_off: int = 0
    credits: int = 0
    messages: int = 0
    message_minutes: list[float] = field(default_factory=list)
    bad_price_orders: int = 0
    breaker_trips: int = 0
    false_trips: int = 0
    quarantined_rows: int = 0
    purchase_orders: int = 0
    demand_spikes: int = 0  # spikes Hansa's detector confirmed (automation's signals)
    path_purchase_orders: int = 0  # PO raises by Hansa's demand path, ordered in the world
    path_transfers: int = 0  # transfers the demand path dispatched
    units_transferred: int = 0
    units_received: int = 0
    sessions: int = 0
    abandoned_carts: int = 0
    sourced_orders: int = 0  # orders Hansa's sourcing optimiser allocated (AllocateOrder)
    promise_differs: int = 0  # ... whose plan promised another day than the world's rule
    promise_earlier: int = 0  # ... an earlier day (one the world's carriers cannot keep)
    promised_days: int = 0  # days from order to promised delivery, summed over orders
    series: list[DayPoint] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The KPI object of `--json`: snake_case keys, numbers (p50 is null with no message)."""
        margin = self.revenue - self.cogs - self.logistics
        return {
            "revenue": round(self.revenue / 100, 2),
            "gross_margin": round(margin / 100, 2),
            "lost_sales_units": self.lost_units,
            "stockout_sku_days": self.stockout_sku_days,
            "on_time_rate": round(self.on_time_orders / self.shipped_orders, 4)
            if self.shipped_orders else 0.0,
            "shipments_per_order": round(self.shipments / self.shipped_orders, 4)
            if self.shipped_orders else 0.0,
            "holding_cost": round(self.holding / 100, 2),
            "reships": self.reships,
            "credits_issued": round(self.credits / 100, 2),
            "orders_at_bad_price": self.bad_price_orders,
            "breaker_trips": self.breaker_trips,
            "false_breaker_trips": self.false_trips,
            "customer_messages": self.messages,
            "minutes_to_customer_message_p50": round(median(self.message_minutes), 1)
            if self.message_minutes else None,
            "orders": self.orders,
            "units_sold": self.units_sold,
            "lost_orders": self.lost_orders,
            "cogs": round(self.cogs / 100, 2),
            "logistics_cost": round(self.logistics / 100, 2),
            "missed_scans": self.missed_scans,
            "incidents": self.incidents,
            "preemptive_reships": self.preemptive_reships,
            "complaint_reships": self.complaint_reships,
            "complaints": self.complaints,
            "extra_parcels_returned": self.extra_parcels_returned,
            "extra_parcels_written_off": self.extra_parcels_written_off,
            "quarantined_rows": self.quarantined_rows,
            "purchase_orders": self.purchase_orders,
            "demand_spikes": self.demand_spikes,
            "path_purchase_orders": self.path_purchase_orders,
            "path_transfers": self.path_transfers,
            "units_transferred": self.units_transferred,
            "units_received": self.units_received,
            "sessions": self.sessions,
            "abandoned_carts": self.abandoned_carts,
            "sourced_by_hansa": self.sourced_orders,
            "hansa_promise_differs": self.promise_differs,
            "hansa_promise_earlier": self.promise_earlier,
            "promised_days_mean": round(self.promised_days / self.orders, 3)
            if self.orders else 0.0,
        }
