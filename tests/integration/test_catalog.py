"""Catalog use cases against the real databases."""

from __future__ import annotations

import pytest

from hansa.bootstrap import Hansa
from hansa.catalog import queries
from hansa.catalog.messages import AddVariant, CreateProduct, NewVariant, UpdateProduct
from hansa.kernel.errors import Conflict, InvalidData


def _tee(handle: str = "organic-tee", sku: str = "TEE-M") -> CreateProduct:
    return CreateProduct(
        handle=handle,
        title="Organic tee",
        variants=[NewVariant(sku=sku, title="M", gtin="4006381333931")],
        attributes={"material": "100% cotton"},
    )


def test_created_product_reads_back_with_its_variants(hansa: Hansa) -> None:
    pid = hansa.bus.execute(_tee())

    with hansa.db.read() as conn:
        product = queries.product(conn, pid)

    assert product.handle == "organic-tee"
    assert [v.sku for v in product.variants] == ["TEE-M"]
    assert product.attributes == {"material": "100% cotton"}


def test_a_bad_gtin_is_refused_and_nothing_is_stored(hansa: Hansa) -> None:
    bad = CreateProduct(handle="bad", title="Bad",
                        variants=[NewVariant(sku="BAD-1", title="x", gtin="4006381333932")])

    with pytest.raises(InvalidData) as err:
        hansa.bus.execute(bad)

    assert err.value.code == "invalid_gtin"
    with hansa.db.read() as conn:
        assert queries.count(conn) == 0


def test_a_taken_sku_is_a_conflict(hansa: Hansa) -> None:
    pid = hansa.bus.execute(_tee())

    with pytest.raises(Conflict):
        hansa.bus.execute(AddVariant(product_id=pid, variant=NewVariant(sku="TEE-M", title="M")))


def test_material_change_records_an_attribute_event(hansa: Hansa) -> None:
    pid = hansa.bus.execute(_tee())

    hansa.bus.execute(UpdateProduct(
        product_id=pid, attributes={"material": "98% organic cotton, 2% elastane"}))

    with hansa.db.read() as conn:
        rows = conn.exec_driver_sql("SELECT type FROM bus_outbox ORDER BY position")
        types = [r.type for r in rows]
    assert types == [
        "hansa.catalog.product_created.v1",
        "hansa.catalog.product_updated.v1",
        "hansa.catalog.product_attributes_changed.v1",
    ]
