"""The pipeline at a glance: what `learning-pipeline status` prints and `GET /status` answers."""

from __future__ import annotations

from learning_pipeline.config import LearningSettings


def status_report(settings: LearningSettings) -> dict:
    import polars as pl

    from learning_pipeline.capture.landing import LandingZone
    from learning_pipeline.capture.processing import QUARANTINE_TABLE, STATS_TABLE
    from learning_pipeline.capture.redaction import SECRET_KINDS
    from learning_pipeline.lake import Lake
    from learning_pipeline.preferences.pairs import flagged_by_reason
    from learning_pipeline.run_history import last_runs
    from learning_pipeline.training.registry_report import registry_summary

    lake, landing = Lake(settings.lake_dir), LandingZone(settings.landing_dir)
    tables = {t: lake.total_rows(t) for t in lake.tables()}
    quarantine = lake.read(QUARANTINE_TABLE)
    reasons = []
    if quarantine.height:
        reasons = (
            quarantine.group_by("kind", "field")
            .agg(pl.len().alias("count"), pl.col("reason").first().alias("example"))
            .sort("count", descending=True)
            .to_dicts()
        )
    stats = lake.read(STATS_TABLE)
    redactions = {k: int(stats.get_column(f"redacted_{k}").sum()) for k in SECRET_KINDS if f"redacted_{k}" in stats.columns}
    landing_days = landing.partitions()
    judgments = lake.read("judgments")
    pairs = lake.read("preference_pairs")
    registry = registry_summary(lake)
    return {
        "learning_home": str(settings.home),
        "landing": {"days": len(landing_days), "files": sum(len(landing.files(p)) for p in landing_days)},
        "tables": tables,
        "quarantine": {"count": quarantine.height, "by_reason": reasons},
        "redactions": {"total": sum(redactions.values()), "by_kind": {k: v for k, v in redactions.items() if v}},
        "judgments": {
            "by_status": dict(judgments.group_by("status").len().iter_rows()) if judgments.height else {},
            "mean_overall_by_judge": {t: round(v, 1) for t, v in judgments.filter(pl.col("status") == "ok")
                                      .group_by("judge_type").agg(pl.col("overall").mean()).sort("judge_type").iter_rows()}
            if judgments.height else {},
        },
        "preference_pairs": {
            f"{d}/{s}": n for d, s, n in pairs.group_by("domain", "split").len().sort("domain", "split").iter_rows()
        } if pairs.height else {},
        # Pairs whose chosen side reads like prompt injection: kept out of training, for review.
        "flagged_pairs": flagged_by_reason(pairs),
        "capture": _capture_counts(stats, tables, quarantine.height),
        "registry": registry,
        "promoted_models": {name: m["champion"] for name, m in registry.items() if m["champion"] is not None},
        "last_runs": last_runs(settings),
    }


def _capture_counts(stats, tables: dict[str, int], quarantined: int) -> dict:
    """Every landed line once: stored as a row (`accepted`, the raw tables' rows), superseded by
    a newer copy of its record, quarantined, or an exact duplicate of a quarantined line."""
    from learning_pipeline.capture.wire import TRACE_KINDS

    def total(column: str) -> int:
        return int(stats.get_column(column).sum()) if stats.height and column in stats.columns else 0

    return {
        "lines_read": total("lines_read"),
        "accepted": sum(tables.get(spec.table, 0) for spec in TRACE_KINDS.values()),
        "superseded": total("superseded"),
        "quarantined": quarantined,
        "duplicates": total("duplicates"),
    }
