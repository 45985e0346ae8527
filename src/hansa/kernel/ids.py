"""Typed, time-ordered identifiers (UUIDv7 layout) so primary keys index in insertion order."""

from __future__ import annotations

import os
import time
import uuid
from typing import NewType

ProductId = NewType("ProductId", str)
ChannelId = NewType("ChannelId", str)
PriceListId = NewType("PriceListId", str)
PromotionId = NewType("PromotionId", str)
LocationId = NewType("LocationId", str)
ReservationId = NewType("ReservationId", str)
CartId = NewType("CartId", str)
OrderId = NewType("OrderId", str)
SupplierId = NewType("SupplierId", str)
EventId = NewType("EventId", str)
Sku = NewType("Sku", str)


def new_id() -> str:
    """A UUIDv7 string: 48 bits of Unix milliseconds, then randomness (RFC 9562)."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 68) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return str(uuid.UUID(int=value))
