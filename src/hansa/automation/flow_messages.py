"""Commands and events of merchant flows (create, change, enable, disable, delete)."""

from __future__ import annotations

from dataclasses import dataclass

from hansa.kernel.messages import Command, Event


@dataclass(frozen=True, slots=True)
class CreateFlow(Command):
    """Store a new flow and register it as a path; returns its name, version and secret."""

    definition: str
    format: str = "yaml"


@dataclass(frozen=True, slots=True)
class UpdateFlow(Command):
    """Replace a flow's definition (same name); takes effect on the next event."""

    name: str
    definition: str
    format: str = "yaml"


@dataclass(frozen=True, slots=True)
class EnableFlow(Command):
    name: str


@dataclass(frozen=True, slots=True)
class DisableFlow(Command):
    name: str


@dataclass(frozen=True, slots=True)
class DeleteFlow(Command):
    name: str


@dataclass(frozen=True)
class FlowCreated(Event):
    context = "automation"
    name: str
    flow_version: int
    trigger: str
    enabled: bool

    def subject(self) -> str:
        return self.name


@dataclass(frozen=True)
class FlowChanged(Event):
    """A flow was updated, enabled, disabled or deleted (`change` says which)."""

    context = "automation"
    name: str
    flow_version: int
    change: str
    enabled: bool

    def subject(self) -> str:
        return self.name
