"""Flow definitions: parsing, validation with stable codes, CEL positions, templates, signing."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import hansa.bootstrap  # noqa: F401  (imports every context, so Event.registry is complete)
from hansa.automation.actions import AdjustPrice, RevertAction, TagSubject
from hansa.automation.flows import activation, parse_flow
from hansa.automation.webhooks import signature, verify
from hansa.kernel.errors import InvalidData

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "flows"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ORDER = {"order_id": "o-1", "number": "H-1", "channel_id": "c", "currency": "USD",
         "total": 25000, "lines": [], "postal_code": "10001", "country": "US"}


def flow_text(condition: str = "event.total > 10000", actions: str | None = None,
              trigger: str = "hansa.orders.order_placed.v1", extra: str = "") -> str:
    actions = actions or ('[{action: tag, params: {subject_type: order, '
                          'subject_id: "{{ event.order_id }}", tag: big}}]')
    return (f"name: big\ntrigger: {trigger}\ncondition: {condition}\n{extra}"
            f"actions: {actions}\n")


def refused(text: str, fmt: str = "yaml") -> InvalidData:
    with pytest.raises(InvalidData) as caught:
        parse_flow(text, fmt)
    return caught.value


def test_a_valid_flow_compiles_and_fills_its_templates() -> None:
    flow = parse_flow(flow_text())

    variables = activation(ORDER, NOW)

    assert flow.matches(variables) is True
    assert flow.resolve(variables) == [{"action": "tag", "params": {
        "subject_type": "order", "subject_id": "o-1", "tag": "big"}}]


def test_a_small_order_does_not_match() -> None:
    flow = parse_flow(flow_text())

    assert flow.matches(activation(ORDER | {"total": 900}, NOW)) is False


def test_a_bad_expression_is_refused_with_its_line_and_column() -> None:
    error = refused("name: big\ntrigger: hansa.orders.order_placed.v1\ncondition: |\n"
                    "  event.total > 10000 &&\n  event.(country\n"
                    "actions: [{action: notify, params: {message: hi}}]\n")

    assert (error.code, error.details["line"], error.details["column"]) == (
        "invalid_condition", 2, 7)
    assert "line 2, column 7" in error.message


def test_a_bad_edge_key_and_a_bad_template_are_refused_too() -> None:
    assert refused(flow_text(extra="edge_key: event.sku +\n")).details["field"] == "edge_key"
    template = refused(flow_text(actions='[{action: notify, params: {message: "{{ event. }}"}}]'))
    assert (template.code, template.details["field"]) == (
        "invalid_condition", "actions[0].params.message")


@pytest.mark.parametrize(("text", "code"), [
    (flow_text(trigger="hansa.orders.no_such_event.v1"), "unknown_trigger"),
    (flow_text(actions="[{action: launch_rockets, params: {}}]"), "unknown_action"),
    (flow_text(actions="[{action: notify, params: {message: hi, colour: red}}]"),
     "unknown_param"),
    (flow_text(actions="[{action: notify, params: {severity: info}}]"), "missing_param"),
    (flow_text(actions="[{action: notify, params: {message: hi, severity: loud}}]"),
     "invalid_param"),
    (flow_text(actions="[{action: adjust_price, params: {price_list_id: p, sku: S, "
                       "percent: 10, max_percent: 80}}]"), "invalid_param"),
    (flow_text(actions="[]"), "invalid_definition"),
    ("name: Big Flow\ntrigger: x\ncondition: 'true'\nactions: []\n", "invalid_name"),
    ("[1, 2]", "invalid_definition"),
    ("name: [unclosed", "invalid_definition"),
])
def test_invalid_definitions_have_stable_codes(text: str, code: str) -> None:
    assert refused(text).code == code


def test_json_flows_and_the_examples_load() -> None:
    flows = [parse_flow(p.read_text(), "json" if p.suffix == ".json" else "yaml")
             for p in sorted(EXAMPLES.iterdir())]

    assert [f.name for f in flows] == ["big-orders", "hold-foreign-orders", "low-stock",
                                       "order-webhook"]
    assert refused("{", "json").code == "invalid_definition"
    assert refused("name: x", "toml").code == "invalid_format"


def test_a_whole_string_template_keeps_its_type() -> None:
    flow = parse_flow((EXAMPLES / "order-webhook.json").read_text(), "json")

    [action] = flow.resolve(activation(ORDER, NOW))

    assert action["params"]["payload"] == {"order_id": "o-1", "total": 25000, "currency": "USD"}


def test_an_edge_key_evaluates_to_text() -> None:
    flow = parse_flow((EXAMPLES / "low-stock.yaml").read_text())

    key = flow.key(activation({"sku": "TEE-M", "location_id": "L1", "on_hand": 3,
                               "reserved": 0}, NOW))

    assert key == "TEE-M@L1"


def test_compensations_and_idempotency_keys_are_fields_of_the_commands() -> None:
    assert TagSubject("order", "o", "t").idempotency_key == ""
    assert RevertAction().idempotency_key == ""
    assert AdjustPrice("p", "S", 5.0, 10.0).max_percent == 10.0


def test_a_signature_verifies_only_with_the_secret_and_the_same_body() -> None:
    header = signature("s3cret", "1767603600", b'{"a":1}')

    assert header.startswith("v1=") and len(header) == 3 + 64
    assert verify("s3cret", "1767603600", b'{"a":1}', header)
    assert not verify("other", "1767603600", b'{"a":1}', header)
    assert not verify("s3cret", "1767603601", b'{"a":1}', header)


def test_cel_evaluations_per_second_are_measured() -> None:
    """Not a threshold: prints the rate for the closing note (`pytest -s`)."""
    flow = parse_flow(flow_text('event.total > 10000 && event.country == "US"'))
    variables = activation(ORDER, NOW)
    count = 2000
    started = time.perf_counter()
    for _ in range(count):
        flow.matches(variables)
    with_conversion = time.perf_counter()
    for _ in range(count):
        flow.matches(activation(ORDER, NOW))
    done = time.perf_counter()
    print(f"\nCEL: {count / (with_conversion - started):,.0f} evaluations/s; "
          f"{count / (done - with_conversion):,.0f}/s including the event-to-CEL conversion")
