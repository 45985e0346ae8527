"""Post-purchase email over real SMTP (aiosmtplib), rendered from Jinja templates per channel
and locale: templates/<channel>/<locale>/shipment.{subject,txt,html}.j2, falling back to
templates/default/<locale>/ and then templates/default/en-US/."""

from __future__ import annotations

import asyncio
import threading
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    select_autoescape,
)

from hansa.fulfillment.ports import ShipmentMessage

TEMPLATES = Path(__file__).parent / "templates"


class SmtpNotifier:
    """Implements the `Notifier` port; each send runs on its own event loop in a worker thread,
    so it works from sync handlers whether or not the caller runs inside an event loop."""

    def __init__(self, host: str, port: int, sender: str, *, timeout: float = 10.0,
                 templates: Path = TEMPLATES) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.env = Environment(loader=FileSystemLoader(templates), undefined=StrictUndefined,
                               autoescape=select_autoescape(["html"]))

    def _template(self, channel: str, locale: str, part: str) -> Template:
        for folder in (f"{channel}/{locale}", f"default/{locale}", "default/en-US"):
            try:
                return self.env.get_template(f"{folder}/shipment.{part}.j2")
            except TemplateNotFound:
                continue
        raise TemplateNotFound(f"shipment.{part}.j2")

    def compose(self, message: ShipmentMessage) -> EmailMessage:
        ctx = message.context
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = self._template(message.channel, message.locale,
                                          "subject").render(**ctx).strip()
        email.set_content(self._template(message.channel, message.locale, "txt").render(**ctx))
        email.add_alternative(self._template(message.channel, message.locale,
                                             "html").render(**ctx), subtype="html")
        return email

    def send_shipment(self, message: ShipmentMessage) -> None:
        email = self.compose(message)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(aiosmtplib.send(email, hostname=self.host, port=self.port,
                                            timeout=self.timeout, start_tls=False))
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)

        worker = threading.Thread(target=run, name="smtp-send", daemon=True)
        worker.start()
        worker.join()
        if failure:
            raise failure[0]
