"""The demo merchant: seed data and the one-command demo."""
