"""Polling a UPS Track API style endpoint (a real local HTTP server) for parcels on their way."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tests.integration.logistics_helpers import stock_up, track
from typer.testing import CliRunner

from hansa.adapters.tracking.poller import UpsPoller, poll_once
from hansa.bootstrap import Hansa, bootstrap
from hansa.cli import app as cli
from hansa.config import Settings
from hansa.kernel.clock import VirtualClock
from hansa.logistics import queries as logistics
from hansa.logistics.messages import StopTracking

TOKEN = "poll-token"


def _activity(kind: str, description: str, day: str, time: str, city: str) -> dict[str, Any]:
    return {"status": {"type": kind, "description": description, "code": kind},
            "date": day, "time": time,
            "location": {"address": {"city": city, "postalCode": "", "countryCode": "US"}}}


PARCELS: dict[str, list[dict[str, Any]]] = {
    "1ZMOVING": [_activity("M", "Label created", "20260105", "100000", "Chicago"),
                 _activity("I", "Departed facility", "20260105", "220000", "Chicago")],
    "1ZSTORM": [_activity("X", "Severe weather delay", "20260106", "080000", "Toledo")],
}


class CarrierApi(BaseHTTPRequestHandler):
    calls: list[str] = []

    def do_GET(self) -> None:
        code = self.path.rsplit("/", 1)[-1]
        CarrierApi.calls.append(code)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(401, {"response": {"errors": [{"code": "250002"}]}})
        if code == "1ZBROKEN":
            return self._answer(503, {"response": {"errors": [{"code": "9999"}]}})
        if code not in PARCELS:
            return self._answer(404, {"response": {"errors": [{"code": "151018"}]}})
        return self._answer(200, {"trackResponse": {"shipment": [{"package": [
            {"trackingNumber": code, "activity": PARCELS[code]}]}]}})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: Any) -> None:
        return


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CarrierApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    CarrierApi.calls = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _status(app: Hansa, shipment_id: str) -> tuple[str, str, int]:
    with app.db.read() as conn:
        found = logistics.shipment(conn, shipment_id)
    return found["status"], found["substatus"], len(found["scans"])


def test_polling_records_each_parcels_scans_once_and_reports_what_failed(
        hansa: Hansa, clock: VirtualClock, api: str) -> None:
    ids = stock_up(hansa)
    for shipment_id, code in (("moving", "1ZMOVING"), ("storm", "1ZSTORM"),
                              ("quiet", "1ZQUIET"), ("broken", "1ZBROKEN")):
        track(hansa, origin=ids["CHI"], shipment_id=shipment_id, code=code)
    track(hansa, origin=ids["CHI"], shipment_id="fedex", code="7712", carrier="fedex")

    report = poll_once(hansa.bus, UpsPoller(api, TOKEN))

    assert (report.polled, report.unknown) == (4, 1)  # the FedEx parcel is not UPS's
    assert report.errors == ["1ZBROKEN: HTTP 503 {\"response\": {\"errors\": [{\"code\": "
                             "\"9999\"}]}}"]
    assert report.outcomes == {"applied": 3}
    assert _status(hansa, "moving") == ("in_transit", "i", 2)
    assert _status(hansa, "storm") == ("exception", "weather_delay", 1)
    assert _status(hansa, "quiet")[2] == 0

    again = poll_once(hansa.bus, UpsPoller(api, TOKEN))

    assert again.outcomes == {"duplicate": 3}  # the same scans: nothing changes twice
    assert _status(hansa, "moving") == ("in_transit", "i", 2)


def test_stopped_parcels_are_not_polled_and_a_bad_token_is_an_error(
        hansa: Hansa, api: str) -> None:
    ids = stock_up(hansa)
    track(hansa, origin=ids["CHI"], shipment_id="moving", code="1ZMOVING")
    track(hansa, origin=ids["CHI"], shipment_id="gone", code="1ZSTORM")
    hansa.bus.execute(StopTracking(shipment_id="gone", reason="cancelled before hand-over"))

    refused = poll_once(hansa.bus, UpsPoller(api, "wrong"))

    assert CarrierApi.calls == ["1ZMOVING"]
    assert refused.errors and refused.errors[0].startswith("1ZMOVING: HTTP 401")
    assert _status(hansa, "moving")[2] == 0


def test_hansa_logistics_poll_asks_the_configured_api(sqlite_url: str, api: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    app = bootstrap(Settings(db=sqlite_url, bus="memory"), clock=VirtualClock(), migrate=True)
    track(app, origin=stock_up(app)["CHI"], shipment_id="moving", code="1ZMOVING")
    app.close()
    runner = CliRunner()

    unset = runner.invoke(cli, ["logistics", "poll", "--db", sqlite_url])
    monkeypatch.setenv("HANSA_TRACKING_UPS_POLL_URL", api)
    monkeypatch.setenv("HANSA_TRACKING_UPS_POLL_TOKEN", TOKEN)
    polled = runner.invoke(cli, ["logistics", "poll", "--json", "--db", sqlite_url])
    again = runner.invoke(cli, ["logistics", "poll", "--db", sqlite_url])

    assert unset.exit_code == 2 and "HANSA_TRACKING_UPS_POLL_URL" in unset.output
    assert polled.exit_code == 0, polled.output
    assert json.loads(polled.output) == {"polled": 1, "unknown": 0, "errors": [],
                                         "outcomes": {"applied": 2}}
    assert " ".join(again.output.split()) == ("polled 1 parcels: duplicate 2; unknown to the "
                                              "carrier 0; errors 0")
