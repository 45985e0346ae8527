"""Orders: carts, idempotent checkout, orders with lines, payments behind a port."""
