"""Supplier tables: suppliers, the supplier graph, inbound documents and purchase orders."""

from __future__ import annotations

import sqlalchemy as sa

from hansa.db.metadata import UtcDateTime, metadata

suppliers = sa.Table(
    "suppliers_suppliers",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("integration", sa.String(8), nullable=False),
    sa.Column("lead_time_hours", sa.Integer(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)

sites = sa.Table(
    "suppliers_sites",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("supplier_id", sa.String(36), nullable=False, index=True),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("location_id", sa.String(36), nullable=False),
    sa.Column("lat", sa.Float(), nullable=False),
    sa.Column("lon", sa.Float(), nullable=False),
    sa.Column("service_radius_km", sa.Float(), nullable=False),
)

items = sa.Table(
    "suppliers_items",
    metadata,
    sa.Column("supplier_id", sa.String(36), primary_key=True),
    sa.Column("supplier_sku", sa.String(64), primary_key=True),
    sa.Column("sku", sa.String(64), nullable=True, index=True),
    sa.Column("description", sa.String(400), nullable=True),
    sa.Column("cost", sa.BigInteger(), nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("lead_time_hours", sa.Integer(), nullable=True),
    sa.Column("moq", sa.Integer(), nullable=True),
    sa.Column("case_pack", sa.Integer(), nullable=True),
    sa.Column("supply_model", sa.String(3), nullable=True),
    sa.Column("components", sa.JSON(), nullable=False),
    sa.Column("attributes", sa.JSON(), nullable=False),
    sa.Column("observed_at", UtcDateTime(), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

item_stock = sa.Table(
    "suppliers_item_stock",
    metadata,
    sa.Column("supplier_id", sa.String(36), primary_key=True),
    sa.Column("supplier_sku", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(36), primary_key=True),
    sa.Column("quantity", sa.Integer(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

schedule = sa.Table(
    "suppliers_schedule",
    metadata,
    sa.Column("supplier_id", sa.String(36), primary_key=True),
    sa.Column("supplier_sku", sa.String(64), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("quantity", sa.Integer(), nullable=False),
)

profiles = sa.Table(
    "suppliers_mapping_profiles",
    metadata,
    sa.Column("supplier_id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("spec", sa.JSON(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

secrets = sa.Table(
    "suppliers_api_secrets",
    metadata,
    sa.Column("supplier_id", sa.String(36), primary_key=True),
    sa.Column("secret", sa.String(128), nullable=False),
    sa.Column("endpoint", sa.String(400), nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

documents = sa.Table(
    "suppliers_documents",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("supplier_id", sa.String(36), nullable=False),
    sa.Column("supplier_code", sa.String(32), nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("doc_type", sa.String(16), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("filename", sa.String(255), nullable=True),
    sa.Column("profile", sa.String(64), nullable=True),
    sa.Column("control_number", sa.String(64), nullable=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("error_at", sa.JSON(), nullable=True),
    sa.Column("duplicate_of", sa.String(36), nullable=True),
    sa.Column("records", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("changes", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("applied_at", UtcDateTime(), nullable=True),
    sa.Column("quarantine_id", sa.String(36), nullable=True),
    sa.Column("ack", sa.Text(), nullable=True),
    sa.Index("ix_suppliers_documents_hash", "supplier_id", "content_hash"),
    sa.Index("ix_suppliers_documents_control", "supplier_id", "control_number"),
    sa.Index("ix_suppliers_documents_received", "supplier_id", "received_at"),
)

document_chunks = sa.Table(
    "suppliers_document_chunks",
    metadata,
    sa.Column("document_id", sa.String(36), primary_key=True),
    sa.Column("seq", sa.Integer(), primary_key=True),
    sa.Column("data", sa.LargeBinary(), nullable=False),
)

purchase_orders = sa.Table(
    "suppliers_purchase_orders",
    metadata,
    sa.Column("po_number", sa.String(32), primary_key=True),
    sa.Column("supplier_id", sa.String(36), nullable=False, index=True),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("channel", sa.String(8), nullable=False),
    sa.Column("lines", sa.JSON(), nullable=False),
    sa.Column("document", sa.Text(), nullable=False),
    sa.Column("control_number", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("sent_at", UtcDateTime(), nullable=False),
    sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
    sa.Column("ack_detail", sa.JSON(), nullable=True),
)
