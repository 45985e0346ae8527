"""Recording normalised tracking updates, shared by the webhook route and the pollers."""

from __future__ import annotations

from collections import Counter

from hansa.adapters.tracking.base import TrackingUpdate
from hansa.bus.messagebus import MessageBus
from hansa.logistics.messages import RecordScans
from hansa.logistics.model import order_key


def record_updates(bus: MessageBus, provider: str, updates: list[TrackingUpdate]) -> Counter[str]:
    """Record every scan of every parcel (one unit of work per parcel, oldest scan first);
    counts what each scan did (new, duplicate, older, unknown ...)."""
    outcomes: Counter[str] = Counter()
    for update in updates:
        with bus.uow() as uow:
            outcomes.update(uow.execute(RecordScans(
                provider=provider, carrier=update.carrier, tracking_code=update.tracking_code,
                scans=sorted(update.scans, key=order_key))))
            uow.commit()
    return outcomes
