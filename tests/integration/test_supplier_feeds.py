"""Level 1 files through mapping profiles, Level 3 signed webhooks, and fuzzed documents that
must each end applied, duplicate or quarantined with a reason, never half applied."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from tests.e2e.server import serving
from tests.integration.supplier_helpers import SKU, channel_reads, fixture, ingest, merchant

from hansa.bootstrap import Hansa
from hansa.catalog import queries as catalog
from hansa.heads.api.deps import ReadModels
from hansa.inventory import queries as inventory
from hansa.suppliers import jsonfeed, store
from hansa.suppliers.messages import ConfigureSupplierApi, SaveMappingProfile

GERMAN = {"delimiter": ";", "encoding": "cp1252", "decimal": ",", "thousands": ".",
          "currency": "USD", "lead_time_unit": "days",
          "columns": {"supplier_sku": "Artikel", "sku": "Unsere SKU", "cost": "Preis",
                      "stock:IT-FI-FAB": "Bestand", "lead_time": "Lieferzeit",
                      "attr:material": "Material", "moq": "Mindestmenge"}}


def _stock(hansa: Hansa, site: str) -> int:
    with hansa.db.read() as conn:
        loc = inventory.location_by_code(conn, site)
        return next((lv.on_hand for lv in inventory.levels(conn, [SKU])
                     if lv.location_id == loc.id), 0)


def test_csv_with_a_profile_decimal_commas_and_cp1252(hansa: Hansa) -> None:
    merchant(hansa)
    hansa.bus.execute(SaveMappingProfile(supplier_code="FLORENCE-LAB", name="default",
                                         spec=GERMAN))
    text = ("Artikel;Unsere SKU;Preis;Bestand;Lieferzeit;Material;Mindestmenge\n"
            f"FL-1;{SKU};24,40;1.200;10;Baumwolle 98%, Elastan 2%, gefärbt;12\n"
            "FL-2;;3,10;7;;;\n")
    outcome = ingest(hansa, "FLORENCE-LAB", "csv", text.encode("cp1252"))
    assert outcome.status == "applied", outcome.reason
    assert (outcome.records, outcome.changes) == (2, 2)
    assert _stock(hansa, "IT-FI-FAB") >= 1200
    with hansa.db.read() as conn:
        row = conn.execute(sa.select(store.items).where(
            store.items.c.supplier_sku == "FL-1")).one()
    assert (row.cost, row.currency, row.lead_time_hours, row.moq) == (2440, "USD", 240, 12)
    assert row.attributes == {"material": "Baumwolle 98%, Elastan 2%, gefärbt"}
    bad = text.replace("3,10", "3,1x").encode("cp1252")
    refused = ingest(hansa, "FLORENCE-LAB", "csv", bad)
    assert refused.status == "quarantined"
    assert refused.reason == "line 3, column Preis: '3,1x' is not a number"


def test_csv_carries_schedule_model_and_components(hansa: Hansa) -> None:
    merchant(hansa)
    text = ("supplier_sku,supply_model,components,plan:2026-12-10,plan:2026-12-17\n"
            "FL-DESK,cto,DESK-TOP-OAK*1|DESK-LEG-STD*4,40,60\n")
    assert ingest(hansa, "FLORENCE-LAB", "csv", text.encode()).status == "applied"
    with hansa.db.read() as conn:
        item = conn.execute(sa.select(store.items).where(
            store.items.c.supplier_sku == "FL-DESK")).one()
        plan = dict(conn.execute(sa.select(store.schedule.c.day, store.schedule.c.quantity)
                                 .order_by(store.schedule.c.day)).all())
    assert (item.supply_model, item.components) == ("cto", [["DESK-TOP-OAK", 1],
                                                            ["DESK-LEG-STD", 4]])
    assert plan == {"2026-12-10": 40, "2026-12-17": 60}


def test_xlsx_upload_reads_the_first_sheet(hansa: Hansa) -> None:
    merchant(hansa)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["supplier_sku", "sku", "cost", "currency", "stock:IT-FI-FAB"])
    sheet.append(["FL-9", SKU, "24.00", "USD", 33])
    buffer = io.BytesIO()
    book.save(buffer)
    outcome = ingest(hansa, "FLORENCE-LAB", "xlsx", buffer.getvalue())
    assert outcome.status == "applied", outcome.reason
    with hansa.db.read() as conn:
        assert conn.execute(sa.select(store.items.c.cost).where(
            store.items.c.supplier_sku == "FL-9")).scalar_one() == 2400


def _signed(secret: str, body: bytes, at: float) -> dict[str, str]:
    stamp = str(int(at))
    return {"X-Hansa-Timestamp": stamp, "X-Hansa-Signature": jsonfeed.sign(secret, stamp, body)}


@pytest.fixture
def client(hansa: Hansa) -> Iterator[httpx.Client]:
    """Real HTTP to a served app over the test's Hansa."""
    merchant(hansa)
    hansa.bus.execute(ConfigureSupplierApi(supplier_code="MEMPHIS-SUPPLY",
                                           secret="s3cret-s3cret-s3cret"))
    with serving(hansa) as base, httpx.Client(base_url=base, timeout=30) as http:
        yield http


def test_signed_webhook_applies_and_acknowledges_once(hansa: Hansa, client: httpx.Client) -> None:
    now = hansa.clock.now().timestamp()
    body = json.dumps({"document_id": "MEM-1", "sent_at": hansa.clock.now().isoformat(),
                       "items": [{"supplier_sku": "MS-TEE", "sku": SKU, "stock":
                                  {"US-TX-DROP": 25}}]}).encode()
    url = "/suppliers/MEMPHIS-SUPPLY/webhook"
    answer = client.post(url, content=body, headers=_signed("s3cret-s3cret-s3cret", body, now))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "applied"
    assert json.loads(answer.json()["ack"])["status"] == "accepted"
    assert _stock(hansa, "US-TX-DROP") == 25
    again = client.post(url, content=body, headers=_signed("s3cret-s3cret-s3cret", body, now))
    assert again.json()["status"] == "duplicate"
    assert json.loads(again.json()["ack"])["status"] == "duplicate"
    forged = client.post(url, content=body, headers=_signed("wrong-secret-wrong", body, now))
    stale = client.post(url, content=body,
                        headers=_signed("s3cret-s3cret-s3cret", body, now - 600))
    assert (forged.status_code, stale.status_code) == (403, 403)
    assert "replay window" in stale.json()["error"]["message"]
    audit = client.get("/admin/suppliers/audit", headers={
        "Authorization": f"Bearer {hansa.settings.admin_token}"}).json()
    assert [f["feed"] for f in audit["feeds"]] == ["json/items"]
    assert audit["feeds"][0]["level"] == 3 and audit["feeds"][0]["duplicates"] == 1


SEEDS = [("SHENZHEN-WORKS", "x12", fixture("x12_846_inventory.edi")),
         ("SHENZHEN-WORKS", "x12", fixture("x12_832_catalog.edi")),
         ("PORTO-TEXTIL", "edifact", fixture("edifact_invrpt.edi")),
         ("PORTO-TEXTIL", "edifact", fixture("edifact_pricat.edi"))]


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for pos, cut, insert in edits:
        at = pos % (len(out) + 1)
        out[at:at + cut] = insert
    return bytes(out)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), edits=st.lists(st.tuples(
    st.integers(0, 2000), st.integers(0, 4),
    st.sampled_from([b"", b"*", b"~", b"X", b"9", b"-1", b"\xff", b"QTY*33*", b"LIN**VP*",
                     b"'", b"+", b":", b"?", b"QTY+145:"])),
    min_size=1, max_size=4))
def test_fuzzed_edi_never_crashes_nor_half_applies(
        hansa: Hansa, seed: tuple[str, str, bytes], edits: list[tuple[int, int, bytes]]) -> None:
    if not getattr(hansa, "_merchant", False):
        merchant(hansa)
        hansa._merchant = True  # type: ignore[attr-defined]
    with hansa.db.read() as conn:
        before = conn.execute(sa.select(sa.func.count()).select_from(store.items)).scalar_one()
    supplier, fmt, data = seed
    outcome = ingest(hansa, supplier, fmt, _mutate(data, edits))
    assert outcome.status in ("applied", "quarantined", "duplicate")
    if outcome.status == "quarantined":
        assert outcome.reason and not outcome.reason.startswith("unexpected")
        with hansa.db.read() as conn:
            after = conn.execute(sa.select(sa.func.count()).select_from(store.items)).scalar_one()
        assert after == before


def test_fuzzed_json_and_csv_are_quarantined_with_reasons(hansa: Hansa) -> None:
    merchant(hansa)
    cases = [b"", b"{", b"[]", b'{"document_id": 5}', b'{"document_id": "x", "items": [1]}',
             b'{"document_id": "y", "items": [{"supplier_sku": "A", "cost": "1e400"}]}',
             b'{"document_id": "z", "items": [{"supplier_sku": "A", "stock": {"NOPE": 1}}]}']
    for n, body in enumerate(cases):
        outcome = ingest(hansa, "MEMPHIS-SUPPLY", "json", body + b" " * n)
        assert outcome.status == "quarantined" and outcome.reason, body
    for body in (b"", b"supplier_sku\n\"unterminated", b"x,y\n1,2", b"\xff\xfe\x00"):
        outcome = ingest(hansa, "FLORENCE-LAB", "csv", body + str(time.monotonic()).encode())
        assert outcome.status in ("quarantined", "applied")
        if outcome.status == "quarantined":
            assert outcome.reason and not outcome.reason.startswith("unexpected")


def test_merchant_center_feed_follows_supplier_changes(hansa: Hansa, client: httpx.Client) -> None:
    import xml.etree.ElementTree as ET

    def row(channel: str) -> dict[str, str]:
        lines = client.get(f"/feeds/{channel}/merchant.tsv").text.splitlines()
        header = lines[0].split("\t")
        return next(dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]
                    if line.startswith(SKU + "\t"))

    assert row("dtc-us")["custom_label_3"] == "100% cotton"
    assert ingest(hansa, "SHENZHEN-WORKS", "x12",
                  fixture("x12_832_catalog.edi")).status == "applied"
    for channel in ("dtc-us", "b2b-eu", "chat-sea"):
        assert row(channel)["custom_label_3"] == "98% organic cotton, 2% elastane"
    assert row("b2b-eu")["price"].endswith(" EUR") and row("chat-sea")["price"].endswith(" SGD")
    xml = client.get("/feeds/dtc-us/merchant.xml")
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/xml")
    ns = {"g": "http://base.google.com/ns/1.0"}
    item = next(i for i in ET.fromstring(xml.text).iter("item")
                if i.findtext("g:id", namespaces=ns) == SKU)
    assert item.findtext("g:availability", namespaces=ns) == row("dtc-us")["availability"]
    assert item.findtext("g:price", namespaces=ns) == row("dtc-us")["price"]


def test_supplier_component_stock_drives_cto_availability(hansa: Hansa) -> None:
    merchant(hansa)
    models = ReadModels(hansa)
    hansa.bus.on_commit(models.feed.on_commit)
    with hansa.db.read() as conn:
        desk = next(p for p in catalog.products(conn) if p.inventory_model.value == "cto")
    parts = {c.sku: c.quantity for c in desk.components}
    rows = "".join(f"FL-{sku},{sku},{1000 * qty}\n" for sku, qty in parts.items())
    text = "supplier_sku,sku,stock:IT-FI-FAB\n" + rows
    assert ingest(hansa, "FLORENCE-LAB", "csv", text.encode()).status == "applied"
    with hansa.db.read() as conn:
        atp = inventory.atp_totals(conn, list(parts))
    expected = min(atp[sku] // qty for sku, qty in parts.items())
    reads = channel_reads(hansa, models, desk.variants[0].sku)
    assert reads and {k: r["variant"]["available"] for k, r in reads.items()} == {
        k: expected for k in reads}
    assert expected >= 1000
