"""Outbound messages: email over SMTP."""
