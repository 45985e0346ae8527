"""Places of the simulated world: US ZIP centroids, fulfilment metros, a few foreign cities."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from hansa.kernel.geo import Position, haversine_km

# Fulfilment sites, biggest first: the first six are network hubs (warehouses, regional DCs),
# the rest micro-fulfilment centres near demand. (code, ZIP, kind)
METROS = [
    ("NJ-EDISON", "08817", "warehouse"), ("TN-MEMPHIS", "38118", "regional_dc"),
    ("NV-RENO", "89502", "3pl"), ("TX-DALLAS", "75201", "regional_dc"),
    ("IL-JOLIET", "60431", "warehouse"), ("GA-ATLANTA", "30303", "regional_dc"),
    ("NY-BROOKLYN", "11201", "micro_fulfillment"), ("CA-LOSANGELES", "90012", "micro_fulfillment"),
    ("IL-CHICAGO", "60607", "micro_fulfillment"), ("TX-HOUSTON", "77002", "micro_fulfillment"),
    ("AZ-PHOENIX", "85004", "micro_fulfillment"), ("PA-PHILADELPHIA", "19107", "micro_fulfillment"),
    ("TX-SANANTONIO", "78205", "micro_fulfillment"), ("CA-SANDIEGO", "92101", "micro_fulfillment"),
    ("FL-MIAMI", "33130", "micro_fulfillment"), ("WA-SEATTLE", "98104", "micro_fulfillment"),
    ("CO-DENVER", "80202", "micro_fulfillment"), ("MA-BOSTON", "02110", "micro_fulfillment"),
    ("GA-SAVANNAH", "31401", "micro_fulfillment"), ("LA-NEWORLEANS", "70112", "micro_fulfillment"),
    ("MN-MINNEAPOLIS", "55401", "micro_fulfillment"), ("OR-PORTLAND", "97204", "micro_fulfillment"),
    ("MO-STLOUIS", "63101", "micro_fulfillment"), ("NC-CHARLOTTE", "28202", "micro_fulfillment"),
    ("OH-COLUMBUS", "43215", "micro_fulfillment"), ("MI-DETROIT", "48226", "micro_fulfillment"),
    ("FL-TAMPA", "33602", "micro_fulfillment"), ("UT-SALTLAKE", "84101", "micro_fulfillment"),
    ("CA-SANJOSE", "95113", "micro_fulfillment"), ("TN-NASHVILLE", "37203", "micro_fulfillment"),
]
HUB_KINDS = ("warehouse", "regional_dc", "3pl")

# A few customers abroad: (country, postal code, city, lat, lon)
FOREIGN = [
    ("CA", "M5V 2T6", "Toronto", 43.6426, -79.3871),
    ("CA", "H2X 1Y4", "Montreal", 45.5088, -73.5617),
    ("MX", "06600", "Mexico City", 19.4270, -99.1676),
    ("GB", "EC1A 1BB", "London", 51.5202, -0.0979),
    ("DE", "10115", "Berlin", 52.5323, 13.3846),
]

CONTIGUOUS_EXCLUDED = {"AK", "HI", "PR", "VI", "GU", "AS", "MP", "FM", "MH", "PW", "AA", "AE",
                       "AP"}


@dataclass(frozen=True, slots=True)
class Place:
    country: str
    postal_code: str
    city: str
    state: str
    position: Position


@lru_cache(maxsize=1)
def us_zip_places() -> tuple[Place, ...]:
    """Every standard, active ZIP of the contiguous US, with its centroid (compiled-in data)."""
    import zipcodes

    found = []
    for z in zipcodes.list_all():
        if (z.get("zip_code_type") != "STANDARD" or not z.get("active")
                or z.get("state") in CONTIGUOUS_EXCLUDED):
            continue
        try:
            position = Position(float(z["lat"]), float(z["long"]))
        except (KeyError, TypeError, ValueError):
            continue
        found.append(Place("US", z["zip_code"], z["city"].title(), z["state"], position))
    found.sort(key=lambda p: p.postal_code)
    return tuple(found)


def zip_place(zip_code: str) -> Place:
    """The place of one US ZIP code."""
    for place in us_zip_places():
        if place.postal_code == zip_code:
            return place
    raise KeyError(zip_code)


def sample_places(rng: random.Random, count: int, foreign_share: float) -> list[Place]:
    """Customer homes: US ZIP centroids (uniform over ZIPs), a share of them abroad."""
    us = us_zip_places()
    places = []
    for _ in range(count):
        if rng.random() < foreign_share:
            country, postal, city, lat, lon = rng.choice(FOREIGN)
            places.append(Place(country, postal, city, "", Position(lat, lon)))
        else:
            places.append(us[rng.randrange(len(us))])
    return places


def nearest(position: Position, candidates: list[tuple[str, Position]]) -> str:
    """The key of the candidate nearest to `position` (ties: the first listed)."""
    return min(candidates, key=lambda c: haversine_km(c[1], position))[0]
