"""Channels: storefront heads (DTC, B2B, chat), each with currency, locale, prices, assortment."""
