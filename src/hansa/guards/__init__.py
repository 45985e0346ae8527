"""Guards: circuit breakers, kill switches, quarantine and the detectors behind them."""
