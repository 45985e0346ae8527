"""Provider-shaped sample messages and their signatures, for tests, the bench and demos.

Each builder returns the body bytes and the headers a provider would send with them.
"""

from __future__ import annotations

import hmac
import json
from datetime import datetime
from typing import Any

from hansa.adapters.tracking.base import b64, hmac_sha256, nfkd


def easypost(code: str, details: list[dict[str, Any]], secret: str,
             carrier: str = "UPS") -> tuple[bytes, dict[str, str]]:
    """A `tracker.updated` Event; details: status, status_detail, datetime, city, zip."""
    body = json.dumps({
        "object": "Event", "id": f"evt_{code}_{len(details)}", "mode": "production",
        "description": "tracker.updated",
        "result": {
            "object": "Tracker", "id": f"trk_{code}", "tracking_code": code,
            "carrier": carrier, "status": details[-1]["status"] if details else "unknown",
            "tracking_details": [{
                "object": "TrackingDetail", "message": d.get("message", ""),
                "status": d["status"], "status_detail": d.get("status_detail", ""),
                "datetime": d["datetime"], "source": carrier,
                "tracking_location": {"object": "TrackingLocation", "city": d.get("city"),
                                      "state": d.get("state"), "country": d.get("country", "US"),
                                      "zip": d.get("zip")}} for d in details]},
    }).encode()
    digest = hmac.new(nfkd(secret).encode(), body, "sha256").hexdigest()
    return body, {"content-type": "application/json",
                  "x-hmac-signature": f"hmac-sha256-hex={digest}"}


def aftership(number: str, checkpoints: list[dict[str, Any]], secret: str,
              slug: str = "ups") -> tuple[bytes, dict[str, str]]:
    """A `tracking_update` webhook; checkpoints: tag, subtag, checkpoint_time, city, zip."""
    last = checkpoints[-1] if checkpoints else {"tag": "Pending", "subtag": "Pending_001"}
    body = json.dumps({
        "event": "tracking_update", "event_id": f"ev-{number}-{len(checkpoints)}",
        "is_tracking_first_tag": False,
        "msg": {"id": f"t-{number}", "tracking_number": number, "slug": slug,
                "tag": last["tag"], "subtag": last["subtag"],
                "checkpoints": [{"slug": slug, "country_region": c.get("country", "USA"),
                                 "message": c.get("message", ""), **c} for c in checkpoints]},
        "ts": 0,
    }).encode()
    return body, {"content-type": "application/json",
                  "aftership-hmac-sha256": b64(hmac_sha256(secret, body))}


def ups(number: str, activities: list[dict[str, Any]], credential: str
        ) -> tuple[bytes, dict[str, str]]:
    """A Track API style response; activities: type, code, description, at, city, postal."""
    def one(a: dict[str, Any]) -> dict[str, Any]:
        at: datetime = a["at"]
        return {"location": {"address": {"city": a.get("city", ""), "stateProvince": "",
                                         "postalCode": a.get("postal", ""),
                                         "countryCode": a.get("country", "US")}},
                "status": {"type": a["type"], "description": a.get("description", ""),
                           "code": a.get("code", "")},
                "date": at.strftime("%Y%m%d"), "time": at.strftime("%H%M%S")}
    body = json.dumps({"trackResponse": {"shipment": [{"package": [
        {"trackingNumber": number, "activity": [one(a) for a in activities]}]}]}}).encode()
    return body, {"content-type": "application/json", "credential": credential}
