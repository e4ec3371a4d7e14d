"""Shadow-model evolution and the training pipeline's state, read from the registry tables:
every version with its evaluation score and the gate's verdict (the reasons when it was
rejected), every promotion and rollback, and each model's last training run."""

from __future__ import annotations

import json

import polars as pl

from learning_pipeline.config import SHADOW_MODELS
from learning_pipeline.metrics import sources
from learning_pipeline.lake import Lake


def _when(value) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _gate(metrics: str | None) -> dict | None:
    """The promotion gate's verdict as the evaluation stored it on the version."""
    try:
        parsed = json.loads(metrics or "{}")
    except ValueError:
        return None
    gate = (parsed.get("evaluation") or {}).get("gate")
    if gate:
        return {"passed": bool(gate.get("passed")), "reasons": list(gate.get("reasons") or []),
                "improvement": gate.get("accuracy_difference", gate.get("improvement"))}
    if parsed.get("error"):
        return {"passed": False, "reasons": [str(parsed["error"])[:300]], "improvement": None}
    return None


def _outcome(status: str, gate: dict | None) -> str:
    if status in ("promoted", "deprecated"):
        return status  # deprecated: was champion once, replaced since
    if status == "failed":
        return "failed"
    if gate is not None and not gate["passed"]:
        return "rejected"
    return status  # training | ready


def shadow_models(lake: Lake) -> list[dict]:
    versions, events, runs = sources.model_versions(lake), sources.promotion_events(lake), sources.training_runs(lake)
    names = list(dict.fromkeys([m.name for m in SHADOW_MODELS] + versions.get_column("model_name").unique().sort().to_list()))
    out = []
    for name in names:
        mine = versions.filter(pl.col("model_name") == name).sort("version")
        rows = []
        for v in mine.iter_rows(named=True):
            gate = _gate(v["metrics"])
            rows.append({"version": v["version"], "status": v["status"], "outcome": _outcome(v["status"], gate),
                         "evalScore": v["eval_score"], "trainingDataCount": v["training_data_count"],
                         "trainingDate": _when(v["training_date"]), "promotedAt": _when(v["promoted_at"]), "gate": gate})
        champion = next((r["version"] for r in rows if r["status"] == "promoted"), None)
        history = [{"seq": e["seq"], "action": e["action"], "version": e["version"], "replacedVersion": e["replaced_version"],
                    "at": _when(e["at"]), "note": e["note"]}
                   for e in events.filter(pl.col("model_name") == name).sort("seq").iter_rows(named=True)]
        model_runs = runs.filter(pl.col("model_name") == name).sort("started_at", nulls_last=False)
        last = model_runs.row(-1, named=True) if model_runs.height else None
        out.append({
            "name": name, "champion": champion, "versions": rows, "promotionHistory": history,
            "runs": {status: n for status, n in model_runs.group_by("status").len().sort("status").iter_rows()},
            "lastRun": None if last is None else {
                "runId": last["run_id"], "status": last["status"], "version": last["version"], "finalLoss": last["final_loss"],
                "startedAt": _when(last["started_at"]), "completedAt": _when(last["completed_at"]), "error": last["error"]},
        })
    return out
