"""The storefront page: a channel's products with prices, live availability and, for a
postal code the shopper gives, the fastest delivery promise of each variant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from hansa.channels import queries as channels
from hansa.fulfillment.promise import Promise
from hansa.heads.api.delivery import promises_of
from hansa.heads.api.deps import HansaDep, ReadConn, ReadModelsDep
from hansa.kernel.money import Money

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
router = APIRouter(tags=["web"])


def price_text(price: dict[str, Any]) -> str:
    return Money(price["amount"], price["currency"]).format()


def promise_text(found: Promise | None) -> str:
    """'arrives Sun 6 Dec (two day)', or why it cannot be promised."""
    if found is None or found.fastest is None:
        return "no delivery to this address"
    option = found.fastest
    when = "today" if option.day == 0 else f"{option.date:%a} {option.date.day} {option.date:%b}"
    return f"arrives {when} ({option.level.replace('_', ' ')})"


templates.env.filters["price"] = price_text
templates.env.filters["promise"] = promise_text


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def storefront_page(request: Request, hansa: HansaDep, conn: ReadConn, models: ReadModelsDep,
                    channel: Annotated[str | None, Query()] = None,
                    postal_code: Annotated[str | None, Query(max_length=16)] = None,
                    country: Annotated[str, Query(min_length=2, max_length=2)] = "US"
                    ) -> HTMLResponse:
    all_channels = channels.channels(conn)
    if not all_channels:
        return templates.TemplateResponse(request, "empty.html", {})
    default = next((c for c in all_channels if c.kind.value == "dtc"), all_channels[0])
    chosen = models.channels.get(channel) if channel else default
    products = models.listing.products(chosen)
    postal_code = (postal_code or "").strip() or None
    promises: dict[str, Promise] = {}
    if postal_code:
        skus = [v["sku"] for p in products for v in p["variants"]]
        promises = promises_of(hansa).lookup(conn, skus, postal_code, country, hansa.clock.now())
    return templates.TemplateResponse(request, "storefront.html", {
        "channel": chosen, "channels": all_channels, "products": products,
        "postal_code": postal_code, "country": country.upper(), "promises": promises,
    })
