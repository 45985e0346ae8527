"""Documents built once per distinct text (hansa.db.decoded), on each dialect: a reader gets the
same built value while the row is unchanged, and the new one as soon as it changes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from hansa.bootstrap import Hansa
from hansa.db.decoded import DecodedByText
from hansa.demand import handlers as demand_handlers
from hansa.demand import queries as demand
from hansa.demand import store as demand_store
from hansa.demand.baseline import Baseline
from hansa.fulfillment import generate
from hansa.fulfillment import queries as fulfillment
from hansa.fulfillment.messages import ConfigureNode
from hansa.inventory.messages import CreateLocation
from hansa.shipping import queries as shipping
from hansa.shipping.messages import DefineCarrier
from hansa.shipping.model import carrier_to_doc


def test_a_value_is_built_once_per_text_and_the_cache_is_bounded() -> None:
    built: list[object] = []

    def build(doc: object) -> tuple[int, ...]:
        built.append(doc)
        return tuple(doc)  # type: ignore[call-overload]

    cache = DecodedByText(build, kept=2)
    first = cache('[1, 2]')
    assert cache(b'[1, 2]') is first and len(built) == 1
    assert cache('[3]') == (3,) and len(built) == 2
    assert cache('[4]') == (4,) and len(cache) == 1  # full: started again
    assert cache([5, 6]) == (5, 6)  # a document the driver decoded itself is built each time
    with pytest.raises(ValueError):
        cache('[1,')  # not JSON: the error reaches the caller, nothing is kept


def test_nodes_and_carriers_follow_their_rows(hansa: Hansa) -> None:
    ground = generate.carriers()[0]
    hansa.bus.execute(DefineCarrier(doc=carrier_to_doc(ground)))
    location_id = hansa.bus.execute(CreateLocation(code="NJ", name="Newark", kind="warehouse",
                                                   lat=40.73, lon=-74.17, country="US"))
    node = {"location_id": location_id, "code": "NJ", "kind": "warehouse", "lat": 40.73,
            "lon": -74.17, "country": "US"}
    hansa.bus.execute(ConfigureNode(**node, cutoff_minute=900))
    with hansa.db.read() as conn:
        carriers, nodes = shipping.carriers(conn), fulfillment.nodes(conn)
        assert shipping.carriers(conn)[0] is carriers[0]  # unchanged rows: the same values
        assert fulfillment.nodes(conn)[0] is nodes[0]
    assert nodes[0].cutoff_minute == 900 and carriers[0] == ground

    cheaper = dataclasses.replace(ground, services=tuple(
        dataclasses.replace(s, fee=s.fee - 1) for s in ground.services))
    hansa.bus.execute(DefineCarrier(doc=carrier_to_doc(cheaper)))
    hansa.bus.execute(ConfigureNode(**node, cutoff_minute=600))
    with hansa.db.read() as conn:
        assert shipping.carriers(conn) == [cheaper]
        assert [n.cutoff_minute for n in fulfillment.nodes(conn)] == [600]
    hansa.bus.execute(ConfigureNode(**node, active=False))
    with hansa.db.read() as conn:
        assert fulfillment.nodes(conn) == []  # an inactive node is not offered


def test_mean_rates_are_the_baselines_means(hansa: Hansa) -> None:
    """The mean a fit stores with each baseline is the mean of its rates as read back."""
    fitted = datetime(2026, 11, 2, tzinfo=UTC)
    shapes = {"SKU-1\x1fz1": [0.5] * 84 + [1.25] * 84,
              "SKU-1\x1fz2": [(0.1234567 * h) % 0.7 for h in range(168)],
              "SKU-2\x1fz1": [2.0 / 3.0] * 168}
    with hansa.db.engine.begin() as conn:
        demand_store.replace_baselines(conn, "sale", [
            demand_handlers.baseline_row(key, "sale", Baseline("seasonal-day", rates, 0.3, 672),
                                          fitted) for key, rates in shapes.items()])
    with hansa.db.read() as conn:
        means = demand.items_mean_rates(conn, ["SKU-1", "SKU-2", "SKU-9"], "sale")
        full = demand.items_baselines(conn, ["SKU-1", "SKU-2"], "sale")
    assert set(means) == {"SKU-1", "SKU-2"}  # an item without baselines is left out
    for item, by_zone in full.items():
        for zone, baseline in by_zone.items():
            assert means[item][zone] == (baseline.mean_per_hour, baseline.sigma)
    assert means["SKU-1"]["z1"] == (0.875, 0.3)
