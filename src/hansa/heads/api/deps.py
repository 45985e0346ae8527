"""Request-scoped dependencies: the running Hansa, the caller's channel, admin auth."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.engine import Connection

from hansa.bootstrap import Hansa
from hansa.channels.model import Channel
from hansa.heads.api.listing import ChannelCache, ListingCache, change_stamp
from hansa.kernel.errors import NotAllowed


class ReadModels:
    """Per-process caches of the storefront read side."""

    def __init__(self) -> None:
        self.channels = ChannelCache()
        self.listing = ListingCache()


def hansa_of(request: Request) -> Hansa:
    return request.app.state.hansa


def read_models_of(request: Request) -> ReadModels:
    return request.app.state.read_models


HansaDep = Annotated[Hansa, Depends(hansa_of)]
ReadModelsDep = Annotated[ReadModels, Depends(read_models_of)]


def read_conn(hansa: HansaDep) -> Iterator[Connection]:
    with hansa.db.read() as conn:
        yield conn


ReadConn = Annotated[Connection, Depends(read_conn)]


def storefront_channel(
    hansa: HansaDep,
    models: ReadModelsDep,
    x_channel_key: Annotated[str | None, Header(description="the storefront's channel key")] = None,
) -> tuple[Channel, int]:
    """The channel named by `X-Channel-Key`, and the change stamp read with it.

    Uses a connection of its own for just this read: write endpoints must not sit on a pooled
    connection while they queue for the writer.
    """
    if not x_channel_key:
        raise NotAllowed("send the channel key in the X-Channel-Key header",
                         code="channel_key_required")
    with hansa.db.read() as conn:
        stamp = change_stamp(conn)
        return models.channels.get(conn, x_channel_key, stamp), stamp


ChannelDep = Annotated[tuple[Channel, int], Depends(storefront_channel)]


def require_admin(
    hansa: HansaDep,
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    expected = f"Bearer {hansa.settings.admin_token}"
    if authorization is None or not hmac.compare_digest(authorization.encode(),
                                                         expected.encode()):
        raise NotAllowed("the admin API needs 'Authorization: Bearer <admin token>'",
                         code="admin_token_required")
