"""A real uvicorn server on a free loopback port, in a thread of the test process."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from hansa.bootstrap import Hansa
from hansa.heads.api import background


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(hansa: Hansa, *, run_worker: bool = False) -> Iterator[str]:
    """Serve `hansa` over real HTTP until the block ends; yields the base URL."""
    with background.serving(hansa, "127.0.0.1", free_port(), run_worker=run_worker) as base:
        yield base
