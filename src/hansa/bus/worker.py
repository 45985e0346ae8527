"""The bus worker: relay outbox -> transport, drain deliveries and the transport, on a thread."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from hansa.bus.deliveries import DeliveryWorker
from hansa.bus.relay import Relay
from hansa.bus.transport import Transport

log = logging.getLogger(__name__)


@dataclass
class PassResult:
    relayed: int
    delivered: int
    consumed: int

    @property
    def busy(self) -> bool:
        return bool(self.relayed or self.delivered or self.consumed)


class BusWorker:
    """Runs relay and consumers until stopped; wakes at once when a unit of work commits."""

    def __init__(
        self,
        relay: Relay,
        deliveries: DeliveryWorker,
        transport: Transport,
        *,
        poll_interval: float = 0.2,
        linger: float = 0.01,
    ) -> None:
        self.relay = relay
        self.deliveries = deliveries
        self.transport = transport
        self.poll_interval = poll_interval
        self.linger = linger
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        self._wake.set()

    def run_once(self) -> PassResult:
        return PassResult(
            relayed=self.relay.relay_once(),
            delivered=self.deliveries.deliver_once(),
            consumed=self.transport.consume_once(100),
        )

    def run_until_idle(self, max_passes: int = 1000) -> int:
        """Drain synchronously (tests, CLI, simulator): stop when a pass finds nothing."""
        total = 0
        for _ in range(max_passes):
            result = self.run_once()
            if not result.busy:
                return total
            total += result.relayed + result.delivered + result.consumed
        return total

    def start(self) -> None:
        if self._thread is not None:
            return
        self.transport.start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="hansa-bus", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.transport.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once().busy
            except Exception:  # keep relaying; the database or broker may come back
                log.exception("bus worker pass failed")
                busy = False
            if not busy:
                woken = self._wake.wait(self.poll_interval)
                self._wake.clear()
                if woken and self.linger:
                    # Let a burst of commits gather so one relay pass takes them all.
                    self._stop.wait(self.linger)
