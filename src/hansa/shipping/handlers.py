"""Shipping use cases: define carriers and checkout rules."""

from __future__ import annotations

import sqlalchemy as sa

from hansa.bus.unit_of_work import UnitOfWork
from hansa.shipping import messages as m
from hansa.shipping import store
from hansa.shipping.model import carrier_from_doc, carrier_to_doc
from hansa.shipping.rules import compile_rule


def define_carrier(cmd: m.DefineCarrier, uow: UnitOfWork) -> str:
    carrier = carrier_from_doc(cmd.doc)
    store.upsert(uow.conn, store.carriers, "code", {
        "code": carrier.code, "doc": carrier_to_doc(carrier), "updated_at": uow.now()})
    uow.record(m.CarrierDefined(code=carrier.code))
    return carrier.code


def set_checkout_rule(cmd: m.SetCheckoutRule, uow: UnitOfWork) -> int:
    """Store a rule (compiled first, so a bad one is refused); returns its new version."""
    compile_rule(cmd.name, cmd.condition, cmd.option)
    current = uow.conn.execute(sa.select(store.checkout_rules.c.version)
                               .where(store.checkout_rules.c.name == cmd.name)).scalar()
    version = (current or 0) + 1
    store.upsert(uow.conn, store.checkout_rules, "name", {
        "name": cmd.name, "condition": cmd.condition, "option": dict(cmd.option),
        "position": cmd.position, "active": cmd.active, "version": version,
        "updated_at": uow.now()})
    uow.record(m.CheckoutRuleSet(name=cmd.name, rule_version=version, active=cmd.active,
                                 offer=dict(cmd.option)))
    return version
