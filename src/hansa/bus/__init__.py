"""The message bus: commands to one handler, events to many, through a transactional outbox."""
