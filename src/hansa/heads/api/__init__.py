"""The HTTP API: storefront (channel-scoped), admin (bearer token), webhooks, ops."""
