"""Tables of merchant flows and of the action catalog's effects (notes, tags, pauses, tickets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.db.metadata import Json, UtcDateTime, metadata

flows = sa.Table(
    "automation_flows",
    metadata,
    sa.Column("name", sa.String(80), primary_key=True),
    sa.Column("definition", sa.Text(), nullable=False),
    sa.Column("format", sa.String(8), nullable=False),  # yaml | json
    sa.Column("trigger", sa.String(200), nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("webhook_secret", sa.String(128), nullable=False),  # signs webhook bodies
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

action_log = sa.Table(
    "automation_action_log",
    metadata,
    sa.Column("key", sa.String(120), primary_key=True),  # the step's idempotency key
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("undo", Json, nullable=False),  # what the compensation needs to restore
    sa.Column("result", Json),
    sa.Column("reverted_at", UtcDateTime()),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

notifications = sa.Table(
    "automation_notifications",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("key", sa.String(120), nullable=False, unique=True),
    sa.Column("flow", sa.String(80), nullable=False),
    sa.Column("severity", sa.String(12), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("message", sa.Text(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

tags = sa.Table(
    "automation_tags",
    metadata,
    sa.Column("subject_type", sa.String(16), primary_key=True),  # order | product | customer
    sa.Column("subject_id", sa.String(200), primary_key=True),
    sa.Column("tag", sa.String(80), primary_key=True),
    sa.Column("added_by", sa.String(120), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

ad_pauses = sa.Table(
    "automation_ad_pauses",
    metadata,
    sa.Column("scope", sa.String(12), primary_key=True),  # sku | category
    sa.Column("value", sa.String(200), primary_key=True),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("paused_by", sa.String(120), nullable=False),
    sa.Column("paused_at", UtcDateTime(), nullable=False),
)

tickets = sa.Table(
    "automation_tickets",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("key", sa.String(120), nullable=False, unique=True),
    sa.Column("flow", sa.String(80), nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("priority", sa.String(12), nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # open | withdrawn
    sa.Column("created_at", UtcDateTime(), nullable=False),
)


# flows ------------------------------------------------------------------------------------
def load_flow(conn: Connection, name: str) -> Any:
    return conn.execute(sa.select(flows).where(flows.c.name == name)).first()


def load_flows(conn: Connection) -> list[sa.Row[Any]]:
    return list(conn.execute(sa.select(flows).order_by(flows.c.name)))


_FLOW_STATE = sa.select(flows.c.version, flows.c.enabled, flows.c.trigger).where(
    flows.c.name == sa.bindparam("name"))


def flow_state(conn: Connection, name: str) -> Any:
    """The little a condition needs on each event: version, enabled, trigger."""
    return conn.execute(_FLOW_STATE, {"name": name}).first()


def insert_flow(conn: Connection, **values: Any) -> None:
    conn.execute(flows.insert().values(**values))


def update_flow(conn: Connection, name: str, **values: Any) -> None:
    conn.execute(flows.update().where(flows.c.name == name).values(**values))


def delete_flow(conn: Connection, name: str) -> None:
    conn.execute(flows.delete().where(flows.c.name == name))


# the action log ---------------------------------------------------------------------------
def logged(conn: Connection, key: str) -> sa.Row[Any] | None:
    return conn.execute(sa.select(action_log).where(action_log.c.key == key)).first()


_LOG_ACTION = action_log.insert()


def log_action(conn: Connection, key: str, action: str, undo: dict[str, Any], result: Any,
               at: datetime) -> None:
    conn.execute(_LOG_ACTION, {"key": key, "action": action, "undo": undo, "result": result,
                               "created_at": at})


def mark_reverted(conn: Connection, key: str, at: datetime) -> None:
    conn.execute(action_log.update().where(action_log.c.key == key).values(reverted_at=at))
