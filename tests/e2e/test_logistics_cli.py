"""`hansa logistics ...` on a real database: shipment, incidents, lane, return, receive, credit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from hansa.bootstrap import bootstrap
from hansa.cli import app as cli
from hansa.config import Settings
from hansa.kernel.clock import VirtualClock
from hansa.logistics.model import TrackingStatus
from tests.integration.logistics_helpers import PHILADELPHIA, scan, stock_up, track

runner = CliRunner()


def said(result: object) -> str:
    """The output on one line (Rich wraps at the terminal width)."""
    return " ".join(result.output.split())  # type: ignore[attr-defined]


def test_the_logistics_commands_show_and_change_what_the_api_does(sqlite_url: str) -> None:
    clock = VirtualClock(datetime.now(UTC) - timedelta(days=5))  # the CLI runs on real time
    app = bootstrap(Settings(db=sqlite_url, bus="memory"), clock=clock, migrate=True)
    ids = stock_up(app)
    track(app, origin=ids["CHI"])
    scan(app, TrackingStatus.IN_TRANSIT, clock.now(), **PHILADELPHIA)
    clock.advance(timedelta(hours=55))
    app.worker.run_until_idle()
    scan(app, TrackingStatus.DELIVERED, clock.now(), city="New York")
    app.worker.run_until_idle()  # the recovery cancels the reship
    app.close()

    shown = runner.invoke(cli, ["logistics", "shipment", "shp-1", "--db", sqlite_url])
    shown_json = runner.invoke(cli, ["logistics", "shipment", "shp-1", "--json", "--db",
                                     sqlite_url])
    incidents = runner.invoke(cli, ["logistics", "incidents", "--json", "--db", sqlite_url])
    lane = runner.invoke(cli, ["logistics", "lane", "ups", f"{ids['CHI']}>US-100",
                               "--db", sqlite_url])
    asked = runner.invoke(cli, ["logistics", "return", "shp-1", "MUG-1:1", "--resolution",
                                "credit", "--db", sqlite_url])
    rma_id = asked.output.split()[1]
    received = runner.invoke(cli, ["logistics", "receive", rma_id, ids["NWK"], "--restock",
                                   "MUG-1:1", "--db", sqlite_url])
    credit = runner.invoke(cli, ["logistics", "credit", "ADA@example.com", "--db", sqlite_url])
    bad = runner.invoke(cli, ["logistics", "return", "shp-1", "MUG-1:5", "--db", sqlite_url])

    assert shown.exit_code == 0 and "shp-1 ups 1Z999: delivered" in shown.output
    assert [s["city"] for s in json.loads(shown_json.output)["scans"]] == [
        "Philadelphia", "New York"]
    [incident] = json.loads(incidents.output)
    assert (incident["status"], incident["reship_status"]) == ("resolved", "cancelled")
    assert "available" in said(lane)
    assert asked.exit_code == 0 and "authorised; label RL-" in said(asked)
    assert "1 restocked, 0 written off; credit of 120.00 USD" in said(received)
    assert "ada@example.com: 132.00 USD" in said(credit)  # 12.00 late credit + 120.00 return
    assert bad.exit_code == 1 and "return_quantity" in said(bad)
