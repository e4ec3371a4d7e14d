"""Preference pairs read back for the builder and for export (`GET /preference-pairs[/export]`,
`learning-pipeline export-pairs` share `select_split` / `export_lines`)."""

from __future__ import annotations

import polars as pl

from learning_pipeline.config import LearningSettings
from learning_pipeline.lake import Lake
from learning_pipeline.preferences.export import SPLITS, SecretInExportError, export_lines, secrets_in, select_split

PAIRS_TABLE = "preference_pairs"
_SHOWN = ("pair_id", "domain", "prompt", "chosen", "rejected", "margin", "judge_version", "build_id", "split", "flag")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.capitalize() for w in rest)


def read_pairs(settings: LearningSettings) -> pl.DataFrame:
    return Lake(settings.lake_dir).read(PAIRS_TABLE)


def list_pairs(settings: LearningSettings, domain: str | None = None, split: str | None = None,
               limit: int = 100, offset: int = 0) -> dict:
    """`GET /preference-pairs`: counts per domain and split, and one page of pairs."""
    if split is not None and split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    pairs = read_pairs(settings)
    if not pairs.height:
        return {"total": 0, "counts": {}, "pairs": []}
    if domain:
        pairs = pairs.filter(pl.col("domain") == domain)
    if split and split != "all":
        pairs = pairs.filter(pl.col("split") == split)
    counts = {f"{d}/{s}": n for d, s, n in pairs.group_by("domain", "split").len().sort("domain", "split").iter_rows()}
    page = pairs.sort("pair_id").slice(offset, limit)
    return {
        "total": pairs.height, "counts": counts,
        "pairs": [{_camel(k): row[k] for k in _SHOWN if k in row} for row in page.iter_rows(named=True)],
    }


def export_pairs(settings: LearningSettings, fmt: str = "trl", split: str = "train") -> list[str]:
    """The export's lines (TRL or provenance JSONL); refuses when a line still holds a secret."""
    pairs = read_pairs(settings)
    if not pairs.height:
        return []
    lines = export_lines(select_split(pairs, split, fmt), fmt)
    hits = secrets_in(lines)
    if hits:
        raise SecretInExportError(f"export refused: {len(hits)} pairs still contain secrets")
    return lines
