"""Deterministic demo catalog: ~200 products across categories, with valid GTINs."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

CATEGORIES: dict[str, dict[str, object]] = {
    "apparel": {
        "nouns": ["Tee", "Hoodie", "Chinos", "Rain Jacket", "Merino Sweater", "Linen Shirt",
                  "Fleece", "Denim Jacket"],
        "materials": ["100% cotton", "98% organic cotton, 2% elastane", "100% merino wool",
                      "55% linen, 45% cotton", "100% recycled polyester"],
        "sizes": ["S", "M", "L", "XL"],
        "price": (1800, 14000),
    },
    "outdoor": {
        "nouns": ["Umbrella", "Storm Poncho", "Camp Lantern", "Dry Bag", "Trail Boots",
                  "Thermal Flask", "Emergency Radio", "Sandbag Kit"],
        "materials": ["nylon ripstop", "aluminium", "stainless steel", "TPU-coated polyester"],
        "sizes": ["One size"],
        "price": (1200, 18000),
    },
    "home": {
        "nouns": ["Throw Blanket", "Ceramic Mug", "Oak Cutting Board", "Linen Napkins",
                  "Scented Candle", "Wool Rug"],
        "materials": ["stoneware", "oak", "100% linen", "soy wax", "100% wool"],
        "sizes": ["Standard"],
        "price": (900, 25000),
    },
    "electronics": {
        "nouns": ["Power Bank", "USB-C Charger", "Bluetooth Speaker", "Headphones",
                  "Smart Plug", "Desk Lamp"],
        "materials": ["aluminium, ABS", "recycled plastic", "polycarbonate"],
        "sizes": ["Standard"],
        "price": (1500, 30000),
    },
    "furniture": {
        "nouns": ["Sofa", "Bookshelf", "Dining Table", "Armchair", "Bed Frame", "Wardrobe"],
        "materials": ["solid oak", "walnut veneer", "powder-coated steel", "bouclé upholstery"],
        "sizes": ["Standard"],
        "price": (25000, 220000),
    },
}
ADJECTIVES = ["Harbor", "Nordic", "Cobalt", "Amber", "Granite", "Meadow", "Tidal", "Sierra",
              "Coastal", "Alpine", "Urban", "Cedar"]
COLORS = ["Navy", "Sand", "Olive", "Charcoal"]


def gtin13(body: int) -> str:
    """A GTIN-13 with a correct GS1 check digit from a 12-digit body."""
    digits = f"{body:012d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


@dataclass
class DemoVariant:
    sku: str
    title: str
    gtin: str
    options: dict[str, str]
    weight_grams: int
    base_price: int  # USD cents


@dataclass
class DemoProduct:
    handle: str
    title: str
    category: str
    inventory_model: str
    material: str
    variants: list[DemoVariant]
    lead_time_hours: int | None = None
    components: list[tuple[str, int]] = field(default_factory=list)
    supplier_code: str = ""


def _components() -> list[DemoProduct]:
    """MTS parts that configure-to-order desks are built from (not sold on their own)."""
    parts = [("DESK-TOP-OAK", "Oak desk top", 9000), ("DESK-TOP-WAL", "Walnut desk top", 12000),
             ("DESK-LEG-STD", "Desk leg, fixed", 1500), ("DESK-FRAME-LIFT", "Lifting frame", 26000)]
    return [
        DemoProduct(handle=sku.lower(), title=title, category="components",
                    inventory_model="mts", material="", supplier_code="FLORENCE-LAB",
                    variants=[DemoVariant(sku, title, gtin13(400_000_000_000 + i), {}, 8000,
                                          price)])
        for i, (sku, title, price) in enumerate(parts)
    ]


def _configured_desks() -> list[DemoProduct]:
    specs = [
        ("desk-oak-fixed", "Oak Desk, fixed height", [("DESK-TOP-OAK", 1), ("DESK-LEG-STD", 4)],
         18000),
        ("desk-walnut-lift", "Walnut Standing Desk", [("DESK-TOP-WAL", 1), ("DESK-FRAME-LIFT", 1)],
         52000),
    ]
    return [
        DemoProduct(handle=handle, title=title, category="furniture", inventory_model="cto",
                    material="configured from components", components=parts,
                    supplier_code="FLORENCE-LAB",
                    variants=[DemoVariant(handle.upper(), title, gtin13(410_000_000_000 + i), {},
                                          30000, price)])
        for i, (handle, title, parts, price) in enumerate(specs)
    ]


def demo_catalog(count: int = 200, seed: int = 7) -> list[DemoProduct]:
    """`count` sellable products (plus CTO components), the same for the same seed."""
    rng = random.Random(seed)
    products = _components() + _configured_desks()
    suppliers = ["SHENZHEN-WORKS", "FLORENCE-LAB", "MEMPHIS-SUPPLY", "PORTO-TEXTIL",
                 "OSAKA-GOODS"]
    n = 0
    gtin_body = 420_000_000_000
    while len(products) < count + 4:
        category = list(CATEGORIES)[n % len(CATEGORIES)]
        spec = CATEGORIES[category]
        nouns: list[str] = spec["nouns"]  # type: ignore[assignment]
        noun = nouns[(n // len(CATEGORIES)) % len(nouns)]
        adjective = ADJECTIVES[(n // (len(CATEGORIES) * len(nouns))) % len(ADJECTIVES)]
        n += 1
        title = f"{adjective} {noun}"
        handle = title.lower().replace(" ", "-")
        if any(p.handle == handle for p in products):
            continue
        price_range: tuple[int, int] = spec["price"]  # type: ignore[assignment]
        low, high = price_range
        base = rng.randrange(low, high, 100) - 1
        sizes: list[str] = spec["sizes"]  # type: ignore[assignment]
        colors = rng.sample(COLORS, 2) if category == "apparel" else [""]
        stem = "".join(w[:3] for w in handle.split("-")).upper()
        variants = []
        for color in colors:
            for size in sizes[:3] if category == "apparel" else sizes[:1]:
                label = " / ".join(x for x in (color, size) if x and x != "One size"
                                   and x != "Standard") or "Standard"
                sku = "-".join(x for x in (stem, color[:3].upper(), size.upper()[:2]) if x)
                sku = sku.replace(" ", "")
                gtin_body += 1
                options = {k: v for k, v in (("color", color), ("size", size)) if v}
                variants.append(DemoVariant(sku, label, gtin13(gtin_body), options,
                                            rng.randrange(200, 40000), base))
        model = "mts"
        lead = None
        if category == "furniture" and rng.random() < 0.5:
            model, lead = "mto", rng.choice([72, 120, 240, 336])
        materials: list[str] = spec["materials"]  # type: ignore[assignment]
        products.append(DemoProduct(
            handle=handle, title=title, category=category, inventory_model=model,
            material=rng.choice(materials), variants=variants, lead_time_hours=lead,
            supplier_code=suppliers[n % len(suppliers)],
        ))
    return products
