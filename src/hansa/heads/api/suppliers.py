"""Supplier integration over HTTP: signed Level 3 webhooks, uploads and the latency audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from hansa.bootstrap import Hansa
from hansa.heads.api.deps import HansaDep, ReadConn, require_admin
from hansa.heads.api.responses import Json
from hansa.kernel.errors import InvalidData, NotAllowed
from hansa.suppliers import audit as supplier_audit
from hansa.suppliers import jsonfeed
from hansa.suppliers import queries as supplier_queries
from hansa.suppliers.documents import Outcome
from hansa.suppliers.messages import ProcessSupplierDocument, ReceiveSupplierDocument

router = APIRouter(tags=["suppliers"])
admin = APIRouter(prefix="/admin/suppliers", tags=["admin"],
                  dependencies=[Depends(require_admin)])

MAX_BODY = 32 << 20


def ingest(hansa: Hansa, code: str, fmt: str, body: bytes, filename: str | None = None,
           profile: str | None = None) -> Outcome:
    """Receipt first (committed on its own), then the all-or-nothing apply."""
    doc_id = hansa.bus.execute(ReceiveSupplierDocument(
        supplier_code=code, format=fmt, chunks=[body], filename=filename, profile=profile))
    outcome: Outcome = hansa.bus.execute(ProcessSupplierDocument(document_id=doc_id))
    return outcome


def _answer(outcome: Outcome) -> Json:
    status = 200 if outcome.status in ("applied", "duplicate") else 422
    return Json({"document_id": outcome.document_id, "status": outcome.status,
                 "records": outcome.records, "changes": outcome.changes,
                 "reason": outcome.reason, "ack": outcome.ack}, status_code=status)


def _verified(hansa: Hansa, code: str, body: bytes, timestamp: str | None,
              signature: str | None) -> None:
    with hansa.db.read() as conn:
        supplier = supplier_queries.supplier_by_code(conn, code)
        secret = supplier_queries.api_secret(conn, supplier.id)
    if secret is None:
        raise NotAllowed(f"{supplier.code} has no webhook secret configured",
                         code="webhook_not_configured")
    problem = jsonfeed.verify(secret, timestamp, signature, body, hansa.clock.now())
    if problem:
        raise NotAllowed(f"webhook refused: {problem}", code="bad_signature")


@router.post("/suppliers/{code}/webhook", operation_id="supplier_webhook")
async def webhook(
    code: str, request: Request, hansa: HansaDep,
    x_hansa_timestamp: Annotated[str | None, Header()] = None,
    x_hansa_signature: Annotated[str | None, Header()] = None,
) -> Json:
    """A supplier's signed JSON document; answered with our acknowledgement."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InvalidData("the document is larger than 32 MiB", code="too_large")
    await run_in_threadpool(_verified, hansa, code, body, x_hansa_timestamp, x_hansa_signature)
    outcome = await run_in_threadpool(ingest, hansa, code, "json", body)
    return _answer(outcome)


@admin.post("/{code}/documents", operation_id="admin_upload_supplier_document")
async def upload(code: str, request: Request, hansa: HansaDep,
                 format: Annotated[str, Query(pattern="^(csv|xlsx|x12|edifact|json)$")],
                 profile: str | None = None, filename: str | None = None) -> Json:
    """Upload a CSV/XLSX/X12/EDIFACT/JSON document as the supplier's."""
    body = await request.body()
    outcome = await run_in_threadpool(ingest, hansa, code, format, body, filename, profile)
    return _answer(outcome)


@admin.get("/audit", operation_id="admin_supplier_audit")
def audit(hansa: HansaDep, conn: ReadConn, supplier: str | None = None) -> Json:
    """Per supplier and feed: level, latency p50/p95, staleness, error and quarantine rates."""
    feeds = supplier_audit.audit(conn, hansa.clock.now(), supplier_code=supplier)
    return Json({"feeds": [f.as_dict() for f in feeds],
                 "lift_to_level_3": [f"{f.supplier_code} {f.feed}" for f in feeds
                                     if f.level < 3]})


@admin.get("/documents", operation_id="admin_supplier_documents")
def documents(conn: ReadConn, supplier: str | None = None, status: str | None = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 50) -> Json:
    return Json({"documents": supplier_audit.documents(conn, supplier_code=supplier,
                                                       status=status, limit=limit)})


@admin.get("/{code}/items", operation_id="admin_supplier_items")
def items(code: str, conn: ReadConn,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Json:
    supplier = supplier_queries.supplier_by_code(conn, code)
    return Json({"supplier": supplier.code,
                 "items": supplier_queries.supplier_items(conn, supplier.id, limit)})
