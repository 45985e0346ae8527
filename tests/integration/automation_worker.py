"""A worker process for the kill -9 test: `hansa worker`'s loop with the test paths installed.

    python -m tests.integration.automation_worker <db url> <life>

Each life's virtual clock starts an hour after the previous one's, as if the restart came
after the killed worker's delivery leases (5 minutes) had run out.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from tests.integration.automation_helpers import START, install, work_path

from hansa.bootstrap import bootstrap
from hansa.cli import run_worker
from hansa.config import Settings
from hansa.kernel.clock import VirtualClock


def main(url: str, life: int) -> None:
    clock = VirtualClock(START + timedelta(hours=life))
    app = bootstrap(Settings(db=url, bus="memory", bus_poll_seconds=0.05), clock=clock)
    install(app, work_path(), worker=f"life-{life}")
    run_worker(app)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
