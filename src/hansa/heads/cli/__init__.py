"""Command-line heads: Typer sub-apps mounted by `hansa.cli`."""
