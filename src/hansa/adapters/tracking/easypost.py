"""EasyPost `tracker.updated` / `tracker.created` events (an Event wrapping a Tracker).

Signature: header `X-Hmac-Signature` = "hmac-sha256-hex=" + hex HMAC-SHA256 of the raw body,
keyed with the NFKD-normalised webhook secret.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from hansa.adapters.tracking.base import (
    TrackingUpdate,
    nfkd,
    require_secret,
    same,
    text,
    timestamp,
)
from hansa.kernel.errors import InvalidData
from hansa.logistics.model import Scan, TrackingStatus

STATUS = {
    "pre_transit": TrackingStatus.PRE_TRANSIT, "in_transit": TrackingStatus.IN_TRANSIT,
    "out_for_delivery": TrackingStatus.OUT_FOR_DELIVERY,
    "delivered": TrackingStatus.DELIVERED,
    "available_for_pickup": TrackingStatus.AVAILABLE_FOR_PICKUP,
    "return_to_sender": TrackingStatus.RETURN_TO_SENDER, "failure": TrackingStatus.FAILURE,
    "cancelled": TrackingStatus.FAILURE, "error": TrackingStatus.EXCEPTION,
    "unknown": TrackingStatus.UNKNOWN,
}
# Status details that mean the parcel is held up, whatever the headline status says.
DELAYS = {"weather_delay", "address_correction", "delayed", "damaged", "lost",
          "customs_delay", "held_at_customs", "delivery_exception", "incorrect_address"}


class EasyPostAdapter:
    name = "easypost"

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str) -> None:
        require_secret(secret, self.name)
        digest = hmac.new(nfkd(secret).encode("utf-8"), body, "sha256").hexdigest()
        same(headers.get("x-hmac-signature"), f"hmac-sha256-hex={digest}", self.name)

    def parse(self, payload: Any) -> list[TrackingUpdate]:
        if not isinstance(payload, dict) or payload.get("object") != "Event":
            raise InvalidData("not an EasyPost Event", code="invalid_tracking_event")
        if not str(payload.get("description", "")).startswith("tracker."):
            return []  # other event kinds (batches, refunds) are not ours
        tracker = payload.get("result") or {}
        code = text(tracker.get("tracking_code"))
        if not code:
            raise InvalidData("tracker without a tracking code", code="invalid_tracking_event")
        scans = [self._scan(d) for d in tracker.get("tracking_details") or []]
        return [TrackingUpdate(carrier=text(tracker.get("carrier")).lower(),
                               tracking_code=code, scans=scans)]

    @staticmethod
    def _scan(detail: dict[str, Any]) -> Scan:
        raw = text(detail.get("status")).lower()
        sub = text(detail.get("status_detail")).lower()
        status = STATUS.get(raw, TrackingStatus.UNKNOWN)
        if sub in DELAYS and not status.final:
            status = TrackingStatus.EXCEPTION
        where = detail.get("tracking_location") or {}
        return Scan(status=status, occurred_at=timestamp(detail.get("datetime")),
                    substatus=sub if sub != raw else "", message=text(detail.get("message")),
                    city=text(where.get("city")), postal_code=text(where.get("zip")),
                    country=text(where.get("country")).upper()[:3])
