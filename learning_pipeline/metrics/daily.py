"""One day's figures, for the daily-partitioned metrics asset: the day's builds and errors, what
the judges did with the day's traces and what they cost, and the pairs those traces gave."""

from __future__ import annotations

import datetime as dt

import polars as pl

from learning_pipeline.lake import Lake
from learning_pipeline.metrics import sources
from learning_pipeline.metrics.weekly import ROW_SCHEMA, kpi_estimates


def day_figures(lake: Lake, day: str, seed: int = 0) -> tuple[pl.DataFrame, dict[str, float | int]]:
    """The day's KPI rows (for the lake) and its numbers (for the partition's metadata; a KPI the
    day has no data for is left out rather than written as a fake zero)."""
    builds, errors = sources.builds(lake, [day]), sources.errors(lake, [day])
    judgments = sources.judgments(lake, [day])
    pairs = sources.pairs(lake)
    date = dt.date.fromisoformat(day)
    rows, numbers = [], {"builds": builds.height, "errors": errors.height, "judgments": judgments.height,
                         "judge_cost_usd": round(float(judgments.get_column("cost_usd").sum()) if judgments.height else 0.0, 6),
                         "pairs": pairs.filter(pl.col("day") == date).height if pairs.height else 0}
    for key, e in kpi_estimates(builds, errors, seed=seed).items():
        rows.append({"period_start": date, "kpi": key, "value": e.value, "low": e.low, "high": e.high, "n": e.n})
        if e.value is not None:
            numbers[key] = round(e.value, 4)
            numbers[f"{key}_low"] = round(e.low, 4)
            numbers[f"{key}_high"] = round(e.high, 4)
    return pl.DataFrame(rows, schema=ROW_SCHEMA), numbers
