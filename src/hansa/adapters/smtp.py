"""The one SMTP client behind every email Hansa sends (order and customer messages).

Handlers are synchronous and may run on a thread that already has an event loop (the HTTP
head), so each send runs aiosmtplib on its own short-lived loop in a worker thread and blocks
until the server has accepted or refused the message. A refusal raises, so the caller decides:
the bus retries a customer message, the order-to-cash path records a failed notification.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    start_tls: bool = False
    timeout: float = 10.0

    def send(self, email: EmailMessage) -> None:
        """Deliver one message; raises `aiosmtplib.SMTPException` or `OSError` on failure."""
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(aiosmtplib.send(
                    email, hostname=self.host, port=self.port, username=self.username,
                    password=self.password, start_tls=self.start_tls, timeout=self.timeout))
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)

        worker = threading.Thread(target=run, name="smtp-send", daemon=True)
        worker.start()
        worker.join()
        if failure:
            raise failure[0]
