"""The supplier price/cost feed, guarded: a bad row is quarantined in place of being applied.

Order of checks, all inside the caller's unit of work: kill switches (global, feed:<code>),
the feed's breaker (feed:<code>:price), the price guard on every carried field, then the
feed's change rate (the share of the price list's SKUs it changed within the window). A
refusal never raises (that would roll the quarantine back): the same transaction logs the
verdict, opens the breaker, quarantines the row with the last good value and records the
alerts, and pricing is not touched. Nothing of a refused row is applied.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.guards import breakers, changes, detectors, killswitch, quarantine, samples
from hansa.guards import messages as alerts
from hansa.guards.model import BreakerState, Verdict, feed_scope
from hansa.guards.price_guard import DEFAULT_THRESHOLDS, PriceThresholds, check_price
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.pricing import queries as pricing
from hansa.pricing.messages import NewTier, SetCost, SetPrices
from hansa.pricing.model import PriceTier
from hansa.suppliers import store
from hansa.suppliers.messages import ApplySupplierPrice

FEED_KIND = "supplier_price"  # the quarantine payload kind that `apply_approved` applies
FIELDS = ("price", "cost")
REBASING_DETECTORS = ("max_change", "robust_z")  # approving their refusal sets a new normal


@dataclass(frozen=True, slots=True)
class ChangeRate:
    """A feed that changes more than `max_share` of a price list's SKUs within `window` is
    more likely broken than busy; lists with fewer than `min_skus` SKUs are not judged."""

    max_share: float = 0.3
    window: timedelta = timedelta(minutes=1)
    min_skus: int = 20

    def __post_init__(self) -> None:
        if not 0 < self.max_share <= 1 or self.min_skus < 1:
            raise ValueError("max_share is a fraction in (0, 1] and min_skus is >= 1")


@dataclass(frozen=True, slots=True)
class FeedResult:
    """What became of one feed row: applied, or quarantined with the verdict that stopped it."""

    applied: bool
    quarantine_id: str | None = None
    verdict: Verdict | None = None  # the refusal (recorded but not blocking when dry-run)


@dataclass(frozen=True, slots=True)
class _Row:
    code: str
    price_list_id: str
    sku: str
    currency: str
    values: dict[str, int | None]  # carried field -> the new value (None: blank)
    list_currency: str
    tiers: tuple[PriceTier, ...]  # the SKU's tiers in force on the price list
    cost_currency: str | None
    last_good: dict[str, int | None]

    def series(self, field: str) -> str:
        if field == "price":
            return samples.price_series(self.price_list_id, self.sku)
        return samples.cost_series(self.sku)


def breaker_name(supplier_code: str) -> str:
    return f"feed:{supplier_code.strip().upper()}:price"


def _load_row(uow: UnitOfWork, code: str, price_list_id: str, sku: str, currency: str,
              values: dict[str, int | None]) -> _Row:
    if not values or any(f not in FIELDS for f in values):
        raise InvalidData(f"a price feed carries {' and/or '.join(FIELDS)}", code="invalid_fields")
    price_list = pricing.price_list(uow.conn, price_list_id)
    try:
        tiers = pricing.tiers_on(uow.conn, price_list, sku)
    except NotFound:
        tiers = ()
    cost = pricing.costs(uow.conn, [sku]).get(sku) if "cost" in values else None
    base = next((t.amount for t in tiers if t.min_quantity == 1), None)
    return _Row(code=code, price_list_id=price_list.id, sku=sku, currency=currency,
                values=values, list_currency=price_list.currency, tiers=tiers,
                cost_currency=None if cost is None else cost.currency,
                last_good={"price": base, "cost": None if cost is None else cost.amount})


def _known_supplier(uow: UnitOfWork, code: str) -> None:
    if uow.conn.execute(sa.select(store.suppliers.c.id)
                        .where(store.suppliers.c.code == code)).first() is None:
        raise NotFound(f"no supplier {code}", code="supplier_not_found")


def _currency_refusal(row: _Row, field: str, guard: str) -> Verdict | None:
    expected = row.list_currency if field == "price" else row.cost_currency
    if expected is None or expected == row.currency:
        return None
    whose = "price list" if field == "price" else "cost in force"
    return Verdict(guard=guard, allowed=False, detector="currency",
                   reason=f"{field} {row.values[field]}: currency {row.currency} is not the "
                          f"{whose}'s {expected}",
                   details={"field": field, "currency": row.currency, "expected": expected,
                            "last_good": row.last_good[field]})


def _refusals(uow: UnitOfWork, row: _Row, guard: str,
              thresholds: PriceThresholds) -> list[Verdict]:
    found = []
    for field, value in row.values.items():
        verdict = _currency_refusal(row, field, guard) or check_price(
            value, last_good=row.last_good[field], field=field, guard=guard,
            history=samples.recent(uow.conn, row.series(field), thresholds.history),
            thresholds=thresholds)
        if not verdict.allowed:
            found.append(verdict)
    return found


def _apply(uow: UnitOfWork, row: _Row, values: dict[str, int], *,
           rebase: str | None = None) -> None:
    """Through pricing's own commands, in this unit of work; each value becomes a sample."""
    if "price" in values:
        kept = [NewTier(t.min_quantity, t.amount) for t in row.tiers if t.min_quantity > 1]
        uow.execute(SetPrices(price_list_id=row.price_list_id,
                              prices={row.sku: [NewTier(1, values["price"]), *kept]}))
    if "cost" in values:
        uow.execute(SetCost(sku=row.sku, amount=values["cost"], currency=row.currency))
    for field, value in values.items():
        keep = samples.rebase if field == rebase else samples.record
        keep(uow.conn, row.series(field), value, uow.now())


def _quarantine(uow: UnitOfWork, row: _Row, cmd: ApplySupplierPrice, verdict: Verdict) -> str:
    field = str(verdict.details.get("field") or next(iter(row.values)))
    payload: dict[str, Any] = {
        "kind": FEED_KIND, "supplier_code": row.code, "price_list_id": row.price_list_id,
        "sku": row.sku, "currency": row.currency, "values": row.values,
        "observed_at": None if cmd.observed_at is None else cmd.observed_at.isoformat(),
        "detector": verdict.detector, "field": field,
        "after_sample": {f: samples.newest_id(uow.conn, row.series(f)) for f in row.values},
    }
    quarantine_id = quarantine.put(
        uow.conn, source=feed_scope(row.code), subject_key=row.sku, field=field,
        value=row.values.get(field), last_good=row.last_good.get(field), payload=payload,
        reason=verdict.reason, breaker=breaker_name(row.code), at=uow.now())
    uow.record(alerts.InputQuarantined(quarantine_id=quarantine_id, source=feed_scope(row.code),
                                       subject_key=row.sku, field=field, reason=verdict.reason))
    return quarantine_id


def apply_supplier_price(cmd: ApplySupplierPrice, uow: UnitOfWork, *,
                         thresholds: PriceThresholds = DEFAULT_THRESHOLDS,
                         cooldown: timedelta = breakers.DEFAULT_COOLDOWN,
                         rate: ChangeRate = ChangeRate()) -> FeedResult:
    """Apply one feed row if every guard allows it; else quarantine it (never raises for that)."""
    fields = dict.fromkeys(cmd.fields)
    row = _load_row(uow, cmd.supplier_code.strip().upper(), cmd.price_list_id,
                    cmd.sku.strip().upper(), cmd.currency.strip().upper(),
                    {f: cmd.amount if f == "price" else cmd.cost for f in fields})
    conn, now, name = uow.conn, uow.now(), breaker_name(row.code)
    # Locked: one feed's rows apply one at a time (the insert of a new breaker locks it too).
    breaker = breakers.load(conn, name, lock=True)
    if breaker is None:  # the feed's first row: a breaker only for a supplier that exists
        _known_supplier(uow, row.code)
        breaker = breakers.ensure(conn, name, now, cooldown=cooldown)
    for gate in (killswitch.check(conn, [feed_scope(row.code)]), breakers.gate_of(breaker, now)):
        if not gate.allowed:
            breakers.log_verdict(conn, gate, row.sku, now)
        if gate.blocks:
            return FeedResult(False, _quarantine(uow, row, cmd, gate), gate)
    refusals = _refusals(uow, row, name, thresholds)
    if not refusals:  # a good value, but is the feed changing too much of the list at once?
        burst = _change_rate(uow, row, name, rate)
        refusals = [] if burst.allowed else [burst]
    verdict = None
    if refusals:
        verdict = dataclasses.replace(refusals[0], dry_run=breaker.dry_run, details=refusals[0]
                                      .details | {"also_refused": [v.details.get("field")
                                                                   for v in refusals[1:]]})
        breakers.log_verdict(conn, verdict, row.sku, now)
        breakers.trip(conn, name, verdict, now)
        uow.record(alerts.BreakerTripped(breaker=name, reason=verdict.reason,
                                         detector=verdict.detector, dry_run=verdict.dry_run,
                                         details=verdict.details))
        if verdict.blocks:
            return FeedResult(False, _quarantine(uow, row, cmd, verdict), verdict)
    _apply(uow, row, {f: v for f, v in row.values.items() if v is not None})
    changes.record(conn, feed_scope(row.code), row.sku, now, keep=rate.window)
    half_open = breaker.current_state(now) is BreakerState.HALF_OPEN
    if half_open and breakers.record_success(conn, name, now):
        uow.record(alerts.BreakerClosed(breaker=name, how="recovered"))
    return FeedResult(True, None, verdict)


def _change_rate(uow: UnitOfWork, row: _Row, guard: str, rate: ChangeRate) -> Verdict:
    """The share of the price list's SKUs this feed changed within the window, this row in."""
    now = uow.now()
    recent = [*changes.since(uow.conn, feed_scope(row.code), now - rate.window), (now, row.sku)]
    if len({key for _, key in recent}) <= rate.max_share * rate.min_skus:
        # too few changes to pass the share of even the smallest judged list: no need to count
        return Verdict(guard=guard, allowed=True, detector="change_rate",
                       details={"changed": len(recent)})
    population = pricing.sku_count(uow.conn, row.price_list_id)
    if population < rate.min_skus:
        return Verdict(guard=guard, allowed=True, detector="change_rate",
                       details={"warming_up": True, "population": population})
    verdict = detectors.change_rate(recent, population=population, now=now,
                                    window=rate.window, max_share=rate.max_share, guard=guard)
    if verdict.allowed:
        return verdict
    field = next(iter(row.values))
    return dataclasses.replace(verdict, reason=f"{row.sku}: {verdict.reason}", details=verdict
                               .details | {"field": field, "last_good": row.last_good[field]})


def apply_approved(entry: quarantine.Quarantined, uow: UnitOfWork) -> None:
    """An operator approved a quarantined row: apply its non-blank fields past the detectors."""
    p = entry.payload
    row = _load_row(uow, p["supplier_code"], p["price_list_id"], p["sku"], p["currency"],
                    dict(p["values"]))
    values = {f: int(v) for f, v in row.values.items() if v is not None}
    if not values:
        raise Conflict("every field of this row is blank: nothing to apply, reject it",
                       code="nothing_to_apply")
    if "price" in values and row.currency != row.list_currency:
        raise Conflict(f"the row is in {row.currency}, the price list in {row.list_currency}: "
                       "it cannot be applied as it is", code="currency_mismatch")
    for field in values:
        if samples.newest_id(uow.conn, row.series(field)) > int(p["after_sample"][field]):
            raise Conflict(f"a newer {field} for {row.sku} was applied since; approving this "
                           "one would roll it back", code="quarantine_superseded")
    rebase = p["field"] if p["detector"] in REBASING_DETECTORS else None
    _apply(uow, row, values, rebase=rebase)
