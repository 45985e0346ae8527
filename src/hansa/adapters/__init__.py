"""Adapters: the outside world behind the contexts' ports (payments, carriers, notifications)."""
