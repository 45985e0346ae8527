"""Logistics use cases: track shipments, record scans, notice missed scans, act on reships."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hansa.bus.unit_of_work import UnitOfWork
from hansa.inventory import messages as inventory_msg
from hansa.inventory import queries as inventory_queries
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.geo import Position, us_zip_position
from hansa.logistics import health, store
from hansa.logistics import messages as m
from hansa.logistics.model import (
    Candidate,
    Scan,
    TrackingStatus,
    ValueBand,
    choose_reship_location,
    expected_gap,
    is_newer,
    lane_of,
)

RECYCLE_SLACK = timedelta(days=2)  # a scan this long before a registration is the code's past


def _scan_of(row: Any) -> Scan | None:
    if row.status_at is None:
        return None
    return Scan(status=TrackingStatus(row.status), occurred_at=row.status_at,
                substatus=row.substatus, city=row.last_city, postal_code=row.last_postal_code,
                country=row.last_country, lat=row.last_lat, lon=row.last_lon)


def _position(country: str, postal_code: str) -> Position | None:
    return us_zip_position(postal_code) if country.upper() in ("US", "USA") else None


def track_shipment(cmd: m.TrackShipment, uow: UnitOfWork) -> str:
    if store.shipment(uow.conn, cmd.shipment_id) is not None:
        return cmd.shipment_id
    if not cmd.lines or any(q <= 0 for _, q in cmd.lines):
        raise InvalidData("a tracked shipment needs lines with positive quantities",
                          code="invalid_lines")
    if not cmd.tracking_code.strip() or not cmd.carrier.strip():
        raise InvalidData("carrier and tracking code are required", code="invalid_tracking")
    now = uow.now()
    carrier = cmd.carrier.strip().lower()
    lane = lane_of(cmd.origin_location_id, cmd.destination_country, cmd.destination_postal_code)
    gap = expected_gap(TrackingStatus.UNKNOWN,
                       store.gap(uow.conn, carrier, cmd.service, lane, TrackingStatus.UNKNOWN))
    uow.conn.execute(store.shipments.insert(), dict(
        id=cmd.shipment_id, order_id=cmd.order_id, customer=cmd.customer.strip().lower(),
        merchant=cmd.merchant, origin_location_id=cmd.origin_location_id, carrier=carrier,
        service=cmd.service, tracking_code=cmd.tracking_code.strip(),
        destination_postal_code=cmd.destination_postal_code,
        destination_country=cmd.destination_country.upper(), promised_date=cmd.promised_date,
        lines=[[sku, q] for sku, q in cmd.lines], value_minor=cmd.value.amount,
        currency=cmd.value.currency, lane=lane, registered_at=now,
        status=TrackingStatus.UNKNOWN.value, substatus="", status_at=None, last_city="",
        last_postal_code="", last_country="", last_lat=None, last_lon=None, seq=0,
        expected_by=now + gap, delivered_at=None))
    uow.record(m.ShipmentTracked(shipment_id=cmd.shipment_id, carrier=carrier,
                                 tracking_code=cmd.tracking_code, lane=lane))
    uow.record(m.ExpectedScanDue(shipment_id=cmd.shipment_id, seq=0), deliver_at=now + gap)
    return cmd.shipment_id


def stop_tracking(cmd: m.StopTracking, uow: UnitOfWork) -> bool:
    """Stop expecting scans of a shipment; False when it is unknown or already stopped."""
    row = store.shipment(uow.conn, cmd.shipment_id, lock=True)
    if row is None or row.stopped_at is not None:
        return False
    store.update_shipment(uow.conn, row.id, stopped_at=uow.now(), expected_by=None)
    uow.record(m.TrackingStopped(shipment_id=row.id, reason=cmd.reason[:200]))
    return True


def _owner(candidates: list[Any], scan: Scan) -> str | None:
    """Codes are recycled: the newest shipment registered before (or just after) the scan."""
    for row in candidates:
        if row.registered_at - RECYCLE_SLACK <= scan.occurred_at:
            return str(row.id)
    return None


def record_scan(cmd: m.RecordScan, uow: UnitOfWork) -> str:
    [outcome] = record_scans(m.RecordScans(provider=cmd.provider, carrier=cmd.carrier,
                                           tracking_code=cmd.tracking_code, scans=[cmd.scan]),
                             uow)
    return outcome


def record_scans(cmd: m.RecordScans, uow: UnitOfWork) -> list[str]:
    """Record a provider message's scans of one tracking code: each shipment is read, locked
    and checked for known scans once, whatever the number of repeated scans."""
    candidates = store.shipments_by_code(uow.conn, cmd.carrier.strip().lower(),
                                         cmd.tracking_code.strip())
    owners = [_owner(candidates, scan) for scan in cmd.scans]
    rows: dict[str, Any] = {}
    known: dict[str, set[str]] = {}
    for shipment_id in sorted({o for o in owners if o is not None}):
        rows[shipment_id] = store.shipment(uow.conn, shipment_id, lock=True)
        known[shipment_id] = store.scan_keys(uow.conn, shipment_id)
    outcomes = []
    for scan, owner in zip(cmd.scans, owners, strict=True):
        if owner is None:
            outcomes.append("unknown_code")
            continue
        key = scan.key()
        if key in known[owner]:
            outcomes.append("duplicate")
            continue
        known[owner].add(key)
        outcome = _record(uow, cmd.provider, rows[owner], scan, key)
        if outcome == "applied":
            rows[owner] = store.shipment(uow.conn, owner)
        outcomes.append(outcome)
    return outcomes


def _record(uow: UnitOfWork, provider: str, row: Any, scan: Scan, key: str) -> str:
    now = uow.now()
    uow.conn.execute(store.scans.insert(), dict(
        shipment_id=row.id, scan_key=key, provider=provider, status=scan.status.value,
        substatus=scan.substatus[:64], message=scan.message[:300], occurred_at=scan.occurred_at,
        received_at=now, city=scan.city[:120], postal_code=scan.postal_code[:16],
        country=scan.country[:3], lat=scan.lat, lon=scan.lon))
    tripped = health.record_outcome(uow.conn, row.carrier, row.lane, scan.status.troubled, now)
    if tripped is not None:
        uow.record(m.CarrierLaneTripped(carrier=row.carrier, lane=row.lane,
                                        reason=tripped.reason))
    newest = is_newer(scan, _scan_of(row))
    since = row.status_at or row.registered_at
    gap = (scan.occurred_at - since).total_seconds() / 3600
    uow.record(m.ScanRecorded(shipment_id=row.id, status=scan.status.value,
                              substatus=scan.substatus, occurred_at=scan.occurred_at.isoformat(),
                              city=scan.city, postal_code=scan.postal_code, newest=newest,
                              carrier=row.carrier, service=row.service, lane=row.lane,
                              previous_status=row.status,
                              gap_hours=gap if newest and gap >= 0 else None))
    if not newest:
        return "stale"
    _apply_newest(uow, row, scan)
    return "applied"


def on_scan_recorded(event: m.ScanRecorded, uow: UnitOfWork) -> None:
    """Consumer: learn the gap a newer scan closed. Off the webhook's transaction, so scans
    of one busy lane do not queue on its statistics row; the inbox makes it once per scan."""
    if event.gap_hours is None:
        return
    store.add_gap(uow.conn, event.carrier, event.service, event.lane,
                  TrackingStatus(event.previous_status), event.gap_hours)


def _apply_newest(uow: UnitOfWork, row: Any, scan: Scan) -> None:
    now = uow.now()
    seq = row.seq + 1
    expected_by = None
    if not scan.status.final:
        gap = expected_gap(scan.status, store.gap(uow.conn, row.carrier, row.service, row.lane,
                                                  scan.status))
        expected_by = max(scan.occurred_at + gap, now)
        uow.record(m.ExpectedScanDue(shipment_id=row.id, seq=seq), deliver_at=expected_by)
    store.update_shipment(
        uow.conn, row.id, status=scan.status.value, substatus=scan.substatus[:64],
        status_at=scan.occurred_at, last_city=scan.city[:120],
        last_postal_code=scan.postal_code[:16], last_country=scan.country[:3],
        last_lat=scan.lat, last_lon=scan.lon, seq=seq, expected_by=expected_by,
        delivered_at=scan.occurred_at if scan.status is TrackingStatus.DELIVERED else None)
    incident = store.live_incident(uow.conn, row.id)
    if incident is None:
        return
    moving = scan.status not in (TrackingStatus.EXCEPTION, TrackingStatus.UNKNOWN)
    if incident.status == "open" and moving:
        store.update_incident(uow.conn, incident.id, status="recovered", recovered_at=now)
        uow.record(m.ShipmentRecovered(incident_id=incident.id, shipment_id=row.id,
                                       status=scan.status.value))
    delivered = scan.status is TrackingStatus.DELIVERED
    if delivered and incident.status == "released":
        outcome = store.policy(uow.conn, row.merchant).extra_parcel_outcome(row.value_minor)
        store.update_incident(uow.conn, incident.id, status="resolved", resolved_at=now,
                              outcome=outcome)
        uow.record(m.ExtraParcelResolved(incident_id=incident.id, shipment_id=row.id,
                                         outcome=outcome, value_minor=row.value_minor,
                                         currency=row.currency))
    elif delivered or scan.status.final:
        store.update_incident(uow.conn, incident.id, status="resolved", resolved_at=now)


def on_expected_scan_due(event: m.ExpectedScanDue, uow: UnitOfWork) -> None:
    """The timer of a scan fired: if no newer scan came, open an incident (once)."""
    row = store.shipment(uow.conn, event.shipment_id, lock=True)
    if row is None or row.seq != event.seq or TrackingStatus(row.status).final:
        return
    if row.stopped_at is not None:
        return
    live = store.live_incident(uow.conn, row.id)
    if live is not None and live.status in ("open", "released"):
        return
    now = uow.now()
    if live is not None:
        store.update_incident(uow.conn, live.id, status="resolved", resolved_at=now)
    policy = store.policy(uow.conn, row.merchant)
    release_at = now + policy.release_after(row.value_minor)
    credit = policy.credit_for(row.value_minor)
    incident_id = f"inc-{row.id}-{row.seq}"
    uow.conn.execute(store.incidents.insert(), dict(
        id=incident_id, shipment_id=row.id, status="open", expected_by=row.expected_by or now,
        opened_at=now, release_at=release_at, credit_minor=credit, run_key=None,
        reship_status="none"))
    tripped = health.record_outcome(uow.conn, row.carrier, row.lane, True, now)
    if tripped is not None:
        uow.record(m.CarrierLaneTripped(carrier=row.carrier, lane=row.lane,
                                        reason=tripped.reason))
    uow.record(m.ExpectedScanMissed(
        incident_id=incident_id, shipment_id=row.id, order_id=row.order_id,
        customer=row.customer, carrier=row.carrier, lane=row.lane, last_status=row.status,
        last_city=row.last_city, expected_by=(row.expected_by or now).isoformat(),
        missed_at=now.isoformat(), value_minor=row.value_minor, currency=row.currency,
        credit_minor=credit, release_at=release_at.isoformat(),
        promised_date=row.promised_date.isoformat()))


def set_exception_policy(cmd: m.SetExceptionPolicy, uow: UnitOfWork) -> None:
    if not cmd.bands or any(v <= 0 or h < 0 for v, h in cmd.bands):
        raise InvalidData("bands need positive value bounds and hours >= 0", code="invalid_bands")
    _ = [ValueBand(int(v), timedelta(hours=h)) for v, h in cmd.bands]
    values = {"bands": [[int(v), float(h)] for v, h in sorted(cmd.bands)],
              "credit_basis_points": cmd.credit_basis_points,
              "credit_min_minor": cmd.credit_min_minor,
              "credit_max_minor": cmd.credit_max_minor,
              "write_off_below_minor": cmd.write_off_below_minor}
    table = store.policies
    if uow.conn.execute(table.select().where(table.c.merchant == cmd.merchant)).first():
        uow.conn.execute(table.update().where(table.c.merchant == cmd.merchant).values(**values))
    else:
        uow.conn.execute(table.insert().values(merchant=cmd.merchant, **values))


# incident steps (run by the exceptions path) --------------------------------------------------
def _incident(uow: UnitOfWork, incident_id: str) -> Any:
    row = store.incident(uow.conn, incident_id, lock=True)
    if row is None:
        raise NotFound(f"no incident {incident_id}", code="incident_not_found")
    return row


def reship_reference(incident_id: str) -> str:
    return f"reship:{incident_id}"


def begin_incident_response(cmd: m.BeginIncidentResponse, uow: UnitOfWork) -> str:
    row = _incident(uow, cmd.incident_id)
    if row.run_key is None and cmd.idempotency_key:
        store.update_incident(uow.conn, row.id, run_key=cmd.idempotency_key)
    return str(row.status)


def _candidates(uow: UnitOfWork, skus: list[str]) -> list[Candidate]:
    locations = [loc for loc in inventory_queries.locations(uow.conn) if loc.active]
    atp = {sku: inventory_queries.atp_by_location(uow.conn, sku) for sku in skus}
    return [Candidate(loc.id, loc.position, {sku: atp[sku].get(loc.id, 0) for sku in skus})
            for loc in locations]


def reserve_reship(cmd: m.ReserveReship, uow: UnitOfWork) -> dict[str, Any]:
    incident = _incident(uow, cmd.incident_id)
    if incident.status != "open" or incident.reship_status != "none":
        return {"reserved": False, "incident": incident.status, "reship": incident.reship_status}
    row = store.shipment(uow.conn, incident.shipment_id)
    lines = [(str(sku), int(q)) for sku, q in row.lines]
    near = (Position(row.last_lat, row.last_lon) if row.last_lat is not None
            and row.last_lon is not None else _position(row.last_country, row.last_postal_code))
    destination = _position(row.destination_country, row.destination_postal_code)
    choice = choose_reship_location(_candidates(uow, sorted({s for s, _ in lines})), lines,
                                    near or destination, destination, row.promised_date,
                                    uow.now())
    if choice is None:
        store.update_incident(uow.conn, incident.id, reship_status="unavailable")
        return {"reserved": False, "reship": "unavailable"}
    at = inventory_queries.location(uow.conn, choice.location_id).position
    try:
        with uow.savepoint():
            uow.execute(inventory_msg.ReserveStock(reference=reship_reference(incident.id),
                                                   lines=lines, destination=(at.lat, at.lon)))
    except Conflict:
        store.update_incident(uow.conn, incident.id, reship_status="unavailable")
        return {"reserved": False, "reship": "unavailable"}
    store.update_incident(uow.conn, incident.id, reship_status="reserved",
                          reship_location_id=choice.location_id,
                          reship_meets_promise=choice.meets_promise)
    uow.record(m.ReshipReserved(incident_id=incident.id, shipment_id=row.id,
                                location_id=choice.location_id,
                                meets_promise=choice.meets_promise))
    return {"reserved": True, "location_id": choice.location_id,
            "distance_km": choice.distance_km, "meets_promise": choice.meets_promise}


def _cancel(uow: UnitOfWork, incident: Any, reason: str) -> bool:
    if incident.reship_status != "reserved":
        return False
    uow.execute(inventory_msg.ReleaseReservation(reference=reship_reference(incident.id),
                                                 reason=reason))
    store.update_incident(uow.conn, incident.id, reship_status="cancelled")
    uow.record(m.ReshipCancelled(incident_id=incident.id, shipment_id=incident.shipment_id,
                                 reason=reason))
    return True


def cancel_reship(cmd: m.CancelReship, uow: UnitOfWork) -> bool:
    return _cancel(uow, _incident(uow, cmd.incident_id), cmd.reason)


def release_reship(cmd: m.ReleaseReship, uow: UnitOfWork) -> str:
    incident = _incident(uow, cmd.incident_id)
    if incident.status != "open":  # the parcel recovered while the path waited
        return "cancelled" if _cancel(uow, incident, "parcel recovered") else "nothing"
    if incident.reship_status != "reserved":
        return "nothing"
    reference = reship_reference(incident.id)
    uow.execute(inventory_msg.PickReservation(reference=reference))
    row = store.shipment(uow.conn, incident.shipment_id)
    now = uow.now()
    store.update_incident(uow.conn, incident.id, status="released", reship_status="released",
                          released_at=now)
    uow.record(m.ReshipReleased(incident_id=incident.id, shipment_id=row.id,
                                order_id=row.order_id, reference=reference,
                                location_id=incident.reship_location_id,
                                lines=[list(line) for line in row.lines]))
    return "released"
