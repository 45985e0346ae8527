"""Automation paths: trigger -> condition -> pure policy -> guarded, durable steps; and flows."""
