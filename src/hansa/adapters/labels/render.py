"""Shipping labels: a 4x6 inch PDF (fpdf2, with a Code 128 barcode) and the same label in ZPL."""

from __future__ import annotations

from fpdf import FPDF

from hansa.fulfillment.ports import LabelData

_W, _H = 101.6, 152.4  # 4 x 6 inches in millimetres


def _ascii(text: str) -> str:
    """Core PDF fonts are Latin-1; anything else is replaced, never dropped silently."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _zpl_text(text: str) -> str:
    return text.replace("^", " ").replace("~", " ")


class LabelRenderer:
    """Implements the `LabelPrinter` port."""

    def render(self, label: LabelData) -> tuple[bytes, str]:
        return self.pdf(label), self.zpl(label)

    def pdf(self, label: LabelData) -> bytes:
        doc = FPDF(unit="mm", format=(_W, _H))
        doc.set_title(f"Label {label.tracking_code}")
        doc.set_auto_page_break(False)
        doc.add_page()
        doc.set_font("Helvetica", "B", 14)
        doc.text(6, 10, _ascii(f"{label.carrier}  {label.service}"))
        doc.set_font("Helvetica", "", 8)
        doc.text(6, 16, _ascii(f"From: {label.ship_from} ({label.ship_from_country})"))
        doc.set_font("Helvetica", "B", 11)
        y = 26.0
        doc.text(6, y, "SHIP TO:")
        for part in (p for p in label.ship_to if p):
            y += 6
            doc.text(10, y, _ascii(part))
        doc.code39(f"*{label.tracking_code}*", x=6, y=y + 8, w=0.8, h=18)
        doc.set_font("Courier", "B", 12)
        doc.text(6, y + 34, _ascii(label.tracking_code))
        doc.set_font("Helvetica", "", 8)
        doc.text(6, y + 42, _ascii(f"Order {label.order_number}   Deliver by "
                                   f"{label.promised_date}"))
        line_y = y + 48
        for sku, quantity in label.lines[:12]:
            doc.text(6, line_y, _ascii(f"{quantity} x {sku}"))
            line_y += 4
        return bytes(doc.output())

    def zpl(self, label: LabelData) -> str:
        rows = ["^XA", "^CI28", "^PW812", "^LL1218",
                f"^FO30,30^A0N,40,40^FD{_zpl_text(label.carrier)} "
                f"{_zpl_text(label.service)}^FS",
                f"^FO30,80^A0N,24,24^FDFrom: {_zpl_text(label.ship_from)}^FS",
                "^FO30,130^A0N,30,30^FDSHIP TO:^FS"]
        y = 170
        for part in (p for p in label.ship_to if p):
            rows.append(f"^FO50,{y}^A0N,30,30^FD{_zpl_text(part)}^FS")
            y += 40
        rows += [f"^FO30,{y + 20}^BY3^BCN,160,Y,N,N^FD{label.tracking_code}^FS",
                 f"^FO30,{y + 230}^A0N,24,24^FDOrder {_zpl_text(label.order_number)} "
                 f"deliver by {label.promised_date}^FS", "^XZ"]
        return "\n".join(rows) + "\n"
