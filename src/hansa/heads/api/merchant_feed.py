"""Google Merchant Center product feed per channel (RSS 2.0 XML and TSV), from the live
listing read model: availability, price, sale price and custom labels as the channel sells."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from hansa.channels.model import Channel
from hansa.heads.api.deps import ReadModelsDep
from hansa.kernel.money import exponent

router = APIRouter(prefix="/feeds", tags=["feeds"])

FIELDS = ("id", "item_group_id", "title", "description", "link", "image_link", "availability",
          "price", "sale_price", "gtin", "brand", "condition", "custom_label_0",
          "custom_label_1", "custom_label_2", "custom_label_3", "custom_label_4")
BRAND = "Hansa"


def _money(m: dict[str, Any]) -> str:
    amount = Decimal(m["amount"]).scaleb(-exponent(m["currency"]))
    return f"{amount:.{exponent(m['currency'])}f} {m['currency']}"


def _lead_bucket(hours: int | None) -> str:
    if hours is None:
        return ""
    return "lead<=2d" if hours <= 48 else "lead<=14d" if hours <= 336 else "lead>14d"


def items(channel: Channel, products: list[dict[str, Any]],
          base_url: str) -> Iterator[dict[str, str]]:
    """One feed item per variant, in Merchant Center attribute names."""
    for p in products:
        for v in p["variants"]:
            model = p["inventory_model"]
            availability = ("backorder" if model == "mto" else
                            "in_stock" if v["in_stock"] else "out_of_stock")
            on_sale = v["price"]["amount"] < v["list_price"]["amount"]
            yield {
                "id": v["sku"], "item_group_id": p["handle"],
                "title": f"{p['title']} - {v['title']}" if v["title"] != p["title"]
                else p["title"],
                "description": p["description"] or p["title"],
                "link": f"{base_url}/products/{p['handle']}?channel={channel.key}",
                "image_link": p["media"][0] if p["media"] else "",
                "availability": availability,
                "price": _money(v["list_price"]),
                "sale_price": _money(v["price"]) if on_sale else "",
                "gtin": v["gtin"] or "", "brand": BRAND, "condition": "new",
                "custom_label_0": p["category"], "custom_label_1": model,
                "custom_label_2": p["attributes"].get("supplier", ""),
                "custom_label_3": p["attributes"].get("material", "")[:100],
                "custom_label_4": _lead_bucket(p["lead_time_hours"]),
            }


def to_tsv(rows: Iterator[dict[str, str]]) -> str:
    def cell(value: str) -> str:
        return " ".join(value.replace("\t", " ").split())

    lines = ["\t".join(FIELDS)]
    lines += ["\t".join(cell(row[f]) for f in FIELDS) for row in rows]
    return "\n".join(lines) + "\n"


def to_xml(channel: Channel, rows: Iterator[dict[str, str]], base_url: str) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">', "<channel>",
           f"<title>{escape(channel.name)}</title>", f"<link>{escape(base_url)}</link>",
           f"<description>{escape(channel.name)} products</description>"]
    for row in rows:
        out.append("<item>")
        for f in FIELDS:
            if row[f]:
                tag = "link" if f == "link" else f"g:{f}"
                tag = "title" if f == "title" else "description" if f == "description" else tag
                out.append(f"<{tag}>{escape(row[f])}</{tag}>")
        out.append("</item>")
    out += ["</channel>", "</rss>"]
    return "\n".join(out) + "\n"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/{channel_key}/merchant.xml", operation_id="merchant_feed_xml")
async def feed_xml(channel_key: str, request: Request, models: ReadModelsDep) -> Response:
    """The channel's products for Google Merchant Center, RSS 2.0 with the g: namespace."""
    channel = await run_in_threadpool(models.channels.get, channel_key)
    products = await run_in_threadpool(models.listing.products, channel)
    body = to_xml(channel, items(channel, products, _base(request)), _base(request))
    return Response(content=body, media_type="application/xml")


@router.get("/{channel_key}/merchant.tsv", operation_id="merchant_feed_tsv")
async def feed_tsv(channel_key: str, request: Request, models: ReadModelsDep) -> Response:
    """The same feed as tab-separated values."""
    channel = await run_in_threadpool(models.channels.get, channel_key)
    products = await run_in_threadpool(models.listing.products, channel)
    body = to_tsv(items(channel, products, _base(request)))
    return Response(content=body, media_type="text/tab-separated-values; charset=utf-8")
