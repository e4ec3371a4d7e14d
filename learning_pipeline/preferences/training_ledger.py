"""Which pairs each training run consumed, so "new pairs since model M last trained" is exact.

A run's consumption is written to the lake when the run takes its batch (one immutable file
per run); whether those pairs still count as consumed follows the run's fate in the Dagster
instance: a failed or cancelled run gives its pairs back. Both survive restarts, and neither
is a database a second process could lock.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl

from learning_pipeline.lake import Lake
from learning_pipeline.preferences.split import training_pairs

CONSUMPTION_TABLE = "training_consumption"
BATCHES_TABLE = "training_batches"  # each model's latest batch, with the pairs' texts (preferences/assets.py)
RUN_KEY = "run"
CONSUMPTION_SCHEMA = {"run_id": pl.String, "model_name": pl.String, "pair_id": pl.String, "consumed_at": pl.Datetime("us", "UTC")}
RELEASED = {dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
TRAINING_RUNS_TABLE = "training_runs"  # written by the training layer's registry


def record_consumption(lake: Lake, run_id: str, model_name: str, pair_ids: list[str]) -> None:
    frame = pl.DataFrame(
        {"run_id": run_id, "model_name": model_name, "pair_id": pair_ids, "consumed_at": dt.datetime.now(dt.timezone.utc)},
        schema=CONSUMPTION_SCHEMA,
    )
    lake.write(CONSUMPTION_TABLE, frame, run_id, key=RUN_KEY)


def consumption(lake: Lake) -> pl.DataFrame:
    return lake.read(CONSUMPTION_TABLE, schema=CONSUMPTION_SCHEMA, key=RUN_KEY)


def held_pair_ids(lake: Lake, instance: dg.DagsterInstance | None, model_name: str) -> set[str]:
    """Pairs a run of this model consumed and still holds (the run did not fail or get cancelled).
    Without an instance (e.g. a plain script) every recorded consumption counts."""
    rows = consumption(lake).filter(pl.col("model_name") == model_name)
    # A run whose training completed keeps its pairs even when a later step failed it (a
    # candidate rejected by the promotion gate): retraining on the same pairs would only
    # produce the same rejected candidate again.
    trained = set(lake.read(TRAINING_RUNS_TABLE, key="run").filter(pl.col("status") == "completed").get_column("run_id")) \
        if lake.partitions(TRAINING_RUNS_TABLE, key="run") else set()
    held: set[str] = set()
    for (run_id,), group in rows.group_by(["run_id"]):
        run = instance.get_run_by_id(run_id) if instance is not None else None
        if run is not None and run.status in RELEASED and run_id not in trained:
            continue
        held.update(group.get_column("pair_id").to_list())
    return held


def new_pairs(pairs: pl.DataFrame, focus: tuple[str, ...], held: set[str]) -> pl.DataFrame:
    """Eligible for training: the train split (never held-out or flagged), in the model's focus,
    not held by another run."""
    return training_pairs(pairs, focus).filter(~pl.col("pair_id").is_in(list(held)))
