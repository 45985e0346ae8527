"""The order-to-cash path on both dialects: allocation per the optimiser, shipments, labels that
open as PDFs, one email per shipment through a real SMTP server, capture, ledger settlement,
and compensation when the capture is refused."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy.engine import Connection
from tests.e2e.merchant import ADDRESS, make_merchant
from tests.integration.o2c_helpers import Inbox, configure_network, free_port, shop_app, smtp

from hansa.automation import queries as runs
from hansa.bootstrap import Hansa, bootstrap
from hansa.bus.store import outbox
from hansa.config import Settings
from hansa.fulfillment import queries as fulfillment
from hansa.fulfillment.messages import NotifyShipments
from hansa.fulfillment.promises import Promises
from hansa.inventory import queries as inventory
from hansa.kernel.clock import VirtualClock
from hansa.kernel.errors import NotFound
from hansa.logistics import health
from hansa.logistics import queries as logistics
from hansa.logistics.model import lane_of
from hansa.orders import queries as orders
from hansa.orders.messages import HoldOrder, PlaceOrder
from hansa.orders.model import Address

__all__ = ["shop_app", "smtp"]  # fixtures


def _shop(app: Hansa) -> tuple[str, dict[str, str]]:
    merchant = make_merchant(app, {"TEE-M": {"NY-MFC": 2, "TN-DC": 5},
                                   "MUG": {"NJ-WH": 4, "TN-DC": 1}})
    configure_network(app, merchant.locations)
    return merchant.channel_id, merchant.locations


def _place(app: Hansa, channel_id: str, key: str = "o2c-test-0001") -> str:
    done = app.bus.execute(PlaceOrder(channel_id=channel_id, idempotency_key=key,
                                      email="ada@example.com", address=Address(**ADDRESS),
                                      lines=[("TEE-M", 1), ("MUG", 2)]))
    return str(done.order_id)


def _levels(app: Hansa, codes: dict[str, str]) -> dict[tuple[str, str], tuple[int, int]]:
    names = {v: k for k, v in codes.items()}
    with app.db.read() as conn:
        return {(lv.sku, names[lv.location_id]): (lv.on_hand, lv.reserved)
                for lv in inventory.levels(conn, ["TEE-M", "MUG"])}


def _run(app: Hansa) -> runs.RunRecord:
    with app.db.read() as conn:
        [summary] = runs.runs(conn, path="order-to-cash")
        return runs.run(conn, summary.id)


def _types(app: Hansa) -> list[str]:
    with app.db.read() as conn:
        return list(conn.execute(sa.select(outbox.c.type).order_by(outbox.c.position)).scalars())


def test_a_placed_order_is_sourced_split_labelled_captured_settled_and_mailed(
        shop_app: Hansa, smtp: tuple[Inbox, int]) -> None:
    app, (inbox, _) = shop_app, smtp
    channel_id, codes = _shop(app)
    order_id = _place(app, channel_id)

    app.worker.run_until_idle()

    run = _run(app)
    assert run.status == "completed"
    assert [s.name for s in run.steps] == ["allocate", "create-shipments", "print-labels",
                                           "capture-payment", "settle-ledger", "notify-customer"]
    with app.db.read() as conn:
        order = orders.order(conn, order_id)
        plan = fulfillment.allocation(conn, order_id)
        shipments = fulfillment.shipments(conn, order_id)
        labels = {s["id"]: fulfillment.label_pdf(conn, s["id"]) for s in shipments}
    assert order["status"] == "paid" and order["payment_status"] == "captured"
    assert plan is not None and plan["status"] == "settled" and plan["solver"] == "exact"
    # no node holds both lines: same-day from the micro-fulfilment centre and the NJ warehouse
    assert sorted((codes_of(codes, s["location_id"]), s["service"], s["status"])
                  for s in shipments) == [("NJ-WH", "PC-SAME", "shipped"),
                                          ("NY-MFC", "PC-SAME", "shipped")]
    assert "no single location holds every line" in plan["reasons"]
    # the ledger is settled at every node: picked stock left on hand, nothing stays reserved
    assert _levels(app, codes) == {("TEE-M", "NY-MFC"): (1, 0), ("TEE-M", "TN-DC"): (5, 0),
                                   ("MUG", "NJ-WH"): (2, 0), ("MUG", "TN-DC"): (1, 0)}
    # one label per shipment: a PDF that opens and shows its tracking code, and ZPL
    for shipment in shipments:
        pdf, zpl = labels[shipment["id"]]  # type: ignore[misc]
        reader = PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        assert shipment["tracking_code"] in reader.pages[0].extract_text()
        assert zpl.startswith("^XA") and f"^FD{shipment['tracking_code']}^FS" in zpl
    # one email per shipment, each with its own tracking link
    assert len(inbox.messages) == 2
    for shipment in shipments:
        link = f"https://track.hansa.local/PARCELCO/{shipment['tracking_code']}"
        [mail] = [m for m in inbox.messages if link in _text(m)]
        assert mail["To"] == "ada@example.com"
        assert f"Order {order['number']}: shipment" in mail["Subject"]
    types = _types(app)
    assert types.count("hansa.fulfillment.shipment_created.v1") == 2
    assert types.count("hansa.fulfillment.label_printed.v1") == 2
    assert types.count("hansa.fulfillment.shipment_notified.v1") == 2
    assert "hansa.fulfillment.order_shipped.v1" in types
    assert "hansa.orders.order_paid.v1" in types


def codes_of(codes: dict[str, str], location_id: str) -> str:
    return {v: k for k, v in codes.items()}[location_id]


def _text(message: object) -> str:
    parts = [p.get_payload(decode=True) for p in message.walk()  # type: ignore[attr-defined]
             if p.get_content_type() == "text/plain"]
    return "".join(p.decode() for p in parts if p)


def test_a_refused_capture_voids_the_labels_cancels_shipments_and_releases_the_stock(
        shop_app: Hansa, smtp: tuple[Inbox, int]) -> None:
    app, (inbox, _) = shop_app, smtp
    channel_id, codes = _shop(app)
    order_id = _place(app, channel_id)
    app.bus.execute(HoldOrder(order_id=order_id, reason="fraud review"))

    app.worker.run_until_idle()

    run = _run(app)
    assert run.status == "compensated"
    assert [s.status for s in run.steps] == ["compensated", "compensated", "compensated",
                                             "failed", "planned", "planned"]
    with app.db.read() as conn:
        order = orders.order(conn, order_id)
        plan = fulfillment.allocation(conn, order_id)
        shipments = fulfillment.shipments(conn, order_id)
    assert order["payment_status"] == "pending"
    assert plan is not None and plan["status"] == "released"
    assert {(s["status"], s["label"]) for s in shipments} == {("cancelled", "voided")}
    assert all(reserved == 0 for _, reserved in _levels(app, codes).values())
    assert inbox.messages == []  # nothing was sent
    assert "hansa.fulfillment.order_shipped.v1" not in _types(app)


def test_without_a_configured_network_the_path_does_not_fire(
        shop_app: Hansa, smtp: tuple[Inbox, int]) -> None:
    app = shop_app
    merchant = make_merchant(app, {"TEE-M": {"NY-MFC": 2}})
    app.bus.execute(PlaceOrder(channel_id=merchant.channel_id, idempotency_key="o2c-none-01",
                               email="ada@example.com", address=Address(**ADDRESS),
                               lines=[("TEE-M", 1)]))

    app.worker.run_until_idle()

    with app.db.read() as conn:
        assert runs.runs(conn, path="order-to-cash") == []
    assert smtp[0].messages == []


def test_a_mail_server_that_is_down_does_not_undo_a_shipped_order_and_mail_can_follow(
        db_url: str, clock: VirtualClock, smtp: tuple[Inbox, int]) -> None:
    settings = Settings(db=db_url, bus="memory", listing_stock_lag_ms=0,
                        smtp_host="127.0.0.1", smtp_port=free_port())
    app = bootstrap(settings, clock=clock, migrate=True)
    try:
        channel_id, _ = _shop(app)
        order_id = _place(app, channel_id)

        app.worker.run_until_idle()

        assert _run(app).status == "completed"
        with app.db.read() as conn:
            assert orders.order(conn, order_id)["status"] == "paid"
            assert {s["status"] for s in fulfillment.shipments(conn, order_id)} == {"shipped"}
        assert _types(app).count("hansa.fulfillment.shipment_notification_failed.v1") == 2
    finally:
        app.close()
    inbox, port = smtp
    later = bootstrap(Settings(db=db_url, bus="memory", smtp_host="127.0.0.1", smtp_port=port),
                      clock=clock)
    try:
        assert later.bus.execute(NotifyShipments(order_id=order_id)) == 2
        assert later.bus.execute(NotifyShipments(order_id=order_id)) == 0  # never twice
    finally:
        later.close()
    assert len(inbox.messages) == 2


def test_shipped_parcels_are_tracked_for_late_scans_and_cancelled_ones_are_not(
        shop_app: Hansa, smtp: tuple[Inbox, int], clock: VirtualClock) -> None:
    app = shop_app
    channel_id, _ = _shop(app)
    shipped = _place(app, channel_id)
    held = _place(app, channel_id, key="o2c-test-0002")
    app.bus.execute(HoldOrder(order_id=held, reason="fraud review"))  # its capture is refused

    app.worker.run_until_idle()

    with app.db.read() as conn:
        order = orders.order(conn, shipped)
        made = fulfillment.shipments(conn, shipped)
        tracked = [logistics.shipment(conn, s["id"]) for s in made]
        cancelled = [s["id"] for s in fulfillment.shipments(conn, held)]
    unit = {ln["sku"]: ln["unit_price"] for ln in order["lines"]}
    assert [(t["carrier"], t["customer"], t["origin_location_id"], t["value_minor"])
            for t in tracked] == [
        ("parcelco", "ada@example.com", s["location_id"],
         sum(unit[ln["sku"]] * ln["quantity"] for ln in s["lines"])) for s in made]
    assert all(t["lane"].endswith(">US-100") for t in tracked)

    clock.advance(timedelta(days=3))  # no carrier ever scans these parcels
    app.worker.run_until_idle()

    with app.db.read() as conn:
        late = {i["shipment_id"] for i in logistics.incidents(conn)}
        stopped = [_tracked_or_none(conn, s) for s in cancelled]
    assert late == {s["id"] for s in made}  # the shipped ones are late: the path acts
    assert all(s is None or s["stopped_at"] is not None for s in stopped)


def _tracked_or_none(conn: Connection, shipment_id: str) -> dict[str, Any] | None:
    try:
        return logistics.shipment(conn, shipment_id)
    except NotFound:
        return None


def test_sourcing_avoids_a_carrier_lane_whose_breaker_is_open(
        shop_app: Hansa, smtp: tuple[Inbox, int], clock: VirtualClock) -> None:
    app = shop_app
    channel_id, codes = _shop(app)
    lane = lane_of(codes["NY-MFC"], "US", ADDRESS["postal_code"])
    with app.bus.uow() as uow:  # a day of missed scans on PARCELCO out of the NY centre
        for _ in range(20):
            health.record_outcome(uow.conn, "parcelco", lane, True, clock.now())
        uow.commit()

    order_id = _place(app, channel_id)
    app.worker.run_until_idle()

    assert _run(app).status == "completed"
    with app.db.read() as conn:
        shipments = fulfillment.shipments(conn, order_id)
        promise = Promises().lookup(conn, ["TEE-M"], ADDRESS["postal_code"], "US", clock.now())
    routes = {(codes_of(codes, s["location_id"]), s["carrier"]) for s in shipments}
    assert ("NY-MFC", "PARCELCO") not in routes
    fastest = promise["TEE-M"].fastest
    assert fastest is not None and (fastest.node, fastest.carrier) != ("NY-MFC", "PARCELCO")

    clock.advance(timedelta(hours=7))  # past the lane's cool-down: half-open, usable again
    with app.db.read() as conn:
        again = Promises().lookup(conn, ["TEE-M"], ADDRESS["postal_code"], "US", clock.now())
    assert again["TEE-M"].fastest is not None
    assert (again["TEE-M"].fastest.node, again["TEE-M"].fastest.carrier) == ("NY-MFC",
                                                                              "PARCELCO")
