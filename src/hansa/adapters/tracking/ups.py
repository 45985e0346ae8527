"""A direct carrier format: UPS Track API style JSON (`trackResponse.shipment[].package[]`
with `activity[]`), from polling or pushed to our webhook.

Pushed messages carry the subscriber's shared `credential` header, compared in constant time.
UPS dates (`yyyymmdd`) and times (`hhmmss`) have no offset and are read as UTC.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from hansa.adapters.tracking.base import TrackingUpdate, require_secret, text
from hansa.kernel.errors import InvalidData, NotAllowed
from hansa.logistics.model import Scan, TrackingStatus

TYPES = {
    "M": TrackingStatus.PRE_TRANSIT, "MV": TrackingStatus.FAILURE,
    "P": TrackingStatus.IN_TRANSIT, "I": TrackingStatus.IN_TRANSIT,
    "O": TrackingStatus.OUT_FOR_DELIVERY, "D": TrackingStatus.DELIVERED,
    "X": TrackingStatus.EXCEPTION, "RS": TrackingStatus.RETURN_TO_SENDER,
    "W": TrackingStatus.IN_TRANSIT, "NA": TrackingStatus.UNKNOWN,
}
WEATHER = ("weather", "severe", "storm")


class UpsAdapter:
    name = "ups"

    def verify(self, body: bytes, headers: Mapping[str, str], secret: str) -> None:
        require_secret(secret, self.name)
        received = headers.get("credential") or ""
        if not hmac.compare_digest(received.encode(), secret.encode()):
            raise NotAllowed("ups webhook credential does not match", code="bad_signature")

    def parse(self, payload: Any) -> list[TrackingUpdate]:
        try:
            shipments = payload["trackResponse"]["shipment"]
        except (KeyError, TypeError):
            raise InvalidData("not a UPS track response", code="invalid_tracking_event") from None
        updates = []
        for shipment in shipments or []:
            for package in shipment.get("package") or []:
                code = text(package.get("trackingNumber"))
                if code:
                    updates.append(TrackingUpdate(
                        carrier="ups", tracking_code=code,
                        scans=[self._scan(a) for a in package.get("activity") or []]))
        return updates

    @staticmethod
    def _scan(activity: dict[str, Any]) -> Scan:
        status_of = activity.get("status") or {}
        description = text(status_of.get("description"))
        status = TYPES.get(text(status_of.get("type")).upper(), TrackingStatus.UNKNOWN)
        substatus = text(status_of.get("code")).lower()
        if status is TrackingStatus.EXCEPTION and any(w in description.lower() for w in WEATHER):
            substatus = "weather_delay"
        address = (activity.get("location") or {}).get("address") or {}
        try:
            at = datetime.strptime(text(activity.get("date")) + text(activity.get("time")),
                                   "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            raise InvalidData("UPS activity without a readable date and time",
                              code="invalid_tracking_event") from None
        return Scan(status=status, occurred_at=at, substatus=substatus, message=description,
                    city=text(address.get("city")), postal_code=text(address.get("postalCode")),
                    country=text(address.get("countryCode")).upper())
