"""Judgments read back per build (`GET /judgments/{buildId}`)."""

from __future__ import annotations

import polars as pl

from learning_pipeline.config import LearningSettings
from learning_pipeline.lake import Lake

JUDGMENTS_TABLE = "judgments"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


def _wire(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def judgments_of_build(settings: LearningSettings, build_id: str) -> dict:
    """Every judgment of one build's traces (lazy scan: only that build's rows are materialized)."""
    table = Lake(settings.lake_dir).table_dir(JUDGMENTS_TABLE)
    files = sorted(table.rglob("data.parquet")) if table.exists() else []
    if not files:
        return {"buildId": build_id, "judgments": []}
    rows = pl.concat([pl.scan_parquet(f) for f in files], how="diagonal_relaxed").filter(pl.col("build_id") == build_id).collect()
    return {"buildId": build_id,
            "judgments": [{_camel(k): _wire(v) for k, v in row.items()} for row in rows.iter_rows(named=True)]}
