"""Email delivery of customer messages over SMTP.

The message id becomes the RFC 5322 Message-ID, so a resend after a crash between sending and
committing is recognisable as the same message by the receiving side.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from hansa.adapters.smtp import SmtpServer
from hansa.support.model import CustomerMessage


@dataclass
class SmtpTransport:
    """Sends each message as one email; raises on failure so the bus retries it."""

    server: SmtpServer
    sender: str
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
        self.server.send(self.compose(message))
