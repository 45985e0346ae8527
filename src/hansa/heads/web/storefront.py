"""The storefront page: a channel's products with prices and live availability."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hansa.channels import queries as channels
from hansa.heads.api.deps import ReadConn, ReadModelsDep
from hansa.kernel.money import Money

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(tags=["web"])


def price_text(price: dict[str, Any]) -> str:
    return Money(price["amount"], price["currency"]).format()


templates.env.filters["price"] = price_text


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def storefront_page(request: Request, conn: ReadConn, models: ReadModelsDep,
                    channel: Annotated[str | None, Query()] = None) -> HTMLResponse:
    all_channels = channels.channels(conn)
    if not all_channels:
        return templates.TemplateResponse(request, "empty.html", {})
    default = next((c for c in all_channels if c.kind.value == "dtc"), all_channels[0])
    chosen = models.channels.get(channel) if channel else default
    products = models.listing.products(chosen)
    return templates.TemplateResponse(request, "storefront.html", {
        "channel": chosen, "channels": all_channels, "products": products,
    })
