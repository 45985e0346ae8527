"""Channel use cases against the real databases."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from hansa.bootstrap import Hansa
from hansa.bus.store import outbox
from hansa.channels import queries
from hansa.channels.messages import AssortmentSpec, CreateChannel, UpdateChannel
from hansa.channels.model import Assortment, ChannelKind, in_assortment
from hansa.kernel.errors import Conflict, InvalidData, NotFound
from hansa.pricing.messages import CreatePriceList


def _channel_events(hansa: Hansa) -> list[tuple[str, dict[str, Any]]]:
    with hansa.db.read() as conn:
        rows = conn.execute(sa.select(outbox.c.type, outbox.c.data)
                            .where(outbox.c.type.like("hansa.channels.%"))
                            .order_by(outbox.c.position))
        return [(r.type, r.data) for r in rows]


def _price_list(hansa: Hansa, name: str, currency: str) -> str:
    price_list_id: str = hansa.bus.execute(CreatePriceList(name=name, currency=currency))
    return price_list_id


def _dtc_us(price_list_id: str, **changes: Any) -> CreateChannel:
    fields: dict[str, Any] = {"key": "dtc-us", "name": "US store", "kind": "dtc",
                              "currency": "USD", "locale": "en-US",
                              "price_list_id": price_list_id}
    return CreateChannel(**{**fields, **changes})


def test_created_channel_reads_back_by_its_public_key(hansa: Hansa) -> None:
    retail = _price_list(hansa, "Retail US", "USD")

    channel_id = hansa.bus.execute(_dtc_us(retail))

    with hansa.db.read() as conn:
        channel = queries.channel_by_key(conn, "dtc-us")
        assert queries.channel(conn, channel_id) == channel
    assert (channel.id, channel.kind, channel.currency, channel.locale, channel.price_list_id) == (
        channel_id, ChannelKind.DTC, "USD", "en-US", retail)
    assert channel.assortment == Assortment.everything()
    assert _channel_events(hansa) == [("hansa.channels.channel_created.v1", {
        "channel_id": channel_id, "key": "dtc-us", "kind": "dtc", "currency": "USD",
        "locale": "en-US", "price_list_id": retail,
        "assortment": {"all_products": True, "product_ids": [], "categories": []}})]


def test_a_channel_in_another_currency_than_its_price_list_is_refused(hansa: Hansa) -> None:
    wholesale_eur = _price_list(hansa, "B2B Berlin", "EUR")

    with pytest.raises(InvalidData) as err:
        hansa.bus.execute(CreateChannel(key="b2b-de", name="Wholesale", kind="b2b",
                                        currency="USD", locale="de-DE",
                                        price_list_id=wholesale_eur))

    assert err.value.code == "currency_mismatch"
    with hansa.db.read() as conn:
        assert queries.channels(conn) == []
    assert _channel_events(hansa) == []


def test_a_channel_on_an_unknown_price_list_is_not_found(hansa: Hansa) -> None:
    with pytest.raises(NotFound) as err:
        hansa.bus.execute(_dtc_us("no-such-list"))

    assert err.value.code == "price_list_not_found"
    with hansa.db.read() as conn:
        assert queries.channels(conn) == []


def test_channel_keys_are_unique(hansa: Hansa) -> None:
    retail = _price_list(hansa, "Retail US", "USD")
    hansa.bus.execute(_dtc_us(retail))

    with pytest.raises(Conflict) as err:
        hansa.bus.execute(_dtc_us(retail, name="Another US store"))

    assert err.value.code == "channel_key_taken"
    with hansa.db.read() as conn:
        assert [c.name for c in queries.channels(conn)] == ["US store"]


@pytest.mark.parametrize(("changes", "code"), [
    ({"locale": "en_US"}, "invalid_locale"),
    ({"locale": "english"}, "invalid_locale"),
    ({"key": "DTC US"}, "invalid_channel_key"),
    ({"kind": "marketplace"}, "invalid_channel_kind"),
    ({"name": "  "}, "invalid_name"),
    ({"assortment": AssortmentSpec()}, "empty_assortment"),
    ({"assortment": AssortmentSpec(all_products=True, categories=["tees"])},
     "ambiguous_assortment"),
])
def test_malformed_channels_are_refused_with_a_stable_code(
        hansa: Hansa, changes: dict[str, Any], code: str) -> None:
    retail = _price_list(hansa, "Retail US", "USD")

    with pytest.raises(InvalidData) as err:
        hansa.bus.execute(_dtc_us(retail, **changes))

    assert err.value.code == code
    with hansa.db.read() as conn:
        assert queries.channels(conn) == []


def test_every_head_kind_and_locale_shape_is_accepted(hansa: Hansa) -> None:
    retail = _price_list(hansa, "Retail US", "USD")
    wholesale = _price_list(hansa, "B2B Berlin", "EUR")
    chat = _price_list(hansa, "Chat SEA", "SGD")

    hansa.bus.execute(_dtc_us(retail))
    hansa.bus.execute(CreateChannel(key="b2b-de", name="Wholesale Berlin", kind="b2b",
                                    currency="EUR", locale="de-DE", price_list_id=wholesale))
    hansa.bus.execute(CreateChannel(key="chat-sg", name="Chat Singapore", kind="chat",
                                    currency="sgd", locale="en-SG", price_list_id=chat))

    with hansa.db.read() as conn:
        found = [(c.key, c.kind, c.currency, c.locale) for c in queries.channels(conn)]
    assert found == [("b2b-de", ChannelKind.B2B, "EUR", "de-DE"),
                     ("chat-sg", ChannelKind.CHAT, "SGD", "en-SG"),
                     ("dtc-us", ChannelKind.DTC, "USD", "en-US")]


def test_an_explicit_assortment_sells_listed_products_and_categories(hansa: Hansa) -> None:
    retail = _price_list(hansa, "Retail US", "USD")
    hansa.bus.execute(_dtc_us(retail, assortment=AssortmentSpec(
        product_ids=["prod-tee"], categories=["outerwear"])))

    with hansa.db.read() as conn:
        channel = queries.channel_by_key(conn, "dtc-us")

    assert in_assortment(channel, "prod-tee", "tops") is True
    assert in_assortment(channel, "prod-parka", "outerwear") is True
    assert in_assortment(channel, "prod-sofa", "furniture") is False


def test_update_changes_name_locale_price_list_and_assortment(hansa: Hansa) -> None:
    retail = _price_list(hansa, "Retail US", "USD")
    summer = _price_list(hansa, "Summer US", "USD")
    channel_id = hansa.bus.execute(_dtc_us(retail))

    hansa.bus.execute(UpdateChannel(
        channel_id=channel_id, name="US summer store", locale="es-US", price_list_id=summer,
        assortment=AssortmentSpec(categories=["swimwear"])))

    with hansa.db.read() as conn:
        channel = queries.channel(conn, channel_id)
    assert (channel.name, channel.locale, channel.price_list_id) == (
        "US summer store", "es-US", summer)
    assert channel.assortment == Assortment(all_products=False, categories=("swimwear",))
    assert _channel_events(hansa)[-1] == ("hansa.channels.channel_updated.v1", {
        "channel_id": channel_id, "key": "dtc-us",
        "changed": ["assortment", "locale", "name", "price_list_id"]})


def test_switching_to_a_price_list_in_another_currency_changes_nothing(hansa: Hansa) -> None:
    retail = _price_list(hansa, "Retail US", "USD")
    wholesale = _price_list(hansa, "B2B Berlin", "EUR")
    channel_id = hansa.bus.execute(_dtc_us(retail))

    with pytest.raises(InvalidData) as err:
        hansa.bus.execute(UpdateChannel(channel_id=channel_id, name="Renamed",
                                        price_list_id=wholesale))

    assert err.value.code == "currency_mismatch"
    with hansa.db.read() as conn:
        channel = queries.channel(conn, channel_id)
    assert (channel.name, channel.price_list_id) == ("US store", retail)
    assert len(_channel_events(hansa)) == 1


def test_an_update_that_changes_nothing_records_nothing(hansa: Hansa) -> None:
    retail = _price_list(hansa, "Retail US", "USD")
    channel_id = hansa.bus.execute(_dtc_us(retail))

    hansa.bus.execute(UpdateChannel(channel_id=channel_id, name="US store", locale="en-US",
                                    price_list_id=retail))

    assert len(_channel_events(hansa)) == 1


def test_unknown_channels_are_not_found(hansa: Hansa) -> None:
    with pytest.raises(NotFound) as by_update:
        hansa.bus.execute(UpdateChannel(channel_id="no-such-channel", name="x"))
    with hansa.db.read() as conn, pytest.raises(NotFound) as by_key:
        queries.channel_by_key(conn, "dtc-mars")

    assert (by_update.value.code, by_key.value.code) == ("channel_not_found", "channel_not_found")
