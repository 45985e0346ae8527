"""The storefront listing re-reads only the SKUs whose stock moved, and stays right."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from tests.e2e.merchant import make_merchant

from hansa.bootstrap import Hansa
from hansa.channels import queries as channels
from hansa.heads.api.deps import ReadModels
from hansa.inventory.messages import AdjustStock, CreateLocation

SKUS = ["TEE-S", "TEE-M", "TEE-L", "MUG"]


def _available(models: ReadModels, channel: Any) -> dict[str, int]:
    return {v["sku"]: v["available"] for p in models.listing.products(channel)
            for v in p["variants"]}


def _atp_queries(hansa: Hansa, models: ReadModels, channel: Any) -> tuple[dict[str, int], list]:
    """The listing's availability, and the SKU lists of the ATP queries it ran for it."""
    asked: list[list[str]] = []

    def spy(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "inventory_levels" in statement and "sum(" in statement.lower():
            values = params.values() if isinstance(params, dict) else params
            asked.append(sorted(v for v in values if isinstance(v, str) and v in SKUS))

    sa.event.listen(hansa.db.engine, "before_cursor_execute", spy)
    try:
        return _available(models, channel), asked
    finally:
        sa.event.remove(hansa.db.engine, "before_cursor_execute", spy)


def _hooked(hansa: Hansa) -> tuple[Any, ReadModels, Any]:
    """A merchant with 10 of each SKU, and read models told of this process's commits."""
    merchant = make_merchant(hansa, {sku: {"NJ-WH": 10} for sku in SKUS})
    models = ReadModels(hansa)
    hansa.bus.on_commit(models.feed.on_commit)
    with hansa.db.read() as conn:
        channel = channels.channel(conn, merchant.channel_id)
    return merchant, models, channel


def test_only_the_moved_sku_is_read_again_and_every_channel_read_is_right(
        hansa: Hansa) -> None:
    merchant, models, channel = _hooked(hansa)
    assert _available(models, channel) == dict.fromkeys(SKUS, 10)

    hansa.bus.execute(AdjustStock(sku="TEE-M", location_id=merchant.locations["NJ-WH"],
                                  delta=-3, reason="damaged"))
    after, asked = _atp_queries(hansa, models, channel)

    assert after == {"TEE-S": 10, "TEE-M": 7, "TEE-L": 10, "MUG": 10}
    assert asked == [["TEE-M"]]
    assert models.feed.moved_since(models.feed.stock_version) == set()


def test_an_event_that_does_not_name_its_skus_reads_everything_again(hansa: Hansa) -> None:
    _, models, channel = _hooked(hansa)
    _available(models, channel)
    before = models.feed.stock_version

    hansa.bus.execute(CreateLocation(code="NY-MFC", name="NY", kind="micro_fulfillment",
                                     lat=40.69, lon=-73.99, country="US", postal_code="11201"))
    after, asked = _atp_queries(hansa, models, channel)

    assert models.feed.moved_since(before) is None
    assert after == dict.fromkeys(SKUS, 10) and asked == [sorted(SKUS)]


def test_changes_seen_by_polling_the_outbox_name_their_skus_too(hansa: Hansa) -> None:
    merchant = make_merchant(hansa, {sku: {"NJ-WH": 10} for sku in SKUS})
    models = ReadModels(hansa)  # not hooked to this process's commits: another process
    models.feed.start()
    models.feed.stop()
    with hansa.db.read() as conn:
        channel = channels.channel(conn, merchant.channel_id)
    _available(models, channel)
    version = models.feed.stock_version

    hansa.bus.execute(AdjustStock(sku="MUG", location_id=merchant.locations["NJ-WH"],
                                  delta=5, reason="found"))
    assert models.feed.poll_once() > 0

    assert models.feed.moved_since(version) == {"MUG"}
    after, asked = _atp_queries(hansa, models, channel)
    assert after["MUG"] == 15 and asked == [["MUG"]]


def test_a_unit_of_work_that_flushed_early_still_names_the_moved_sku(hansa: Hansa) -> None:
    """Supplier documents flush their events per chunk; a small one must still tell the
    listing which SKU moved rather than make it read every SKU again."""
    merchant, models, channel = _hooked(hansa)
    _available(models, channel)
    before = models.feed.stock_version

    with hansa.bus.uow() as uow:
        uow.execute(AdjustStock(sku="TEE-S", location_id=merchant.locations["NJ-WH"],
                                delta=4, reason="supplier stock file"))
        uow.flush()
        uow.commit()
    after, asked = _atp_queries(hansa, models, channel)

    assert models.feed.moved_since(before) == {"TEE-S"}
    assert after["TEE-S"] == 14 and asked == [["TEE-S"]]
