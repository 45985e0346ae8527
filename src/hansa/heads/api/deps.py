"""Request-scoped dependencies: the running Hansa, the caller's channel, admin auth.

Dependencies that do no I/O are `async def`: FastAPI runs sync dependencies in its thread
pool, and each hop costs more than the work they do.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from hansa.bootstrap import Hansa
from hansa.channels.model import Channel
from hansa.heads.api.freshness import ChangeFeed
from hansa.heads.api.listing import ChannelCache, Listing
from hansa.kernel.errors import NotAllowed


class ReadModels:
    """Per-process read side of the storefront: the change feed and the caches it keeps fresh."""

    def __init__(self, hansa: Hansa) -> None:
        settings = hansa.settings
        self.feed = ChangeFeed(hansa.db)
        self.channels = ChannelCache(hansa.db, self.feed, settings.listing_max_age_seconds)
        self.listing = Listing(hansa.db, hansa.clock, self.feed,
                               max_age=settings.listing_max_age_seconds,
                               stock_lag=settings.listing_stock_lag_ms / 1000)


async def hansa_of(request: Request) -> Hansa:
    return request.app.state.hansa


async def read_models_of(request: Request) -> ReadModels:
    return request.app.state.read_models


HansaDep = Annotated[Hansa, Depends(hansa_of)]
ReadModelsDep = Annotated[ReadModels, Depends(read_models_of)]


def read_conn(hansa: HansaDep) -> Iterator[Connection]:
    with hansa.db.read() as conn:
        yield conn


ReadConn = Annotated[Connection, Depends(read_conn)]


async def storefront_channel(
    models: ReadModelsDep,
    x_channel_key: Annotated[str | None, Header(description="the storefront's channel key")] = None,
) -> Channel:
    """The channel named by `X-Channel-Key`: from memory, or read once when it changed."""
    if not x_channel_key:
        raise NotAllowed("send the channel key in the X-Channel-Key header",
                         code="channel_key_required")
    channel = models.channels.cached(x_channel_key)
    if channel is None:
        channel = await run_in_threadpool(models.channels.get, x_channel_key)
    return channel


ChannelDep = Annotated[Channel, Depends(storefront_channel)]


async def require_admin(
    hansa: HansaDep,
    authorization: Annotated[str | None, Header()] = None,
) -> None:
    expected = f"Bearer {hansa.settings.admin_token}"
    if authorization is None or not hmac.compare_digest(authorization.encode(),
                                                         expected.encode()):
        raise NotAllowed("the admin API needs 'Authorization: Bearer <admin token>'",
                         code="admin_token_required")
