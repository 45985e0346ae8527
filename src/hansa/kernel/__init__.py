"""The kernel: money, ids, clocks, geo, errors, message bases. Stdlib and tiny deps only."""
