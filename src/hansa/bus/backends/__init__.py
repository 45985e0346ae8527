"""Transports behind the same port: in-process (embedded default) and NATS JetStream (scale-out)."""
