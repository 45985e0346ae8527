"""The webhook action against a real local HTTP server: signed body, key, retries, dead letter."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hansa.automation import queries
from hansa.automation.flow_messages import CreateFlow
from hansa.automation.webhooks import verify
from hansa.bootstrap import Hansa
from hansa.bus.dead_letters import list_dead_letters
from hansa.kernel.clock import VirtualClock
from hansa.orders.messages import OrderPlaced
from tests.integration.automation_helpers import publish


class Receiver(ThreadingHTTPServer):
    """Records each request; answers `status`."""

    status = 200

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.received: list[tuple[dict[str, str], bytes]] = []


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers.items()), body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def webhook_flow(url: str) -> str:
    return json.dumps({"name": "erp", "trigger": "hansa.orders.order_placed.v1",
                       "condition": "event.total > 0",
                       "actions": [{"action": "webhook", "params": {
                           "url": url, "payload": {"order": "{{ event.order_id }}",
                                                   "total": "{{ event.total }}"}}}]})


def placed(order_id: str) -> OrderPlaced:
    return OrderPlaced(order_id=order_id, number="H-1", channel_id="c", currency="USD",
                       total=4200, lines=[], postal_code="10001", country="US")


def test_the_receiver_gets_a_body_whose_signature_verifies(hansa: Hansa,
                                                          receiver: Receiver) -> None:
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    secret = hansa.bus.execute(CreateFlow(definition=webhook_flow(url),
                                          format="json"))["webhook_secret"]

    publish(hansa, placed("o-1"))
    hansa.worker.run_until_idle()

    [(headers, body)] = receiver.received
    with hansa.db.read() as conn:
        [run] = queries.runs(conn, path="erp")
        step = queries.run(conn, run.id).steps[0]
    assert json.loads(body) == {"order": "o-1", "total": 4200}
    assert verify(secret, headers["X-Hansa-Timestamp"], body, headers["X-Hansa-Signature"])
    assert not verify("wrong-secret", headers["X-Hansa-Timestamp"], body,
                      headers["X-Hansa-Signature"])
    assert headers["Idempotency-Key"] == step.idempotency_key == f"run:{run.id}:0"
    assert headers["X-Hansa-Timestamp"] == str(int(hansa.clock.now().timestamp()))


def test_a_failing_webhook_is_retried_then_dead_lettered(hansa: Hansa, receiver: Receiver,
                                                        clock: VirtualClock) -> None:
    receiver.status = 503
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    hansa.bus.execute(CreateFlow(definition=webhook_flow(url), format="json"))

    publish(hansa, placed("o-2"))
    hansa.worker.run_until_idle()
    for _ in range(hansa.settings.bus_max_attempts + 1):
        clock.advance(timedelta(minutes=15))
        hansa.worker.run_until_idle()

    assert len(receiver.received) == hansa.settings.bus_max_attempts
    assert len({h["Idempotency-Key"] for h, _ in receiver.received}) == 1
    [letter] = list_dead_letters(hansa.bus)
    assert (letter.consumer, letter.attempts) == ("automation.webhooks",
                                                  hansa.settings.bus_max_attempts)
    assert "answered 503" in letter.error
