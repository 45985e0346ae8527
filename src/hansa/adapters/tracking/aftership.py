"""AfterShip Tracking `tracking_update` webhooks (`msg` is the tracking with its checkpoints).

Signature: header `aftership-hmac-sha256` = base64 HMAC-SHA256 of the raw body, keyed with
the webhook secret as UTF-8 text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hansa.adapters.tracking.base import (
    TrackingUpdate,
    b64,
    hmac_sha256,
    require_secret,
    same,
    text,
    timestamp,
)
from hansa.kernel.errors import InvalidData
from hansa.logistics.model import Scan, TrackingStatus

TAGS = {
    "Pending": TrackingStatus.PRE_TRANSIT, "InfoReceived": TrackingStatus.PRE_TRANSIT,
    "InTransit": TrackingStatus.IN_TRANSIT, "OutForDelivery": TrackingStatus.OUT_FOR_DELIVERY,
    "AttemptFail": TrackingStatus.EXCEPTION, "Delivered": TrackingStatus.DELIVERED,
    "AvailableForPickup": TrackingStatus.AVAILABLE_FOR_PICKUP,
    "Exception": TrackingStatus.EXCEPTION, "Expired": TrackingStatus.FAILURE,
}
# Exception subtags with a meaning of their own (the rest stay `exception` with the subtag).
SUBTAGS = {
    "Exception_004": "customs_delay", "Exception_005": "external_delay",
    "Exception_010": "return_to_sender", "Exception_011": "return_to_sender",
    "Exception_013": "lost",
}


class AfterShipAdapter:
    name = "aftership"

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str) -> None:
        require_secret(secret, self.name)
        same(headers.get("aftership-hmac-sha256"), b64(hmac_sha256(secret, body)), self.name)

    def parse(self, payload: Any) -> list[TrackingUpdate]:
        if not isinstance(payload, dict) or not isinstance(payload.get("msg"), dict):
            raise InvalidData("not an AfterShip tracking webhook", code="invalid_tracking_event")
        if payload.get("event", "tracking_update") != "tracking_update":
            return []  # edd_revise and pending-time alerts carry no scan
        msg = payload["msg"]
        code = text(msg.get("tracking_number"))
        if not code:
            raise InvalidData("tracking without a number", code="invalid_tracking_event")
        return [TrackingUpdate(carrier=text(msg.get("slug")).lower(), tracking_code=code,
                               scans=[self._scan(c) for c in msg.get("checkpoints") or []])]

    @staticmethod
    def _scan(point: dict[str, Any]) -> Scan:
        tag, subtag = text(point.get("tag")), text(point.get("subtag"))
        status = TAGS.get(tag, TrackingStatus.UNKNOWN)
        meaning = SUBTAGS.get(subtag, "")
        if meaning == "return_to_sender":
            status, meaning = TrackingStatus.RETURN_TO_SENDER, ""
        elif meaning == "lost":
            status = TrackingStatus.FAILURE
        elif tag == "AttemptFail":
            meaning = "attempt_failed"
        lat, lon = _coordinates(point)
        return Scan(status=status, occurred_at=timestamp(point.get("checkpoint_time")),
                    substatus=meaning or subtag.lower(), message=text(point.get("message")),
                    city=text(point.get("city")), postal_code=text(point.get("zip")),
                    country=text(point.get("country_region") or point.get("country_iso3"))[:3],
                    lat=lat, lon=lon)


def _coordinates(point: dict[str, Any]) -> tuple[float | None, float | None]:
    pair = point.get("coordinates")
    if isinstance(pair, list | tuple) and len(pair) == 2:
        return float(pair[0]), float(pair[1])
    one = point.get("coordinate")
    if isinstance(one, dict) and one.get("latitude") is not None:
        return float(one["latitude"]), float(one["longitude"])
    return None, None
