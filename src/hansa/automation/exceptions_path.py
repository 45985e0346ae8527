"""The exceptions path: a missed expected scan -> ticket, message with credit, reserved reship,
then a timer that releases the reship at the merchant's threshold unless the parcel recovers.

Ticket, message and credit have no compensation (they stay true: the parcel was late). The
reship reservation is undone by `CancelReship` when the run is cancelled, which is what a
recovered parcel does through `on_recovered`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hansa.automation import store
from hansa.automation.engine import Engine
from hansa.automation.messages import CancelRun
from hansa.automation.model import Decision, Path, RunStatus, StepSpec, WaitUntil
from hansa.bus.unit_of_work import UnitOfWork
from hansa.kernel.clock import utc
from hansa.kernel.money import Money
from hansa.logistics import messages as logistics
from hansa.logistics import queries as logistics_queries
from hansa.support import messages as support

PATH_NAME = "exceptions"


def message_text(inputs: dict[str, Any]) -> tuple[str, str]:
    """Subject and body of the proactive delay message."""
    credit = Money(int(inputs["credit_minor"]), inputs["currency"])
    where = f" near {inputs['last_city']}" if inputs.get("last_city") else ""
    subject = "Your parcel is running late"
    body = (f"Your parcel for order {inputs['order_id']} has not been scanned since it was last "
            f"seen{where}. We are on it: if it does not move soon, we will send a replacement "
            f"without waiting for you to ask. As an apology, {credit.format()} of store credit "
            f"is on your account for your next purchase.")
    return subject, body


def policy(inputs: dict[str, Any]) -> Decision:
    """Pure: the steps for one incident."""
    incident = inputs["incident_id"]
    subject, body = message_text(inputs)
    steps = [
        StepSpec("begin", logistics.BeginIncidentResponse(incident_id=incident)),
        StepSpec("open ticket", support.OpenTicket(
            reference=incident, customer=inputs["customer"],
            subject=f"Missed scan: shipment {inputs['shipment_id']} ({inputs['carrier']})",
            body=(f"Expected a scan by {inputs['expected_by']}; last status "
                  f"{inputs['last_status']} at {inputs['last_city'] or 'unknown place'}."))),
        StepSpec("message customer", support.QueueCustomerMessage(
            reference=incident, channel="email", recipient=inputs["customer"],
            subject=subject, body=body)),
        StepSpec("issue credit", support.IssueCredit(
            customer=inputs["customer"], reason="late parcel", reference=incident,
            amount=Money(int(inputs["credit_minor"]), inputs["currency"]))),
        StepSpec("reserve reship", logistics.ReserveReship(incident_id=incident),
                 compensation=logistics.CancelReship(incident_id=incident,
                                                     reason="parcel recovered")),
        StepSpec("wait for threshold", WaitUntil(utc(datetime.fromisoformat(
            inputs["release_at"])))),
        StepSpec("release reship", logistics.ReleaseReship(incident_id=incident)),
    ]
    return Decision.go(steps, f"no scan of {inputs['shipment_id']} by {inputs['expected_by']}")


def exceptions_path() -> Path:
    return Path(
        name=PATH_NAME, trigger=logistics.ExpectedScanMissed, policy=policy,
        commands=(logistics.BeginIncidentResponse, support.OpenTicket,
                  support.QueueCustomerMessage, support.IssueCredit, logistics.ReserveReship,
                  logistics.CancelReship, logistics.ReleaseReship),
        description="missed scan: ticket, message with credit, reship reserved then released")


def run_id_of(run_key: str | None) -> str | None:
    """The run id inside a step key (`run:<run id>:<index>`)."""
    if not run_key or not run_key.startswith("run:"):
        return None
    return run_key.split(":")[1]


def on_recovered(engine: Engine, event: logistics.ShipmentRecovered, uow: UnitOfWork) -> None:
    """The parcel moved again: cancel the incident's run, which releases a reserved reship."""
    incident = logistics_queries.incident(uow.conn, event.incident_id)
    run_id = run_id_of(incident["run_key"])
    if run_id is None:
        return  # the run has not begun; its reship steps see the recovery and do nothing
    run = store.lock_run(uow.conn, run_id)
    if run is None or RunStatus(run.status).finished or run.status == RunStatus.COMPENSATING:
        return
    engine.runner.cancel(CancelRun(run_id=run_id, reason=f"parcel recovered ({event.status})",
                                   actor="logistics"), uow)


def install(engine: Engine) -> None:
    """Register the path and its recovery consumer."""
    engine.register(exceptions_path())
    engine.bus.subscribe(logistics.ShipmentRecovered, "automation.exceptions.recovery",
                         lambda event, uow: on_recovered(engine, event, uow))
