"""Discounted Beta posteriors per (strategy, context bucket), with back-off, and Thompson sampling.

A context is a few named fields (tag, app soul, error type, phase, decision type). Its buckets
form a chain from coarse to fine over the fields it states: ``()``, ``(tag,)``, ``(tag,
app_soul)``, ... Every outcome is counted in every bucket of its chain. A bucket's posterior is Beta(m*k + s, (1-m)*k + f), where m
is its parent's posterior mean and k the back-off strength: where a fine bucket has little data
it says what its parent says, and where it has much, its own counts dominate.

Counts are discounted exponentially by age (a half-life in whatever unit ``t`` is: days in the
pipeline, rounds in the benchmark). Decay is applied lazily when a cell is touched, which is
exact for an exponential discount, so observing is O(levels) whatever the history length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import beta as beta_dist

Context = dict[str, object]


def bucket_chain(context: Context, fields: tuple[str, ...]) -> list[tuple]:
    """The context's buckets, coarsest first: () then one more *known* field at a time. A field the
    context does not state is skipped, not matched as a value: an outcome with no error type
    counts for every error type's parent, and a request that names no phase is answered from
    the buckets above phase."""
    known = tuple((f, str(v)) for f in fields if (v := context.get(f)) is not None and v != "")
    return [known[:depth] for depth in range(len(known) + 1)]


@dataclass
class _Cell:
    successes: float = 0.0
    failures: float = 0.0
    at: float = 0.0  # the time the counts are decayed to


@dataclass
class Posterior:
    alpha: float
    beta: float
    effective_n: float  # discounted outcomes in the bucket the posterior comes from
    depth: int  # how many context fields that bucket fixes

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        tail = (1 - level) / 2
        low, high = beta_dist.ppf([tail, 1 - tail], self.alpha, self.beta)
        return float(low), float(high)


@dataclass
class DiscountedBetas:
    """Outcome counts per (strategy, bucket), discounted by a half-life."""

    fields: tuple[str, ...]
    half_life: float | None  # None: no discount (every outcome counts forever)
    backoff_strength: float = 4.0
    prior: tuple[float, float] = (1.0, 1.0)
    cells: dict[tuple[str, tuple], _Cell] = field(default_factory=dict)
    raw_counts: dict[str, int] = field(default_factory=dict)

    def _decay(self, cell: _Cell, t: float) -> None:
        if self.half_life is not None and t > cell.at:
            factor = 0.5 ** ((t - cell.at) / self.half_life)
            cell.successes *= factor
            cell.failures *= factor
        cell.at = max(cell.at, t)

    def observe(self, strategy: str, context: Context, reward: float, t: float, weight: float = 1.0) -> None:
        """One outcome: reward 1 success, 0 failure, in between partial (counted fractionally)."""
        self.raw_counts[strategy] = self.raw_counts.get(strategy, 0) + 1
        for key in bucket_chain(context, self.fields):
            cell = self.cells.setdefault((strategy, key), _Cell(at=t))
            # An outcome older than the cell's clock counts already decayed to that clock.
            age_factor = 0.5 ** ((cell.at - t) / self.half_life) if self.half_life is not None and t < cell.at else 1.0
            self._decay(cell, t)
            cell.successes += weight * reward * age_factor
            cell.failures += weight * (1 - reward) * age_factor

    def counts(self, strategy: str, key: tuple, t: float) -> tuple[float, float]:
        cell = self.cells.get((strategy, key))
        if cell is None:
            return 0.0, 0.0
        if self.half_life is None or t <= cell.at:
            return cell.successes, cell.failures
        factor = 0.5 ** ((t - cell.at) / self.half_life)
        return cell.successes * factor, cell.failures * factor

    def posterior(self, strategy: str, context: Context, t: float) -> Posterior:
        a0, b0 = self.prior
        s, f = self.counts(strategy, (), t)
        alpha, beta, n, depth = a0 + s, b0 + f, s + f, 0
        for depth_now, key in enumerate(bucket_chain(context, self.fields)[1:], start=1):
            s, f = self.counts(strategy, key, t)
            if s + f <= 0:
                break  # nothing finer is known: deeper buckets would only repeat the parent
            mean = alpha / (alpha + beta)
            alpha = mean * self.backoff_strength + s
            beta = (1 - mean) * self.backoff_strength + f
            n, depth = s + f, depth_now
        return Posterior(alpha, beta, n, depth)


@dataclass
class Draw:
    pick: str
    posterior: Posterior
    exploratory: bool  # the pick is not the strategy with the highest posterior mean
    propensity: float
    posteriors: dict[str, Posterior]
    propensities: dict[str, float]


def pick_probabilities(posteriors: dict[str, Posterior], draws: int, rng: np.random.Generator) -> dict[str, float]:
    """Monte Carlo estimate of P(strategy has the highest sampled success rate)."""
    names = list(posteriors)
    if len(names) == 1:
        return {names[0]: 1.0}
    samples = np.column_stack([rng.beta(posteriors[n].alpha, posteriors[n].beta, size=draws) for n in names])
    wins = np.bincount(samples.argmax(axis=1), minlength=len(names))
    return {n: float(w) / draws for n, w in zip(names, wins)}


def thompson_draw(
    book: DiscountedBetas,
    strategies: list[str],
    context: Context,
    t: float,
    rng: np.random.Generator,
    propensity_draws: int = 0,
    propensity_rng: np.random.Generator | None = None,
) -> Draw:
    """Sample each strategy's posterior once and pick the best sample (Thompson sampling).
    With `propensity_draws`, also estimate every strategy's pick probability."""
    posteriors = {s: book.posterior(s, context, t) for s in strategies}
    sampled = {s: rng.beta(p.alpha, p.beta) for s, p in posteriors.items()}
    pick = max(strategies, key=lambda s: sampled[s])
    greedy = max(strategies, key=lambda s: posteriors[s].mean)
    propensities = (
        pick_probabilities(posteriors, propensity_draws, propensity_rng or np.random.default_rng(0))
        if propensity_draws else {}
    )
    return Draw(pick, posteriors[pick], pick != greedy, propensities.get(pick, math.nan), posteriors, propensities)
