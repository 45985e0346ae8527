"""The pure automation model (paths, schedules, edges, compensation order) and the step codec."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hansa.automation.model import (
    After,
    Decision,
    Path,
    RunStatus,
    Schedule,
    StepSpec,
    Wait,
    WaitUntil,
    compensation_order,
    edge_fires,
    idempotency_key,
    wait_due,
)
from hansa.automation.steps import WAIT, CommandRegistry, plain, type_name
from hansa.inventory.messages import CreateLocation, ReserveStock
from hansa.kernel.errors import InvalidData, UnexpectedState
from hansa.kernel.messages import Command, Event
from hansa.pricing.messages import NewTier, SetPrices

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Tick(Event):
    context = "modeltest"
    n: int


@dataclass(frozen=True, slots=True)
class Shout(Command):
    text: str
    times: int = 1
    tags: list[str] | None = None
    idempotency_key: str = ""


def nothing(_inputs: dict[str, object]) -> Decision:
    return Decision.skip("never")


# paths ----------------------------------------------------------------------------------------
def test_a_path_lists_its_own_breaker_first_and_once() -> None:
    path = Path("reorder", Tick, nothing, breakers=("feed:acme:cost", "path:reorder"))
    assert path.guards == ["path:reorder", "feed:acme:cost"]
    assert not path.edge_triggered


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "Re Order"}, "lowercase"),
    ({"edge_key": lambda e: "k"}, "needs a condition"),
    ({"trigger": int}, "trigger must be"),
])
def test_a_malformed_path_is_refused(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"name": "reorder", "trigger": Tick, "policy": nothing, **kwargs}
    with pytest.raises(ValueError, match=message):
        Path(**fields)  # type: ignore[arg-type]


def test_schedules_and_timers_are_triggers_too() -> None:
    assert Path("nightly", Schedule(timedelta(days=1)), nothing).name == "nightly"
    assert Path("nudge", After(Tick, timedelta(hours=48)), nothing).name == "nudge"


def test_decisions_carry_their_reasons_inputs_and_steps() -> None:
    step = StepSpec("say", Shout("hi"), Shout("bye"))
    assert Decision.go([step], "asked", who="ann") == Decision(True, ["asked"], {"who": "ann"},
                                                               [step])
    assert Decision.skip("quiet") == Decision(False, ["quiet"], {}, [])


def test_finished_run_states() -> None:
    assert {s for s in RunStatus if s.finished} == {
        RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.COMPENSATED, RunStatus.SKIPPED,
        RunStatus.CANCELLED}


def test_the_idempotency_key_names_run_and_step() -> None:
    assert idempotency_key("r1", 3) == "run:r1:3"


# schedules, waits and edges -------------------------------------------------------------------
def test_the_next_slot_is_aligned_to_the_epoch_and_strictly_after_now() -> None:
    hourly = Schedule(timedelta(hours=1))
    assert hourly.next_slot(AT) == AT + timedelta(hours=1)
    assert hourly.next_slot(AT + timedelta(minutes=1)) == AT + timedelta(hours=1)
    assert Schedule(timedelta(days=1)).next_slot(AT) == datetime(2026, 1, 6, tzinfo=UTC)


def test_a_schedule_catches_up_missed_slots_only_when_asked() -> None:
    late = AT + timedelta(hours=3, minutes=5)
    assert Schedule(timedelta(hours=1)).after(AT, late) == AT + timedelta(hours=1)
    assert Schedule(timedelta(hours=1), catch_up=False).after(AT, late) == AT + timedelta(hours=4)
    with pytest.raises(ValueError):
        Schedule(timedelta(milliseconds=10))


def test_wait_steps_fall_due_after_their_delta_or_at_their_time() -> None:
    assert wait_due(Wait(timedelta(hours=2)), AT) == AT + timedelta(hours=2)
    assert wait_due(WaitUntil(AT + timedelta(days=1)), AT) == AT + timedelta(days=1)


def test_an_edge_fires_only_when_crossing_from_false_to_true() -> None:
    assert [edge_fires(p, c) for p, c in [(False, True), (True, True), (True, False),
                                          (False, False)]] == [True, False, False, False]


@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=12), st.integers(0, 12))
def test_compensating_in_order_undoes_exactly_what_can_be_undone(
        steps: list[tuple[bool, bool]], fail_at: int) -> None:
    """Run steps forward up to the failure, then compensate: only irreversible effects remain."""
    state: dict[int, str] = {}
    completed = []
    for index, (undoable, _) in enumerate(steps[:fail_at]):
        state[index] = "done"
        completed.append((index, undoable))
    order = compensation_order(completed, below=fail_at)
    for index in order:
        del state[index]

    assert order == sorted(order, reverse=True)
    assert state == {i: "done" for i, (undoable, _) in enumerate(steps[:fail_at]) if not undoable}


# the step codec -------------------------------------------------------------------------------
@pytest.fixture
def registry() -> CommandRegistry:
    commands = CommandRegistry()
    commands.allow(Shout, ReserveStock, SetPrices, CreateLocation)
    return commands


@pytest.mark.parametrize("command", [
    Shout("hi", 2, ["a", "b"]),
    ReserveStock("order-1", [("TEE-M", 2)], AT + timedelta(hours=1), (52.5, 13.4)),
    ReserveStock("order-2", [], None, None),
    SetPrices("pl-1", {"TEE-M": [NewTier(1, 1999), NewTier(10, 1799)]}),
    CreateLocation("WH1", "Main", "warehouse", 52, 13, "DE"),
    Wait(timedelta(minutes=90)),
    WaitUntil(datetime(2026, 2, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))),
])
def test_actions_round_trip_through_json(registry: CommandRegistry, command: object) -> None:
    name, payload = registry.encode(command)  # type: ignore[arg-type]
    stored = orjson.loads(orjson.dumps(payload))
    assert registry.decode(name, stored) == command


def test_an_unregistered_command_is_refused_when_planned(registry: CommandRegistry) -> None:
    @dataclass(frozen=True, slots=True)
    class Rogue(Command):
        x: int

    with pytest.raises(InvalidData, match="Rogue is not allowed in automation steps"):
        registry.encode(Rogue(1))


def test_a_stored_step_of_an_unknown_type_is_refused_clearly(registry: CommandRegistry) -> None:
    with pytest.raises(InvalidData, match=r"unknown command type os\.system; allowed: ") as caught:
        registry.decode("os.system", {"command": "rm -rf /"})
    assert caught.value.code == "unknown_command"
    with pytest.raises(InvalidData, match="does not fit its class"):
        registry.decode(type_name(Shout), {"text": "hi", "shell": True})
    with pytest.raises(InvalidData, match="does not fit its class"):
        registry.decode(type_name(Shout), {"text": 5})


def test_only_command_dataclasses_can_be_allowed() -> None:
    with pytest.raises(UnexpectedState):
        CommandRegistry().allow(Tick)  # type: ignore[arg-type]


def test_a_wait_is_stored_in_seconds(registry: CommandRegistry) -> None:
    assert registry.encode(Wait(timedelta(hours=1))) == (WAIT, {"seconds": 3600.0})


def test_results_are_stored_as_json_or_as_text() -> None:
    assert plain({"ids": ("a", "b"), "tier": NewTier(1, 5)}) == {
        "ids": ["a", "b"], "tier": {"min_quantity": 1, "amount": 5}}
    assert plain({1: "x"}) == "{1: 'x'}"


@given(st.text(max_size=20), st.integers(-(2**53), 2**53),
       st.one_of(st.none(), st.lists(st.text(max_size=5), max_size=4)))
def test_any_shout_round_trips(text: str, times: int, tags: list[str] | None) -> None:
    registry = CommandRegistry()
    registry.allow(Shout)
    command = Shout(text, times, tags)
    name, payload = registry.encode(command)
    assert registry.decode(name, orjson.loads(orjson.dumps(payload))) == command
