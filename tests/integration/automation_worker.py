"""A worker process for the kill -9 test: `hansa worker`'s loop with the test paths installed.

    python -m tests.integration.automation_worker <db url> <life> [<NATS stream>]

Each life's virtual clock starts an hour after the previous one's, as if the restart came
after the killed worker's delivery leases had run out. With a stream name the worker runs on
NATS JetStream (subjects prefixed with the stream's name; unacked messages come back after 2 s).
"""

from __future__ import annotations

import sys
from datetime import timedelta

from tests.integration.automation_helpers import START, install, work_path

from hansa.bootstrap import bootstrap
from hansa.cli import run_worker
from hansa.config import Settings
from hansa.kernel.clock import VirtualClock


def main(url: str, life: int, stream: str | None = None) -> None:
    clock = VirtualClock(START + timedelta(hours=life))
    bus = {"bus": "memory"} if stream is None else {
        "bus": "nats", "nats_stream": stream, "nats_subject_prefix": stream.lower(),
        "nats_ack_wait_seconds": 2}
    app = bootstrap(Settings(db=url, bus_poll_seconds=0.05, **bus), clock=clock)
    install(app, work_path(), worker=f"life-{life}")
    run_worker(app)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), *sys.argv[3:4])
