"""The inbound document pipeline: raw + receipt, then parse -> records -> apply, all or nothing.

1. `receive_document` stores the raw bytes in chunks with a receipt (SHA-256, size, control
   number, sender's time) and marks a duplicate (same content hash or control number as an
   earlier document of the supplier). Its transaction commits on its own, so the raw
   document survives whatever happens next.
2. `process_document` applies one received document in one unit of work: kill switch
   `feed:<code>`, order (nothing older than what was applied for the same document type),
   then the parser streams records into the graph inside a savepoint. Any refusal rolls the
   savepoint back and quarantines the document with a precise reason; nothing of it stays.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hansa.bus.unit_of_work import UnitOfWork
from hansa.guards import killswitch, quarantine
from hansa.guards import messages as alerts
from hansa.guards.model import feed_scope
from hansa.kernel.errors import Conflict, HansaError, InvalidData, NotFound
from hansa.kernel.ids import new_id
from hansa.suppliers import graph, jsonfeed, purchase_orders, store, tabular
from hansa.suppliers.edi import edifact, x12_in, x12_out
from hansa.suppliers.messages import (
    ProcessSupplierDocument,
    ReceiveSupplierDocument,
    SupplierDocumentApplied,
    SupplierDocumentQuarantined,
    SupplierDocumentReceived,
)
from hansa.suppliers.model import DocumentError, ItemRecord, Record, Supplier
from hansa.suppliers.queries import supplier_by_code

log = logging.getLogger(__name__)

FORMATS = {"csv": "csv", "xlsx": "csv", "x12": "edi", "edifact": "edi", "json": "api"}
DOCUMENT_KIND = "supplier_document"  # the quarantine payload kind this module approves
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class Outcome:
    document_id: str
    status: str  # applied | quarantined | duplicate
    records: int = 0
    changes: int = 0
    reason: str | None = None
    quarantine_id: str | None = None
    ack: str | None = None


def _peek(fmt: str, head: bytes) -> tuple[str, str | None, datetime | None]:
    """(document type, control number, sender's time) from the first bytes, when visible."""
    text = head[:4096].decode("latin-1")  # the envelope is ASCII
    if fmt == "x12":
        st = re.search(r"ST\*(\d{3})\*", text)
        gs = re.search(r"GS\*[A-Z]{2}\*[^*]*\*[^*]*\*(\d{8})\*(\d{4})", text)
        sent = (datetime.strptime(gs.group(1) + gs.group(2), "%Y%m%d%H%M").replace(tzinfo=UTC)
                if gs else None)
        control = text[90:99].strip() if text.startswith("ISA") and len(text) > 99 else None
        return (st.group(1) if st else "x12"), control or None, sent
    if fmt == "edifact":
        unh = re.search(r"UNH\+[^+]+\+([A-Z]{6})", text)
        unb = re.search(r"UNB\+[^+]*\+[^+]*\+[^+]*\+(\d{6}):(\d{4})\+([^+':]+)", text)
        sent = (datetime.strptime(unb.group(1) + unb.group(2), "%y%m%d%H%M")
                .replace(tzinfo=UTC) if unb else None)
        return (unh.group(1) if unh else "edifact"), unb.group(3) if unb else None, sent
    if fmt == "json":
        try:
            doc, doc_id, sent_at = jsonfeed.head_of(head)
        except DocumentError:
            return "json", None, None
        return ("acks" if doc.get("acks") and not doc.get("items") else "items"), doc_id, sent_at
    return fmt, None, None


def receive_document(cmd: ReceiveSupplierDocument, uow: UnitOfWork) -> str:
    """Store the raw document and its receipt; returns the document id."""
    if cmd.format not in FORMATS:
        raise InvalidData(f"format must be one of {', '.join(FORMATS)}; got {cmd.format!r}",
                          code="invalid_format")
    supplier = supplier_by_code(uow.conn, cmd.supplier_code)
    conn, doc_id = uow.conn, new_id()
    digest, size, first = hashlib.sha256(), 0, b""
    for seq, chunk in enumerate(_rechunk(cmd.chunks)):
        digest.update(chunk)
        size += len(chunk)
        if seq == 0 or (cmd.format == "json" and len(first) < 1 << 24):
            first += chunk
        conn.execute(store.document_chunks.insert().values(document_id=doc_id, seq=seq,
                                                           data=chunk))
    content_hash = digest.hexdigest()
    doc_type, control, sent_at = _peek(cmd.format, first)
    d = store.documents
    earlier = conn.execute(
        sa.select(d.c.id).where(d.c.supplier_id == supplier.id, d.c.direction == "in",
                                d.c.duplicate_of.is_(None),
                                sa.or_(d.c.content_hash == content_hash,
                                       sa.and_(d.c.control_number == control,
                                               d.c.doc_type == doc_type,
                                               d.c.status != "rejected")
                                       if control else sa.false()))
        .order_by(d.c.received_at).limit(1)).scalar()
    status = "duplicate" if earlier else "received"
    conn.execute(d.insert().values(
        id=doc_id, supplier_id=supplier.id, supplier_code=supplier.code,
        level=FORMATS[cmd.format], format=cmd.format, doc_type=doc_type[:16], direction="in",
        filename=(cmd.filename or "")[:255] or None, control_number=control,
        content_hash=content_hash, size=size, received_at=uow.now(), sent_at=sent_at,
        status=status, duplicate_of=earlier,
        reason=f"duplicate of document {earlier}" if earlier else None,
        profile=cmd.profile))
    uow.record(SupplierDocumentReceived(document_id=doc_id, supplier_code=supplier.code,
                                        format=cmd.format, content_hash=content_hash,
                                        status=status))
    return doc_id


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The bytes again in chunks of CHUNK_BYTES (the last shorter), joined once per chunk."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size >= CHUNK_BYTES:
            buffer = memoryview(b"".join(parts))
            while len(buffer) >= CHUNK_BYTES:
                yield bytes(buffer[:CHUNK_BYTES])
                buffer = buffer[CHUNK_BYTES:]
            parts, size = [bytes(buffer)], len(buffer)
    if size:
        yield b"".join(parts)


def raw_chunks(conn: Connection, document_id: str) -> Iterator[bytes]:
    """The stored bytes, one chunk at a time."""
    c = store.document_chunks
    seq = 0
    while True:
        data = conn.execute(sa.select(c.c.data).where(c.c.document_id == document_id,
                                                      c.c.seq == seq)).scalar()
        if data is None:
            return
        yield bytes(data)
        seq += 1


class _ChunkStream(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._buffer = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def _records(conn: Connection, doc: Any, supplier: Supplier, head: Any) -> Iterator[Record]:
    chunks = raw_chunks(conn, doc.id)
    if doc.format in ("csv", "xlsx"):
        spec = _profile(conn, supplier, doc.profile)
        reader = tabular.read_csv if doc.format == "csv" else tabular.read_xlsx
        yield from reader(chunks, spec, supplier.currency)
    elif doc.format == "x12":
        text = io.TextIOWrapper(io.BufferedReader(_ChunkStream(chunks)), encoding="latin-1",
                                newline="")
        yield from x12_in.read_x12(text, head, supplier.currency)
    elif doc.format == "edifact":
        body = b"".join(chunks).decode("latin-1")
        yield from edifact.read_edifact(body, head, supplier.currency)
    else:
        doc_json, _id, _sent = jsonfeed.head_of(b"".join(chunks))
        yield from jsonfeed.read_json(doc_json, supplier.currency)


def _profile(conn: Connection, supplier: Supplier, name: str | None) -> dict[str, Any] | None:
    p = store.profiles
    query = sa.select(p.c.spec).where(p.c.supplier_id == supplier.id)
    spec = conn.execute(query.where(p.c.name == (name or "default"))).scalar()
    if spec is None and name:
        raise DocumentError(f"no mapping profile {name!r} for {supplier.code}",
                            code="unknown_profile")
    return spec


def _split(records: Iterator[Record], others: list[Record]) -> Iterator[ItemRecord]:
    for record in records:
        if isinstance(record, ItemRecord):
            yield record
        else:
            others.append(record)


def _gate(uow: UnitOfWork, doc: Any, force: bool) -> None:
    verdict = killswitch.check(uow.conn, [feed_scope(doc.supplier_code)])
    if not verdict.allowed:
        raise DocumentError(f"kill switch: {verdict.reason}", code="kill_switch")
    if force or doc.sent_at is None:
        return
    d = store.documents
    newer = uow.conn.execute(sa.select(d.c.id, d.c.sent_at).where(
        d.c.supplier_id == doc.supplier_id, d.c.doc_type == doc.doc_type,
        d.c.status == "applied", d.c.sent_at > doc.sent_at).limit(1)).first()
    if newer is not None:
        raise DocumentError(f"out of order: sent {doc.sent_at.isoformat()}, after it document "
                            f"{newer.id} sent {newer.sent_at.isoformat()} was applied",
                            code="out_of_order")


def _apply(uow: UnitOfWork, doc: Any, supplier: Supplier, force: bool,
           head: Any, guards: graph.FeedGuards) -> tuple[int, int]:
    _gate(uow, doc, force)
    others: list[Record] = []
    result = graph.apply_records(uow, supplier, _split(_records(uow.conn, doc, supplier, head),
                                                       others),
                                 observed_at=doc.sent_at, force=force, guards=guards)
    for record in others:
        purchase_orders.apply_supplier_answer(uow, supplier, record, via=doc.doc_type)
    return result.records + len(others), result.changes + len(others)


def _lock_supplier(uow: UnitOfWork, supplier_id: str) -> None:
    """Documents of one supplier apply one at a time, in order."""
    query = sa.select(store.suppliers.c.id).where(store.suppliers.c.id == supplier_id)
    if uow.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    uow.conn.execute(query)


def process_document(cmd: ProcessSupplierDocument, uow: UnitOfWork, *,
                     guards: graph.FeedGuards = graph.DEFAULT_GUARDS) -> Outcome:
    doc = uow.conn.execute(sa.select(store.documents)
                           .where(store.documents.c.id == cmd.document_id)).first()
    if doc is None:
        raise NotFound(f"no document {cmd.document_id}", code="document_not_found")
    if doc.status != "received" and not (cmd.force and doc.status == "quarantined"):
        ack = doc.ack
        if doc.status == "duplicate" and doc.format == "json":
            ack = jsonfeed.ack_body(doc.control_number or "", "duplicate", doc.reason,
                                    doc.id).decode()
        return Outcome(doc.id, doc.status, doc.records, doc.changes, doc.reason,
                       doc.quarantine_id, ack)
    _lock_supplier(uow, doc.supplier_id)
    supplier = supplier_by_code(uow.conn, doc.supplier_code)
    head = _new_head(doc.format)
    try:
        with uow.savepoint():
            records, changes = _apply(uow, doc, supplier, cmd.force, head, guards)
    except Exception as exc:
        error = _as_document_error(exc)
        if cmd.force:
            raise Conflict(f"the document still cannot be applied: {error.describe()}",
                           code="document_unappliable") from None
        return _quarantine(uow, doc, error, head)
    ack = acknowledgement(doc, head, accepted=True, error=None, at=uow.now())
    uow.conn.execute(store.documents.update().where(store.documents.c.id == doc.id).values(
        status="applied", records=records, changes=changes, applied_at=uow.now(), ack=ack,
        reason=None, error_at=None))
    uow.record(SupplierDocumentApplied(document_id=doc.id, supplier_code=doc.supplier_code,
                                       doc_type=doc.doc_type, records=records, changes=changes))
    return Outcome(doc.id, "applied", records, changes, ack=ack)


def _as_document_error(exc: Exception) -> DocumentError:
    if isinstance(exc, DocumentError):
        return exc
    if isinstance(exc, HansaError):
        return DocumentError(exc.message, code=exc.code)
    log.exception("unexpected error while applying a supplier document")
    return DocumentError(f"unexpected {type(exc).__name__}: {exc}", code="unexpected")


def _new_head(fmt: str) -> Any:
    return x12_in.X12Head() if fmt == "x12" else edifact.EdifactHead()


def _quarantine(uow: UnitOfWork, doc: Any, error: DocumentError, head: Any) -> Outcome:
    reason = error.describe()
    quarantine_id = quarantine.put(
        uow.conn, source=feed_scope(doc.supplier_code), subject_key=doc.id, field=doc.doc_type,
        value=doc.control_number, last_good=None, reason=reason,
        payload={"kind": DOCUMENT_KIND, "document_id": doc.id, "code": error.code,
                 "where": error.where}, breaker=f"feed:{doc.supplier_code}", at=uow.now())
    if doc.format in ("x12", "edifact") and not head.interchange:
        head = _head_only(uow.conn, doc)
    ack = acknowledgement(doc, head, accepted=False, error=error.where, at=uow.now(),
                          reason=reason)
    uow.conn.execute(store.documents.update().where(store.documents.c.id == doc.id).values(
        status="quarantined", reason=reason, error_at=error.where or None,
        quarantine_id=quarantine_id, ack=ack))
    uow.record(alerts.InputQuarantined(quarantine_id=quarantine_id,
                                       source=feed_scope(doc.supplier_code),
                                       subject_key=doc.id, field=doc.doc_type, reason=reason))
    uow.record(SupplierDocumentQuarantined(document_id=doc.id, supplier_code=doc.supplier_code,
                                           reason=reason, where=error.where))
    return Outcome(doc.id, "quarantined", reason=reason, quarantine_id=quarantine_id, ack=ack)


def acknowledgement(doc: Any, head: Any, *, accepted: bool, error: dict[str, Any] | None,
                    at: datetime, reason: str | None = None) -> str | None:
    """997 for X12, CONTRL for EDIFACT, a JSON receipt for API documents; None for files."""
    control = int(doc.id.replace("-", "")[:7], 16) % 10**9
    if doc.format == "x12":
        return x12_out.ack_997(functional_id=head.functional_id, group=head.group,
                               sets=head.sets, accepted=accepted, error=error,
                               sender=head.sender.strip() or doc.supplier_code,
                               control=control, at=at)
    if doc.format == "edifact":
        head.sender = head.sender or doc.supplier_code
        return edifact.contrl(head, accepted=accepted, error=error, reference=str(control),
                              at=at)
    if doc.format == "json":
        return jsonfeed.ack_body(doc.control_number or "",
                                 "accepted" if accepted else "rejected",
                                 reason, doc.id).decode()
    return None


def _head_only(conn: Connection, doc: Any) -> Any:
    """The envelope of a document refused before it was read (first chunk, errors ignored)."""
    head = _new_head(doc.format)
    first = next(raw_chunks(conn, doc.id), b"").decode("latin-1")
    try:
        if doc.format == "x12":
            for _ in x12_in.read_x12(io.StringIO(first), head, "USD"):
                pass
        else:
            for _ in edifact.read_edifact(first, head, "EUR"):
                pass
    except DocumentError:
        pass
    return head


def decided(event: alerts.QuarantineDecided, uow: UnitOfWork) -> None:
    """A quarantined document's decision: approved documents were applied, rejected stay out."""
    d = store.documents
    status = "rejected" if event.decision == "rejected" else None
    if status:
        uow.conn.execute(d.update().where(d.c.quarantine_id == event.quarantine_id)
                         .values(status=status))


def apply_approved(entry: quarantine.Quarantined, uow: UnitOfWork) -> None:
    """An operator approved a quarantined document: apply it past order and cost guards."""
    process_document(ProcessSupplierDocument(document_id=str(entry.payload["document_id"]),
                                             force=True), uow)
