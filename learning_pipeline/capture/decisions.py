"""Join decisions to their newest outcome, whichever day each of them landed."""

from __future__ import annotations

import polars as pl


def newest_copies(decisions: pl.DataFrame) -> pl.DataFrame:
    """One row per trace id, the newest copy (latest `createdAt`, then latest arrival). The capture
    partitions already drop copies superseded on another day; this holds while a day waits for
    its reprocessing, so `decision_traces` never shows an id twice."""
    return (
        decisions.with_row_index("_order")
        .sort(["trace_id", "created_at", "received_at", "_order"])
        .unique("trace_id", keep="last", maintain_order=True)
        .sort("_order")
        .drop("_order")
    )


def latest_outcomes(decisions: pl.DataFrame, late: pl.DataFrame) -> pl.DataFrame:
    """(trace_id, outcome, outcome_recorded_at, outcome_source): the newest outcome per trace.
    An inline outcome counts as recorded when the decision says (or when it was created); on a
    tie a late event wins, since it was sent after the decision that carried the inline one."""
    inline = decisions.filter(pl.col("outcome").is_not_null()).select(
        "trace_id",
        "outcome",
        pl.coalesce("outcome_recorded_at", "created_at").alias("outcome_recorded_at"),
        pl.lit("inline").alias("outcome_source"),
        pl.lit(0).alias("_rank"),
    )
    events = late.select(
        "trace_id",
        "outcome",
        "outcome_recorded_at",
        pl.lit("late").alias("outcome_source"),
        pl.lit(1).alias("_rank"),
    )
    return (
        pl.concat([inline, events])
        .sort(["trace_id", "outcome_recorded_at", "_rank"])
        .unique("trace_id", keep="last", maintain_order=True)
        .drop("_rank")
    )


def with_latest_outcomes(decisions: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    return decisions.drop("outcome", "outcome_recorded_at").join(outcomes, on="trace_id", how="left")
