"""Run keys for sensors: derived from what a run consumes, and retried after a failure.

Dagster never launches a run key twice, so a key that names only the data consumed would leave
that data stranded after a failed run. The key also counts the failed or cancelled runs that
carried the same tags: a failure yields a fresh key for the same data.
"""

import dagster as dg

FAILED = [dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED]
# A run that ended without doing its work on purpose (e.g. a training run with too few pairs left,
# or whose model was already training) carries these tags: the runs list shows why.
SKIPPED_TAG = "learning/skipped"
SKIP_REASON_TAG = "learning/skip_reason"


def retryable_run_key(instance: dg.DagsterInstance, prefix: str, tags: dict[str, str]) -> str:
    failures = len(instance.get_run_records(dg.RunsFilter(tags=tags, statuses=FAILED)))
    return f"{prefix}:{failures}"
