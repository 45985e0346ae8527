"""Pure demand domain: signal kinds, the signal record, hour buckets and item keys."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hansa.kernel.errors import InvalidData

CATEGORY_PREFIX = "category:"
HOURS_PER_WEEK = 168


class SignalKind(enum.StrEnum):
    PAGE_VIEW = "page_view"
    ADD_TO_CART = "add_to_cart"
    CART_ABANDONMENT = "cart_abandonment"
    SEARCH = "search"
    SALE = "sale"
    SOCIAL_SENTIMENT = "social_sentiment"
    WEATHER_ALERT = "weather_alert"
    ECONOMIC_INDICATOR = "economic_indicator"

    @property
    def counted(self) -> bool:
        """Counted kinds aggregate into velocities (events per hour); the others are levels."""
        return self in _COUNTED


_COUNTED = {SignalKind.PAGE_VIEW, SignalKind.ADD_TO_CART, SignalKind.CART_ABANDONMENT,
            SignalKind.SEARCH, SignalKind.SALE}
DETECTED = (SignalKind.ADD_TO_CART, SignalKind.SALE)  # the velocities the spike detector watches


@dataclass(frozen=True, slots=True)
class Signal:
    """One observed signal mapped to item (SKU or category) x zone (h3 cell, postal area) x time.

    `item` is a SKU, `category:<name>`, or "" for a zone-wide signal (weather, economy).
    `value` is 1 for a counted event (or its count), a score or indicator level otherwise.
    """

    kind: SignalKind
    at: datetime
    item: str
    zone: str
    postal_code: str = ""
    country: str = ""
    value: float = 1.0
    source: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InvalidData("a signal's time must be timezone-aware", code="invalid_signal")
        if self.kind.counted and (self.value < 0 or self.value != int(self.value)):
            raise InvalidData(f"a {self.kind} count must be a whole number >= 0",
                              code="invalid_signal")


def item_key(sku: str | None, category: str | None) -> str:
    """The item a signal is about: a SKU (upper case), else `category:<name>`, else zone-wide."""
    if sku and sku.strip():
        return sku.strip().upper()
    if category and category.strip():
        return CATEGORY_PREFIX + category.strip().lower()
    return ""


def hour_bucket(at: datetime) -> datetime:
    """The start of the hour `at` falls in."""
    return at.replace(minute=0, second=0, microsecond=0)


def hour_of_week(at: datetime) -> int:
    """0 = Monday 00:00-01:00 UTC ... 167 = Sunday 23:00-24:00."""
    return at.weekday() * 24 + at.hour


def window_buckets(now: datetime, hours: int) -> list[tuple[datetime, float]]:
    """The hour buckets of the last `hours` hours ending at `now`, with the share of each bucket
    the window has seen (the current hour counts only its elapsed part)."""
    current = hour_bucket(now)
    elapsed = (now - current) / timedelta(hours=1)
    buckets = [(current - timedelta(hours=h), 1.0) for h in range(hours - 1, 0, -1)]
    return [*buckets, (current, elapsed)]
