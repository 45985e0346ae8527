"""Logistics: tracked shipments, normalised carrier tracking, expected scans, incidents, reships."""
