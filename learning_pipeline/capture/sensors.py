"""Watch the landing zone and request the partitions whose files changed."""


import datetime as dt
import hashlib

import dagster as dg
import polars as pl

from learning_pipeline.capture.processing import STATS_TABLE
from learning_pipeline.config import RetryPolicy
from learning_pipeline.partitions import daily_partitions
from learning_pipeline.resources import LearningHome
from learning_pipeline.run_keys import retry_decision

CAPTURE_KEY_TAG = "learning/capture_key"
# Changed days further apart than this go to separate runs instead of one long range.
MAX_GAP_DAYS = 7


def changed_partitions(learning_home: LearningHome, first_partition: str, last_partition: str) -> dict[str, str]:
    """partition -> fingerprint of its landing files, for partitions the lake has not caught up with."""
    landing, lake = learning_home.landing(), learning_home.lake()
    wanted = sorted({max(p, first_partition) for p in landing.partitions() if p <= last_partition})
    changed = {}
    for partition in wanted:
        fingerprint = landing.fingerprint(landing.files_for(partition, first_partition))
        stats_path = lake.partition_path(STATS_TABLE, partition)
        done = None
        if stats_path.exists():
            stats = pl.read_parquet(stats_path)
            if "landing_fingerprint" in stats.columns:
                done = stats.get_column("landing_fingerprint")[0]
        if done != fingerprint:
            changed[partition] = fingerprint
    return changed


def contiguous_ranges(partitions: list[str], max_gap_days: int = MAX_GAP_DAYS) -> list[tuple[str, str]]:
    ranges: list[tuple[str, str]] = []
    for partition in sorted(partitions):
        day = dt.date.fromisoformat(partition)
        if ranges and (day - dt.date.fromisoformat(ranges[-1][1])).days <= max_gap_days:
            ranges[-1] = (ranges[-1][0], partition)
        else:
            ranges.append((partition, partition))
    return ranges


def capture_run_requests(context, learning_home: LearningHome,
                         retry: RetryPolicy | None = None) -> tuple[list[dg.RunRequest], list[str]]:
    """Requests for the changed days, and why the others are not requested now (a run of the
    same files is in flight, failed recently, or failed too often)."""
    retry = retry or RetryPolicy()
    keys = daily_partitions.get_partition_keys(dynamic_partitions_store=context.instance)
    changed = changed_partitions(learning_home, keys[0], keys[-1])
    requests, waiting = [], []
    for start, end in contiguous_ranges(list(changed)):
        consumed = "\n".join(f"{p}={changed[p]}" for p in sorted(changed) if start <= p <= end)
        capture_key = hashlib.sha256(consumed.encode()).hexdigest()[:16]
        tags = {CAPTURE_KEY_TAG: capture_key}
        what = f"capture of {start}" + (f"..{end}" if end != start else "")
        decision = retry_decision(context.instance, f"capture:{capture_key}", tags, what, retry)
        if decision.run_key is None:
            waiting.append(decision.why_not)
            continue
        if start == end:
            requests.append(dg.RunRequest(run_key=decision.run_key, partition_key=start, tags=tags))
        else:
            tags |= {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}
            requests.append(dg.RunRequest(run_key=decision.run_key, tags=tags))
    return requests, waiting


def build_landing_sensor(capture_job, retry: RetryPolicy | None = None) -> dg.SensorDefinition:
    @dg.sensor(
        name="landing_zone_sensor",
        job=capture_job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Requests capture runs for the days whose landing files changed; failed captures "
        "are retried with backoff, and no longer after a few failures in a row.",
    )
    def landing_zone_sensor(context: dg.SensorEvaluationContext, learning_home: LearningHome):
        requests, waiting = capture_run_requests(context, learning_home, retry)
        if requests:
            for why in waiting:
                context.log.warning(why)
            return dg.SensorResult(run_requests=requests)
        return dg.SkipReason("; ".join(waiting) if waiting else "landing zone and lake agree")

    return landing_zone_sensor
