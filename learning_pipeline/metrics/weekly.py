"""The KPIs per period (a week, or one day for the partitioned asset), each with its interval,
and the per-week counts beside them (pairs generated, judgments and their cost)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from learning_pipeline.metrics import estimates
from learning_pipeline.metrics.estimates import Estimate
from learning_pipeline.metrics.kpis import ANTI_SLOP, BUILD_TIME, ERROR_FIX_ATTEMPTS, FIRST_ATTEMPT_SUCCESS, PATTERNS, USER_SATISFACTION

WEEKLY_TABLE = "learning_metrics_weekly"
DAILY_TABLE = "learning_metrics_daily"
ROW_SCHEMA = {"period_start": pl.Date, "kpi": pl.String, "value": pl.Float64, "low": pl.Float64, "high": pl.Float64, "n": pl.Int64}


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday


def per_build_arrays(builds: pl.DataFrame, errors: pl.DataFrame) -> dict[str, tuple[np.ndarray, ...]]:
    """Each build KPI as the per-build arrays its statistic reads: the unit every interval resamples."""
    per_build_errors = (builds.select("build_id")
                        .join(errors.group_by("build_id").agg(pl.len().alias("errors"), pl.col("attempts").sum()), on="build_id", how="left")
                        .fill_null(0))
    return {
        FIRST_ATTEMPT_SUCCESS.key: (builds.get_column("first_attempt_success").drop_nulls().cast(pl.Float64).to_numpy(),),
        ERROR_FIX_ATTEMPTS.key: (per_build_errors.get_column("attempts").cast(pl.Float64).to_numpy(),
                                 per_build_errors.get_column("errors").cast(pl.Float64).to_numpy()),
        ANTI_SLOP.key: (builds.get_column("anti_slop_score").drop_nulls().to_numpy(),),
        USER_SATISFACTION.key: (builds.get_column("user_satisfaction").drop_nulls().to_numpy(),),
        BUILD_TIME.key: ((builds.get_column("build_time_ms").drop_nulls().cast(pl.Float64) / 60_000).to_numpy(),),
    }


def kpi_estimates(builds: pl.DataFrame, errors: pl.DataFrame, seed: int = 0) -> dict[str, Estimate]:
    """Every build KPI over one set of builds. Errors count toward a build of the set only."""
    arrays = per_build_arrays(builds, errors)
    success = arrays[FIRST_ATTEMPT_SUCCESS.key][0]
    out = {FIRST_ATTEMPT_SUCCESS.key: estimates.rate(int(success.sum()), int(success.size)),
           ERROR_FIX_ATTEMPTS.key: estimates.ratio(*arrays[ERROR_FIX_ATTEMPTS.key], seed=seed)}
    for kpi in (ANTI_SLOP, USER_SATISFACTION, BUILD_TIME):
        out[kpi.key] = estimates.mean(arrays[kpi.key][0], seed=seed)
    return out


def library_size_by(patterns: pl.DataFrame, end: dt.date) -> int:
    """Patterns in today's library first seen before `end`: the library as it had grown by then."""
    if not patterns.height:
        return 0
    limit = dt.datetime.combine(end, dt.time(), tzinfo=dt.timezone.utc)
    return patterns.filter(pl.col("first_seen") < limit).height


def weeks_of(*days: pl.Series) -> list[dt.date]:
    seen = {week_start(d) for series in days for d in series.drop_nulls().to_list()}
    return sorted(seen)


def weekly_rows(builds: pl.DataFrame, errors: pl.DataFrame, patterns: pl.DataFrame, seed: int = 0) -> pl.DataFrame:
    """The weekly KPI table: one row per (week, KPI), intervals included."""
    builds = builds.with_columns(pl.col("day").map_elements(week_start, return_dtype=pl.Date).alias("week"))
    errors = errors.join(builds.select("build_id", "week"), on="build_id", how="inner")  # an error counts in its build's week
    rows = []
    for week in weeks_of(builds.get_column("day")):
        in_week = builds.filter(pl.col("week") == week)
        for key, e in kpi_estimates(in_week, errors.filter(pl.col("week") == week), seed=seed).items():
            rows.append({"period_start": week, "kpi": key, "value": e.value, "low": e.low, "high": e.high, "n": e.n})
        size = library_size_by(patterns, week + dt.timedelta(days=7))
        rows.append({"period_start": week, "kpi": PATTERNS.key, "value": float(size), "low": None, "high": None, "n": size})
    return pl.DataFrame(rows, schema=ROW_SCHEMA)


def weekly_counts(pairs: pl.DataFrame, judgments: pl.DataFrame) -> pl.DataFrame:
    """Per week: preference pairs generated, judgments made and what the judges cost."""
    def by_week(frame: pl.DataFrame, *aggs: pl.Expr) -> pl.DataFrame:
        return (frame.with_columns(pl.col("day").map_elements(week_start, return_dtype=pl.Date).alias("week"))
                .group_by("week").agg(*aggs)) if frame.height else pl.DataFrame(schema={"week": pl.Date})
    p = by_week(pairs, pl.len().alias("pairs"))
    j = by_week(judgments, pl.len().alias("judgments"), pl.col("cost_usd").sum().alias("judge_cost_usd"),
                (pl.col("status") != "ok").sum().alias("judgments_not_ok"))
    weeks = pl.concat([p.select("week"), j.select("week")]).unique()
    out = weeks.join(p, on="week", how="left").join(j, on="week", how="left").sort("week")
    for col, dtype in (("pairs", pl.UInt32), ("judgments", pl.UInt32), ("judge_cost_usd", pl.Float64), ("judgments_not_ok", pl.UInt32)):
        if col not in out.columns:
            out = out.with_columns(pl.lit(None, dtype).alias(col))
    return out.with_columns(pl.col("pairs", "judgments", "judgments_not_ok").fill_null(0).cast(pl.Int64),
                            pl.col("judge_cost_usd").fill_null(0.0))
