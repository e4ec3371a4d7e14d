"""Would the posterior fitted on earlier outcomes have done better than the builder did later?

The observations are split in time: posteriors are fitted on the earlier part, and their
Thompson policy is scored by SNIPS on the later, logged outcomes, beside the success rate the
logging policy actually got on them. Logged propensities are used where the builder sent them,
else the logging policy's pick frequencies per context are estimated from the logged records.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from learning_pipeline.config import MetaConfig
from learning_pipeline.meta.off_policy import LoggedOutcome, PolicyEstimate, empirical_propensities, snips
from learning_pipeline.meta.posteriors import pick_probabilities
from learning_pipeline.meta.strategies import CONTEXT_FIELDS, catalogue, fit, observation_context


def offline_evaluation(observations: pl.DataFrame, config: MetaConfig, logged_share: float = 0.2,
                       previous: dict | None = None) -> dict[str, PolicyEstimate]:
    """Per domain: the SNIPS estimate of the earlier posterior's policy on the later outcomes."""
    ordered = observations.filter(pl.col("at").is_not_null()).sort("at")
    if ordered.height < 10:
        return {}
    cut = int(ordered.height * (1 - logged_share))
    earlier, later = ordered.head(cut), ordered.tail(ordered.height - cut)
    model = fit(earlier, catalogue(earlier, previous), config)
    key_of = lambda row: tuple(row[f] for f in CONTEXT_FIELDS)  # noqa: E731
    estimated = empirical_propensities([((r["domain"], key_of(r)), r["strategy"]) for r in later.iter_rows(named=True)])
    cache: dict[tuple, dict[str, float]] = {}

    def target(domain: str, context: dict, strategy: str) -> float:
        key = (domain, tuple(context[f] for f in CONTEXT_FIELDS))
        if key not in cache:
            active = model.active(domain)
            posteriors = {s.name: model.posterior(domain, s.name, context) for s in active}
            cache[key] = pick_probabilities(posteriors, config.propensity_draws, np.random.default_rng(config.propensity_seed)) if posteriors else {}
        return cache[key].get(strategy, 0.0)

    out = {}
    for (domain,), rows in later.group_by(["domain"], maintain_order=True):
        logged = [
            LoggedOutcome(
                {**observation_context(r), "_domain": domain}, r["strategy"],
                r["propensity"] if r["propensity"] else estimated[((domain, key_of(r)), r["strategy"])], r["reward"],
            )
            for r in rows.iter_rows(named=True)
        ]
        out[domain] = snips(logged, lambda c, s: target(c["_domain"], c, s))
    return out
