"""Preference-pair checks as plain functions returning AssetCheckResult."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from learning_pipeline.lake import Lake
from learning_pipeline.preferences.pairs import PAIR_TABLE_SCHEMA
from learning_pipeline.preferences.secret_scan import DETECT_SECRETS, REDACTION_RULES, scan_export_lines, summarise
from learning_pipeline.preferences.split import content_overlap, held_out_pairs, training_pairs
from learning_pipeline.preferences.training_ledger import BATCHES_TABLE, consumption


def check_held_out_never_trained(lake: Lake) -> dg.AssetCheckResult:
    """Held-out pairs stay unseen: no build on both sides, no held-out pair in a training set,
    and no held-out text (normalised, per domain) in a training pair, in the batch a model last
    trained on, or in a pair a training run consumed."""
    pairs = lake.read("preference_pairs", schema=PAIR_TABLE_SCHEMA)
    held, train = held_out_pairs(pairs), training_pairs(pairs)
    shared_builds = set(held.get_column("build_id").drop_nulls()) & set(train.get_column("build_id").drop_nulls())
    consumed = set(consumption(lake).get_column("pair_id"))
    trained_held_out = consumed & set(held.get_column("pair_id"))
    batches = lake.read(BATCHES_TABLE, key="model") if lake.partitions(BATCHES_TABLE, key="model") else pairs.head(0)
    trained = pl.concat(
        [train.select("domain", "chosen", "rejected"), batches.select("domain", "chosen", "rejected"),
         pairs.filter(pl.col("pair_id").is_in(list(consumed))).select("domain", "chosen", "rejected")]
    )
    overlapping = content_overlap(held, trained)
    by_domain = dict(overlapping.group_by("domain").len().sort("domain").iter_rows()) if overlapping.height else {}
    return dg.AssetCheckResult(
        check_name="held_out_never_trained",
        asset_key="preference_pairs",
        passed=not shared_builds and not trained_held_out and overlapping.height == 0,
        metadata={
            "held_out_pairs": held.height,
            "builds_on_both_sides": len(shared_builds),
            "held_out_pairs_in_training_sets": len(trained_held_out),
            "held_out_pairs_sharing_a_text_with_training": overlapping.height,
            "sharing_by_domain": dg.MetadataValue.json(by_domain),
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
