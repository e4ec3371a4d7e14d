"""Active learning: the judged items the judges are least sure of, queued for re-judging or review.

An item's uncertainty combines the judges' own doubt (1 - confidence) with their disagreement
(the spread of the overall scores different judges gave the same item, in 0..1 of the scale).
Re-judging those, or asking a person, changes the most pairs per judgment spent.
"""

from __future__ import annotations

import polars as pl

QUEUE_SCHEMA = {"item_id": pl.String, "item_kind": pl.String, "build_id": pl.String, "judges": pl.Int64,
                "min_confidence": pl.Float64, "score_spread": pl.Float64, "uncertainty": pl.Float64,
                "reason": pl.String, "route": pl.String}


def review_queue(judgments: pl.DataFrame, size: int, human_below: float = 0.4) -> pl.DataFrame:
    """The `size` most uncertain items, most uncertain first; `route` is `human_review` when even
    the most confident judge is below `human_below`, else `rejudge`."""
    if not judgments.height:
        return pl.DataFrame(schema=QUEUE_SCHEMA)
    ok = judgments.filter((pl.col("status") == "ok") & pl.col("overall").is_not_null())
    items = (ok.group_by("item_id").agg(
        pl.col("item_kind").first(), pl.col("build_id").first(), pl.col("judge_type").n_unique().alias("judges"),
        pl.col("confidence").min().alias("min_confidence"), pl.col("confidence").max().alias("max_confidence"),
        ((pl.col("overall").max() - pl.col("overall").min()) / 100.0).alias("score_spread"),
    ).with_columns(
        (0.5 * (1.0 - pl.col("min_confidence").fill_null(0.0)) + 0.5 * pl.col("score_spread")).alias("uncertainty"),
    ))
    top = items.sort(["uncertainty", "item_id"], descending=[True, False]).head(size)
    return top.with_columns(
        pl.when(pl.col("score_spread") >= 1.0 - pl.col("min_confidence"))
        .then(pl.format("judges differ by {} points", (pl.col("score_spread") * 100).round(1)))
        .otherwise(pl.format("lowest judge confidence {}", pl.col("min_confidence").round(3))).alias("reason"),
        pl.when(pl.col("max_confidence") < human_below).then(pl.lit("human_review")).otherwise(pl.lit("rejudge")).alias("route"),
    ).select(list(QUEUE_SCHEMA)).cast(QUEUE_SCHEMA)
