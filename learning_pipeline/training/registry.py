"""The shadow-model registry: every version of every model, and every training run.

One Parquet file per model holds all its versions, so a promotion (candidate -> promoted,
old champion -> deprecated) is one atomic file replacement, taken under a lock so a rollback
from the CLI and a promotion from a run cannot interleave. Every promotion and rollback is also
logged (promotion_history.py): the log, not the timestamps, says which champion a rollback restores. Training runs are one file each,
rewritten as the run moves from pending to running to completed or failed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
from pathlib import Path

import polars as pl

from learning_pipeline.lake import Lake
from learning_pipeline.training.promotion_history import EVENT_SCHEMA, PROMOTIONS_TABLE, champion_stack, legacy_history
from learning_pipeline.training.promotion_history import append as append_event

VERSIONS_TABLE = "shadow_model_versions"
RUNS_TABLE = "training_runs"
STATUSES = ("training", "ready", "promoted", "deprecated", "failed")
RUN_STATUSES = ("pending", "running", "completed", "failed", "skipped")  # skipped: nothing trained, `error` says why

VERSION_SCHEMA = {
    "model_name": pl.String,
    "version": pl.Int64,
    "base_model": pl.String,
    "adapter_name": pl.String,
    "adapter_path": pl.String,
    "training_focus": pl.String,  # JSON list of domains
    "status": pl.String,
    "eval_score": pl.Float64,
    "metrics": pl.String,  # JSON
    "training_data_count": pl.Int64,
    "training_date": pl.Datetime("us", "UTC"),
    "run_id": pl.String,
    "promoted_at": pl.Datetime("us", "UTC"),
    "updated_at": pl.Datetime("us", "UTC"),
}
RUN_SCHEMA = {
    "run_id": pl.String,
    "model_name": pl.String,
    "version": pl.Int64,
    "config": pl.String,  # JSON: hyperparameters, data, backend
    "status": pl.String,
    "final_loss": pl.Float64,
    "metrics": pl.String,  # JSON: loss curve summary, eval results
    "started_at": pl.Datetime("us", "UTC"),
    "completed_at": pl.Datetime("us", "UTC"),
    "error": pl.String,
}


class RegistryError(RuntimeError):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _champion_of(model: str, versions: pl.DataFrame) -> dict | None:
    promoted = versions.filter(pl.col("status") == "promoted")
    if promoted.height > 1:
        raise RegistryError(f"{model} has {promoted.height} promoted versions; at most one is allowed")
    return promoted.row(0, named=True) if promoted.height else None


def _crowned(versions: pl.DataFrame, version: int) -> pl.DataFrame:
    """`version` promoted (stamped now), any other champion deprecated."""
    now = _now()
    becomes = pl.col("version") == version
    changed = becomes | ((pl.col("status") == "promoted") & ~becomes)
    return versions.with_columns(
        pl.when(becomes).then(pl.lit("promoted")).when(pl.col("status") == "promoted").then(pl.lit("deprecated"))
        .otherwise(pl.col("status")).alias("status"),
        pl.when(becomes).then(pl.lit(now)).otherwise(pl.col("promoted_at")).alias("promoted_at"),
        pl.when(changed).then(pl.lit(now)).otherwise(pl.col("updated_at")).alias("updated_at"),
    )


class ShadowModelRegistry:
    def __init__(self, lake: Lake):
        self.lake = lake

    # -- versions -------------------------------------------------------------------------------
    def versions(self, model: str) -> pl.DataFrame:
        return self.lake.read(VERSIONS_TABLE, [model], schema=VERSION_SCHEMA, key="model").sort("version")

    def version(self, model: str, version: int) -> dict:
        rows = self.versions(model).filter(pl.col("version") == version)
        if rows.height == 0:
            raise RegistryError(f"{model} has no version {version}")
        return rows.row(0, named=True)

    def champion(self, model: str) -> dict | None:
        return _champion_of(model, self.versions(model))

    @contextlib.contextmanager
    def _locked(self, model: str):
        lock_path = self.lake.table_dir(VERSIONS_TABLE) / f".{model}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, model: str, frame: pl.DataFrame) -> None:
        if (frame.get_column("status") == "promoted").sum() > 1:
            raise RegistryError(f"refusing to write {model} with more than one promoted version")
        self.lake.write(VERSIONS_TABLE, frame.select(list(VERSION_SCHEMA)).cast(VERSION_SCHEMA).sort("version"), model, key="model")

    def add_candidate(self, model: str, base_model: str, focus: tuple[str, ...], run_id: str, adapter_path: Path,
                      training_data_count: int) -> int:
        with self._locked(model):
            current = self.versions(model)
            version = int(current.get_column("version").max() or 0) + 1
            row = {
                "model_name": model, "version": version, "base_model": base_model,
                "adapter_name": f"{model}-v{version}", "adapter_path": str(adapter_path),
                "training_focus": json.dumps(list(focus)), "status": "training", "eval_score": None, "metrics": None,
                "training_data_count": training_data_count, "training_date": _now(), "run_id": run_id,
                "promoted_at": None, "updated_at": _now(),
            }
            self._write(model, pl.concat([current, pl.DataFrame([row], schema=VERSION_SCHEMA)]))
            return version

    def update(self, model: str, version: int, **fields) -> None:
        if "status" in fields and fields["status"] not in STATUSES:
            raise RegistryError(f"unknown status {fields['status']!r}; expected one of {STATUSES}")
        if fields.get("status") == "promoted":
            raise RegistryError("use promote(): it deprecates the old champion in the same update")
        with self._locked(model):
            current = self.versions(model)
            if current.filter(pl.col("version") == version).height == 0:
                raise RegistryError(f"{model} has no version {version}")
            fields = {k: (json.dumps(v) if k == "metrics" and not isinstance(v, str) else v) for k, v in fields.items()}
            updates = [pl.when(pl.col("version") == version).then(pl.lit(v, VERSION_SCHEMA[k])).otherwise(pl.col(k)).alias(k)
                       for k, v in {**fields, "updated_at": _now()}.items()]
            self._write(model, current.with_columns(updates))

    def promotion_history(self, model: str) -> pl.DataFrame:
        """Every promotion and rollback of the model, oldest first (see promotion_history.py)."""
        return self.lake.read(PROMOTIONS_TABLE, [model], schema=EVENT_SCHEMA, key="model").sort("seq")

    def _history(self, model: str, current: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Under the lock: the promotion log (seeded once for a registry older than the log) and the
        versions with the log's champion applied, repairing a crash between the log and versions writes."""
        events = self.promotion_history(model)
        if events.height == 0:
            events = legacy_history(model, current, _champion_of(model, current))
        stack = champion_stack(events)
        champion = _champion_of(model, current)
        if stack and (champion is None or champion["version"] != stack[-1]):
            current = _crowned(current, stack[-1])
            self._write(model, current)
        return events, current

    def promote(self, model: str, version: int, note: str | None = None) -> dict | None:
        """Candidate -> promoted and old champion -> deprecated, in one atomic write, logged first.
        Returns the previous champion (None if there was none)."""
        with self._locked(model):
            events, current = self._history(model, self.versions(model))
            candidate = current.filter(pl.col("version") == version)
            if candidate.height == 0:
                raise RegistryError(f"{model} has no version {version}")
            if candidate.get_column("status")[0] not in ("ready", "deprecated"):
                raise RegistryError(f"{model} v{version} is {candidate.get_column('status')[0]}; only a ready version can be promoted")
            old = _champion_of(model, current)
            events = append_event(events, model, "promote", version, old["version"] if old else None, note)
            self.lake.write(PROMOTIONS_TABLE, events, model, key="model")
            self._write(model, _crowned(current, version))
            return old

    def rollback(self, model: str, note: str | None = None) -> dict:
        """Restore the champion the current one replaced, as the promotion log says (a rolled-back
        version is never restored by a later rollback)."""
        with self._locked(model):
            events, current = self._history(model, self.versions(model))
            stack = champion_stack(events)
            if not stack:
                raise RegistryError(f"{model} has no promoted version to roll back from")
            if len(stack) < 2:
                raise RegistryError(f"{model} v{stack[-1]} is the first promoted version; nothing to roll back to")
            previous, champion = stack[-2], stack[-1]
            status = current.filter(pl.col("version") == previous).get_column("status")
            if status.len() == 0 or status[0] not in ("deprecated", "ready"):
                raise RegistryError(f"{model}: the previous champion v{previous} is "
                                    f"{status[0] if status.len() else 'missing'}; it cannot be restored")
            events = append_event(events, model, "rollback", previous, champion, note)
            self.lake.write(PROMOTIONS_TABLE, events, model, key="model")
            self._write(model, _crowned(current, previous))
        return self.version(model, previous)

    def models(self) -> list[str]:
        return self.lake.partitions(VERSIONS_TABLE, key="model")

    # -- training runs --------------------------------------------------------------------------
    def runs(self, model: str | None = None) -> pl.DataFrame:
        runs = self.lake.read(RUNS_TABLE, schema=RUN_SCHEMA, key="run")
        return (runs.filter(pl.col("model_name") == model) if model else runs).sort("started_at")

    def record_run(self, run_id: str, model: str, config: dict, status: str = "pending", **fields) -> None:
        if status not in RUN_STATUSES:
            raise RegistryError(f"unknown run status {status!r}; expected one of {RUN_STATUSES}")
        existing = self.lake.read(RUNS_TABLE, [run_id], schema=RUN_SCHEMA, key="run")
        row = existing.row(0, named=True) if existing.height else {
            "run_id": run_id, "model_name": model, "version": None, "config": json.dumps(config, default=str),
            "status": status, "final_loss": None, "metrics": None, "started_at": _now(), "completed_at": None, "error": None,
        }
        row.update({"status": status, **{k: (json.dumps(v, default=str) if k == "metrics" and not isinstance(v, str) else v)
                                          for k, v in fields.items()}})
        if status in ("completed", "failed", "skipped"):
            row["completed_at"] = _now()
        self.lake.write(RUNS_TABLE, pl.DataFrame([row], schema=RUN_SCHEMA), run_id, key="run")

    def fail_interrupted(self, model: str, current_run_id: str) -> list[int]:
        """Called by a run that holds the model's training lock: no other run can be training, so a
        version still `training` (and its run still `running`) belongs to a process that died
        mid-training (kill -9, a lost node). Marks them failed so nothing shows as training forever.
        Returns the versions it failed."""
        reason = "interrupted: the process training it ended before the training did"
        stale = self.versions(model).filter((pl.col("status") == "training") & (pl.col("run_id") != current_run_id))
        for version in stale.get_column("version").to_list():
            self.update(model, version, status="failed", metrics={"error": reason})
        runs = self.runs(model)
        for run_id in runs.filter(pl.col("status").is_in(["pending", "running"]) & (pl.col("run_id") != current_run_id)).get_column("run_id"):
            self.record_run(run_id, model, {}, "failed", error=reason)
        return stale.get_column("version").to_list()
