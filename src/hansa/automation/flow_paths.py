"""Flows as engine paths: storage commands, registration, and the flow-backed condition/policy.

A flow's path loads the flow's row by name on every event, so enabling, disabling or updating
it in any process takes effect at once; compiled programs are cached by (name, version). The
trigger and edge-triggering of a path are fixed when it is registered: an update that changes
them is refused in a process that registered the old shape (use a new name). A flow created in
another process is registered here at the next start (`register_stored`); with the NATS
transport, a path registered after the worker started has no subscription until a restart.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.automation import action_handlers, store
from hansa.automation import flow_store as fs
from hansa.automation.actions import COMMANDS, WebhookRequested, build_step
from hansa.automation.engine import Engine
from hansa.automation.flow_messages import (
    CreateFlow,
    DeleteFlow,
    DisableFlow,
    EnableFlow,
    FlowChanged,
    FlowCreated,
    UpdateFlow,
)
from hansa.automation.flows import Flow, activation, parse_flow
from hansa.automation.model import After, Decision, Path, Schedule
from hansa.automation.webhooks import WebhookConsumer, WebhookSender
from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.errors import Conflict, HansaError, InvalidData, NotFound
from hansa.kernel.messages import Event


def trigger_label(path: Path) -> str:
    """An event wire type, or a readable schedule or timer trigger."""
    trigger = path.trigger
    if isinstance(trigger, type) and issubclass(trigger, Event):
        return trigger.event_type()
    if isinstance(trigger, After):
        return f"{trigger.event.event_type()} + {trigger.delay}"
    assert isinstance(trigger, Schedule)
    return f"every {trigger.every}"


class FlowPaths:
    """The flows of one process: their compiled forms, paths and command handlers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.broken: dict[str, str] = {}  # stored flows that no longer load, and why
        self._compiled: dict[tuple[str, int], Flow] = {}
        self._shapes: dict[str, tuple[str, bool]] = {}  # registered here: (trigger, edge)
        self._lock = threading.Lock()
        self._activations = threading.local()

    # compiled flows -----------------------------------------------------------------------
    def compiled(self, conn: Connection, name: str, version: int) -> Flow:
        """The flow `name` at `version`, compiled once per process."""
        found = self._compiled.get((name, version))
        if found is not None:
            return found
        row = fs.load_flow(conn, name)
        if row is None:
            raise NotFound(f"no flow {name}", code="flow_not_found")
        flow = parse_flow(row.definition, row.format)
        with self._lock:
            for key in [k for k in self._compiled if k[0] == name]:
                del self._compiled[key]
            self._compiled[(name, row.version)] = flow
        return flow

    def _live(self, conn: Connection, name: str, trigger: str,
              state: Any) -> Flow | None:
        """The current flow when it is enabled and still has this path's trigger."""
        if state is None or not state.enabled or state.trigger != trigger:
            return None
        return self.compiled(conn, name, state.version)

    def _variables(self, event: Event) -> dict[str, Any]:
        """The CEL activation of `event`, built once per event on this thread (the condition,
        the edge key and the action parameters of one delivery all read the same one)."""
        cached = getattr(self._activations, "last", None)
        if cached is not None and cached[0] is event:
            return cached[1]
        variables = activation(event.payload(), self.engine.bus.clock.now())
        self._activations.last = (event, variables)
        return variables

    # paths --------------------------------------------------------------------------------
    def path_for(self, flow: Flow) -> Path:
        """The engine path that runs `flow` (by name, so it follows later changes)."""
        name, trigger = flow.name, flow.trigger_type
        local = threading.local()

        def condition(event: Event, conn: Connection) -> bool:
            local.state = fs.flow_state(conn, name)  # read once: `gather` follows at once
            live = self._live(conn, name, trigger, local.state)
            local.flow = live or self._compiled_any(name)
            return live is not None and live.matches(self._variables(event))

        def edge_key(event: Event) -> str:
            current: Flow | None = getattr(local, "flow", None)
            if current is None or current.edge_key is None:
                return "-"
            return current.key(self._variables(event))

        def gather(event: Event, conn: Connection) -> dict[str, Any]:
            state, local.state = getattr(local, "state", None), None
            state = state or fs.flow_state(conn, name)
            if state is None:
                raise NotFound(f"flow {name} was deleted", code="flow_not_found")
            live = self.compiled(conn, name, state.version)
            return {"flow": name, "version": state.version, "event": event.payload(),
                    "condition": live.condition.source,
                    "actions": live.resolve(self._variables(event))}

        def policy(inputs: dict[str, Any]) -> Decision:
            steps = [build_step(name, a["action"], a["params"], i)
                     for i, a in enumerate(inputs["actions"])]
            return Decision.go(steps, f"flow {name} v{inputs['version']}: "
                                      f"{inputs['condition']} is true")

        return Path(name=name, trigger=flow.trigger, policy=policy, condition=condition,
                    edge_key=edge_key if flow.edge_key is not None else None, inputs=gather,
                    commands=COMMANDS, description=flow.description or f"flow {name}")

    def _compiled_any(self, name: str) -> Flow | None:
        return next((f for (n, _), f in self._compiled.items() if n == name), None)

    def _check_shape(self, flow: Flow) -> None:
        shape = self._shapes.get(flow.name)
        if shape is not None and shape != (flow.trigger_type, flow.edge_key is not None):
            raise Conflict(f"flow {flow.name} runs here with trigger {shape[0]} and "
                           f"{'an' if shape[1] else 'no'} edge key; a flow cannot change them "
                           f"until restart: use a new name", code="flow_shape_changed")
        if shape is None and any(p.name == flow.name for p in self.engine.paths):
            raise Conflict(f"a code path is named {flow.name}", code="path_name_taken")

    def register(self, flow: Flow) -> None:
        """Register `flow` with the engine (once per process; later versions reuse the path)."""
        with self._lock:
            if flow.name in self._shapes:
                return
            self._check_shape(flow)
            self.engine.register(self.path_for(flow))
            self._shapes[flow.name] = (flow.trigger_type, flow.edge_key is not None)

    def is_flow(self, name: str) -> bool:
        return name in self._shapes

    def register_stored(self) -> int:
        """Register every stored flow (at bootstrap); flows that no longer load go to `broken`."""
        with self.engine.bus.db.read() as conn:
            if not sa.inspect(conn).has_table(fs.flows.name):
                return 0  # not migrated yet
            rows = fs.load_flows(conn)
        for row in rows:
            try:
                self.register(parse_flow(row.definition, row.format))
            except HansaError as exc:
                self.broken[row.name] = exc.message
        return len(rows) - len(self.broken)

    # command handlers ---------------------------------------------------------------------
    def create(self, cmd: CreateFlow, uow: UnitOfWork) -> dict[str, Any]:
        flow = parse_flow(cmd.definition, cmd.format)
        if fs.load_flow(uow.conn, flow.name) is not None:
            raise Conflict(f"flow {flow.name} exists; update it instead", code="flow_exists")
        self._check_shape(flow)
        now, secret = uow.now(), secrets.token_hex(32)
        fs.insert_flow(uow.conn, name=flow.name, definition=cmd.definition, format=cmd.format,
                       trigger=flow.trigger_type, enabled=flow.enabled, version=1,
                       webhook_secret=secret, created_at=now, updated_at=now)
        uow.record(FlowCreated(name=flow.name, flow_version=1, trigger=flow.trigger_type,
                               enabled=flow.enabled))
        self.register(flow)  # harmless if the transaction rolls back: its row decides
        return {"name": flow.name, "version": 1, "enabled": flow.enabled,
                "webhook_secret": secret}

    def _row(self, uow: UnitOfWork, name: str) -> sa.Row[Any]:
        row = fs.load_flow(uow.conn, name)
        if row is None:
            raise NotFound(f"no flow {name}", code="flow_not_found")
        return row

    def update(self, cmd: UpdateFlow, uow: UnitOfWork) -> dict[str, Any]:
        row = self._row(uow, cmd.name)
        flow = parse_flow(cmd.definition, cmd.format)
        if flow.name != cmd.name:
            raise InvalidData(f"the definition names {flow.name}, not {cmd.name}",
                              code="name_mismatch")
        self._check_shape(flow)
        enabled = flow.enabled if "enabled" in flow.raw else row.enabled
        version = row.version + 1
        fs.update_flow(uow.conn, cmd.name, definition=cmd.definition, format=cmd.format,
                       trigger=flow.trigger_type, enabled=enabled, version=version,
                       updated_at=uow.now())
        uow.record(FlowChanged(name=cmd.name, flow_version=version, change="updated",
                               enabled=enabled))
        self.register(flow)
        return {"name": cmd.name, "version": version, "enabled": enabled}

    def _set_enabled(self, uow: UnitOfWork, name: str, enabled: bool) -> dict[str, Any]:
        row = self._row(uow, name)
        if row.enabled != enabled:
            fs.update_flow(uow.conn, name, enabled=enabled, updated_at=uow.now())
            uow.record(FlowChanged(name=name, flow_version=row.version, enabled=enabled,
                                   change="enabled" if enabled else "disabled"))
        return {"name": name, "version": row.version, "enabled": enabled}

    def enable(self, cmd: EnableFlow, uow: UnitOfWork) -> dict[str, Any]:
        return self._set_enabled(uow, cmd.name, True)

    def disable(self, cmd: DisableFlow, uow: UnitOfWork) -> dict[str, Any]:
        return self._set_enabled(uow, cmd.name, False)

    def delete(self, cmd: DeleteFlow, uow: UnitOfWork) -> None:
        row = self._row(uow, cmd.name)
        fs.delete_flow(uow.conn, cmd.name)
        uow.record(FlowChanged(name=cmd.name, flow_version=row.version, change="deleted",
                               enabled=False))

    # dry run ------------------------------------------------------------------------------
    def dry_run(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The condition's value and the decision for an event payload; writes nothing."""
        with self.engine.bus.db.read() as conn:
            row = fs.load_flow(conn, name)
            if row is None:
                raise NotFound(f"no flow {name}", code="flow_not_found")
            flow = self.compiled(conn, name, row.version)
            try:
                event = flow.trigger(**payload)
            except TypeError as exc:
                raise InvalidData(f"the payload is not a {flow.trigger_type}: {exc}",
                                  code="invalid_event") from None
            variables = self._variables(event)
            condition = flow.matches(variables)
            key = flow.key(variables) if flow.edge_key is not None else None
            previous = store.edge_value(conn, name, key) if key is not None else None
        if not row.enabled:
            decision = Decision.skip("the flow is disabled")
        elif self.is_flow(name):
            decision = self.engine.dry_run(name, event)
        else:
            decision = Decision.skip("the flow is not registered in this process")
        return {"flow": name, "version": row.version, "enabled": row.enabled,
                "condition": condition, "edge_key": key, "edge_was_true": previous,
                "fires": decision.act, "decision": self.decision_view(decision)}

    def decision_view(self, decision: Decision) -> dict[str, Any]:
        steps = []
        for spec in decision.steps:
            command_type, command = self.engine.commands.encode(spec.command)
            undo = (None if spec.compensation is None
                    else self.engine.commands.encode(spec.compensation)[0])
            steps.append({"name": spec.name, "command_type": command_type, "command": command,
                          "compensation_type": undo})
        return {"act": decision.act, "reasons": decision.reasons, "inputs": decision.inputs,
                "steps": steps}


def install(engine: Engine, webhooks: WebhookSender) -> FlowPaths:
    """Wire flows into a bus and engine: catalog handlers, flow commands, the webhook consumer,
    and a path for every stored flow."""
    bus = engine.bus
    flows = FlowPaths(engine)
    action_handlers.register(bus)
    engine.commands.allow(*COMMANDS)
    bus.register(CreateFlow, flows.create)
    bus.register(UpdateFlow, flows.update)
    bus.register(EnableFlow, flows.enable)
    bus.register(DisableFlow, flows.disable)
    bus.register(DeleteFlow, flows.delete)
    bus.subscribe(WebhookRequested, "automation.webhooks", WebhookConsumer(webhooks))
    flows.register_stored()
    return flows
