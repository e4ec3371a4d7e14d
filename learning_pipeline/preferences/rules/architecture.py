"""Architecture pairs: decisions with outcomes.

Success: the chosen option beats each rejected one. Failure or partial: only if a later
decision of the same type in the same build succeeded with a different option.

One outcome is a noisy witness (a poor option sometimes works out) and options recur across
builds, so each observed preference is weighed against the others: a pair is kept only when
its direction was observed clearly more often than the reverse. That weighing counts
observations of one side of the split only, so a held-out label never leans on training
evidence (and the reverse).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterator

import polars as pl

from learning_pipeline.preferences.pairs import PairBatch
from learning_pipeline.preferences.rules._rows import json_of, seen
from learning_pipeline.preferences.split import Sighting, normalise

DOMAIN = "architecture"


def decision_prompt(decision_type: str, phase: str, context: dict) -> str:
    parts = [f"Build decision ({decision_type.replace('_', ' ')}, {phase} phase)."]
    if context.get("intentSnippet"):
        parts.append(f"Intent: {context['intentSnippet']}")
    if context.get("errorIfAny"):
        parts.append(f"Current error: {context['errorIfAny']}")
    parts.append("Which approach should the builder take?")
    return "\n".join(parts)


def build_intents(decisions: pl.DataFrame) -> dict[str, str]:
    intents: dict[str, str] = {}
    for row in decisions.sort("created_at").iter_rows(named=True):
        snippet = json_of(row["context"], {}).get("intentSnippet")
        if snippet and row["build_id"] and row["build_id"] not in intents:
            intents[row["build_id"]] = snippet
    return intents


def sightings(decisions: pl.DataFrame) -> Iterator[Sighting]:
    """Every option a decision named, chosen or rejected, whatever its outcome."""
    for row in decisions.iter_rows(named=True):
        decision = json_of(row["decision"], {})
        for option in [decision.get("chosenOption") or "", *(decision.get("rejectedOptions") or [])]:
            yield Sighting(DOMAIN, option, row["build_id"], seen(row))


def pairs(decisions: pl.DataFrame, batch: PairBatch) -> None:
    rows = decisions.filter(pl.col("outcome").is_not_null()).sort("created_at").to_dicts()
    successes: dict[tuple, list[dict]] = {}
    for row in rows:
        if json_of(row["outcome"], {}).get("immediateResult") == "success":
            successes.setdefault((row["build_id"], row["decision_type"]), []).append(row)
    observed: list[dict] = []
    for row in rows:
        outcome, context, decision = json_of(row["outcome"], {}), json_of(row["context"], {}), json_of(row["decision"], {})
        prompt = decision_prompt(row["decision_type"], row["phase"], context)
        chosen_option = decision.get("chosenOption", "")
        result = outcome.get("immediateResult")
        if result == "success":
            # A clean success (no fixes, shipped) is a stronger preference than a fixed-up one.
            margin = 40 + (20 if outcome.get("finalInProduction") else 0) - 5 * min(4, outcome.get("requiredFixes") or 0)
            rejected_options = decision.get("rejectedOptions") or []
            if not rejected_options:
                batch.dropped["no_rejected_options"] += 1
            for rejected in rejected_options:
                observed.append(dict(
                    decision_type=row["decision_type"], prompt=prompt, chosen=chosen_option, rejected=rejected,
                    reasoning=f"'{chosen_option}' succeeded ({outcome.get('requiredFixes', 0)} fixes); "
                              f"'{rejected}' was considered and rejected.",
                    margin=margin, sources=[row["trace_id"]], build_id=row["build_id"], created_at=row["created_at"]))
            continue
        later = [s for s in successes.get((row["build_id"], row["decision_type"]), [])
                 if s["created_at"] > row["created_at"] and json_of(s["decision"], {}).get("chosenOption") != chosen_option]
        if not later:
            batch.dropped["failed_without_observed_winner"] += 1
            continue
        winner = later[0]
        winner_option = json_of(winner["decision"], {}).get("chosenOption", "")
        observed.append(dict(
            decision_type=row["decision_type"], prompt=prompt, chosen=winner_option, rejected=chosen_option,
            reasoning=f"'{chosen_option}' ended in {result}; a later decision in the same build chose "
                      f"'{winner_option}' and succeeded.",
            margin=50, sources=[row["trace_id"], winner["trace_id"]], build_id=row["build_id"], created_at=winner["created_at"]))

    # Classify first, then weigh: an observation that straddles the split is evidence for neither side.
    sided = []
    for o in observed:
        side = batch.split.side(DOMAIN, o["build_id"], (o["chosen"], o["rejected"]))
        if side is None:
            batch.straddles(DOMAIN)
        else:
            sided.append((side, o))
    evidence = Counter((side, o["decision_type"], normalise(o["chosen"]), normalise(o["rejected"])) for side, o in sided)
    for side, o in sided:
        kind, chosen, rejected = o.pop("decision_type"), normalise(o["chosen"]), normalise(o["rejected"])
        forward, reverse = evidence[(side, kind, chosen, rejected)], evidence[(side, kind, rejected, chosen)]
        if forward < batch.rules.min_option_evidence_ratio * reverse:
            batch.dropped["contradicted_by_other_outcomes"] += 1
            continue
        batch.offer(domain=DOMAIN, side=side, **o)
