"""Where Hansa held a reference's stock, read from the events of the open unit of work."""

from __future__ import annotations

from typing import Any

from hansa.bus.unit_of_work import UnitOfWork
from hansa.inventory.messages import ReservationReleased, StockReserved


def held_by(uow: UnitOfWork, reference: str) -> list[dict[str, Any]]:
    """The allocations of the newest `StockReserved` for `reference` recorded in `uow`, or none
    when a release came after it: the same fact a consumer would get, without reading it back.
    Newest first, so an hour's long unit of work is not read from its start for each order."""
    for event in uow.collected_newest_first():
        if isinstance(event, StockReserved) and event.reference == reference:
            return list(event.allocations)
        if isinstance(event, ReservationReleased) and event.reference == reference:
            return []
    return []
