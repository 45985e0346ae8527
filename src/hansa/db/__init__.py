"""Persistence plumbing shared by every context: metadata, column types, engines, migrations."""
