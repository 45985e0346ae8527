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
    # Subjects are <prefix>.<context>.<event>.v1; two installs sharing one NATS server need
    # their own stream and prefix (JetStream refuses streams with overlapping subjects).
    nats_subject_prefix: str = "hansa"
    nats_ack_wait_seconds: int = Field(
        default=60, ge=1,
        description="JetStream redelivers a message not acked within this (a killed worker's)")
    admin_token: str = Field(default="hansa-admin", description="bearer token of the admin API")
    reservation_ttl_minutes: int = Field(
        default=60, ge=1, description="how long an unpaid order holds its stock"
    )
    bus_max_attempts: int = Field(default=3, ge=1)
    bus_poll_seconds: float = Field(default=0.2, gt=0)
    bus_lease_seconds: int = Field(
        default=60, ge=5,
        description="how long a claimed delivery is held before another worker may retry it "
                    "(a crashed worker's deliveries come back after this)")
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
    guard_feed_change_share: float = Field(
        default=0.3, gt=0, le=1,
        description="supplier price feeds: most of a price list's SKUs one feed may change "
                    "within the window (0.3 = 30%)")
    guard_feed_change_window_minutes: float = Field(default=1.0, gt=0)
    guard_feed_change_min_skus: int = Field(
        default=20, ge=1, description="smaller price lists are not judged on change rate")
    guard_supplier_stock_max: int = Field(
        default=1_000_000, ge=1,
        description="most units a supplier document may report at one site; more is refused")
    guard_cooldown_minutes: int = Field(
        default=15, ge=1, description="how long a tripped breaker stays open before half-open"
    )
    guard_step_failure_rate: float = Field(
        default=0.5, gt=0, lt=1,
        description="a path's breaker opens when more than this share of its steps fail ...")
    guard_step_failure_min_steps: int = Field(
        default=5, ge=1, description="... out of at least this many steps ...")
    guard_step_failure_window_minutes: int = Field(
        default=10, ge=1, description="... finished within this window")
    tracking_easypost_secret: str = Field(
        default="", description="EasyPost webhook secret (X-Hmac-Signature); empty refuses all"
    )
    tracking_aftership_secret: str = Field(
        default="", description="AfterShip webhook secret (aftership-hmac-sha256)"
    )
    tracking_ups_secret: str = Field(
        default="", description="credential header UPS tracking pushes must carry"
    )
    tracking_ups_poll_url: str = Field(
        default="", description="base URL of a UPS Track API to poll; empty: no polling")
    tracking_ups_poll_token: str = Field(default="", description="bearer token for that API")
    tracking_poll_limit: int = Field(
        default=200, ge=1, description="parcels asked about per polling round")
    smtp_host: str = Field(
        default="", description="SMTP server for every email; empty: order emails are recorded "
        "as failed and customer messages stay in the database"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = Field(default="", description="SMTP login; empty: no AUTH")
    smtp_password: str = ""
    smtp_start_tls: bool = Field(default=False, description="upgrade the connection (STARTTLS)")
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    messaging_from: str = Field(default="care@hansa.local", description="sender of customer email")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    # order-to-cash: post-purchase email and tracking links
    mail_from: str = "orders@hansa.local"
    tracking_url: str = "https://track.hansa.local/{carrier}/{tracking_code}"
    order_to_cash_path: bool = Field(
        default=True,
        description="run the order-to-cash path on every placed order once a node exists; "
                    "off: Hansa only sources (AllocateOrder), another system ships, labels "
                    "and captures")
    split_max_extra_cost: int | None = Field(
        default=0, description="a split may cost this much more than one shipment (None: any)"
    )
    # demand sensing and replenishment
    demand_spike_margin: float = Field(
        default=0.15, gt=0, description="a spike is velocity above baseline by this share ...")
    demand_spike_alpha: float = Field(
        default=0.01, gt=0, lt=0.5, description="... with a one-sided Poisson p-value below this")
    demand_holiday_country: str = Field(
        default="US", max_length=2,
        description="holidays of this country (ISO code; empty: none) in the baselines")
    demand_holiday_subdivision: str = Field(
        default="", description="... and of this subdivision (e.g. a US state)")
    demand_holiday_timezone: str = Field(
        default="America/New_York", description="the market's time zone for holiday dates")
    demand_holiday_extra: str = Field(
        default="", description="extra holiday dates, comma-separated ISO dates (retail days)")
    demand_spike_test: str = Field(
        default="nb", pattern="^(nb|poisson)$",
        description="the significance test: negative binomial with the baseline's error, or "
                    "the plain Poisson")
    demand_window_hours: int = Field(
        default=3, ge=1, description="the detector's window (hours of velocity)")
    demand_service_level: float = Field(
        default=0.95, ge=0.5, lt=1, description="cycle service level of reorder levels")
    demand_review_hours: int = Field(
        default=24, ge=0, description="review period of the path's order-up-to level")
    demand_cart_to_order: float = Field(
        default=0.35, gt=0, le=1,
        description="sales per add-to-cart, when no sales baseline exists for a SKU")
    demand_po_value_per_hour: int = Field(
        default=5_000_000, ge=0,
        description="guard: PO value (minor units) the path may add within any hour")
    demand_transfer_min_units: int = Field(
        default=2, ge=1, description="guard: smaller transfers are not sent")
    demand_transfer_max_units: int = Field(
        default=500, ge=1, description="guard: no transfer moves more units")
    demand_transfer_cost_per_km: float = Field(
        default=0.2, ge=0, description="moving one unit costs this (minor units) per km ...")
    demand_transfer_handling_cost: int = Field(
        default=40, ge=0, description="... plus this per unit (minor units)")
