"""CloudEvents envelopes and event type names (hansa.kernel.messages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from hansa.kernel.messages import CLOUDEVENTS_SPEC, SOURCE, Envelope, Event

AT = datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC)


@dataclass(frozen=True)
class ParcelScanned(Event):
    context = "msgtest"
    parcel_id: str
    depot: str
    weight_grams: int
    tags: list[str]
    extra: dict[str, object]
    delayed: bool = False
    note: str | None = None

    def subject(self) -> str:
        return self.parcel_id


@dataclass(frozen=True)
class RefundIssued(Event):
    context = "msgtest"
    version = 2
    order_id: str


@dataclass(frozen=True)
class Anonymous(Event):
    """No `context`: a base for other events, never registered."""

    value: int


def _scan() -> ParcelScanned:
    return ParcelScanned(
        parcel_id="P-1", depot="Lübeck", weight_grams=1200, tags=["fragile", "ü"],
        extra={"dims": [30, 20, 10], "carrier": {"name": "DHL", "express": True}},
    )


# event type naming --------------------------------------------------------------------------
def test_the_event_type_is_context_snake_name_and_version() -> None:
    assert ParcelScanned.event_type() == "hansa.msgtest.parcel_scanned.v1"


def test_a_bumped_version_shows_in_the_event_type() -> None:
    assert RefundIssued.event_type() == "hansa.msgtest.refund_issued.v2"


def test_events_with_a_context_are_registered_under_their_type() -> None:
    assert Event.registry["hansa.msgtest.parcel_scanned.v1"] is ParcelScanned
    assert Event.registry["hansa.msgtest.refund_issued.v2"] is RefundIssued


def test_an_event_without_a_context_is_not_registered() -> None:
    assert Anonymous not in Event.registry.values()


def test_the_nats_subject_is_the_type_under_the_chosen_prefix() -> None:
    envelope = Envelope.wrap(_scan(), AT)

    assert envelope.nats_subject() == "hansa.msgtest.parcel_scanned.v1"
    assert envelope.nats_subject("t1234") == "t1234.msgtest.parcel_scanned.v1"


# the envelope -------------------------------------------------------------------------------
def test_wrap_fills_the_cloudevents_attributes() -> None:
    envelope = Envelope.wrap(_scan(), AT, event_id="0190f0c2-0000-7000-8000-000000000001")

    assert envelope.id == "0190f0c2-0000-7000-8000-000000000001"
    assert envelope.type == "hansa.msgtest.parcel_scanned.v1"
    assert envelope.source == SOURCE == "urn:hansa"
    assert envelope.specversion == CLOUDEVENTS_SPEC == "1.0"
    assert envelope.subject == "P-1"
    assert envelope.time == AT
    assert envelope.data["weight_grams"] == 1200


def test_wrap_gives_each_event_a_fresh_id() -> None:
    ids = {Envelope.wrap(_scan(), AT).id for _ in range(50)}

    assert len(ids) == 50


def test_the_json_body_is_structured_mode_cloudevents() -> None:
    body = Envelope.wrap(_scan(), AT, event_id="e-1").to_json_dict()

    assert body == {
        "specversion": "1.0",
        "id": "e-1",
        "source": "urn:hansa",
        "type": "hansa.msgtest.parcel_scanned.v1",
        "time": "2026-01-05T09:30:15.123456+00:00",
        "datacontenttype": "application/json",
        "subject": "P-1",
        "data": {
            "parcel_id": "P-1", "depot": "Lübeck", "weight_grams": 1200,
            "tags": ["fragile", "ü"],
            "extra": {"dims": [30, 20, 10], "carrier": {"name": "DHL", "express": True}},
            "delayed": False, "note": None,
        },
    }


def test_an_event_without_a_subject_leaves_the_attribute_out() -> None:
    body = Envelope.wrap(RefundIssued(order_id="O-1"), AT).to_json_dict()

    assert "subject" not in body


def test_the_envelope_round_trips_through_json_bytes_unchanged() -> None:
    envelope = Envelope.wrap(_scan(), AT)

    again = Envelope.from_json_dict(orjson.loads(orjson.dumps(envelope.to_json_dict())))

    assert again == envelope


def test_the_typed_event_round_trips_through_the_envelope() -> None:
    event = _scan()

    wire = orjson.dumps(Envelope.wrap(event, AT).to_json_dict())
    rebuilt = Envelope.from_json_dict(orjson.loads(wire)).event()

    assert rebuilt == event
    assert type(rebuilt) is ParcelScanned


def test_a_time_in_another_zone_is_stored_as_utc() -> None:
    cet = timezone(timedelta(hours=1))

    envelope = Envelope.wrap(RefundIssued(order_id="O-1"), datetime(2026, 1, 5, 10, 0, tzinfo=cet))

    assert envelope.time == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert envelope.to_json_dict()["time"] == "2026-01-05T09:00:00+00:00"


def test_a_zulu_time_from_another_producer_is_read_as_utc() -> None:
    body = Envelope.wrap(RefundIssued(order_id="O-1"), AT).to_json_dict()
    body["time"] = "2026-01-05T09:30:15Z"

    assert Envelope.from_json_dict(body).time == datetime(2026, 1, 5, 9, 30, 15, tzinfo=UTC)


def test_missing_optional_attributes_take_their_defaults() -> None:
    body = {"id": "e-2", "type": "hansa.msgtest.refund_issued.v2",
            "time": "2026-01-05T09:30:15+00:00", "data": {"order_id": "O-9"}}

    envelope = Envelope.from_json_dict(body)

    assert (envelope.source, envelope.specversion, envelope.subject) == ("urn:hansa", "1.0", None)
    assert envelope.event() == RefundIssued(order_id="O-9")


def test_an_unknown_event_type_is_a_key_error() -> None:
    envelope = Envelope(type="hansa.msgtest.never_declared.v1", data={}, time=AT)

    with pytest.raises(KeyError):
        envelope.event()


def test_data_that_does_not_fit_the_event_is_a_type_error() -> None:
    envelope = Envelope(type="hansa.msgtest.refund_issued.v2", data={"order": "O-1"}, time=AT)

    with pytest.raises(TypeError):
        envelope.event()


def test_acronyms_in_event_names_stay_whole_words() -> None:
    @dataclass(frozen=True)
    class HTTPRequestFailed(Event):
        context = "acronymtest"
        url: str

    assert HTTPRequestFailed.event_type() == "hansa.acronymtest.http_request_failed.v1"
