"""Point estimates with confidence intervals. The unit of resampling is the build: a build's
errors are not independent of each other, so error-level figures resample whole builds."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 2000


@dataclass(frozen=True)
class Estimate:
    value: float | None
    low: float | None
    high: float | None
    n: int  # builds behind the figure

    def as_wire(self, digits: int = 4) -> dict:
        r = (lambda v: None if v is None else round(v, digits))
        return {"value": r(self.value), "low": r(self.low), "high": r(self.high), "n": self.n}


EMPTY = Estimate(None, None, None, 0)


def rate(successes: int, n: int) -> Estimate:
    """A share of builds with its Wilson score interval (sound at small n and near 0 or 1)."""
    if n == 0:
        return EMPTY
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(CONFIDENCE, method="wilson")
    return Estimate(successes / n, float(ci.low), float(ci.high), n)


def _interval(data: tuple[np.ndarray, ...], statistic, seed: int) -> tuple[float, float]:
    first = data[0]
    if len(first) < 2 or all(np.all(d == d[0]) for d in data):
        value = float(statistic(*data, axis=-1))
        return value, value  # no spread to resample: the interval is the point
    result = stats.bootstrap(data, statistic, paired=len(data) > 1, vectorized=True, n_resamples=RESAMPLES,
                             confidence_level=CONFIDENCE, method="percentile", random_state=np.random.default_rng(seed))
    low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    return low, high


def _mean(values, axis=-1):
    return np.mean(values, axis=axis)


def mean(values: np.ndarray, seed: int = 0) -> Estimate:
    """The mean of one value per build, with a percentile bootstrap interval over builds."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return EMPTY
    low, high = _interval((values,), _mean, seed)
    return Estimate(float(values.mean()), low, high, int(values.size))


def _ratio(numerators, denominators, axis=-1):
    totals = np.sum(denominators, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.sum(numerators, axis=axis) / np.where(totals > 0, totals, 1), np.nan)


def ratio(numerators: np.ndarray, denominators: np.ndarray, seed: int = 0) -> Estimate:
    """sum(numerator) / sum(denominator) over builds (attempts per error), resampling builds."""
    numerators, denominators = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    keep = denominators > 0
    numerators, denominators = numerators[keep], denominators[keep]
    if denominators.size == 0:
        return EMPTY
    low, high = _interval((numerators, denominators), _ratio, seed)
    value = float(numerators.sum() / denominators.sum())
    if math.isnan(low) or math.isnan(high):
        low = high = value
    return Estimate(value, low, high, int(denominators.size))


def difference(before: np.ndarray, after: np.ndarray, statistic, seed: int = 0) -> tuple[float, float] | None:
    """Interval of statistic(after) - statistic(before), each week's builds resampled on their own.
    `before`/`after` are tuples of per-build arrays (one array for means and rates, two for ratios)."""
    if len(before[0]) < 2 or len(after[0]) < 2:
        return None
    rng = np.random.default_rng(seed)
    pick_b = rng.integers(0, len(before[0]), size=(RESAMPLES, len(before[0])))
    pick_a = rng.integers(0, len(after[0]), size=(RESAMPLES, len(after[0])))
    deltas = statistic(*(a[pick_a] for a in after), axis=-1) - statistic(*(b[pick_b] for b in before), axis=-1)
    deltas = deltas[~np.isnan(deltas)]
    if deltas.size == 0:
        return None
    tail = (1 - CONFIDENCE) / 2 * 100
    return float(np.percentile(deltas, tail)), float(np.percentile(deltas, 100 - tail))
