"""Intervals by cluster bootstrap over builds.

Pairs from one build are not independent: they share its app, its intent, its options and
its judge calls, and one build often yields a dozen pairs. Resampling pairs would treat those
as independent witnesses and give intervals far too narrow; resampling *builds* (each drawn
build brings all its pairs) gives intervals that reflect how many independent builds a figure
rests on. A pair without a build id is its own cluster.

One `ClusterBootstrap` draws the resamples once; every figure of an evaluation (each model,
each baseline, each domain, each paired difference) is computed on the same draws, so a
difference between two models is a paired bootstrap.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

LEVEL = 0.95
RESAMPLES = 2000


def cluster_ids(build_ids: Sequence[str | None], pair_ids: Sequence[str]) -> list[str]:
    """The cluster of each pair: its build, or the pair itself when it carries no build id."""
    return [f"build:{b}" if b else f"pair:{p}" for b, p in zip(build_ids, pair_ids, strict=True)]


class ClusterBootstrap:
    def __init__(self, clusters: Sequence[str], resamples: int = RESAMPLES, seed: int = 0, level: float = LEVEL):
        if not 0 < level < 1:
            raise ValueError(f"level must be in (0, 1), got {level}")
        names, inverse = np.unique(np.asarray(list(clusters), dtype=str), return_inverse=True)
        self._cluster_of = inverse.astype(np.int64).ravel()
        self.clusters = len(names)
        self.level = level
        # How often each cluster is drawn in each resample (K draws with replacement out of K clusters).
        rng = np.random.default_rng(seed)
        self._draws = (rng.multinomial(self.clusters, np.full(self.clusters, 1 / self.clusters), size=resamples)
                       .astype(np.float64) if self.clusters else np.zeros((resamples, 0)))

    def builds_in(self, mask: Sequence[bool] | None = None) -> int:
        """How many clusters hold at least one of the selected pairs."""
        selected = self._cluster_of if mask is None else self._cluster_of[np.asarray(mask, dtype=bool)]
        return len(np.unique(selected))

    def mean_interval(self, values: Sequence[float], mask: Sequence[bool] | None = None) -> tuple[float, float]:
        """Percentile interval of the mean of `values` over the selected pairs (all by default).

        The resampled mean is a ratio (sum over drawn clusters / pairs in them), so clusters of
        different sizes weigh by their pairs, as in the point estimate. Resamples that draw none
        of the selected pairs (possible for a small domain) are left out.
        """
        values = np.asarray(values, dtype=np.float64)
        if len(values) != len(self._cluster_of):
            raise ValueError(f"{len(values)} values for {len(self._cluster_of)} pairs")
        keep = np.ones(len(values), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        if not keep.any():
            return (float("nan"), float("nan"))
        sums = np.bincount(self._cluster_of[keep], weights=values[keep], minlength=self.clusters)
        counts = np.bincount(self._cluster_of[keep], minlength=self.clusters).astype(np.float64)
        totals = self._draws @ counts
        means = (self._draws @ sums)[totals > 0] / totals[totals > 0]
        tail = (1 - self.level) / 2 * 100
        low, high = np.percentile(means, [tail, 100 - tail])
        return (round(float(low), 4), round(float(high), 4))
