"""Tracking adapters: provider payloads normalise to scans; signatures are checked exactly."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from hansa.adapters.tracking import samples
from hansa.adapters.tracking.aftership import AfterShipAdapter
from hansa.adapters.tracking.easypost import EasyPostAdapter
from hansa.adapters.tracking.ups import UpsAdapter
from hansa.kernel.errors import InvalidData, NotAllowed
from hansa.logistics.model import TrackingStatus as S

SECRET = "sécret-1"  # non-ASCII: EasyPost normalises the secret (NFKD) before keying


def test_easypost_details_become_scans_and_a_weather_delay_is_an_exception() -> None:
    body, headers = samples.easypost("EZ1", [
        {"status": "pre_transit", "datetime": "2026-01-05T09:00:00Z", "city": "Chicago",
         "zip": "60601"},
        {"status": "in_transit", "status_detail": "weather_delay",
         "datetime": "2026-01-06T03:00:00-05:00", "city": "Toledo", "zip": "43604"},
    ], SECRET)
    adapter = EasyPostAdapter()
    adapter.verify(body, headers, SECRET)

    [update] = adapter.parse(json.loads(body))

    assert (update.carrier, update.tracking_code) == ("ups", "EZ1")
    seen = [(s.status, s.substatus, s.city, s.postal_code, s.occurred_at) for s in update.scans]
    assert seen == [
        (S.PRE_TRANSIT, "", "Chicago", "60601", datetime(2026, 1, 5, 9, tzinfo=UTC)),
        (S.EXCEPTION, "weather_delay", "Toledo", "43604", datetime(2026, 1, 6, 8, tzinfo=UTC))]


def test_aftership_checkpoints_map_tags_subtags_and_coordinates() -> None:
    body, headers = samples.aftership("AS1", [
        {"tag": "InTransit", "subtag": "InTransit_002", "checkpoint_time":
         "2026-01-05T10:00:00+00:00", "city": "Memphis", "zip": "38118",
         "coordinates": [35.06, -89.98]},
        {"tag": "Exception", "subtag": "Exception_011", "checkpoint_time":
         "2026-01-07T10:00:00+00:00", "city": "Memphis"},
        {"tag": "AttemptFail", "subtag": "AttemptFail_001", "checkpoint_time":
         "2026-01-06T10:00:00+00:00"},
    ], SECRET, slug="fedex")
    adapter = AfterShipAdapter()
    adapter.verify(body, headers, SECRET)

    [update] = adapter.parse(json.loads(body))

    assert update.carrier == "fedex"
    assert [(s.status, s.substatus, s.lat) for s in update.scans] == [
        (S.IN_TRANSIT, "intransit_002", 35.06), (S.RETURN_TO_SENDER, "exception_011", None),
        (S.EXCEPTION, "attempt_failed", None)]


def test_ups_activity_types_and_weather_descriptions() -> None:
    at = datetime(2026, 1, 5, 10, 15, tzinfo=UTC)
    body, headers = samples.ups("1ZA", [
        {"type": "X", "code": "WX", "description": "Severe weather conditions", "at": at,
         "city": "Denver", "postal": "80202"},
        {"type": "D", "description": "Delivered", "at": at.replace(hour=18)},
    ], "cred")
    adapter = UpsAdapter()
    adapter.verify(body, headers, "cred")

    [update] = adapter.parse(json.loads(body))

    assert [(s.status, s.substatus, s.city, s.occurred_at) for s in update.scans] == [
        (S.EXCEPTION, "weather_delay", "Denver", at),
        (S.DELIVERED, "", "", at.replace(hour=18))]


@pytest.mark.parametrize("adapter, build", [
    (EasyPostAdapter(), lambda s: samples.easypost("X", [], s)),
    (AfterShipAdapter(), lambda s: samples.aftership("X", [], s)),
    (UpsAdapter(), lambda s: samples.ups("X", [], s)),
])
def test_a_wrong_secret_a_tampered_body_or_no_secret_is_refused(
        adapter: Any, build: Callable[[str], tuple[bytes, dict[str, str]]]) -> None:
    body, headers = build(SECRET)
    with pytest.raises(NotAllowed):
        adapter.verify(body, headers, "other")
    if adapter.name != "ups":  # the UPS credential does not cover the body
        with pytest.raises(NotAllowed):
            adapter.verify(body + b" ", headers, SECRET)
    with pytest.raises(NotAllowed):
        adapter.verify(body, headers, "")
    with pytest.raises(NotAllowed):
        adapter.verify(body, {}, SECRET)


def test_other_event_kinds_are_ignored_and_garbage_is_invalid() -> None:
    assert EasyPostAdapter().parse({"object": "Event", "description": "batch.updated"}) == []
    assert AfterShipAdapter().parse({"event": "edd_revise", "msg": {}}) == []
    with pytest.raises(InvalidData):
        EasyPostAdapter().parse({"object": "Tracker"})
    with pytest.raises(InvalidData):
        UpsAdapter().parse({"nope": 1})
