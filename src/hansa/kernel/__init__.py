"""The kernel: money, ids, clocks, geo, errors and message bases. Standard library and tiny deps only."""
