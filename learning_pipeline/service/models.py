"""The shadow models as the builder and the command line see them: versions, champion, training
state, rollback (one code path for `learning-pipeline models` and `/models`)."""

from __future__ import annotations


from learning_pipeline.config import SHADOW_MODELS, LearningSettings
from learning_pipeline.lake import Lake
from learning_pipeline.training.registry import RegistryError, ShadowModelRegistry

_DATES = ("training_date", "promoted_at", "updated_at")


class UnknownModelError(LookupError):
    pass


def model_names() -> list[str]:
    return [m.name for m in SHADOW_MODELS]


def check_model(name: str) -> None:
    if name not in model_names():
        raise UnknownModelError(f"no shadow model named {name!r}; the models are: {', '.join(model_names())}")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def versions_report(settings: LearningSettings, names: list[str] | None = None, iso: bool = True) -> dict[str, list[dict]]:
    """model -> its versions (registry rows without the metrics blob), dates as ISO text (or as
    `str()` writes them, the command line's historical form)."""
    registry = ShadowModelRegistry(Lake(settings.lake_dir))
    text = _iso if iso else (lambda v: None if v is None else str(v))
    return {
        name: [{k: (text(v) if k in _DATES else v) for k, v in row.items() if k != "metrics"}
               for row in registry.versions(name).to_dicts()]
        for name in (names or model_names())
    }


def _training_state(registry: ShadowModelRegistry, name: str) -> dict:
    runs = registry.runs(name)
    if not runs.height:
        return {"state": "idle", "runId": None}
    last = runs.row(-1, named=True)
    status = str(last.get("status") or "")
    state = "running" if status == "running" else "queued" if status == "pending" else "idle"
    return {"state": state, "runId": last.get("run_id")}


def model_status(settings: LearningSettings, name: str) -> dict:
    """`GET /models/{name}/status` (WIRE_FORMAT.md)."""
    check_model(name)
    registry = ShadowModelRegistry(Lake(settings.lake_dir))
    champion = registry.champion(name)
    versions = versions_report(settings, [name])[name]
    return {
        "name": name,
        "champion": None if champion is None else {
            "version": champion["version"], "evalScore": champion.get("eval_score"),
            "promotedAt": _iso(champion.get("promoted_at")),
        },
        "versions": [
            {"version": v["version"], "status": v["status"], "evalScore": v.get("eval_score"),
             "trainingDataCount": v.get("training_data_count"), "trainingDate": v.get("training_date"),
             "promotedAt": v.get("promoted_at")}
            for v in versions
        ],
        "training": _training_state(registry, name),
    }


def list_models(settings: LearningSettings) -> dict:
    """`GET /models`."""
    return {"models": [model_status(settings, name) for name in model_names()]}


def rollback(settings: LearningSettings, name: str) -> dict:
    """Put the previous champion back (acts on the registry directly: no training run needed).
    Raises RegistryError when there is nothing to roll back to."""
    check_model(name)
    return ShadowModelRegistry(Lake(settings.lake_dir)).rollback(name)


__all__ = ["RegistryError", "UnknownModelError", "list_models", "model_status", "rollback", "versions_report"]
