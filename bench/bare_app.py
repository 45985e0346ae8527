"""The ceiling: a bare FastAPI app whose one endpoint does one primary-key read."""

from __future__ import annotations

import argparse
import itertools
import threading

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from fastapi.responses import ORJSONResponse

from hansa.db.engine import Database

PRODUCTS = sa.table("catalog_products", sa.column("id"), sa.column("handle"))
BY_ID = sa.select(PRODUCTS.c.handle).where(PRODUCTS.c.id == sa.bindparam("id"))


def create_app(db_url: str) -> FastAPI:
    """An app with GET /healthz and GET /bare/product: one indexed read, a small JSON."""
    database = Database(db_url)  # the same engine, pool and SQLite pragmas Hansa uses
    with database.read() as conn:
        ids = [row[0] for row in conn.execute(sa.select(PRODUCTS.c.id).limit(200))]
    if not ids:
        raise SystemExit("catalog_products is empty; seed the database first")
    cycle = itertools.cycle(ids)
    lock = threading.Lock()
    app = FastAPI(default_response_class=ORJSONResponse)

    @app.get("/healthz")
    def healthz() -> ORJSONResponse:
        return ORJSONResponse({"status": "ok"})

    @app.get("/bare/product")
    def product() -> ORJSONResponse:
        """Read one product's handle by primary key, round-robin over the catalog."""
        with lock:
            product_id = next(cycle)
        with database.read() as conn:
            handle = conn.execute(BY_ID, {"id": product_id}).scalar_one()
        return ORJSONResponse({"id": product_id, "handle": handle})

    return app


def main() -> None:
    """Serve the bare app with uvicorn the way `hansa serve` does: one worker, no access log."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    uvicorn.run(create_app(args.db), host=args.host, port=args.port, log_level="info",
                access_log=False)


if __name__ == "__main__":
    main()
