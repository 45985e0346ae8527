"""Where a postal code is: US ZIP centroids (offline data); elsewhere the country's centroid."""

from __future__ import annotations

from hansa.kernel.errors import InvalidData
from hansa.kernel.geo import Position, us_zip_position

# Approximate population centroids; enough for distance bands until postal data is compiled in.
COUNTRY_CENTROIDS = {
    "DE": Position(51.0, 10.0), "FR": Position(47.0, 2.5), "NL": Position(52.2, 5.3),
    "BE": Position(50.8, 4.5), "AT": Position(47.6, 14.1), "ES": Position(40.3, -3.7),
    "IT": Position(42.8, 12.5), "PL": Position(52.0, 19.4), "GB": Position(52.6, -1.5),
    "DK": Position(55.9, 10.0), "SE": Position(59.3, 16.5), "CH": Position(46.9, 8.2),
    "CA": Position(45.5, -75.0), "MX": Position(21.0, -100.0), "SG": Position(1.35, 103.8),
}


def destination(postal_code: str, country: str) -> Position:
    """The position used to quote a destination; InvalidData if it is unknown."""
    country = country.upper()
    if country == "US":
        found = us_zip_position(postal_code)
        if found is None:
            raise InvalidData(f"unknown US ZIP code {postal_code!r}", code="unknown_postal_code")
        return found
    centroid = COUNTRY_CENTROIDS.get(country)
    if centroid is None:
        raise InvalidData(f"no delivery data for {country}", code="unknown_destination")
    return centroid
