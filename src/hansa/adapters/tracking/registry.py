"""The tracking adapters by provider name, as the webhook route finds them."""

from __future__ import annotations

from hansa.adapters.tracking.aftership import AfterShipAdapter
from hansa.adapters.tracking.base import TrackingAdapter
from hansa.adapters.tracking.easypost import EasyPostAdapter
from hansa.adapters.tracking.ups import UpsAdapter

ADAPTERS: dict[str, TrackingAdapter] = {
    a.name: a for a in (EasyPostAdapter(), AfterShipAdapter(), UpsAdapter())}
