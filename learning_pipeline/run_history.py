"""The last Dagster runs over this LEARNING_HOME, read from the instance without changing it."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from learning_pipeline.config import LearningSettings
from learning_pipeline.run_keys import SKIP_REASON_TAG


def dagster_home(settings: LearningSettings) -> Path:
    """The instance the CLI uses: DAGSTER_HOME, or the one beside the lake (runner.ensure_dagster_home)."""
    return Path(os.environ.get("DAGSTER_HOME") or settings.home / "dagster_home").resolve()


def _when(timestamp: float | None) -> str | None:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).isoformat(timespec="seconds") if timestamp else None


def last_runs(settings: LearningSettings, limit: int = 10) -> list[dict]:
    """Newest first: job, assets, partitions, status and times of each run (none before the first run)."""
    home = dagster_home(settings)
    if not home.is_dir():
        return []
    import dagster as dg

    runs = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for record in instance.get_run_records(limit=limit):
            runs.append(_describe(instance, record))
    return runs


def _planned_assets(instance, run_id: str) -> list[str]:
    """The assets a run set out to materialize (a run started with `materialize()` has no asset
    selection of its own; its planned-materialization events name them, even when it failed)."""
    import dagster as dg

    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, limit=1000).records
    return sorted({r.event_log_entry.dagster_event.asset_key.to_user_string() for r in records
                   if r.event_log_entry.dagster_event and r.event_log_entry.dagster_event.asset_key})


def _describe(instance, record) -> dict:
    run = record.dagster_run
    tags = run.tags
    partition = tags.get("dagster/partition") or (
        f"{tags['dagster/asset_partition_range_start']}..{tags['dagster/asset_partition_range_end']}"
        if "dagster/asset_partition_range_start" in tags else None)
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "assets": (sorted(k.to_user_string() for k in run.asset_selection) if run.asset_selection
                   else _planned_assets(instance, run.run_id)),
        "partition": partition,
        "status": run.status.value,
        "started_at": _when(record.start_time),
        "ended_at": _when(record.end_time),
        **({"skipped": tags[SKIP_REASON_TAG]} if SKIP_REASON_TAG in tags else {}),
    }
