"""Offline policy evaluation: how would a candidate policy have done on logged outcomes?

Self-normalised inverse propensity scoring (SNIPS): each logged (context, strategy, propensity,
outcome) is weighted by target(strategy | context) / propensity, and the weighted mean outcome
estimates the target's success rate. Self-normalising (dividing by the sum of weights instead of
the count) trades a small bias for far less variance when a few propensities are small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np


@dataclass(frozen=True)
class LoggedOutcome:
    context: dict
    strategy: str
    propensity: float  # probability the logging policy picked `strategy` in `context`
    reward: float


@dataclass(frozen=True)
class PolicyEstimate:
    value: float  # estimated success rate of the target policy
    interval: tuple[float, float]  # 95% bootstrap interval over the logged records
    effective_sample_size: float  # (sum w)^2 / sum w^2: how many records the estimate really rests on
    records: int
    logged_value: float  # the mean outcome the logging policy got on the same records


def snips(
    logged: Sequence[LoggedOutcome],
    target: Callable[[dict, str], float],
    bootstrap: int = 500,
    seed: int = 0,
) -> PolicyEstimate:
    """SNIPS estimate of `target`'s success rate; `target(context, strategy)` is the probability
    the target policy picks `strategy` in `context`."""
    if not logged:
        return PolicyEstimate(float("nan"), (float("nan"), float("nan")), 0.0, 0, float("nan"))
    propensities = np.array([r.propensity for r in logged], dtype=float)
    if np.any(propensities <= 0):
        raise ValueError("every logged propensity must be > 0 (a pick the logging policy could not make)")
    weights = np.array([target(r.context, r.strategy) for r in logged], dtype=float) / propensities
    rewards = np.array([r.reward for r in logged], dtype=float)
    value = _weighted_mean(weights, rewards)
    rng = np.random.default_rng(seed)
    resampled = [
        _weighted_mean(weights[idx], rewards[idx])
        for idx in (rng.integers(0, len(logged), len(logged)) for _ in range(bootstrap))
    ]
    resampled = [v for v in resampled if not np.isnan(v)]
    low, high = (np.percentile(resampled, [2.5, 97.5]) if resampled else (np.nan, np.nan))
    ess = float(weights.sum() ** 2 / (weights**2).sum()) if weights.any() else 0.0
    return PolicyEstimate(float(value), (float(low), float(high)), ess, len(logged), float(rewards.mean()))


def _weighted_mean(weights: np.ndarray, rewards: np.ndarray) -> float:
    total = weights.sum()
    return float((weights * rewards).sum() / total) if total > 0 else float("nan")


def empirical_propensities(records: Sequence[tuple[tuple, str]]) -> dict[tuple[tuple, str], float]:
    """When the builder did not log its propensities: the logging policy's pick frequency per
    context key, estimated from the logged records themselves."""
    by_context: dict[tuple, dict[str, int]] = {}
    for key, strategy in records:
        counts = by_context.setdefault(key, {})
        counts[strategy] = counts.get(strategy, 0) + 1
    out = {}
    for key, counts in by_context.items():
        total = sum(counts.values())
        for strategy, n in counts.items():
            out[(key, strategy)] = n / total
    return out
