"""Preference-pair checks as plain functions returning AssetCheckResult."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from learning_pipeline.lake import Lake
from learning_pipeline.preferences.secret_scan import DETECT_SECRETS, REDACTION_RULES, scan_export_lines, summarise
from learning_pipeline.preferences.training_ledger import consumption


def check_held_out_never_trained(lake: Lake) -> dg.AssetCheckResult:
    pairs = lake.read("preference_pairs")
    if pairs.height == 0:
        return dg.AssetCheckResult(check_name="held_out_never_trained", asset_key="preference_pairs", passed=True,
                                   metadata={"pairs": 0})
    held = pairs.filter(pl.col("split") == "held_out")
    train = pairs.filter(pl.col("split") == "train")
    shared_builds = set(held.get_column("build_id").drop_nulls()) & set(train.get_column("build_id").drop_nulls())
    consumed = set(consumption(lake).get_column("pair_id"))
    trained_held_out = consumed & set(held.get_column("pair_id"))
    return dg.AssetCheckResult(
        check_name="held_out_never_trained",
        asset_key="preference_pairs",
        passed=not shared_builds and not trained_held_out,
        metadata={
            "held_out_pairs": held.height,
            "builds_on_both_sides": len(shared_builds),
            "held_out_pairs_in_training_sets": len(trained_held_out),
        },
    )


def check_export_free_of_secrets(path: Path) -> dg.AssetCheckResult:
    """Blocking: two independent scanners (detect-secrets and our redaction rules, see
    secret_scan.py) read the export; a finding by either fails the check."""
    lines = Path(path).read_text().splitlines() if Path(path).exists() else []
    # detect-secrets is slow: lines it found clean before are not scanned by it again
    findings = scan_export_lines(lines, clean_cache=Path(path).with_name(Path(path).name + ".clean-lines.json"))
    hits = summarise(findings)
    return dg.AssetCheckResult(
        check_name="export_free_of_secrets",
        asset_key="preference_pair_export",
        passed=not hits,
        metadata={
            "lines_scanned": len(lines),
            "lines_with_secrets": len(hits),
            "lines_flagged_by_detect_secrets": len({f.line for f in findings if f.scanner == DETECT_SECRETS}),
            "lines_flagged_by_redaction_rules": len({f.line for f in findings if f.scanner == REDACTION_RULES}),
            # line numbers and kinds only: the check's metadata must not repeat a secret
            "first_hits": "; ".join(f"line {n}: {k}" for n, k in hits[:5]) or "none",
        },
    )
