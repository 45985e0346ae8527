"""JSON columns read as text and turned into values once per distinct text.

Some documents are read far more often than they change: a shipping node's or a carrier's
settings (every allocation), a baseline's 168 hourly rates (every detector pass). Decoding the
JSON and building the model again on each read cost more than the read itself. These helpers
select such a column as its text and keep the value built from each distinct text: a changed
row has a new text, so a kept value is never stale, and nothing needs invalidating, in this
process or any other. The values must be immutable (frozen dataclasses, tuples): every reader
gets the same object.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

T = TypeVar("T")


def as_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """`column` (JSON on SQLite, JSONB on PostgreSQL) as the text of its document."""
    return sa.cast(column, sa.Text())


class DecodedByText(Generic[T]):
    """`build(document)` once per distinct JSON text; at most `kept` values are kept (past
    that the cache starts again: the working set of a shop is far smaller)."""

    def __init__(self, build: Callable[[Any], T], kept: int = 10_000) -> None:
        self.build = build
        self.kept = kept
        self._values: dict[str, T] = {}
        self._lock = threading.Lock()

    def __call__(self, raw: str | bytes | Any) -> T:
        if not isinstance(raw, str | bytes):  # a driver that decoded the document itself
            return self.build(raw)
        text = raw.decode() if isinstance(raw, bytes) else raw
        found = self._values.get(text)
        if found is None:
            found = self.build(json.loads(text))
            with self._lock:
                if len(self._values) >= self.kept:
                    self._values.clear()
                self._values[text] = found
        return found

    def __len__(self) -> int:
        return len(self._values)
