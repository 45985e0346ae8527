"""A worker process for the exceptions kill -9 test: `hansa worker`'s loop on a virtual clock.

    python -m tests.integration.exceptions_worker <db url> <life>

Every life's clock starts 100 hours after the shipments were scanned (so their expected
scans are overdue) plus an hour per life (the killed worker's delivery leases have run out).
"""

from __future__ import annotations

import sys
from datetime import timedelta

from tests.integration.automation_helpers import START

from hansa.bootstrap import bootstrap
from hansa.cli import run_worker
from hansa.config import Settings
from hansa.kernel.clock import VirtualClock


def main(url: str, life: int) -> None:
    clock = VirtualClock(START + timedelta(hours=100 + life))
    app = bootstrap(Settings(db=url, bus="memory", bus_poll_seconds=0.05), clock=clock)
    run_worker(app)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
