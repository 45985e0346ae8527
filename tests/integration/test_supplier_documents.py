"""Inbound supplier documents, end to end on both dialects: fixtures of every type applied,
propagated to the three channels' product reads, acknowledged, deduplicated, ordered, and
quarantined with a precise reason without a trace when they fail."""

from __future__ import annotations

import sqlalchemy as sa
from tests.integration.supplier_helpers import SKU, channel_reads, fixture, ingest, merchant

from hansa.bootstrap import Hansa, bootstrap
from hansa.config import Settings
from hansa.guards.messages import ApproveQuarantined, EngageKillSwitch, RejectQuarantined
from hansa.heads.api.deps import ReadModels
from hansa.inventory import queries as inventory
from hansa.kernel.clock import VirtualClock
from hansa.pricing import queries as pricing
from hansa.suppliers import queries as supplier_queries
from hansa.suppliers import store
from hansa.suppliers.messages import PoLine, SaveMappingProfile, SendPurchaseOrder
from hansa.suppliers.purchase_orders import purchase_order


def _site_stock(hansa: Hansa, sku: str, site: str) -> int:
    with hansa.db.read() as conn:
        location = inventory.location_by_code(conn, site)
        return next((lv.on_hand for lv in inventory.levels(conn, [sku])
                     if lv.location_id == location.id), 0)


def _counts(hansa: Hansa) -> dict[str, int]:
    with hansa.db.read() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in (store.items, store.item_stock, store.schedule)}


def test_846_moves_stock_at_the_site_and_every_channel_sees_it(hansa: Hansa) -> None:
    merchant(hansa)
    models = ReadModels(hansa)
    hansa.bus.on_commit(models.feed.on_commit)
    before = channel_reads(hansa, models, SKU)
    assert set(before) == {"dtc-us", "b2b-eu", "chat-sea"}
    outcome = ingest(hansa, "SHENZHEN-WORKS", "x12", fixture("x12_846_inventory.edi"))
    assert (outcome.status, outcome.records, outcome.changes) == ("applied", 3, 3)
    assert _site_stock(hansa, SKU, "SZ-FAB") == 140
    after = channel_reads(hansa, models, SKU)
    for key in before:
        assert after[key]["variant"]["available"] == before[key]["variant"]["available"] + 140
    with hansa.db.read() as conn:
        supplier = supplier_queries.supplier_by_code(conn, "SHENZHEN-WORKS")
        items = {i["supplier_sku"]: i for i in supplier_queries.supplier_items(conn, supplier.id)}
    assert items["SZW-TEE-M"]["stock"] == {"SZ-FAB": 140}
    assert items["SZW-TEE-M"]["lead_time_hours"] == 21 * 24
    assert items["SZW-SPARE-9"]["sku"] is None  # not one of ours: graph only, no inventory
    assert outcome.ack is not None
    assert "AK9*A*1*1*1" in outcome.ack and "AK2*846*0001" in outcome.ack


def test_832_attribute_and_cost_change_reach_every_channel(hansa: Hansa) -> None:
    merchant(hansa)
    models = ReadModels(hansa)
    hansa.bus.on_commit(models.feed.on_commit)
    assert channel_reads(hansa, models, SKU)["dtc-us"]["product"]["attributes"]["material"] \
        == "100% cotton"
    outcome = ingest(hansa, "SHENZHEN-WORKS", "x12", fixture("x12_832_catalog.edi"))
    assert outcome.status == "applied", outcome.reason
    reads = channel_reads(hansa, models, SKU)
    assert {k: v["product"]["attributes"]["material"] for k, v in reads.items()} == {
        k: "98% organic cotton, 2% elastane" for k in ("dtc-us", "b2b-eu", "chat-sea")}
    with hansa.db.read() as conn:
        assert pricing.cost(conn, SKU).amount == 2410
        supplier = supplier_queries.supplier_by_code(conn, "SHENZHEN-WORKS")
        item = supplier_queries.supplier_items(conn, supplier.id)[0]
    assert (item["moq"], item["case_pack"], item["cost"]) == (12, 6, 2410)


def test_edifact_pricat_and_invrpt_apply_with_contrl(hansa: Hansa) -> None:
    merchant(hansa)
    hansa.bus.execute(SaveMappingProfile(supplier_code="PORTO-TEXTIL", name="edi_syntax",
                                         spec={"columns": {"supplier_sku": "x"},
                                               "syntax": "edifact"}))
    pricat = ingest(hansa, "PORTO-TEXTIL", "edifact", fixture("edifact_pricat.edi"))
    assert pricat.status == "applied", pricat.reason
    invrpt = ingest(hansa, "PORTO-TEXTIL", "edifact", fixture("edifact_invrpt.edi"))
    assert invrpt.status == "applied", invrpt.reason
    assert _site_stock(hansa, SKU, "PT-POR-WH") == 35
    assert invrpt.ack is not None and "UCI+9001+PORTO+HANSA+7'" in invrpt.ack
    with hansa.db.read() as conn:
        assert pricing.cost(conn, SKU).amount == 2450


def test_purchase_orders_are_tracked_until_acknowledged(hansa: Hansa) -> None:
    merchant(hansa)
    ingest(hansa, "SHENZHEN-WORKS", "x12", fixture("x12_846_inventory.edi"))
    text = hansa.bus.execute(SendPurchaseOrder(
        supplier_code="SHENZHEN-WORKS", po_number="PO-1001", currency="USD",
        lines=(PoLine(SKU, 100, 980), PoLine("HARTEE-SAN-L", 50, 980))))
    assert "BEG*00*SA*PO-1001" in text and "PO1*1*100*EA*9.80**BP*HARTEE-SAN-M*VP*SZW-TEE-M" in text
    ack = ingest(hansa, "SHENZHEN-WORKS", "x12", fixture("x12_855_ack.edi"))
    assert ack.status == "applied", ack.reason
    with hansa.db.read() as conn:
        po = purchase_order(conn, "PO-1001")
    assert po["status"] == "changed"
    assert po["ack_detail"]["ack"]["lines"] == [[SKU, 100, "accepted"],
                                                ["HARTEE-SAN-L", 40, "changed"]]
    assert ingest(hansa, "SHENZHEN-WORKS", "x12", fixture("x12_856_asn.edi")).status == "applied"
    assert ingest(hansa, "SHENZHEN-WORKS", "x12",
                  fixture("x12_810_invoice.edi")).status == "applied"
    with hansa.db.read() as conn:
        po = purchase_order(conn, "PO-1001")
    assert po["status"] == "invoiced"
    assert po["ack_detail"]["invoice"]["total"] == 98000
    assert po["ack_detail"]["shipment"]["lines"] == [[SKU, 100]]


def test_edifact_ordrsp_and_desadv_track_an_orders_po(hansa: Hansa) -> None:
    merchant(hansa)
    hansa.bus.execute(SaveMappingProfile(supplier_code="PORTO-TEXTIL", name="edi_syntax",
                                         spec={"columns": {"supplier_sku": "x"},
                                               "syntax": "edifact"}))
    text = hansa.bus.execute(SendPurchaseOrder(supplier_code="PORTO-TEXTIL", po_number="PO-2001",
                                               currency="EUR", lines=(PoLine(SKU, 30, 900),)))
    assert "UNH+1+ORDERS:D:96A:UN'" in text and "BGM+220+PO-2001+9'" in text
    assert ingest(hansa, "PORTO-TEXTIL", "edifact", fixture("edifact_ordrsp.edi")).status \
        == "applied"
    with hansa.db.read() as conn:
        assert purchase_order(conn, "PO-2001")["status"] == "changed"
    assert ingest(hansa, "PORTO-TEXTIL", "edifact", fixture("edifact_desadv.edi")).status \
        == "applied"
    with hansa.db.read() as conn:
        assert purchase_order(conn, "PO-2001")["status"] == "shipped"


def test_duplicates_by_hash_and_control_number_are_not_applied_twice(hansa: Hansa) -> None:
    merchant(hansa)
    first = ingest(hansa, "SHENZHEN-WORKS", "x12", fixture("x12_846_inventory.edi"))
    again = ingest(hansa, "SHENZHEN-WORKS", "x12", fixture("x12_846_inventory.edi"))
    renamed = fixture("x12_846_inventory.edi").replace(b"QTY*33*140", b"QTY*33*999")
    same_control = ingest(hansa, "SHENZHEN-WORKS", "x12", renamed)
    assert first.status == "applied"
    assert (again.status, same_control.status) == ("duplicate", "duplicate")
    assert _site_stock(hansa, SKU, "SZ-FAB") == 140


def test_a_bad_document_is_quarantined_with_its_line_and_nothing_applied(hansa: Hansa) -> None:
    merchant(hansa)
    good = fixture("x12_846_inventory.edi")
    bad = good.replace(b"ISA*00", b"ISA*00", 1).replace(b"QTY*33*1000*EA", b"QTY*33*1O00*EA")
    before = _counts(hansa)
    outcome = ingest(hansa, "SHENZHEN-WORKS", "x12", bad)
    assert outcome.status == "quarantined"
    assert outcome.reason == "line 13, segment QTY, element QTY02: QTY02 '1O00' is not a number"
    assert _counts(hansa) == before and _site_stock(hansa, SKU, "SZ-FAB") == 0
    assert outcome.ack is not None and "AK9*R*1*1*0" in outcome.ack and "AK3*QTY*13" in outcome.ack
    hansa.bus.execute(RejectQuarantined(quarantine_id=outcome.quarantine_id or "", actor="ops"))
    with hansa.db.read() as conn:
        status = conn.execute(sa.select(store.documents.c.status).where(
            store.documents.c.id == outcome.document_id)).scalar_one()
    assert status == "quarantined"  # the decision reaches it through the bus consumer


def test_out_of_order_kill_switch_and_approval(hansa: Hansa) -> None:
    merchant(hansa)
    newer = fixture("x12_846_inventory.edi").replace(b"*20261203*1200*101*", b"*20261204*1200*101*")
    assert ingest(hansa, "SHENZHEN-WORKS", "x12", newer).status == "applied"
    older = fixture("x12_846_inventory.edi").replace(b"000000101", b"000000201").replace(
        b"QTY*33*140", b"QTY*33*7")
    late = ingest(hansa, "SHENZHEN-WORKS", "x12", older)
    assert late.status == "quarantined" and late.reason is not None
    assert late.reason.startswith("out of order: sent 2026-12-03T12:00:00+00:00")
    assert _site_stock(hansa, SKU, "SZ-FAB") == 140
    hansa.bus.execute(ApproveQuarantined(quarantine_id=late.quarantine_id or "", actor="ops"))
    assert _site_stock(hansa, SKU, "SZ-FAB") == 7
    hansa.bus.execute(EngageKillSwitch(scope="feed:SHENZHEN-WORKS", reason="bad feed",
                                       actor="ops"))
    blocked = ingest(hansa, "SHENZHEN-WORKS", "x12", fixture("x12_846_inventory.edi").replace(
        b"000000101", b"000000301"))
    assert blocked.status == "quarantined" and "kill switch" in (blocked.reason or "")
    assert _site_stock(hansa, SKU, "SZ-FAB") == 7


def test_cost_guard_refuses_the_whole_document(hansa: Hansa) -> None:
    merchant(hansa)
    crazy = fixture("x12_832_catalog.edi").replace(b"CTP**WHL*24.10", b"CTP**WHL*2.41")
    outcome = ingest(hansa, "SHENZHEN-WORKS", "x12", crazy)
    assert outcome.status == "quarantined"
    assert outcome.reason is not None and outcome.reason.startswith(
        f"line 6: cost of {SKU} refused by the price guard: cost 241: drop of 90.3%")
    with hansa.db.read() as conn:
        assert pricing.cost(conn, SKU).amount == 2477
    assert _counts(hansa)["suppliers_items"] == 0


def test_an_absurd_stock_quantity_refuses_the_whole_document(hansa: Hansa) -> None:
    merchant(hansa)
    absurd = fixture("x12_846_inventory.edi").replace(b"QTY*33*1000*EA", b"QTY*33*5000000*EA")
    before = _counts(hansa)

    outcome = ingest(hansa, "SHENZHEN-WORKS", "x12", absurd)

    assert outcome.status == "quarantined"
    assert outcome.reason is not None and outcome.reason.startswith("line 12: stock of ")
    assert outcome.reason.endswith("at SZ-FAB refused by the quantity guard: quantity "
                                   "5,000,000 is outside 0..1,000,000")
    assert _counts(hansa) == before and _site_stock(hansa, SKU, "SZ-FAB") == 0


def test_the_guard_settings_reach_inbound_documents(db_url: str, clock: VirtualClock) -> None:
    app = bootstrap(Settings(db=db_url, bus="memory", listing_stock_lag_ms=0,
                             guard_price_max_drop=0.2, guard_supplier_stock_max=500),
                    clock=clock, migrate=True)
    try:
        merchant(app)
        stock = ingest(app, "SHENZHEN-WORKS", "x12", fixture("x12_846_inventory.edi"))
        assert stock.status == "quarantined" and "outside 0..500" in (stock.reason or "")
        cheaper = fixture("x12_832_catalog.edi").replace(b"CTP**WHL*24.10", b"CTP**WHL*17.00")
        cost = ingest(app, "SHENZHEN-WORKS", "x12", cheaper)  # -31%: inside the default 50%
        assert cost.status == "quarantined" and "drop of 31.4%" in (cost.reason or "")
    finally:
        app.close()
