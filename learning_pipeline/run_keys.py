"""Run keys for sensors: derived from what a run consumes, retried after a failure, within limits.

Dagster never launches a run key twice, so a key that names only the data consumed would leave
that data stranded after a failed run. The key also counts the runs of the same work (the same
tags) that failed, were cancelled or skipped: each yields a fresh key for the same data. A
permanently failing piece of work must not be asked for on every tick, though: after a failure
the sensor waits (backoff), and after `RetryPolicy.max_consecutive_failures` failures in a row it
stops asking and says so in its skip reason.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import dagster as dg

from learning_pipeline.config import RetryPolicy

FAILED = [dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
IN_FLIGHT = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
# A run that ended without doing its work on purpose (e.g. a training run with too few pairs left,
# or whose model was already training) carries these tags: the runs list shows why.
SKIPPED_TAG = "learning/skipped"
SKIP_REASON_TAG = "learning/skip_reason"
RECENT_RUNS = 50  # how far back a failure streak is looked for


@dataclass(frozen=True)
class RetryDecision:
    run_key: str | None  # None: do not request this work now
    why_not: str | None = None


def in_flight(instance: dg.DagsterInstance, tags: dict[str, str]) -> dg.RunRecord | None:
    """A queued or running run carrying these tags, if any."""
    records = instance.get_run_records(dg.RunsFilter(tags=tags, statuses=IN_FLIGHT), limit=1)
    return records[0] if records else None


def _when(record: dg.RunRecord) -> float:
    return record.end_time or record.update_timestamp.timestamp()


def retry_decision(instance: dg.DagsterInstance, prefix: str, tags: dict[str, str], what: str,
                   policy: RetryPolicy, now: float | None = None) -> RetryDecision:
    """Whether to request the work these tags name now, and under which run key."""
    running = in_flight(instance, tags)
    if running is not None:
        return RetryDecision(None, f"{what}: run {running.dagster_run.run_id} is {running.dagster_run.status.value.lower()}")
    streak, last_failure = 0, None
    for record in instance.get_run_records(dg.RunsFilter(tags=tags), limit=RECENT_RUNS):  # newest first
        if record.dagster_run.status in FAILED:
            streak += 1
            last_failure = last_failure or record
        elif record.dagster_run.tags.get(SKIPPED_TAG) != "true":
            break  # a success ends the streak; a skip neither ends nor extends it
    if streak >= policy.max_consecutive_failures:
        return RetryDecision(None, f"{what} failed {streak} times in a row (last: run {last_failure.dagster_run.run_id}); "
                                   "not requested again until its input changes or a run of it succeeds")
    if streak:
        ready_at = _when(last_failure) + policy.backoff_s(streak)
        now = time.time() if now is None else now
        if now < ready_at:
            at = dt.datetime.fromtimestamp(ready_at, dt.timezone.utc).isoformat(timespec="seconds")
            return RetryDecision(None, f"{what} failed {streak} time(s) in a row; retry "
                                       f"{streak} of {policy.max_consecutive_failures - 1} after {at}")
    retries = len(instance.get_run_records(dg.RunsFilter(tags=tags, statuses=FAILED))) + \
        len(instance.get_run_records(dg.RunsFilter(tags={**tags, SKIPPED_TAG: "true"})))
    return RetryDecision(f"{prefix}:{retries}")
