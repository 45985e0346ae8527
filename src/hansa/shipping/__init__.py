"""Shipping: carriers, services, transit, cut-offs, rate cards, contracts, checkout rules."""
