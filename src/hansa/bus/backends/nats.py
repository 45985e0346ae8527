"""NATS JetStream transport: the relay publishes with message id = event id (broker-side dedupe),
and durable pull consumers feed the same dispatcher (inbox, retries, dead letters) as in-process.
A failed attempt's retry is parked in `bus_deliveries`, due on the injected clock, and the message
is acked: a JetStream nak delay would run on the wall clock instead.

nats-py is asyncio; Hansa's workers are threads, so the client lives on its own event loop thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import orjson
from sqlalchemy.engine import Connection

from hansa.bus import deliveries
from hansa.bus.dispatcher import Attempt, Dispatcher, Outcome
from hansa.bus.messagebus import Consumer, MessageBus
from hansa.bus.outbox import OutboxRow
from hansa.kernel.errors import UnexpectedState
from hansa.kernel.messages import Envelope

T = TypeVar("T")


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="nats-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        try:
            self.run(_cancel_other_tasks(), timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)
            if not self.thread.is_alive():
                self.loop.close()


async def _cancel_other_tasks() -> None:
    """Whatever the client left running would otherwise die pending with the loop."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def durable_name(consumer: str, stream: str) -> str:
    """JetStream durable names may not contain dots or spaces."""
    return f"{stream}_{consumer}".replace(".", "_").replace(" ", "_")


class NatsTransport:
    """Relays outbox rows to JetStream and pulls them back for this process's consumers."""

    name = "nats"

    def __init__(
        self,
        bus: MessageBus,
        dispatcher: Dispatcher,
        url: str = "nats://127.0.0.1:4222",
        *,
        stream: str = "HANSA",
        subject_prefix: str = "hansa",
        fetch_timeout: float = 0.05,
        ack_wait_seconds: float = 60,
        publish_timeout: float = 10,
    ) -> None:
        self.bus = bus
        self.dispatcher = dispatcher
        self.url = url
        self.stream = stream
        self.prefix = subject_prefix
        self.fetch_timeout = fetch_timeout
        self.ack_wait_seconds = ack_wait_seconds  # a dead worker's messages come back after it
        self.publish_timeout = publish_timeout  # for a relay batch's acks
        self._loop: _LoopThread | None = None
        self._nc: Any = None
        self._js: Any = None
        self._subs: dict[str, Any] = {}
        self._db_turn: asyncio.Lock | None = None  # made on the client's loop

    # lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        if self._loop is not None:
            return
        self._loop = _LoopThread()
        try:
            self._loop.run(self._connect())
        except Exception as exc:
            self._loop.stop()
            self._loop = None
            raise UnexpectedState(f"cannot reach NATS JetStream at {self.url}: {exc}") from exc

    async def _connect(self) -> None:
        import nats
        from nats.js.api import ConsumerConfig, DeliverPolicy, StreamConfig

        self._db_turn = asyncio.Lock()
        self._nc = await nats.connect(self.url, connect_timeout=5, max_reconnect_attempts=5)
        self._js = self._nc.jetstream()
        config = StreamConfig(name=self.stream, subjects=[f"{self.prefix}.>"])
        try:
            await self._js.add_stream(config)
        except Exception:
            await self._js.update_stream(config)
        for consumer in self.bus.consumers:
            durable = durable_name(consumer.name, self.stream)
            self._subs[consumer.name] = await self._js.pull_subscribe(
                self._subject(consumer.event_type),
                durable=durable,
                stream=self.stream,
                config=ConsumerConfig(
                    durable_name=durable,
                    ack_wait=self.ack_wait_seconds,
                    deliver_policy=DeliverPolicy.ALL,
                ),
            )

    def close(self) -> None:
        if self._loop is None:
            return
        try:
            self._loop.run(self._disconnect(), timeout=10)
        finally:
            self._loop.stop()
            self._loop = None
            self._subs = {}

    async def _disconnect(self) -> None:
        # Not `drain()`: it waits for every pull subscription's queue to be consumed, and a pull
        # request that expired leaves a status message there that nobody reads, so it only ends
        # at the client's drain timeout. Flushing is what matters: acks and naks reach the server.
        try:
            await self._nc.flush(timeout=5)
        finally:
            await self._nc.close()

    def _subject(self, event_type: str) -> str:
        return self.prefix + event_type[len("hansa") :] if self.prefix != "hansa" else event_type

    def _require(self) -> _LoopThread:
        if self._loop is None:
            raise UnexpectedState("the NATS transport is not started")
        return self._loop

    # relay side --------------------------------------------------------------------------
    def handoff(self, conn: Connection, rows: Sequence[OutboxRow]) -> Callable[[], None]:
        """Start publishing on the client's loop; the relay marks the rows meanwhile and calls
        the returned waiter, which raises if any ack failed or none came in time, before it
        commits."""
        future = asyncio.run_coroutine_threadsafe(self._publish(rows), self._require().loop)

        def wait() -> None:
            future.result(self.publish_timeout + 5)

        return wait

    async def _publish(self, rows: Sequence[OutboxRow]) -> None:
        """Publish in outbox order, every ack of the batch outstanding at once.

        `publish_async` writes each message before it returns its ack's future, so the sends
        leave in order; a failed or missing ack raises and the relay's transaction rolls back,
        so the batch is handed over again and JetStream's message-id dedupe drops what had
        arrived.
        """
        js, subject = self._js, self._subject
        acks: list[asyncio.Future[Any]] = []
        try:
            for row in rows:
                envelope = row.envelope
                acks.append(await js.publish_async(subject(envelope.type),
                                                   orjson.dumps(envelope.to_json_dict()),
                                                   headers={"Nats-Msg-Id": envelope.id}))
            await asyncio.wait_for(asyncio.gather(*acks), self.publish_timeout)
        finally:  # a failed send leaves the acks before it waiting: free their slots
            for ack in acks:
                ack.cancel()

    # consumer side -----------------------------------------------------------------------
    def consume_once(self, max_messages: int = 100) -> int:
        """Pull from every consumer at once; each consumer's batch runs in one transaction."""
        return self._require().run(self._consume_all(max_messages))

    async def _consume_all(self, max_messages: int) -> int:
        counts = await asyncio.gather(*(self._consume(consumer, max_messages)
                                        for consumer in self.bus.consumers))
        return sum(counts)

    async def _consume(self, consumer: Consumer, max_messages: int) -> int:
        try:
            messages = await self._subs[consumer.name].fetch(
                batch=max_messages, timeout=self.fetch_timeout
            )
        except TimeoutError:  # nothing to fetch (nats.errors.TimeoutError is a subclass)
            return 0
        batch = [(consumer, Envelope.from_json_dict(orjson.loads(msg.data)),
                  msg.metadata.num_delivered) for msg in messages]
        # The dispatcher talks to the database synchronously; keep the loop responsive. The
        # database work of consumers runs one batch at a time (SQLite has one writer anyway).
        assert self._db_turn is not None
        async with self._db_turn:
            await asyncio.to_thread(self._handle_batch, batch)
        for msg in messages:  # after the commit: a crash before this redelivers, inbox dedupes
            await msg.ack()
        return len(messages)

    def _handle_batch(self, batch: list[tuple[Consumer, Envelope, int]]) -> None:
        with self.bus.uow() as uow:
            results = self.dispatcher.attempt_in(uow, batch)
            for (consumer, envelope, attempts), result in zip(batch, results, strict=True):
                if result.outcome is Outcome.RETRY:
                    self._park_retry(uow.conn, consumer, envelope, attempts, result)
            uow.commit()

    @staticmethod
    def _park_retry(conn: Connection, consumer: Consumer, envelope: Envelope, attempts: int,
                    result: Attempt) -> None:
        """Hand the retry to the DeliveryWorker, which runs it when the injected clock says so.

        A crash before the ack gets the message redelivered; the parked row is then kept as is
        (enqueue ignores a pending duplicate) and the inbox dedupes whichever runs second.
        """
        assert result.retry_at is not None
        deliveries.enqueue(conn, [consumer.name], envelope, result.retry_at,
                           attempts=attempts, last_error=result.error)
