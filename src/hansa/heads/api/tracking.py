"""Carrier tracking webhooks: POST /webhooks/tracking/{provider} (easypost, aftership, ups).

The signature is checked on the raw body before anything is parsed. Each parcel's scans are
recorded in one transaction, oldest first; the answer counts what each scan did, so a
provider's retry of a delivered message answers 200 with only duplicates.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from hansa.adapters.tracking.recording import record_updates
from hansa.adapters.tracking.registry import ADAPTERS
from hansa.bootstrap import Hansa
from hansa.heads.api.deps import HansaDep
from hansa.kernel.errors import InvalidData, NotFound

router = APIRouter(prefix="/webhooks/tracking", tags=["tracking"])


def secret_of(hansa: Hansa, provider: str) -> str:
    return str(getattr(hansa.settings, f"tracking_{provider}_secret", ""))


@router.post("/{provider}", operation_id="receive_tracking_webhook")
async def receive_tracking_webhook(provider: str, request: Request,
                                   hansa: HansaDep) -> dict[str, Any]:
    """Verify, normalise and record a provider's tracking message."""
    adapter = ADAPTERS.get(provider)
    if adapter is None:
        raise NotFound(f"no tracking provider {provider!r}; known: {', '.join(sorted(ADAPTERS))}",
                       code="provider_not_found")
    body = await request.body()
    adapter.verify(body, request.headers, secret_of(hansa, provider))
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidData("the body is not JSON", code="invalid_json") from None
    updates = adapter.parse(payload)
    outcomes = await run_in_threadpool(record_updates, hansa.bus, provider, updates)
    return {"provider": provider, "parcels": len(updates),
            "scans": sum(outcomes.values()), "outcomes": dict(sorted(outcomes.items()))}
