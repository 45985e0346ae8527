"""Email delivery of customer messages over SMTP (aiosmtplib).

The message id becomes the RFC 5322 Message-ID, so a resend after a crash between sending and
committing is recognisable as the same message by the receiving side.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from hansa.support.model import CustomerMessage


@dataclass
class SmtpTransport:
    """Sends each message as one email; raises on failure so the bus retries it."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    start_tls: bool = False
    timeout: float = 10.0
    name: str = "smtp"

    def compose(self, message: CustomerMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Message-ID"] = f"<{message.id}@hansa>"
        email["X-Hansa-Reference"] = message.reference
        email.set_content(message.body)
        return email

    def send(self, message: CustomerMessage) -> None:
        email = self.compose(message)
        coroutine = aiosmtplib.send(email, hostname=self.host, port=self.port,
                                    username=self.username, password=self.password,
                                    start_tls=self.start_tls, timeout=self.timeout)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(coroutine)
            return
        errors: list[BaseException] = []  # called from a thread with a loop: use another

        def run() -> None:
            try:
                asyncio.run(coroutine)
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
        if errors:
            raise errors[0]
