"""Curriculum: training pairs ordered from easy to hard, for a training step run with shuffling off.

A pair is easy when its preference is clear (a wide margin) and the judges that produced it were
confident; a pair built without judgments (a decision's own outcome) counts at full confidence.
Difficulty = 1 - (margin rank in its domain) * (mean judge confidence). Ranking margins within a
domain keeps one domain's scale (0-100 points vs 0-1) from putting all its pairs first.
"""

from __future__ import annotations

import json

import polars as pl


def judge_confidence(pairs: pl.DataFrame, judgments: pl.DataFrame) -> pl.Series:
    """Mean confidence of the judgments each pair was built from (1.0 when none)."""
    by_id: dict[str, float] = {}
    if judgments.height:
        for h, v, c in judgments.select("content_hash", "judge_version", "confidence").iter_rows():
            if c is not None:
                by_id[f"{h}:{v}"] = float(c)
    values = []
    for raw in pairs.get_column("judgment_ids").to_list():
        ids = json.loads(raw) if raw else []
        found = [by_id[i] for i in ids if i in by_id]
        values.append(sum(found) / len(found) if found else 1.0)
    return pl.Series("judge_confidence", values, dtype=pl.Float64)


def curriculum_order(pairs: pl.DataFrame, judgments: pl.DataFrame) -> pl.DataFrame:
    """`pairs` with `judge_confidence`, `difficulty` and `curriculum_rank` (0 = first), easiest first.
    Ties break on `pair_id`, so the order is the same on every run."""
    if not pairs.height:
        return pairs.with_columns(pl.lit(None, pl.Float64).alias("judge_confidence"), pl.lit(None, pl.Float64).alias("difficulty"),
                                  pl.lit(None, pl.Int64).alias("curriculum_rank"))
    ranked = pairs.with_columns(
        judge_confidence(pairs, judgments),
        (pl.col("margin").abs().rank("average").over("domain") / pl.len().over("domain")).alias("margin_rank"),
    )
    return (ranked.with_columns((1.0 - pl.col("margin_rank") * pl.col("judge_confidence")).alias("difficulty"))
            .sort(["difficulty", "pair_id"])
            .with_row_index("curriculum_rank").with_columns(pl.col("curriculum_rank").cast(pl.Int64))
            .drop("margin_rank"))
