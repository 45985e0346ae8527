"""Payment providers behind `hansa.orders.ports.PaymentProvider`."""
