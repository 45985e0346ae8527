"""Demand sensing: signals, velocities, baselines, spikes and replenishment numbers."""
