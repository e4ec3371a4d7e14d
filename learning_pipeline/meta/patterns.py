"""The pattern library (Voyager-style): candidates from verified success (`pattern_sources`)
become patterns.

Candidates are embedded, near-duplicates of a category merge (combined counts and sources), and
usage feedback updates each pattern's success rate under a prior. Patterns and vectors are one
Parquet table, written atomically by the caller, so the store and the index cannot drift apart.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from learning_pipeline.config import MetaConfig
from learning_pipeline.meta.embeddings import Embedder

CATEGORIES = ("error_fix", "code", "design", "architecture")
LIBRARY_TABLE = "pattern_library"


def library_schema(dim: int) -> dict[str, pl.DataType]:
    return {
        "pattern_id": pl.String,
        "category": pl.String,
        "name": pl.String,
        "problem": pl.String,
        "solution_template": pl.String,
        "conditions": pl.List(pl.String),  # "key=value": the pattern applies only where the context allows it
        "anti_conditions": pl.List(pl.String),  # "key=value": never offered in such a context
        "code_template": pl.String,
        "embedding": pl.Array(pl.Float32, dim),
        "embedder": pl.String,
        "usage_count": pl.Int64,
        "success_rate": pl.Float64,
        "successes": pl.Float64,
        "source_count": pl.Int64,  # verified successes the pattern was extracted from
        "source_trace_ids": pl.List(pl.String),
        "merged_ids": pl.List(pl.String),  # ids of near-duplicates merged into this one (feedback on them lands here)
        "first_seen": pl.Datetime("us", "UTC"),
        "last_seen": pl.Datetime("us", "UTC"),
    }


@dataclass
class Candidate:
    category: str
    key: str  # what makes two candidates the same pattern before embedding
    name: str
    problem: str
    solution_template: str
    code_template: str = ""
    conditions: set[str] = field(default_factory=set)
    anti_conditions: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    seen: list = field(default_factory=list)
    trials: float = 0.0  # usage outcomes known at extraction (a code pattern's first-attempt results)
    successes: float = 0.0

    @property
    def pattern_id(self) -> str:
        return f"pat_{self.category}_{hashlib.sha1(self.key.encode()).hexdigest()[:12]}"

    def text(self) -> str:
        """What is embedded: an error-fix pattern is found by its error, the others by what they solve."""
        if self.category == "error_fix":
            return self.problem
        return f"{self.name}. {self.problem}. {self.solution_template}"


# -- building the library --------------------------------------------------------------------
@dataclass
class BuildReport:
    candidates: int
    merged: int  # candidates folded into a near-duplicate
    patterns: int
    unsupported: int  # merged groups left out for want of support
    usage_events: int
    usage_matched: int
    by_category: dict[str, int]


def build_library(
    candidates: list[Candidate],
    embedder: Embedder,
    usage: pl.DataFrame | None,
    config: MetaConfig,
) -> tuple[pl.DataFrame, BuildReport]:
    """Embed, merge near-duplicates within a category, apply usage feedback: the library table."""
    ordered = sorted(candidates, key=lambda c: (c.category, -len(c.sources), c.pattern_id))
    vectors = embedder.embed([c.text() for c in ordered]) if ordered else np.zeros((0, 1), np.float32)
    dim = vectors.shape[1] if ordered else 384
    kept: list[int] = []
    members: dict[int, list[int]] = {}
    merged = 0
    for i, candidate in enumerate(ordered):
        same = [j for j in kept if ordered[j].category == candidate.category]
        if same:
            sims = vectors[same] @ vectors[i]
            best = int(np.argmax(sims))
            threshold = config.architecture_merge_similarity if candidate.category == "architecture" else config.merge_similarity
            if sims[best] >= threshold:
                members[same[best]].append(i)
                merged += 1
                continue
        kept.append(i)
        members[i] = [i]

    # A verified fix stands on its own; a code, design or architecture pattern needs support,
    # counted after near-duplicates have merged.
    supported = [i for i in kept if ordered[i].category == "error_fix"
                 or sum(len(ordered[j].sources) for j in members[i]) >= config.min_support]
    feedback = _usage_by_pattern(usage)
    matched = 0
    rows = []
    for i in supported:
        group = [ordered[j] for j in members[i]]
        head = group[0]
        ids = [c.pattern_id for c in group]
        trials = sum(c.trials for c in group)
        successes = sum(c.successes for c in group)
        for pid in ids:
            if pid in feedback:
                matched += feedback[pid][0]
                trials += feedback[pid][0]
                successes += feedback[pid][1]
        conditions = set().union(*(c.conditions for c in group))
        anti = set().union(*(c.anti_conditions for c in group)) - conditions
        seen = [s for c in group for s in c.seen if s is not None]
        prior_a = config.prior_success * config.prior_strength
        rows.append({
            "pattern_id": head.pattern_id, "category": head.category, "name": head.name, "problem": head.problem,
            "solution_template": head.solution_template, "conditions": sorted(conditions), "anti_conditions": sorted(anti),
            "code_template": head.code_template, "embedding": vectors[i].tolist(), "embedder": embedder.name,
            "usage_count": int(trials), "success_rate": (prior_a + successes) / (config.prior_strength + trials),
            "successes": float(successes), "source_count": sum(len(c.sources) for c in group),
            "source_trace_ids": sorted({s for c in group for s in c.sources}), "merged_ids": ids[1:],
            "first_seen": min(seen) if seen else None, "last_seen": max(seen) if seen else None,
        })
    frame = pl.DataFrame(rows, schema=library_schema(dim))
    report = BuildReport(
        candidates=len(ordered), merged=merged, patterns=frame.height, unsupported=len(kept) - len(supported),
        usage_events=int(sum(v[0] for v in feedback.values())), usage_matched=int(matched),
        by_category={c: n for c, n in Counter(frame.get_column("category").to_list()).items()},
    )
    return frame, report


def _usage_by_pattern(usage: pl.DataFrame | None) -> dict[str, tuple[int, int]]:
    """pattern id -> (uses, successes) from pattern-usage feedback."""
    if usage is None or usage.height == 0:
        return {}
    grouped = usage.group_by("pattern_id").agg(pl.len().alias("n"), pl.col("success").cast(pl.Int64).sum().alias("ok"))
    return {pid: (int(n), int(ok)) for pid, n, ok in grouped.iter_rows()}
