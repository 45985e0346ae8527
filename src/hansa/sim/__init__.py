"""World simulator: the real Hansa on a virtual clock against a simulated world, by seed."""
