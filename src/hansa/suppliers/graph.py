"""The supplier graph's use cases: sites, and canonical item records applied through commands.

Item records change the graph's own tables and, for items mapped to our variants, reach the
other contexts through their commands in the same unit of work: stock at a supplier site ->
inventory `AdjustStock` at the site's location; cost -> pricing `SetCost` behind the price
guard; attributes and (MTO) lead time -> catalog `UpdateProduct`. The listing read models of
every channel rebuild from those contexts' events.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from operator import attrgetter
from typing import Any

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.catalog import queries as catalog
from hansa.catalog.messages import UpdateProduct
from hansa.db import bulk
from hansa.guards import detectors, samples
from hansa.guards.price_guard import DEFAULT_THRESHOLDS, PriceThresholds, check_price
from hansa.inventory import queries as inventory
from hansa.inventory.messages import AdjustStock, CreateLocation
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.kernel.ids import new_id
from hansa.kernel.money import is_currency
from hansa.pricing import queries as pricing
from hansa.pricing.messages import SetCost
from hansa.suppliers import store
from hansa.suppliers.messages import (
    ApplyItemRecords,
    RegisterSupplierSite,
    SupplierItemsChanged,
    SupplierSiteRegistered,
)
from hansa.suppliers.model import (
    DocumentError,
    ItemRecord,
    SiteKind,
    Supplier,
    SupplierSite,
    validate_item,
)
from hansa.suppliers.queries import supplier_by_code

CHUNK = 2000
ITEM_FIELDS = ("sku", "description", "cost", "currency", "lead_time_hours", "moq", "case_pack",
               "supply_model")  # `_merged` spells these out in this order
COLUMNS = (*ITEM_FIELDS, "components", "attributes")


def register_site(cmd: RegisterSupplierSite, uow: UnitOfWork) -> str:
    supplier = supplier_by_code(uow.conn, cmd.supplier_code)
    try:
        kind = SiteKind(cmd.kind)
    except ValueError:
        raise InvalidData(f"site kind must be factory, warehouse or dropship; got {cmd.kind!r}",
                          code="invalid_site_kind") from None
    code = cmd.code.strip().upper()
    if uow.conn.execute(sa.select(store.sites.c.id).where(store.sites.c.code == code)).first():
        raise Conflict(f"site code {code} is taken", code="site_code_taken")
    try:
        location_id = inventory.location_by_code(uow.conn, cmd.location_code or code).id
    except NotFound:
        location_id = uow.execute(CreateLocation(
            code=code, name=cmd.name, kind=kind.location_kind(), lat=cmd.lat, lon=cmd.lon,
            country=cmd.country, postal_code=cmd.postal_code,
            service_radius_km=cmd.service_radius_km))
    site_id = new_id()
    uow.conn.execute(store.sites.insert().values(
        id=site_id, supplier_id=supplier.id, code=code, name=cmd.name, kind=kind.value,
        location_id=location_id, lat=cmd.lat, lon=cmd.lon,
        service_radius_km=cmd.service_radius_km))
    uow.record(SupplierSiteRegistered(site_id=site_id, supplier_id=supplier.id, code=code,
                                      location_id=location_id))
    return site_id


def sites_of(conn: Any, supplier_id: str) -> dict[str, SupplierSite]:
    rows = conn.execute(sa.select(store.sites).where(store.sites.c.supplier_id == supplier_id))
    return {r.code: SupplierSite(r.id, r.supplier_id, r.code, r.name, SiteKind(r.kind),
                                 r.location_id, r.lat, r.lon, r.service_radius_km) for r in rows}


@dataclass
class ApplyResult:
    """How many records a document carried and how many items actually changed."""

    records: int = 0
    changes: int = 0


def _chunks(records: Iterable[ItemRecord]) -> Iterator[list[ItemRecord]]:
    it = iter(records)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


@dataclass(frozen=True, slots=True)
class FeedGuards:
    """What every supplier document and item record must pass unless an operator forces it."""

    prices: PriceThresholds = DEFAULT_THRESHOLDS  # the price guard on costs
    max_stock: int = 1_000_000  # units a supplier may report at one site (a hard bound)


DEFAULT_GUARDS = FeedGuards()


@dataclass
class _Context:
    uow: UnitOfWork
    supplier: Supplier
    sites: dict[str, SupplierSite]
    observed_at: datetime
    force: bool
    guards: FeedGuards
    result: ApplyResult
    json: bulk.JsonCodec


def apply_records(uow: UnitOfWork, supplier: Supplier, records: Iterable[ItemRecord], *,
                  observed_at: datetime | None = None, force: bool = False,
                  guards: FeedGuards = DEFAULT_GUARDS) -> ApplyResult:
    """Apply item records in chunks on the caller's transaction; DocumentError on any refusal."""
    ctx = _Context(uow, supplier, sites_of(uow.conn, supplier.id), observed_at or uow.now(),
                   force, guards, ApplyResult(), bulk.JsonCodec())
    for chunk in _chunks(records):
        _apply_chunk(ctx, chunk)
        uow.flush()  # the chunk's events go to the outbox now: memory stays flat in file size
    return ctx.result


def apply_item_records(cmd: ApplyItemRecords, uow: UnitOfWork, *,
                       guards: FeedGuards = DEFAULT_GUARDS) -> ApplyResult:
    supplier = supplier_by_code(uow.conn, cmd.supplier_code)
    return apply_records(uow, supplier, cmd.records, observed_at=cmd.observed_at,
                         force=cmd.force, guards=guards)


_ITEM_VALUES = attrgetter(*ITEM_FIELDS)
_N_ITEM = len(ITEM_FIELDS)
_KEY = ("supplier_id", "supplier_sku")
_STAMPS = ("observed_at", "updated_at")


def _merged(existing: tuple[Any, ...] | None, rec: ItemRecord) -> tuple[Any, ...]:
    """The item row (values in `COLUMNS` order) after the record: fields the record leaves
    None keep their value."""
    if existing is None:
        return (*_ITEM_VALUES(rec), [[s, q] for s, q in rec.components], dict(rec.attributes))
    sku, description, cost, currency, lead, moq, pack, model, components, attributes = existing
    return (sku if rec.sku is None else rec.sku,  # spelled out: the same as a loop, faster
            description if rec.description is None else rec.description,
            cost if rec.cost is None else rec.cost,
            currency if rec.currency is None else rec.currency,
            lead if rec.lead_time_hours is None else rec.lead_time_hours,
            moq if rec.moq is None else rec.moq,
            pack if rec.case_pack is None else rec.case_pack,
            model if rec.supply_model is None else rec.supply_model,
            [[s, q] for s, q in rec.components] if rec.components else components,
            attributes | dict(rec.attributes) if rec.attributes else attributes)


def _validated(chunk: list[ItemRecord]) -> None:
    currencies: set[str] = set()
    for rec in chunk:
        validate_item(rec)
        if rec.currency is not None and rec.currency not in currencies:
            if not is_currency(rec.currency):
                raise DocumentError(f"unknown currency {rec.currency!r}", line=rec.line or None,
                                    code="invalid_currency")
            currencies.add(rec.currency)


def _existing(ctx: _Context, keys: list[str]) -> dict[str, tuple[Any, ...]]:
    """The stored items of the chunk, values in `COLUMNS` order (JSON decoded)."""
    decode = ctx.json.decode
    return {r[0]: (*r[1:-2], decode(r[-2]), decode(r[-1])) for r in bulk.select_in(
        ctx.uow.conn, store.items, ("supplier_sku", *COLUMNS), [("supplier_id", ctx.supplier.id)],
        "supplier_sku", keys)}


def _apply_chunk(ctx: _Context, chunk: list[ItemRecord]) -> None:
    conn, supplier, encode = ctx.uow.conn, ctx.supplier, ctx.json.encode
    _validated(chunk)
    existing = _existing(ctx, list(dict.fromkeys(r.supplier_sku for r in chunk)))
    wanted = {r.sku for r in chunk if r.sku}
    known = catalog.product_of_skus(conn, wanted) if wanted else {}
    for rec in chunk:
        if rec.sku and rec.sku not in known:
            raise DocumentError(f"SKU {rec.sku} is not in the catalog", line=rec.line or None,
                                code="unknown_sku")
    it = store.items
    stamps = (bulk.db_value(conn, it.c.observed_at, ctx.observed_at),
              bulk.db_value(conn, it.c.updated_at, ctx.uow.now()))
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    changes: list[tuple[ItemRecord, tuple[Any, ...], list[str]]] = []
    for rec in chunk:
        before = existing.get(rec.supplier_sku)
        row = _merged(before, rec)
        values = (*row[:_N_ITEM], encode(row[_N_ITEM]), encode(row[_N_ITEM + 1]), *stamps)
        if before is None:
            changed = list(COLUMNS)
            inserts.append((supplier.id, rec.supplier_sku, *values))
        else:
            changed = [f for f, old, new in zip(COLUMNS, before, row, strict=True) if old != new]
            if changed:
                updates.append((*values, supplier.id, rec.supplier_sku))
        existing[rec.supplier_sku] = row  # repeated in the chunk
        changes.append((rec, row, changed))
    bulk.insert_many(conn, it, (*_KEY, *COLUMNS, *_STAMPS), inserts)
    bulk.update_many(conn, it, (*COLUMNS, *_STAMPS), _KEY, updates)
    stock_changed = _apply_stock(ctx, chunk, {r.supplier_sku: row[0] for r, row, _c in changes})
    _apply_schedule(ctx, chunk)
    _propagate(ctx, changes, known)
    changed_items = []
    for rec, row, changed in changes:
        fields = changed + (["stock"] if rec.supplier_sku in stock_changed else []) + (
            ["schedule"] if rec.schedule else [])
        if fields:
            changed_items.append([rec.supplier_sku, row[0], fields])
    ctx.result.records += len(changes)
    ctx.result.changes += len(changed_items)
    if changed_items:
        ctx.uow.record(SupplierItemsChanged(supplier_code=supplier.code, items=changed_items))


def _apply_stock(ctx: _Context, chunk: list[ItemRecord], sku_of: dict[str, str | None]) -> set[str]:
    """Absolute quantities per site; mapped items move inventory at the site's location."""
    with_stock = [r for r in chunk if r.stock]
    if not with_stock:
        return set()
    conn, supplier = ctx.uow.conn, ctx.supplier
    st = store.item_stock
    current = {(r[0], r[1]): r[2] for r in bulk.select_in(
        conn, st, ("supplier_sku", "site_id", "quantity"), [("supplier_id", supplier.id)],
        "supplier_sku", list(dict.fromkeys(r.supplier_sku for r in with_stock)))}
    skus = {s for s in (sku_of.get(r.supplier_sku) for r in with_stock) if s}
    on_hand = {(lv.sku, lv.location_id): lv.on_hand for lv in inventory.levels(conn, skus)}
    changed: set[str] = set()
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    now = bulk.db_value(conn, st.c.updated_at, ctx.uow.now())
    high = ctx.guards.max_stock
    for rec in with_stock:
        sku = sku_of.get(rec.supplier_sku)
        for site_code, quantity in rec.stock:
            site = ctx.sites.get(site_code.upper())
            if site is None:
                raise DocumentError(f"site {site_code!r} is not a site of {supplier.code}",
                                    line=rec.line or None, code="unknown_site")
            if not ctx.force and not 0 <= quantity <= high:  # the guard's bounds, inline
                _stock_bound(ctx, rec, site_code, quantity)
            key = (rec.supplier_sku, site.id)
            before = current.get(key)
            if before == quantity:
                continue
            if before is None:
                inserts.append((supplier.id, rec.supplier_sku, site.id, quantity, now))
            else:
                updates.append((quantity, now, supplier.id, rec.supplier_sku, site.id))
            current[key] = quantity
            changed.add(rec.supplier_sku)
            if sku is not None:
                delta = quantity - on_hand.get((sku, site.location_id), 0)
                if delta:
                    _adjust(ctx, rec, sku, site, delta)
                    on_hand[(sku, site.location_id)] = quantity
    bulk.insert_many(conn, st, ("supplier_id", "supplier_sku", "site_id", "quantity",
                                "updated_at"), inserts)
    bulk.update_many(conn, st, ("quantity", "updated_at"),
                     ("supplier_id", "supplier_sku", "site_id"), updates)
    return changed


def _stock_bound(ctx: _Context, rec: ItemRecord, site_code: str, quantity: int) -> None:
    """The quantity guard on one reported stock figure (refuses outside 0 .. max_stock)."""
    verdict = detectors.quantity_range(quantity, low=0, high=ctx.guards.max_stock,
                                       guard=f"feed:{ctx.supplier.code}:stock")
    if not verdict.allowed:
        raise DocumentError(f"stock of {rec.supplier_sku} at {site_code} refused by the "
                            f"quantity guard: {verdict.reason}", line=rec.line or None,
                            code="guard_refused")


def _adjust(ctx: _Context, rec: ItemRecord, sku: str, site: SupplierSite, delta: int) -> None:
    try:
        ctx.uow.execute(AdjustStock(sku=sku, location_id=site.location_id, delta=delta,
                                    reason=f"supplier feed {ctx.supplier.code}"))
    except (Conflict, InvalidData) as exc:
        raise DocumentError(f"stock of {sku} at {site.code}: {exc.message}",
                            line=rec.line or None, code="stock_refused") from None


def _apply_schedule(ctx: _Context, chunk: list[ItemRecord]) -> None:
    planned = [r for r in chunk if r.schedule]
    if not planned:
        return
    sc, conn = store.schedule, ctx.uow.conn
    keys = [r.supplier_sku for r in planned]
    conn.execute(sc.delete().where(sc.c.supplier_id == ctx.supplier.id,
                                   sc.c.supplier_sku.in_(keys)))
    rows = {(r.supplier_sku, day): qty for r in planned for day, qty in r.schedule}
    conn.execute(sc.insert(), [{"supplier_id": ctx.supplier.id, "supplier_sku": s, "day": d,
                                "quantity": q} for (s, d), q in rows.items()])


def _propagate(ctx: _Context, changes: list[tuple[ItemRecord, tuple[Any, ...], list[str]]],
               product_of: dict[str, str]) -> None:
    """Cost, attribute and lead-time changes of mapped items, through the owners' commands:
    a cost per SKU, and the attributes and lead time of a product once per chunk, after all of
    its variants' records (the state a command per record would have reached last)."""
    mapped = [(rec, dict(zip(COLUMNS, row, strict=True)), changed) for rec, row, changed
              in changes if row[0] and set(changed) & {"cost", "attributes", "lead_time_hours",
                                                       "sku"}]
    if not mapped:
        return
    conn = ctx.uow.conn
    skus = [row["sku"] for _r, row, _c in mapped]
    missing = [s for s in skus if s not in product_of]
    if missing:
        product_of = product_of | catalog.product_of_skus(conn, missing)
    products = {p.id: p for p in catalog.products(conn, {product_of[s] for s in skus})}
    costs = pricing.costs(conn, skus)
    touched: dict[str, None] = {}  # products to update, in the order they were first changed
    for rec, row, changed in mapped:
        if row["cost"] is not None and ({"cost", "sku"} & set(changed)):
            _set_cost(ctx, rec, row["sku"], row["cost"], row["currency"], costs.get(row["sku"]))
        product = products[product_of[row["sku"]]]
        attributes = product.attributes | {k: str(v) for k, v in row["attributes"].items()}
        lead = row["lead_time_hours"] if product.inventory_model.value == "mto" else None
        if attributes != product.attributes or (lead and lead != product.lead_time_hours):
            products[product.id] = replace(product, attributes=attributes,
                                           lead_time_hours=lead or product.lead_time_hours)
            touched[product.id] = None
    for product_id in touched:  # one update per product with all of its variants' changes
        product = products[product_id]
        ctx.uow.execute(UpdateProduct(product_id=product_id, attributes=product.attributes,
                                      lead_time_hours=product.lead_time_hours))


def _set_cost(ctx: _Context, rec: ItemRecord, sku: str, amount: int, currency: str,
              in_force: Any) -> None:
    """COGS in the supplier's currency when it is the currency in force (no FX in Hansa)."""
    if in_force is not None and in_force.currency != currency:
        return
    series = samples.cost_series(sku)
    if not ctx.force:
        verdict = check_price(amount, last_good=None if in_force is None else in_force.amount,
                              history=samples.recent(ctx.uow.conn, series,
                                                     ctx.guards.prices.history),
                              guard=f"feed:{ctx.supplier.code}:price", field="cost",
                              thresholds=ctx.guards.prices)
        if not verdict.allowed:
            raise DocumentError(f"cost of {sku} refused by the price guard: {verdict.reason}",
                                line=rec.line or None, code="guard_refused")
    ctx.uow.execute(SetCost(sku=sku, amount=amount, currency=currency))
    keep = samples.rebase if ctx.force else samples.record
    keep(ctx.uow.conn, series, amount, ctx.uow.now())
