"""The learning optimizer's insights as the API reads them back (`GET /insights[/recommendations]`)."""

from __future__ import annotations

import json


from learning_pipeline.config import LearningSettings
from learning_pipeline.lake import Lake
from learning_pipeline.meta.insights import INSIGHT_SCHEMA
from learning_pipeline.meta.optimizer_assets import INSIGHTS_TABLE


def _wire(row: dict) -> dict:
    try:
        evidence = json.loads(row["evidence"]) if isinstance(row["evidence"], str) else row["evidence"]
    except ValueError:
        evidence = row["evidence"]
    return {"kind": row["kind"], "subject": row["subject"], "observation": row["observation"], "evidence": evidence,
            "action": row["action"], "expectedImpact": row["expected_impact"], "severity": row["severity"]}


def insights(settings: LearningSettings) -> dict:
    """Every insight of the last optimizer run, grouped as it stored them."""
    table = Lake(settings.lake_dir).read(INSIGHTS_TABLE, schema=INSIGHT_SCHEMA)
    return {"insights": [_wire(r) for r in table.iter_rows(named=True)]}


def recommendations(settings: LearningSettings, limit: int = 10) -> dict:
    """The actions to take next, most urgent first."""
    table = Lake(settings.lake_dir).read(INSIGHTS_TABLE, schema=INSIGHT_SCHEMA)
    table = table.sort("severity", descending=True).head(limit) if table.height else table
    return {"recommendations": [
        {"action": r["action"], "why": r["observation"], "expectedImpact": r["expected_impact"],
         "kind": r["kind"], "subject": r["subject"], "severity": r["severity"]}
        for r in table.iter_rows(named=True)
    ]}


__all__ = ["insights", "recommendations"]
