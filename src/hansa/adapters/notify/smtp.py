"""Post-purchase email over real SMTP (aiosmtplib), rendered from Jinja templates per channel
and locale: templates/<channel>/<locale>/shipment.{subject,txt,html}.j2, falling back to
templates/default/<locale>/ and then templates/default/en-US/."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    select_autoescape,
)

from hansa.adapters.smtp import SmtpServer
from hansa.fulfillment.ports import ShipmentMessage

TEMPLATES = Path(__file__).parent / "templates"


class SmtpNotifier:
    """Implements the `Notifier` port. Without a server (`HANSA_SMTP_HOST` empty) every send
    fails with that reason, which the path records as a failed notification."""

    def __init__(self, server: SmtpServer | None, sender: str, *,
                 templates: Path = TEMPLATES) -> None:
        self.server, self.sender = server, sender
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
        if self.server is None:
            raise RuntimeError("no SMTP server configured (set HANSA_SMTP_HOST)")
        self.server.send(email)
