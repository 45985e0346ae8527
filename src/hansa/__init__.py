"""Hansa: an engine for algorithmic commerce."""

__version__ = "0.1.0"
