"""Baseline week against latest week, per KPI: the change, its interval (each week's builds
resampled on their own), whether the interval clears zero in the good direction, and where the
latest value stands against the plan's targets."""

from __future__ import annotations

import datetime as dt

import polars as pl

from learning_pipeline.metrics import estimates
from learning_pipeline.metrics.kpis import BUILD_KPIS, ERROR_FIX_ATTEMPTS, PATTERNS, Kpi, camel
from learning_pipeline.metrics.weekly import kpi_estimates, library_size_by, per_build_arrays, week_start

MIN_BUILDS_PER_WEEK = 5  # a week with fewer builds is too thin to anchor a comparison


def comparable_weeks(builds: pl.DataFrame) -> list[dt.date]:
    if not builds.height:
        return []
    counts = builds.group_by(pl.col("day").map_elements(week_start, return_dtype=pl.Date).alias("week")).len()
    return sorted(counts.filter(pl.col("len") >= MIN_BUILDS_PER_WEEK).get_column("week").to_list())


def _in_week(frame: pl.DataFrame, week: dt.date) -> pl.DataFrame:
    return frame.filter((pl.col("day") >= week) & (pl.col("day") < week + dt.timedelta(days=7)))


def verdict(kpi: Kpi, interval: tuple[float, float] | None) -> str:
    if interval is None:
        return "too few builds"
    low, high = interval
    if (low > 0 and kpi.higher_is_better) or (high < 0 and not kpi.higher_is_better):
        return "improved"
    if (high < 0 and kpi.higher_is_better) or (low > 0 and not kpi.higher_is_better):
        return "worse"
    return "no clear change"


def improvement(builds: pl.DataFrame, errors: pl.DataFrame, patterns: pl.DataFrame, seed: int = 0) -> dict:
    weeks = comparable_weeks(builds)
    if len(weeks) < 2:
        return {"baselineWeek": weeks[0].isoformat() if weeks else None, "latestWeek": None, "kpis": [],
                "note": f"needs two weeks with at least {MIN_BUILDS_PER_WEEK} builds each"}
    first, last = weeks[0], weeks[-1]
    errors_with_build = errors.drop("day").join(builds.select("build_id", "day"), on="build_id", how="inner")
    sides = {w: (_in_week(builds, w), _in_week(errors_with_build, w)) for w in (first, last)}
    base, latest = (kpi_estimates(*sides[w], seed=seed) for w in (first, last))
    arrays = {w: per_build_arrays(*sides[w]) for w in (first, last)}
    rows = []
    for kpi in BUILD_KPIS:
        statistic = estimates._ratio if kpi is ERROR_FIX_ATTEMPTS else estimates._mean
        interval = estimates.difference(arrays[first][kpi.key], arrays[last][kpi.key], statistic, seed=seed)
        b, l = base[kpi.key], latest[kpi.key]
        rows.append(_row(kpi, b.as_wire(), l.as_wire(),
                         None if b.value is None or l.value is None else l.value - b.value, interval, verdict(kpi, interval)))
    before, after = (library_size_by(patterns, w + dt.timedelta(days=7)) for w in (first, last))
    count = lambda v: {"value": float(v), "low": None, "high": None, "n": v}  # noqa: E731
    rows.append(_row(PATTERNS, count(before), count(after), float(after - before), None,
                     "grew" if after > before else "no growth"))
    return {"baselineWeek": first.isoformat(), "latestWeek": last.isoformat(), "minBuildsPerWeek": MIN_BUILDS_PER_WEEK,
            "confidence": estimates.CONFIDENCE, "kpis": rows}


def _row(kpi: Kpi, base: dict, latest: dict, change: float | None, interval, verdict_: str) -> dict:
    value = latest["value"]
    return {
        "key": camel(kpi.key), "label": kpi.label, "unit": kpi.unit, "higherIsBetter": kpi.higher_is_better,
        "baseline": base, "latest": latest,
        "change": None if change is None else round(change, 4),
        "changeInterval": None if interval is None else [round(interval[0], 4), round(interval[1], 4)],
        "verdict": verdict_,
        "plan": {"baseline": kpi.plan_baseline, "threeMonths": kpi.plan_3_months, "sixMonths": kpi.plan_6_months},
        "meetsThreeMonthTarget": None if value is None else (value >= kpi.plan_3_months if kpi.higher_is_better else value <= kpi.plan_3_months),
    }
