"""The storefront page in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from hansa.bootstrap import Hansa, bootstrap
from hansa.config import Settings
from hansa.demo.seed import seed_demo
from hansa.kernel.clock import VirtualClock
from tests.e2e.server import serving

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def require_browser() -> None:
    """Skip on a laptop without Playwright or Chromium; under CI=true that is a failure."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    if not CHROMIUM.exists():
        missing.append(str(CHROMIUM))
    if not missing:
        return
    if IN_CI:
        pytest.fail(f"{' and '.join(missing)} missing and CI=true requires the browser tests")
    pytest.skip(f"{' and '.join(missing)} missing")


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            yield context.new_page()
            context.close()
        finally:
            browser.close()


@pytest.fixture
def base(sqlite_url: str, clock: VirtualClock) -> Iterator[str]:
    """The demo merchant (20 products, three channels) served over real HTTP."""
    hansa: Hansa = bootstrap(Settings(db=sqlite_url, bus="memory"), clock=clock, migrate=True)
    try:
        seed_demo(hansa, products=20)
        hansa.worker.run_until_idle()
        with serving(hansa) as url:
            yield url
    finally:
        hansa.close()


def _listing(base: str, channel: str) -> dict[str, Any]:
    response = httpx.get(f"{base}/store/products", params={"limit": 200},
                         headers={"X-Channel-Key": channel}, timeout=30)
    assert response.status_code == 200
    return response.json()


def _money(price: dict[str, Any]) -> str:
    return f"{Decimal(price['amount']).scaleb(-2):.2f} {price['currency']}"


def _availability(product: dict[str, Any], variant: dict[str, Any]) -> str:
    if variant["available"] is None:
        return f"made to order, {product['lead_time_hours']} h"
    return f"{variant['available']} in stock" if variant["available"] > 0 else "sold out"


def _cards(page: Any) -> list[dict[str, Any]]:
    """What a shopper sees on each product card: title, and per variant its texts."""
    cards = []
    for card in page.locator("article.card").all():
        variants = {}
        for row in card.locator(".variant").all():
            was = row.locator(".was")
            variants[row.get_attribute("data-sku")] = {
                "price": row.locator(".price").inner_text(),
                "was": was.inner_text() if was.count() else None,
                "availability": row.locator(".availability, .mto").inner_text(),
            }
        cards.append({"title": card.locator("h2").inner_text(), "variants": variants})
    return cards


def _expected_cards(listing: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"title": p["title"], "variants": {
        v["sku"]: {"price": _money(v["price"]),
                   "was": _money(v["list_price"]) if v["promotion_id"] else None,
                   "availability": _availability(p, v)}
        for v in p["variants"]}} for p in listing["products"]]


def test_the_page_shows_the_retail_channels_products_prices_and_availability(
        page: Any, base: str) -> None:
    listing = _listing(base, "dtc-us")

    page.goto(f"{base}/")

    assert page.locator("h1").inner_text() == "Hansa Store (US)"
    assert page.title() == "Hansa Store (US) · Hansa"
    cards = _cards(page)
    assert cards == _expected_cards(listing)
    assert len(cards) == listing["total"] > 0
    prices = [v["price"] for c in cards for v in c["variants"].values()]
    assert all(re.fullmatch(r"\d+\.\d{2} USD", p) for p in prices)
    assert any(v["was"] for c in cards for v in c["variants"].values())  # the outdoor sale
    assert page.locator(".availability.in").count() > 0


def test_the_channel_switcher_shows_the_wholesale_channel_in_euros(page: Any,
                                                                     base: str) -> None:
    page.goto(f"{base}/")

    page.get_by_role("link", name="Hansa Wholesale (Berlin)").click()
    page.wait_for_url(f"{base}/?channel=b2b-eu")

    assert page.locator("h1").inner_text() == "Hansa Wholesale (Berlin)"
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("nav a.current").inner_text() == "Hansa Wholesale (Berlin)"
    cards = _cards(page)
    assert cards == _expected_cards(_listing(base, "b2b-eu"))
    prices = [v["price"] for c in cards for v in c["variants"].values()]
    assert prices and all(re.fullmatch(r"\d+\.\d{2} EUR", p) for p in prices)

    page.get_by_role("link", name="Hansa Store (US)").click()
    page.wait_for_url(f"{base}/?channel=dtc-us")
    assert page.locator("h1").inner_text() == "Hansa Store (US)"


def test_a_screenshot_of_the_page_is_a_png(page: Any, base: str, tmp_path: Path) -> None:
    page.goto(f"{base}/")
    shot = tmp_path / "storefront.png"

    page.screenshot(path=str(shot), full_page=True)

    data = shot.read_bytes()
    assert len(data) > len(PNG_SIGNATURE)
    assert data.startswith(PNG_SIGNATURE)


def _promise_text(fastest: dict[str, Any] | None) -> str:
    if fastest is None:
        return "no delivery to this address"
    day = date.fromisoformat(fastest["date"])
    when = "today" if fastest["days"] == 0 else f"{day:%a} {day.day} {day:%b}"
    return f"arrives {when} ({fastest['level'].replace('_', ' ')})"


def test_a_postal_code_shows_each_variants_delivery_promise(page: Any, base: str) -> None:
    listing = _listing(base, "dtc-us")
    expected = {}
    for product in listing["products"]:
        promise = httpx.get(f"{base}/store/products/{product['handle']}/promise",
                            params={"postal_code": "11201", "country": "US"},
                            headers={"X-Channel-Key": "dtc-us"}, timeout=30).json()
        expected |= {v["sku"]: _promise_text(v["fastest"]) for v in promise["variants"]}

    page.goto(f"{base}/")
    assert page.locator(".promise").count() == 0  # no address, no promise
    page.get_by_placeholder("postal code").fill("11201")
    page.get_by_role("button", name="Show delivery dates").click()
    page.wait_for_url(re.compile(r".*postal_code=11201.*"))

    shown = {row.get_attribute("data-sku"): row.locator(".promise").inner_text()
             for row in page.locator(".variant").all()}
    assert shown == expected
    assert "arrives today (same day)" in shown.values()  # Brooklyn's micro-fulfillment centre
    page.get_by_role("link", name="Hansa Wholesale (Berlin)").click()
    page.wait_for_url(re.compile(r".*channel=b2b-eu.*postal_code=11201.*"))
    assert page.locator(".promise").count() > 0
