"""What the learning metrics read from the lake, one frame per source, in the shapes the KPI
arithmetic wants. Reads only: the metrics never write to another layer's tables."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from learning_pipeline.capture.processing import read_traces
from learning_pipeline.judging.judgments import JUDGMENTS_TABLE
from learning_pipeline.judging.ledger import JUDGMENT_SCHEMA
from learning_pipeline.lake import Lake
from learning_pipeline.meta.patterns import LIBRARY_TABLE
from learning_pipeline.preferences.assets import PAIRS_TABLE
from learning_pipeline.training.promotion_history import EVENT_SCHEMA, PROMOTIONS_TABLE
from learning_pipeline.training.registry import RUN_SCHEMA, RUNS_TABLE, VERSION_SCHEMA, VERSIONS_TABLE

BUILD_SCHEMA = {"build_id": pl.String, "day": pl.Date, "first_attempt_success": pl.Boolean, "build_time_ms": pl.Int64,
                "user_satisfaction": pl.Float64, "anti_slop_score": pl.Float64}
ERROR_SCHEMA = {"error_id": pl.String, "build_id": pl.String, "day": pl.Date, "attempts": pl.Int64}
JUDGE_SCHEMA = {"day": pl.Date, "judge_type": pl.String, "status": pl.String, "overall": pl.Float64, "cost_usd": pl.Float64}


def _day(frame: pl.DataFrame) -> pl.Expr:
    # The trace's own time picks its week, as it picked its partition; landing time only when it has none.
    return pl.coalesce("created_at", "received_at").dt.date().alias("day")


def builds(lake: Lake, partitions: list[str] | None = None) -> pl.DataFrame:
    """One row per build: its latest build summary (a re-sent summary corrects the first)."""
    frame = read_traces(lake, "build_summary", partitions)
    if not frame.height:
        return pl.DataFrame(schema=BUILD_SCHEMA)
    return (frame.sort("received_at").unique("build_id", keep="last")
            .select("build_id", _day(frame), *[c for c in BUILD_SCHEMA if c not in ("build_id", "day")])
            .cast(BUILD_SCHEMA).sort("day", "build_id"))


def errors(lake: Lake, partitions: list[str] | None = None) -> pl.DataFrame:
    """One row per error with the number of recovery attempts its journey took."""
    frame = read_traces(lake, "error_recovery", partitions)
    if not frame.height:
        return pl.DataFrame(schema=ERROR_SCHEMA)
    attempts = [len(json.loads(j)) if j else 0 for j in frame.get_column("recovery_journey").to_list()]
    return (frame.with_columns(pl.Series("attempts", attempts, dtype=pl.Int64))
            .sort("received_at").unique("error_id", keep="last")
            .select("error_id", "build_id", _day(frame), "attempts").cast(ERROR_SCHEMA))


def judgments(lake: Lake, partitions: list[str] | None = None) -> pl.DataFrame:
    """Judgments with the day of the traces they judged (their partition), not the day they ran."""
    frames = []
    for day in partitions if partitions is not None else lake.partitions(JUDGMENTS_TABLE):
        if not lake.has(JUDGMENTS_TABLE, day):
            continue
        part = lake.read(JUDGMENTS_TABLE, [day], schema=JUDGMENT_SCHEMA)
        frames.append(part.select(pl.lit(dt.date.fromisoformat(day)).alias("day"), "judge_type", "status", "overall",
                                  pl.col("cost_usd").fill_null(0.0)))
    return pl.concat(frames).cast(JUDGE_SCHEMA) if frames else pl.DataFrame(schema=JUDGE_SCHEMA)


def pairs(lake: Lake) -> pl.DataFrame:
    """Preference pairs with the day of the traces they came from."""
    frame = lake.read(PAIRS_TABLE)
    if not frame.height or "created_at" not in frame.columns:
        return pl.DataFrame(schema={"day": pl.Date, "domain": pl.String})
    domain = pl.col("domain") if "domain" in frame.columns else pl.lit(None, pl.String).alias("domain")
    return frame.select(pl.col("created_at").dt.date().alias("day"), domain)


def patterns(lake: Lake) -> pl.DataFrame:
    frame = lake.read(LIBRARY_TABLE)
    if not frame.height:
        return pl.DataFrame(schema={"pattern_id": pl.String, "category": pl.String, "first_seen": pl.Datetime("us", "UTC")})
    return frame.select("pattern_id", "category", "first_seen")


def model_versions(lake: Lake) -> pl.DataFrame:
    return lake.read(VERSIONS_TABLE, key="model", schema=VERSION_SCHEMA)


def training_runs(lake: Lake) -> pl.DataFrame:
    return lake.read(RUNS_TABLE, schema=RUN_SCHEMA, key="run")


def promotion_events(lake: Lake) -> pl.DataFrame:
    return lake.read(PROMOTIONS_TABLE, key="model", schema=EVENT_SCHEMA)
