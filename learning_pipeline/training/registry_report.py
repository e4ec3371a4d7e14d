"""The registry at a glance, for `status` (and any other face over the pipeline)."""

from __future__ import annotations

import polars as pl

from learning_pipeline.config import SHADOW_MODELS
from learning_pipeline.lake import Lake
from learning_pipeline.training.registry import RegistryError, ShadowModelRegistry

HISTORY_SHOWN = 10


def _when(value) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def registry_summary(lake: Lake) -> dict[str, dict]:
    """Per shadow model: its champion, its versions by status, its recent promotions and rollbacks,
    and its last training run (with the reason when it failed or was skipped)."""
    registry = ShadowModelRegistry(lake)
    names = list(dict.fromkeys([m.name for m in SHADOW_MODELS] + registry.models()))
    runs = registry.runs()
    summary = {}
    for name in names:
        versions = registry.versions(name)
        try:
            champion = registry.champion(name)
            problem = None
        except RegistryError as err:  # reported, not raised: status must still show everything else
            champion, problem = None, str(err)
        model_runs = runs.filter(pl.col("model_name") == name) if runs.height else runs
        last_run = model_runs.row(-1, named=True) if model_runs.height else None
        history = registry.promotion_history(name).tail(HISTORY_SHOWN)
        summary[name] = {
            "champion": champion["version"] if champion else None,
            "champion_eval_score": champion["eval_score"] if champion else None,
            "versions": dict(sorted(versions.group_by("status").len().iter_rows())) if versions.height else {},
            "promotion_history": [
                {"action": e["action"], "version": e["version"], "replaced_version": e["replaced_version"],
                 "at": _when(e["at"]), "note": e["note"]}
                for e in history.iter_rows(named=True)
            ],
            "last_training_run": None if last_run is None else {
                "run_id": last_run["run_id"], "status": last_run["status"], "version": last_run["version"],
                "final_loss": last_run["final_loss"], "started_at": _when(last_run["started_at"]),
                "completed_at": _when(last_run["completed_at"]), "error": last_run["error"],
            },
            **({"problem": problem} if problem else {}),
        }
    return summary
