"""The spike detector (pure): is the recent velocity above the baseline by the configured margin,
and is that unlikely to be chance? Edge-triggered per SKU x zone.

Rule: over a short window (default 3 hours) with `observed` events against `expected` events
from the baseline, a spike needs
  - practical size: observed >= expected x (1 + margin)   (margin default 15%), and
  - significance of that size: P(X >= observed | X ~ Poisson(expected x (1 + margin))) < alpha
    (alpha default 0.01): a one-sided exact Poisson test of "the rate exceeds the baseline by
    the margin", not merely "the rate exceeds the baseline".
Too few events can never be significant, so a thin series cannot fire on a lucky hour. Testing
against the margin-inflated rate (rather than the baseline itself) cut false alarms on the
generated series of bench/demand.py by a factor of about 3 at the same alpha.

The default `test = "nb"` judges the significance against a negative binomial of the same
mean instead of the Poisson (`test = "poisson"`): the baseline is an estimate, and the counts
scatter more than a Poisson where the profile misses (the baseline's own error says how much).
Its variance is
  mean x D + mean^2 / (exposure x expected),
D = max(1, sigma^2 / mean hourly rate) (the hourly error over the Poisson scatter) and the
second term the estimate's own error: a rate averaged over `exposure` past periods rests on
exposure x expected events (the Gamma-Poisson predictive). A long history makes the test close
to the Poisson one; a thin or badly fitting baseline needs more evidence. Measured in
bench/demand.py (40 SKUs x 6 zones, 56 days, seeds 7 and 8, alpha 0.01, 3-hour window): false
alarms 637 -> 422 and 592 -> 422 for 11 and 10 fewer of ~375 labelled spikes found; a 6-hour
window or alpha 0.005 cut them further (see bench/results/demand.md for the sweep).

Edge: a key fires once when it crosses into spiking and re-arms only after it falls back
(ratio below 1 + margin / 2: a little hysteresis so that a rate hovering at the margin does
not fire again and again).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TESTS = ("poisson", "nb")


@dataclass(frozen=True, slots=True)
class SpikeRule:
    margin: float = 0.15
    alpha: float = 0.01
    window_hours: int = 3
    min_expected: float = 0.5  # below this the baseline is too thin to judge a ratio
    test: str = "nb"  # the overdispersion-aware negative binomial, or "poisson"

    def __post_init__(self) -> None:
        if not 0 < self.margin <= 10 or not 0 < self.alpha < 0.5 or self.window_hours < 1:
            raise ValueError("margin in (0, 10], alpha in (0, 0.5), window >= 1 hour")
        if self.test not in TESTS:
            raise ValueError(f"test is one of {', '.join(TESTS)}")


@dataclass(frozen=True, slots=True)
class SpikeVerdict:
    spiking: bool
    observed: int
    expected: float
    ratio: float
    p_value: float
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"spiking": self.spiking, "observed": self.observed,
                "expected": round(self.expected, 4), "ratio": round(self.ratio, 4),
                "p_value": self.p_value, "reason": self.reason}


def poisson_upper_tail(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu), exact (log-space sums; no scipy in the pure model)."""
    if k <= 0:
        return 1.0
    if mu <= 0:
        return 0.0
    log_mu = math.log(mu)

    def log_pmf(i: int) -> float:
        return -mu + i * log_mu - math.lgamma(i + 1)

    if k > mu:  # sum the upper tail directly: terms fall fast past the mode
        total, i, term = 0.0, k, log_pmf(k)
        first = term
        while True:
            total += math.exp(term - first)
            i += 1
            term = log_pmf(i)
            if term - first < -40:
                break
        return min(1.0, math.exp(first) * total)
    lower = sum(math.exp(log_pmf(i)) for i in range(k))  # 1 - P(X < k)
    return max(0.0, 1.0 - lower)


def nb_upper_tail(k: int, mean: float, size: float) -> float:
    """P(X >= k) for X negative binomial with this mean and size r (variance mean + mean^2/r),
    exact (log-space sums)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    if size <= 0 or not math.isfinite(size):
        return poisson_upper_tail(k, mean)
    log_p, log_q = math.log(size / (size + mean)), math.log(mean / (size + mean))
    base = size * log_p - math.lgamma(size)

    def log_pmf(i: int) -> float:
        return base + math.lgamma(i + size) - math.lgamma(i + 1) + i * log_q

    mode = max(0.0, (size - 1) * mean / size)
    if k > mode:  # past the mode the terms fall geometrically (ratio -> mean / (size + mean))
        first = log_pmf(k)
        total, i = 0.0, k
        while True:
            term = log_pmf(i) - first
            total += math.exp(term)
            i += 1
            if term < -40:
                break
        return min(1.0, math.exp(first) * total)
    lower = sum(math.exp(log_pmf(i)) for i in range(k))
    return max(0.0, 1.0 - lower)


def null_size(expected: float, exposure: float, dispersion: float, margin: float) -> float:
    """The negative binomial's size r for the margin-inflated mean: its variance is
    mean x D + mean^2 / (exposure x expected), D = max(1, dispersion)."""
    mean = expected * (1 + margin)
    extra = mean * (max(1.0, dispersion) - 1)
    if exposure > 0 and math.isfinite(exposure) and expected > 0:
        extra += mean * mean / (exposure * expected)
    return mean * mean / extra if extra > 0 else math.inf


def evaluate(observed: int, expected: float, rule: SpikeRule, *, exposure: float = math.inf,
             dispersion: float = 1.0) -> SpikeVerdict:
    """The verdict for one window; see the module docstring. `exposure` and `dispersion` (the
    baseline's hourly variance over its mean rate) matter only to the negative binomial test."""
    if expected < rule.min_expected:
        return SpikeVerdict(False, observed, expected, 0.0, 1.0,
                            f"baseline expects {expected:.2f} events: too thin to judge")
    ratio = observed / expected
    if rule.test == "nb":
        p_value = nb_upper_tail(observed, expected * (1 + rule.margin),
                                null_size(expected, exposure, dispersion, rule.margin))
    else:
        p_value = poisson_upper_tail(observed, expected * (1 + rule.margin))
    big = ratio >= 1 + rule.margin
    significant = p_value < rule.alpha
    if big and significant:
        why = (f"{observed} events vs {expected:.1f} expected (x{ratio:.2f} >= "
               f"x{1 + rule.margin:.2f}, p={p_value:.2g} < {rule.alpha})")
    elif big:
        why = f"x{ratio:.2f} above baseline but not significant (p={p_value:.2g})"
    else:
        why = f"x{ratio:.2f} of baseline, below the x{1 + rule.margin:.2f} margin"
    return SpikeVerdict(big and significant, observed, expected, ratio, p_value, why)


def rearmed(verdict: SpikeVerdict, rule: SpikeRule) -> bool:
    """An open spike closes (the key re-arms) once the ratio falls below 1 + margin / 2."""
    return verdict.ratio < 1 + rule.margin / 2


def transition(open_spike: bool, verdict: SpikeVerdict, rule: SpikeRule) -> str | None:
    """`fire` on crossing, `close` on falling back, None otherwise (edge-triggered)."""
    if not open_spike and verdict.spiking:
        return "fire"
    if open_spike and rearmed(verdict, rule):
        return "close"
    return None
