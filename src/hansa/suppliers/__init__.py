"""Suppliers: who we buy from, how they integrate, and their default lead time."""
