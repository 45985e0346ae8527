"""Catalog: products, variants, attributes, media and each product's inventory model."""
