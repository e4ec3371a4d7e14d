"""The service functions the API, the CLI and the dashboard share: every figure is computed from
the lake when asked, so the answer is as current as the lake (no asset has to run first)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from learning_pipeline.config import LearningSettings
from learning_pipeline.lake import Lake
from learning_pipeline.metrics import sources
from learning_pipeline.metrics.estimates import CONFIDENCE
from learning_pipeline.metrics.improvement import improvement
from learning_pipeline.metrics.kpis import KPIS, camel
from learning_pipeline.metrics.models import shadow_models
from learning_pipeline.metrics.weekly import weekly_counts, weekly_rows

SEED = 0  # intervals are reproducible: the same lake gives the same answer


def _num(value, digits: int = 4):
    return None if value is None else round(float(value), digits)


def metrics_report(settings: LearningSettings) -> dict:
    """`GET /metrics`: every KPI per week with its interval, the per-week counts, the shadow models."""
    lake = Lake(settings.lake_dir)
    builds, errors, patterns = sources.builds(lake), sources.errors(lake), sources.patterns(lake)
    pairs, judgments = sources.pairs(lake), sources.judgments(lake)
    table = weekly_rows(builds, errors, patterns, seed=SEED)
    kpis = []
    for kpi in KPIS:
        weeks = table.filter(pl.col("kpi") == kpi.key).sort("period_start")
        kpis.append({
            "key": camel(kpi.key), "label": kpi.label, "unit": kpi.unit, "higherIsBetter": kpi.higher_is_better, "how": kpi.how,
            "plan": {"baseline": kpi.plan_baseline, "threeMonths": kpi.plan_3_months, "sixMonths": kpi.plan_6_months},
            "weeks": [{"weekStart": r["period_start"].isoformat(), "value": _num(r["value"]), "low": _num(r["low"]),
                       "high": _num(r["high"]), "n": r["n"]} for r in weeks.iter_rows(named=True)],
        })
    counts = weekly_counts(pairs, judgments)
    return {
        "generatedAt": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "confidence": CONFIDENCE,
        "kpis": kpis,
        "weekly": [{"weekStart": r["week"].isoformat(), "pairs": r["pairs"], "judgments": r["judgments"],
                    "judgmentsNotOk": r["judgments_not_ok"], "judgeCostUsd": _num(r["judge_cost_usd"], 6)}
                   for r in counts.iter_rows(named=True)],
        "totals": {"builds": builds.height, "errors": errors.height, "patterns": patterns.height, "pairs": pairs.height,
                   "judgments": judgments.height, "judgeCostUsd": _num(judgments.get_column("cost_usd").sum() if judgments.height else 0.0, 6)},
        "patternsByCategory": dict(sorted(patterns.group_by("category").len().iter_rows())) if patterns.height else {},
        "shadowModels": shadow_models(lake),
    }


def improvement_report(settings: LearningSettings) -> dict:
    """`GET /metrics/improvement`: baseline week against latest week, plus every week's values."""
    lake = Lake(settings.lake_dir)
    builds, errors, patterns = sources.builds(lake), sources.errors(lake), sources.patterns(lake)
    report = improvement(builds, errors, patterns, seed=SEED)
    table = weekly_rows(builds, errors, patterns, seed=SEED)
    report["weeks"] = [
        {"weekStart": week.isoformat(),
         **{camel(r["kpi"]): {"value": _num(r["value"]), "low": _num(r["low"]), "high": _num(r["high"]), "n": r["n"]}
            for r in table.filter(pl.col("period_start") == week).iter_rows(named=True)}}
        for week in table.get_column("period_start").unique().sort().to_list()
    ]
    return report
