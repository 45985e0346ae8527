"""Composition root: settings -> database -> bus -> handlers and consumers -> worker.

Only this module builds adapters; everything else receives what it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from hansa import migrations
from hansa.adapters.labels.render import LabelRenderer
from hansa.adapters.messaging.smtp import SmtpTransport
from hansa.adapters.notify.smtp import SmtpNotifier
from hansa.adapters.payments.manual import ManualPaymentProvider
from hansa.adapters.smtp import SmtpServer
from hansa.adapters.webhooks import HttpxWebhookSender
from hansa.automation import exceptions_path, flow_paths, returns_settlement
from hansa.automation.engine import Engine
from hansa.automation.order_to_cash import path as order_to_cash_path
from hansa.automation.replenishment import Tuning
from hansa.automation.replenishment import path as replenishment_path
from hansa.automation.step_health import StepFailureThresholds
from hansa.automation.webhooks import WebhookSender
from hansa.bus.backends.memory import InProcessTransport
from hansa.bus.deliveries import DeliveryWorker
from hansa.bus.dispatcher import Dispatcher, RetryPolicy
from hansa.bus.messagebus import MessageBus
from hansa.bus.relay import Relay
from hansa.bus.transport import Transport
from hansa.bus.worker import BusWorker
from hansa.catalog import handlers as catalog
from hansa.catalog import messages as catalog_msg
from hansa.channels import handlers as channels
from hansa.channels import messages as channels_msg
from hansa.config import Settings
from hansa.db.engine import Database
from hansa.demand import handlers as demand
from hansa.demand import messages as demand_msg
from hansa.demand.calendar import calendar_from_settings
from hansa.demand.detector import SpikeRule
from hansa.fulfillment import handlers as fulfillment
from hansa.fulfillment import messages as fulfillment_msg
from hansa.fulfillment.model import SplitPolicy
from hansa.fulfillment.ports import LabelPrinter, Notifier
from hansa.guards import handlers as guards
from hansa.guards import messages as guards_msg
from hansa.guards.price_guard import PriceThresholds
from hansa.inventory import handlers as inventory
from hansa.inventory import messages as inventory_msg
from hansa.kernel.clock import Clock, SystemClock
from hansa.logistics import handlers as logistics
from hansa.logistics import intake as logistics_intake
from hansa.logistics import messages as logistics_msg
from hansa.logistics import return_messages as return_msg
from hansa.logistics import returns
from hansa.logistics.returns_model import ReturnRules
from hansa.orders import handlers as orders
from hansa.orders import messages as orders_msg
from hansa.orders.ports import PaymentProvider
from hansa.pricing import handlers as pricing
from hansa.pricing import messages as pricing_msg
from hansa.shipping import handlers as shipping
from hansa.shipping import messages as shipping_msg
from hansa.suppliers import documents as supplier_documents
from hansa.suppliers import graph as supplier_graph
from hansa.suppliers import handlers as suppliers
from hansa.suppliers import messages as suppliers_msg
from hansa.suppliers import po_delivery, price_feed
from hansa.suppliers import purchase_orders as supplier_pos
from hansa.support import handlers as support
from hansa.support import messages as support_msg
from hansa.support.helpdesk import BuiltInHelpdesk, InDatabaseTransport
from hansa.support.ports import Helpdesk, MessageTransport


@dataclass
class Hansa:
    """A running Hansa: what heads, the CLI, tests and the simulator talk to."""

    settings: Settings
    db: Database
    clock: Clock
    bus: MessageBus
    dispatcher: Dispatcher
    transport: Transport
    worker: BusWorker
    engine: Engine  # automation paths: register them before the worker starts
    flows: flow_paths.FlowPaths | None = None  # merchant flows (paths defined as data)
    extras: dict[str, object] = field(default_factory=dict)

    def close(self) -> None:
        self.worker.stop()
        self.db.dispose()


def register_handlers(bus: MessageBus, settings: Settings, payments: PaymentProvider) -> None:
    """Every command's one handler and every event's consumers, in one readable list."""
    bus.register(catalog_msg.CreateProduct, catalog.create_product)
    bus.register(catalog_msg.UpdateProduct, catalog.update_product)
    bus.register(catalog_msg.AddVariant, catalog.add_variant)

    bus.register(pricing_msg.CreatePriceList, pricing.create_price_list)
    bus.register(pricing_msg.SetPrices, pricing.set_prices)
    bus.register(pricing_msg.RemovePrice, pricing.remove_price)
    bus.register(pricing_msg.SetCost, pricing.set_cost)
    bus.register(pricing_msg.CreatePromotion, pricing.create_promotion)
    bus.register(pricing_msg.EndPromotion, pricing.end_promotion)

    bus.register(channels_msg.CreateChannel, channels.create_channel)
    bus.register(channels_msg.UpdateChannel, channels.update_channel)

    bus.register(inventory_msg.CreateLocation, inventory.create_location)
    bus.register(inventory_msg.ReceiveStock, inventory.receive_stock)
    bus.register(inventory_msg.AdjustStock, inventory.adjust_stock)
    bus.register(inventory_msg.ReturnStock, inventory.return_stock)
    bus.register(inventory_msg.ReserveStock, inventory.reserve_stock)
    bus.register(inventory_msg.ReleaseReservation, inventory.release_reservation)
    bus.register(inventory_msg.ConfirmReservation, inventory.confirm_reservation)
    bus.register(inventory_msg.PickReservation, inventory.pick_reservation)
    bus.register(inventory_msg.ExpireReservations, inventory.expire_reservations)
    bus.register(inventory_msg.DispatchTransfer, inventory.dispatch_transfer)
    bus.register(inventory_msg.ReceiveTransfer, inventory.receive_transfer)
    bus.subscribe(inventory_msg.ReservationExpiryDue, "inventory.expire_reservation",
                  inventory.on_reservation_expiry_due)

    ttl = timedelta(minutes=settings.reservation_ttl_minutes)
    bus.register(orders_msg.CreateCart, orders.create_cart)
    bus.register(orders_msg.SetCartLine, orders.set_cart_line)
    bus.register(orders_msg.PlaceOrder,
                 partial(orders.place_order, payments=payments, reservation_ttl=ttl))
    bus.register(orders_msg.CapturePayment, partial(orders.capture_payment, payments=payments))
    bus.register(orders_msg.CancelOrder, partial(orders.cancel_order, payments=payments))
    bus.register(orders_msg.HoldOrder, orders.hold_order)
    bus.register(orders_msg.ReleaseOrderHold, orders.release_order_hold)
    bus.subscribe(inventory_msg.ReservationExpired, "orders.cancel_unpaid_order",
                  partial(orders.on_reservation_expired, payments=payments))

    bus.register(suppliers_msg.RegisterSupplier, suppliers.register_supplier)
    price_thresholds = PriceThresholds(max_drop=settings.guard_price_max_drop,
                                       max_rise=settings.guard_price_max_rise)
    bus.register(suppliers_msg.ApplySupplierPrice, partial(
        price_feed.apply_supplier_price, thresholds=price_thresholds,
        cooldown=timedelta(minutes=settings.guard_cooldown_minutes),
        rate=price_feed.ChangeRate(
            max_share=settings.guard_feed_change_share,
            window=timedelta(minutes=settings.guard_feed_change_window_minutes),
            min_skus=settings.guard_feed_change_min_skus)))

    bus.register(guards_msg.EngageKillSwitch, guards.engage_kill_switch)
    bus.register(guards_msg.ReleaseKillSwitch, guards.release_kill_switch)
    bus.register(guards_msg.ResetBreaker, guards.reset_breaker)
    bus.register(guards_msg.SetBreakerDryRun, guards.set_breaker_dry_run)
    bus.register(guards_msg.ApproveQuarantined, partial(
        guards.approve_quarantined, appliers={price_feed.FEED_KIND: price_feed.apply_approved,
                                              supplier_documents.DOCUMENT_KIND:
                                              supplier_documents.apply_approved}))
    bus.register(guards_msg.RejectQuarantined, guards.reject_quarantined)
    register_supplier_integration(bus, supplier_graph.FeedGuards(
        prices=price_thresholds, max_stock=settings.guard_supplier_stock_max))


def register_supplier_integration(bus: MessageBus, guards: supplier_graph.FeedGuards) -> None:
    """The supplier graph, inbound documents and outbound purchase orders."""
    bus.register(suppliers_msg.RegisterSupplierSite, supplier_graph.register_site)
    bus.register(suppliers_msg.ApplyItemRecords,
                 partial(supplier_graph.apply_item_records, guards=guards))
    bus.register(suppliers_msg.SaveMappingProfile, suppliers.save_mapping_profile)
    bus.register(suppliers_msg.ConfigureSupplierApi, suppliers.configure_supplier_api)
    bus.register(suppliers_msg.ReceiveSupplierDocument, supplier_documents.receive_document)
    bus.register(suppliers_msg.ProcessSupplierDocument,
                 partial(supplier_documents.process_document, guards=guards))
    bus.register(suppliers_msg.SendPurchaseOrder, supplier_pos.send_purchase_order)
    bus.register(suppliers_msg.ChangePurchaseOrder, supplier_pos.change_purchase_order)
    bus.subscribe(guards_msg.QuarantineDecided, "suppliers.document_decision",
                  supplier_documents.decided)


def build_transport(settings: Settings, bus: MessageBus, dispatcher: Dispatcher) -> Transport:
    if settings.bus == "nats":
        from hansa.bus.backends.nats import NatsTransport

        return NatsTransport(bus, dispatcher, settings.nats_url, stream=settings.nats_stream,
                             subject_prefix=settings.nats_subject_prefix,
                             ack_wait_seconds=settings.nats_ack_wait_seconds)
    return InProcessTransport(bus)


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    migrate: bool = False,
    retry: RetryPolicy | None = None,
    transport: Transport | None = None,
    payments: PaymentProvider | None = None,
    webhooks: WebhookSender | None = None,
    messaging: dict[str, MessageTransport] | None = None,
    notifier: Notifier | None = None,
    labels: LabelPrinter | None = None,
) -> Hansa:
    """Wire a Hansa. `migrate=True` brings the schema to the newest revision first."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    db = Database(settings.db)
    if migrate:
        migrations.upgrade(db)
    bus = MessageBus(db, clock)
    payments = payments or ManualPaymentProvider()
    register_handlers(bus, settings, payments)
    engine = Engine(bus, StepFailureThresholds(
        max_rate=settings.guard_step_failure_rate,
        min_steps=settings.guard_step_failure_min_steps,
        window=timedelta(minutes=settings.guard_step_failure_window_minutes)))
    flows = flow_paths.install(engine, webhooks or HttpxWebhookSender(timeout_seconds=10.0))
    smtp = SmtpServer(
        settings.smtp_host, settings.smtp_port, username=settings.smtp_username or None,
        password=settings.smtp_password or None, start_tls=settings.smtp_start_tls,
        timeout=settings.smtp_timeout_seconds) if settings.smtp_host else None
    if messaging is None and smtp is not None:
        messaging = {"email": SmtpTransport(smtp, settings.messaging_from)}
    transports = register_exceptions(bus, engine, messaging=messaging)
    register_order_to_cash(bus, engine, settings, notifier or SmtpNotifier(
        smtp, settings.mail_from), labels or LabelRenderer())
    register_demand(bus, engine, settings)
    deliver_po = partial(po_delivery.deliver_purchase_order,
                         sender=webhooks or HttpxWebhookSender(timeout_seconds=10.0))
    bus.subscribe(suppliers_msg.PurchaseOrderSent, "suppliers.deliver_po", deliver_po,
                  on_failure=po_delivery.delivery_failed)
    bus.subscribe(suppliers_msg.PurchaseOrderDeliveryDue, "suppliers.deliver_held_po",
                  deliver_po, on_failure=po_delivery.delivery_failed)
    dispatcher = Dispatcher(
        bus, retry or RetryPolicy(max_attempts=settings.bus_max_attempts,
                                  base=timedelta(seconds=2))
    )
    transport = transport or build_transport(settings, bus, dispatcher)
    worker = BusWorker(
        Relay(bus, transport),
        DeliveryWorker(bus, dispatcher, lease=timedelta(seconds=settings.bus_lease_seconds)),
        transport,
        poll_interval=settings.bus_poll_seconds,
    )
    bus.on_commit(lambda _envelopes: worker.wake())
    return Hansa(settings=settings, db=db, clock=clock, bus=bus, dispatcher=dispatcher,
                 transport=transport, worker=worker, engine=engine, flows=flows,
                 extras={"message_transports": transports})


def register_exceptions(bus: MessageBus, engine: Engine, *, helpdesk: Helpdesk | None = None,
                        messaging: dict[str, MessageTransport] | None = None
                        ) -> dict[str, MessageTransport]:
    """Logistics tracking, support (tickets, messages, credit) and the exceptions path."""
    bus.register(logistics_msg.TrackShipment, logistics.track_shipment)
    bus.register(logistics_msg.StopTracking, logistics.stop_tracking)
    bus.subscribe(fulfillment_msg.ShipmentCreated, "logistics.track_created_shipment",
                  logistics_intake.on_shipment_created)
    bus.subscribe(fulfillment_msg.ShipmentCancelled, "logistics.stop_cancelled_shipment",
                  logistics_intake.on_shipment_cancelled)
    bus.register(logistics_msg.RecordScan, logistics.record_scan)
    bus.register(logistics_msg.RecordScans, logistics.record_scans)
    bus.register(logistics_msg.SetExceptionPolicy, logistics.set_exception_policy)
    bus.register(logistics_msg.BeginIncidentResponse, logistics.begin_incident_response)
    bus.register(logistics_msg.ReserveReship, logistics.reserve_reship)
    bus.register(logistics_msg.CancelReship, logistics.cancel_reship)
    bus.register(logistics_msg.ReleaseReship, logistics.release_reship)
    bus.subscribe(logistics_msg.ExpectedScanDue, "logistics.expected_scan",
                  logistics.on_expected_scan_due)
    bus.subscribe(logistics_msg.ScanRecorded, "logistics.learn_gaps", logistics.on_scan_recorded)

    bus.register(support_msg.OpenTicket,
                 partial(support.open_ticket, helpdesk=helpdesk or BuiltInHelpdesk()))
    bus.register(support_msg.QueueCustomerMessage, support.queue_customer_message)
    bus.register(support_msg.IssueCredit, support.issue_credit)
    bus.register(support_msg.RedeemCredit, support.redeem_credit)
    bus.register(support_msg.ReverseRedemption, support.reverse_redemption)
    transports: dict[str, MessageTransport] = {"default": InDatabaseTransport(),
                                               **(messaging or {})}
    bus.subscribe(support_msg.CustomerMessageQueued, "support.deliver_message",
                  partial(support.deliver_message, transports=transports))
    exceptions_path.install(engine)
    bus.register(return_msg.RequestReturn, partial(returns.request_return, rules=ReturnRules()))
    bus.register(return_msg.ReceiveReturn, returns.receive_return)
    returns_settlement.install(bus)
    return transports


def register_order_to_cash(bus: MessageBus, engine: Engine, settings: Settings,
                           notifier: Notifier, labels: LabelPrinter) -> None:
    """Shipping and fulfilment handlers, and the order-to-cash path on the engine."""
    bus.register(shipping_msg.DefineCarrier, shipping.define_carrier)
    bus.register(shipping_msg.SetCheckoutRule, shipping.set_checkout_rule)
    bus.register(inventory_msg.ReserveAt, inventory.reserve_at)
    policy = SplitPolicy(max_extra_cost=settings.split_max_extra_cost)
    bus.register(fulfillment_msg.ConfigureNode, fulfillment.configure_node)
    bus.register(fulfillment_msg.AllocateOrder, partial(fulfillment.allocate_order, policy=policy))
    bus.register(fulfillment_msg.ReleaseAllocation, fulfillment.release_allocation)
    bus.register(fulfillment_msg.CreateShipments, fulfillment.create_shipments)
    bus.register(fulfillment_msg.CancelShipments, fulfillment.cancel_shipments)
    bus.register(fulfillment_msg.PrintLabels, partial(fulfillment.print_labels, printer=labels))
    bus.register(fulfillment_msg.VoidLabels, fulfillment.void_labels)
    bus.register(fulfillment_msg.SettleShipments, fulfillment.settle_shipments)
    bus.register(fulfillment_msg.NotifyShipments, partial(
        fulfillment.notify_shipments, notifier=notifier, tracking_url=settings.tracking_url))
    if settings.order_to_cash_path:  # off: sourcing only, another system ships (ADR 24)
        engine.register(order_to_cash_path())


def register_demand(bus: MessageBus, engine: Engine, settings: Settings) -> None:
    """Demand sensing (signals, baselines, spikes) and the replenishment path."""
    rule = SpikeRule(margin=settings.demand_spike_margin, alpha=settings.demand_spike_alpha,
                     window_hours=settings.demand_window_hours,
                     test=settings.demand_spike_test)
    calendar = calendar_from_settings(settings.demand_holiday_country,
                                      settings.demand_holiday_subdivision,
                                      settings.demand_holiday_timezone,
                                      settings.demand_holiday_extra.split(","))
    bus.register(demand_msg.IngestSignals,
                 partial(demand.ingest_signals, rule=rule, calendar=calendar))
    bus.register(demand_msg.FitBaselines, partial(demand.fit_baselines, calendar=calendar))
    bus.register(demand_msg.ReviewSpikes,
                 partial(demand.review_spikes, rule=rule, calendar=calendar))
    bus.register(demand_msg.RaisePurchaseOrder, partial(
        demand.raise_purchase_order, max_value_per_hour=settings.demand_po_value_per_hour))
    bus.register(demand_msg.RevertPurchaseOrder, demand.revert_purchase_order)
    bus.register(demand_msg.LoadZoneAreas, demand.load_zone_areas)
    bus.register(demand_msg.PublishZonePromise, demand.publish_zone_promise)
    bus.subscribe(demand_msg.SignalsObserved, "demand.ingest_signals",
                  partial(demand.on_signals_observed, rule=rule, calendar=calendar))
    engine.register(replenishment_path(Tuning(
        service_level=settings.demand_service_level, review_hours=settings.demand_review_hours,
        cart_to_order=settings.demand_cart_to_order,
        transfer_min_units=settings.demand_transfer_min_units,
        transfer_max_units=settings.demand_transfer_max_units,
        cost_per_km=settings.demand_transfer_cost_per_km,
        handling_cost=settings.demand_transfer_handling_cost)))
