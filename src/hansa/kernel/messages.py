"""Message bases: commands (imperative, one handler) and events (past tense, many consumers).

Events travel in a CloudEvents 1.0 envelope. Event fields are plain JSON values (str, int,
bool, None, lists and dicts of them) so that every event round-trips through the outbox, NATS
and the dead-letter store unchanged.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from hansa.kernel.clock import utc
from hansa.kernel.ids import new_id

CLOUDEVENTS_SPEC = "1.0"
SOURCE = "urn:hansa"


def _snake(name: str) -> str:
    """OrderPlaced -> order_placed; HTTPRequestFailed -> http_request_failed."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


class Command:
    """Marker base for commands: an intent, handled by exactly one handler."""


class Event:
    """Base of domain events; subclasses are frozen dataclasses declaring `context`.

    The wire type is `hansa.<context>.<snake_name>.v<version>`, e.g. `hansa.orders.order_placed.v1`.
    """

    context: ClassVar[str] = ""
    version: ClassVar[int] = 1
    registry: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.context:
            Event.registry[cls.event_type()] = cls

    @classmethod
    def event_type(cls) -> str:
        return f"hansa.{cls.context}.{_snake(cls.__name__)}.v{cls.version}"

    def subject(self) -> str | None:
        """The entity the event is about (CloudEvents `subject`); subclasses may override."""
        return None

    def payload(self) -> dict[str, Any]:
        """The event's fields (already JSON-plain, so no deep copy is needed)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Envelope:
    """A CloudEvents 1.0 envelope around one event (structured mode)."""

    type: str
    data: dict[str, Any]
    time: datetime
    id: str = field(default_factory=new_id)
    source: str = SOURCE
    subject: str | None = None
    specversion: str = CLOUDEVENTS_SPEC

    @classmethod
    def wrap(cls, event: Event, at: datetime, event_id: str | None = None) -> Envelope:
        return cls(
            type=event.event_type(),
            data=event.payload(),
            time=utc(at),
            id=event_id or new_id(),
            subject=event.subject(),
        )

    def event(self) -> Event:
        """Rebuild the typed event; unknown types raise KeyError (a terminal error)."""
        cls = Event.registry[self.type]
        return cls(**self.data)

    def to_json_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time.isoformat(),
            "datacontenttype": "application/json",
            "data": self.data,
        }
        if self.subject is not None:
            body["subject"] = self.subject
        return body

    @classmethod
    def from_json_dict(cls, body: dict[str, Any]) -> Envelope:
        return cls(
            type=body["type"],
            data=body.get("data") or {},
            time=utc(datetime.fromisoformat(body["time"])),
            id=body["id"],
            source=body.get("source", SOURCE),
            subject=body.get("subject"),
            specversion=body.get("specversion", CLOUDEVENTS_SPEC),
        )

    def nats_subject(self, prefix: str = "hansa") -> str:
        """`hansa.<context>.<event>.v1`: the wire type already has that shape."""
        return self.type if prefix == "hansa" else prefix + self.type[len("hansa") :]
