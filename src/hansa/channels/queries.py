"""Channel read side: heads resolve their channel by its public key."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from hansa.channels import store
from hansa.channels.model import Channel
from hansa.kernel.errors import NotFound


def channel(conn: Connection, channel_id: str) -> Channel:
    found = store.load_channel(conn, channel_id)
    if found is None:
        raise NotFound(f"no channel {channel_id}", code="channel_not_found")
    return found


def channel_by_key(conn: Connection, key: str) -> Channel:
    """The channel behind a public key such as "dtc-us"."""
    found = store.load_channel_by_key(conn, key)
    if found is None:
        raise NotFound(f"no channel with key {key!r}", code="channel_not_found")
    return found


def channels(conn: Connection) -> list[Channel]:
    """Every channel, by key."""
    return store.load_channels(conn)
