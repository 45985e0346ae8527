"""Carrier tracking adapters: provider payloads to normalised scans, signatures verified."""
