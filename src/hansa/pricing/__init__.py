"""Pricing: price lists with quantity tiers, COGS per SKU, promotions and price resolution."""
