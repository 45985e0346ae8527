"""`hansa logistics ...`: tracked shipments, incidents, lane health, returns, store credit."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from hansa.heads.cli.common import DbOption, JsonOption, booted, console

logistics_app = typer.Typer(help="Carrier tracking, late-parcel incidents, returns and credit.",
                            no_args_is_help=True)



def _lines(specs: list[str]) -> list[tuple[str, int]]:
    """`SKU:QTY` arguments as lines."""
    lines = []
    for spec in specs:
        sku, _, quantity = spec.rpartition(":")
        if not sku or not quantity.isdigit():
            raise typer.BadParameter(f"{spec!r}: write SKU:QTY")
        lines.append((sku, int(quantity)))
    return lines


@logistics_app.command("shipment")
def shipment_command(shipment_id: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """A tracked shipment with its scans, oldest first."""
    from hansa.logistics import queries

    with booted(db) as hansa, hansa.db.read() as conn:
        found = queries.shipment(conn, shipment_id)
    if as_json:
        console.print_json(json.dumps(found, default=str))
        return
    console.print(f"{found['id']} {found['carrier']} {found['tracking_code']}: "
                  f"[bold]{found['status']}[/] {found['substatus']} "
                  f"(next scan due {found['expected_by']})", highlight=False)
    table = Table("carrier time", "status", "substatus", "city", "postal code", "provider")
    for scan in found["scans"]:
        table.add_row(str(scan["occurred_at"]), scan["status"], scan["substatus"], scan["city"],
                      scan["postal_code"], scan["provider"])
    console.print(table)


@logistics_app.command("incidents")
def incidents_command(status: Annotated[str | None, typer.Option()] = None,
                      db: DbOption = None, as_json: JsonOption = False) -> None:
    """Late-parcel incidents and what the exceptions path did about them."""
    from hansa.logistics import queries

    with booted(db) as hansa, hansa.db.read() as conn:
        found = queries.incidents(conn, status=status)
    if as_json:
        console.print_json(json.dumps(found, default=str))
        return
    table = Table("incident", "shipment", "status", "reship", "opened", "release at", "outcome")
    for row in found:
        table.add_row(row["id"], row["shipment_id"], row["status"], row["reship_status"],
                      f"{row['opened_at']:%Y-%m-%d %H:%M}", f"{row['release_at']:%Y-%m-%d %H:%M}",
                      row["outcome"] or "")
    console.print(table)


@logistics_app.command("lane")
def lane_command(carrier: str, lane: str, db: DbOption = None) -> None:
    """Is a carrier lane open to the sourcing optimiser (its breaker closed)?"""
    from hansa.logistics import queries

    with booted(db) as hansa, hansa.db.read() as conn:
        available = queries.carrier_lane_available(conn, carrier, lane, hansa.clock.now())
    console.print(f"{carrier} {lane}: {'available' if available else '[red]avoid[/]'}")


@logistics_app.command("return")
def return_command(shipment_id: str,
                   lines: Annotated[list[str], typer.Argument(help="SKU:QTY ...")],
                   condition: Annotated[str, typer.Option()] = "unopened",
                   channel: Annotated[str, typer.Option()] = "support",
                   resolution: Annotated[str, typer.Option()] = "refund",
                   reason: Annotated[str, typer.Option()] = "",
                   db: DbOption = None) -> None:
    """Request a return (RMA) under the server's rules; prints its id and label reference."""
    from hansa.logistics.return_messages import RequestReturn

    with booted(db) as hansa:
        made = hansa.bus.execute(RequestReturn(shipment_id=shipment_id, lines=_lines(lines),
                                               condition=condition, channel=channel,
                                               resolution=resolution, reason=reason))
    console.print(f"return {made['rma_id']} authorised; label {made['label_reference']}",
                  highlight=False)


@logistics_app.command("receive")
def receive_command(rma_id: str, location_id: str,
                    restock: Annotated[list[str] | None, typer.Option(help="SKU:QTY")] = None,
                    write_off: Annotated[list[str] | None, typer.Option(help="SKU:QTY")] = None,
                    db: DbOption = None) -> None:
    """Receive a return: inspected units restocked at LOCATION_ID or written off."""
    from hansa.logistics.return_messages import ReceiveReturn

    inspected = ([(s, q, "restock") for s, q in _lines(restock or [])]
                 + [(s, q, "write_off") for s, q in _lines(write_off or [])])
    with booted(db) as hansa:
        done = hansa.bus.execute(ReceiveReturn(rma_id=rma_id, location_id=location_id,
                                               inspected=inspected))
        hansa.worker.run_until_idle()
    console.print(f"return {rma_id}: {done['restocked']} restocked, {done['written_off']} "
                  f"written off; {done['resolution']} of {done['amount'] / 100:.2f} "
                  f"{done['currency']}", highlight=False)


@logistics_app.command("credit")
def credit_command(customer: str, currency: str = "USD", db: DbOption = None) -> None:
    """A customer's store-credit balance."""
    from hansa.support import queries

    with booted(db) as hansa, hansa.db.read() as conn:
        balance = queries.credit_balance(conn, customer, currency.upper())
    console.print(f"{customer.lower()}: {balance.format()}", highlight=False)


@logistics_app.command("poll")
def poll_command(every: Annotated[float | None, typer.Option(
                     help="poll again every this many seconds until stopped")] = None,
                 db: DbOption = None, as_json: JsonOption = False) -> None:
    """Ask the UPS tracking API (HANSA_TRACKING_UPS_POLL_URL) about parcels on their way."""
    import time

    from hansa.adapters.tracking.poller import UpsPoller, poll_once

    with booted(db) as hansa:
        settings = hansa.settings
        if not settings.tracking_ups_poll_url:
            console.print("[red]no tracking API to poll: set HANSA_TRACKING_UPS_POLL_URL[/]")
            raise typer.Exit(2)
        poller = UpsPoller(settings.tracking_ups_poll_url, settings.tracking_ups_poll_token)
        while True:
            with console.status("polling parcels on their way ..."):
                report = poll_once(hansa.bus, poller, limit=settings.tracking_poll_limit)
            if as_json:
                typer.echo(json.dumps(report.as_dict()))
            else:
                outcomes = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()))
                console.print(f"polled {report.polled} parcels: {outcomes or 'no new scans'}; "
                              f"unknown to the carrier {report.unknown}; "
                              f"errors {len(report.errors)}", highlight=False)
                for error in report.errors[:10]:
                    console.print(f"  [yellow]{error}[/]", highlight=False)
            if every is None:
                return
            time.sleep(every)
