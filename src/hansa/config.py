"""Settings from the environment (HANSA_*) and flags; nothing is read at import time."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hansa.db.engine import DEFAULT_URL


class Settings(BaseSettings):
    """Everything an operator can set. `HANSA_DB=postgresql://...` moves to PostgreSQL."""

    model_config = SettingsConfigDict(env_prefix="HANSA_", extra="ignore")

    db: str = Field(default=DEFAULT_URL, description="SQLAlchemy URL of the system of record")
    bus: Literal["memory", "nats"] = "memory"
    nats_url: str = "nats://127.0.0.1:4222"
    nats_stream: str = "HANSA"
    admin_token: str = Field(default="hansa-admin", description="bearer token of the admin API")
    reservation_ttl_minutes: int = Field(
        default=60, ge=1, description="how long an unpaid order holds its stock"
    )
    bus_max_attempts: int = Field(default=3, ge=1)
    bus_poll_seconds: float = Field(default=0.2, gt=0)
    listing_stock_lag_ms: int = Field(
        default=100, ge=0, description="how stale storefront listing availability may be"
    )
    listing_max_age_seconds: float = Field(
        default=5.0, gt=0, description="the longest any storefront read model is reused"
    )
    guard_price_max_drop: float = Field(
        default=0.5, gt=0, lt=1, description="supplier feeds: largest fall per update (0.5 = 50%)"
    )
    guard_price_max_rise: float = Field(
        default=1.0, gt=0, description="supplier feeds: largest rise per update (1.0 = 100%)"
    )
    guard_cooldown_minutes: int = Field(
        default=15, ge=1, description="how long a tripped breaker stays open before half-open"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    # order-to-cash: post-purchase email and tracking links
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    mail_from: str = "orders@hansa.local"
    tracking_url: str = "https://track.hansa.local/{carrier}/{tracking_code}"
    split_max_extra_cost: int | None = Field(
        default=0, description="a split may cost this much more than one shipment (None: any)"
    )
