"""Support: tickets behind a helpdesk port, customer messages, and the store-credit ledger."""
