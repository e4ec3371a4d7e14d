"""Training-layer checks as plain functions (the assets attach them; tests call them directly)."""

import json

import dagster as dg

from learning_pipeline.training.registry import ShadowModelRegistry

REQUIRED_METRICS = ("final_loss", "steps")


def check_trained_version_has_metrics(registry: ShadowModelRegistry, model: str, version: int) -> dg.AssetCheckResult:
    """A version that trained must say how its training went: a version without its loss and step
    count in the registry cannot be compared with the others or debugged."""
    row = registry.version(model, version)
    metrics = json.loads(row["metrics"] or "{}")
    missing = [k for k in REQUIRED_METRICS if metrics.get(k) is None]
    return dg.AssetCheckResult(
        check_name="trained_version_has_metrics",
        asset_key="shadow_adapter",
        passed=not missing,
        metadata={"version": version, "missing": ", ".join(missing) or "none",
                  **({"final_loss": float(metrics["final_loss"])} if not missing else {})},
    )
