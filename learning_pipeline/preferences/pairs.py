"""Preference pairs: the shared gates every candidate goes through, and `generate_pairs`, which
runs the rule of each domain (`preferences/rules/`) over the capture and judging tables.

Every rule only states a preference that was observed (an outcome, an agreed pairwise verdict,
a judged quality gap, a fix that worked after attempts that did not); none invents a winner.
Each candidate goes through the same gates (minimum margin, near-identical sides), then the
split (`split.py`: by build and by content), then the injection check on its chosen side, and
every candidate that does not become a usable pair is counted by reason, so the UI shows why a
pair is missing.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

import polars as pl
from rapidfuzz import fuzz

from learning_pipeline.preferences.injection import injection_reasons
from learning_pipeline.preferences.split import FLAGGED, ContentSplit, Sighting, is_held_out, normalise

__all__ = ["PAIR_SCHEMA", "PAIR_TABLE_SCHEMA", "PairRules", "PairBatch", "generate_pairs", "is_held_out", "normalise"]

PAIR_SCHEMA: dict[str, pl.DataType] = {
    "pair_id": pl.String,
    "domain": pl.String,
    "prompt": pl.String,
    "chosen": pl.String,
    "rejected": pl.String,
    "judgment_reasoning": pl.String,
    "margin": pl.Float64,
    "source_ids": pl.String,  # JSON list of trace ids the pair comes from
    "judgment_ids": pl.String,  # JSON list of "content_hash:judge_version"
    "judge_version": pl.String,
    "build_id": pl.String,  # the build the pair comes from (the split keeps builds on one side)
    "created_at": pl.Datetime("us", "UTC"),
    "near_key": pl.String,  # same prompt + near-identical sides -> same key
}
PAIR_TABLE_SCHEMA: dict[str, pl.DataType] = {
    **PAIR_SCHEMA,
    "split": pl.String,  # train | held_out | flagged (kept out of training and evaluation, see `flag`)
    "flag": pl.String,  # why a pair is flagged, e.g. "prompt_injection:ignore_instructions"; else null
}


@dataclass(frozen=True)
class PairRules:
    min_judgment_confidence: float = 0.7
    min_margin: float = 5.0
    near_identical_ratio: float = 0.97  # sides at least this similar are not a preference
    held_out_share: float = 0.15  # of builds, and so of texts by their home build (split.py)
    # An option preference must be observed this many times as often as its reverse to count.
    min_option_evidence_ratio: float = 2.0


@dataclass
class PairBatch:
    """The pairs offered so far and why the others were not kept."""

    split: ContentSplit
    rules: PairRules
    rows: list[dict] = field(default_factory=list)
    dropped: Counter = field(default_factory=Counter)  # reason -> candidates
    straddling: Counter = field(default_factory=Counter)  # domain -> candidates whose parts straddle the split
    flagged: Counter = field(default_factory=Counter)  # reason -> pairs kept out of training for review

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=PAIR_TABLE_SCHEMA)

    def straddles(self, domain: str) -> None:
        self.straddling[domain] += 1
        self.dropped["straddles_split"] += 1

    def offer(self, *, domain, prompt, chosen, rejected, reasoning, margin, sources, judgments=(), judge_version=None,
              build_id, created_at, side: str | None = None) -> None:
        """Gate one candidate; `side` when the rule already classified it (see rules/architecture.py)."""
        rules = self.rules
        if not chosen or not rejected:
            self.dropped["empty_side"] += 1
            return
        if margin < rules.min_margin:
            self.dropped["margin_below_minimum"] += 1
            return
        if nearly_identical(chosen, rejected, rules.near_identical_ratio):
            self.dropped["sides_near_identical"] += 1
            return
        side = side or self.split.side(domain, build_id, (chosen, rejected))
        if side is None:
            self.straddles(domain)
            return
        flag = None
        injected = injection_reasons(chosen)
        if injected:
            flag = ",".join(f"prompt_injection:{reason}" for reason in injected)
            self.flagged.update(injected)
            side = FLAGGED
        self.rows.append(
            {
                "pair_id": _hash(domain, prompt, chosen, rejected),
                "domain": domain,
                "prompt": prompt,
                "chosen": chosen,
                "rejected": rejected,
                "judgment_reasoning": reasoning,
                "margin": round(min(100.0, margin), 3),
                "source_ids": json.dumps(list(sources)),
                "judgment_ids": json.dumps(list(judgments)),
                "judge_version": judge_version,
                "build_id": build_id,
                "created_at": created_at,
                "near_key": _hash(domain, normalise(prompt), normalise(chosen), normalise(rejected)),
                "split": side,
                "flag": flag,
            }
        )


def nearly_identical(a: str, b: str, ratio: float) -> bool:
    """2 * LCS / (len a + len b) >= ratio on the normalised sides (rapidfuzz's Indel similarity:
    the longest common subsequence, where difflib's ratio counted greedy matching blocks, a lower
    bound of it, in quadratic Python time on long code)."""
    a, b = normalise(a), normalise(b)
    if a == b:
        return True
    return fuzz.ratio(a, b, score_cutoff=ratio * 100) > 0


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def generate_pairs(
    decisions: pl.DataFrame,
    artifacts: pl.DataFrame,
    designs: pl.DataFrame,
    errors: pl.DataFrame,
    judgments: pl.DataFrame,
    comparisons: pl.DataFrame,
    rules: PairRules = PairRules(),
) -> tuple[pl.DataFrame, PairBatch]:
    """All pairs from the current tables, split and deduplicated, and the batch with the counts
    of what was not kept. Pure: the same inputs always give the same pairs, so a judge change
    replaces the pairs built on its old verdicts."""
    from learning_pipeline.preferences.rules import architecture, code, design, error_fix

    sightings: list[Sighting] = [
        *architecture.sightings(decisions), *code.sightings(artifacts), *design.sightings(designs),
        *error_fix.sightings(errors),
    ]
    batch = PairBatch(ContentSplit.from_sightings(rules.held_out_share, sightings), rules)
    architecture.pairs(decisions, batch)
    code.pairs(artifacts, comparisons, architecture.build_intents(decisions), batch)
    design.pairs(designs, judgments, batch)
    error_fix.pairs(errors, batch)
    frame = batch.frame().sort(["created_at", "pair_id"])
    # The same content has the same side wherever it came from, so dedup never moves a pair
    # across the split.
    before = frame.height
    frame = frame.unique("pair_id", keep="first", maintain_order=True)
    batch.dropped["duplicate_pair"] += before - frame.height
    before = frame.height
    frame = frame.unique("near_key", keep="first", maintain_order=True)
    batch.dropped["near_duplicate_pair"] += before - frame.height
    batch.dropped = +batch.dropped
    return frame, batch


def flagged_by_reason(pairs: pl.DataFrame) -> dict[str, int]:
    """Flagged pairs per reason (a pair can carry several), for `status` and the UI."""
    if "flag" not in pairs.columns or pairs.height == 0:
        return {}
    reasons = Counter(r for flag in pairs.get_column("flag").drop_nulls().to_list() for r in flag.split(","))
    return dict(sorted(reasons.items()))
