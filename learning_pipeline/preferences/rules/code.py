"""Code pairs: consecutive versions of a file, from the judge's pairwise comparison.

The judge compares the two versions in both orders (`code_version_comparisons`); only a winner
both orders agree on makes a pair. A tie, orders that disagree (position bias), a comparison
that failed (asked again next run) or one not made yet give no pair, each counted. The verdict
is found by the exact code it is about, so an artifact re-sent with other code never borrows
an old verdict.
"""

from __future__ import annotations

from typing import Iterator

import polars as pl

from learning_pipeline.judging.judgments import comparison_hash, comparison_prompt
from learning_pipeline.preferences.pairs import PairBatch
from learning_pipeline.preferences.rules._rows import json_of, seen
from learning_pipeline.preferences.split import Sighting

DOMAIN = "code"


def sightings(artifacts: pl.DataFrame) -> Iterator[Sighting]:
    for row in artifacts.iter_rows(named=True):
        for version in json_of(row["versions"], []):
            yield Sighting(DOMAIN, version.get("code", ""), row["build_id"], seen(row))


def _verdicts(comparisons: pl.DataFrame) -> dict[str, dict]:
    """content_hash -> the comparison to use: an answered one over one still failing."""
    verdicts: dict[str, dict] = {}
    for row in comparisons.iter_rows(named=True):
        known = verdicts.get(row["content_hash"])
        if known is None or (known["status"] != "ok" and row["status"] == "ok"):
            verdicts[row["content_hash"]] = row
    return verdicts


def _prompt(row: dict, after: dict, errors, intent: str | None) -> str:
    return "\n".join(
        p for p in (
            f"Write the file {row['file_path']}.",
            f"Intent: {intent}" if intent else "",
            f"Context: the previous version had {errors} errors and this one was written as a {after.get('trigger')}."
            if errors is not None else "",
        ) if p
    )


def pairs(artifacts: pl.DataFrame, comparisons: pl.DataFrame, intents: dict[str, str], batch: PairBatch) -> None:
    verdicts = _verdicts(comparisons)
    for row in artifacts.iter_rows(named=True):
        versions = json_of(row["versions"], [])
        trajectory = json_of(row["quality_trajectory"], [])
        compared = comparison_prompt(row["file_path"])
        for position, (before, after) in enumerate(zip(versions, versions[1:])):
            key = comparison_hash(compared, before.get("code", ""), after.get("code", ""))
            verdict = verdicts.get(key)
            if verdict is None:
                batch.dropped["versions_not_compared"] += 1
                continue
            if verdict["status"] != "ok":
                batch.dropped["comparison_failed"] += 1
                continue
            if verdict["winner"] not in ("A", "B"):
                reason = "comparison_orders_disagree" if not verdict["position_consistent"] else "comparison_tie"
                batch.dropped[reason] += 1
                continue
            if (verdict["confidence"] or 0.0) < batch.rules.min_judgment_confidence:
                batch.dropped["comparison_confidence_below_minimum"] += 1
                continue
            better, worse = (after, before) if verdict["winner"] == "B" else (before, after)
            errors = trajectory[position].get("errorCount") if position < len(trajectory) else None
            batch.offer(
                domain=DOMAIN, prompt=_prompt(row, after, errors, intents.get(row["build_id"])),
                chosen=better.get("code", ""), rejected=worse.get("code", ""),
                reasoning=f"v{better.get('version')} preferred over v{worse.get('version')} in both orders "
                          f"(confidence {verdict['confidence']:.2f}): {verdict['reasoning'] or ''}"[:2000],
                # The strength of an agreed pairwise verdict is the judge's confidence in it.
                margin=100.0 * verdict["confidence"], sources=[row["artifact_id"]],
                judgments=[f"{key}:{verdict['judge_version']}"], judge_version=verdict["judge_version"],
                build_id=row["build_id"], created_at=row["updated_at"] or row["created_at"])
