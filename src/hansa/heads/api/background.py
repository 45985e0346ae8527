"""Serve the API from a thread of this process (a live simulation, the end-to-end tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from hansa.bootstrap import Hansa
from hansa.heads.api.app import create_app
from hansa.kernel.errors import UnexpectedState


@contextmanager
def serving(hansa: Hansa, host: str, port: int, *, run_worker: bool = False,
            start_timeout: float = 20.0) -> Iterator[str]:
    """Serve `hansa` over HTTP until the block ends; yields the base URL once `/healthz`
    answers. Without `run_worker` the caller drains the bus itself."""
    config = uvicorn.Config(create_app(hansa, run_worker=run_worker), host=host, port=port,
                            log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="hansa-http", daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    deadline = time.monotonic() + start_timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if not thread.is_alive():
            raise UnexpectedState(f"the server did not start on {host}:{port} (port taken?)")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise UnexpectedState(f"the server on {host}:{port} did not answer in "
                                  f"{start_timeout:.0f} s")
        time.sleep(0.05)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
