"""Error-fix pairs: within one recovery journey, the fix that worked over each attempt that did not."""

from __future__ import annotations

from typing import Iterator

import polars as pl

from learning_pipeline.preferences.pairs import PairBatch
from learning_pipeline.preferences.rules._rows import json_of, seen
from learning_pipeline.preferences.split import Sighting

DOMAIN = "error_fix"


def fix_text(fix: dict) -> str:
    return fix.get("fixDescription", "") + (f"\n{fix['codeDiff']}" if fix.get("codeDiff") else "")


def sightings(errors: pl.DataFrame) -> Iterator[Sighting]:
    for row in errors.iter_rows(named=True):
        fix = json_of(row["successful_fix"], None)
        texts = [fix_text(fix)] if fix else []
        texts += [a.get("fixApplied", "") for a in json_of(row["recovery_journey"], [])]
        for text in texts:
            yield Sighting(DOMAIN, text, row["build_id"], seen(row))


def pairs(errors: pl.DataFrame, batch: PairBatch) -> None:
    for row in errors.iter_rows(named=True):
        fix = json_of(row["successful_fix"], None)
        if not fix:
            batch.dropped["error_never_fixed"] += 1
            continue
        error = json_of(row["error"], {})
        prompt = "\n".join(
            p for p in (
                f"Fix this {error.get('type', 'error')}" + (f" in {error['fileLocation']}" if error.get("fileLocation") else "") + ":",
                error.get("message", ""),
            ) if p
        )
        failed = [a for a in json_of(row["recovery_journey"], []) if a.get("result") in ("failed", "new_error")]
        if not failed:
            batch.dropped["no_failed_attempt"] += 1
        for attempt in failed:
            # A wrong fix that also broke something else is a stronger negative.
            margin = 50 + (20 if attempt.get("result") == "new_error" else 0)
            batch.offer(domain=DOMAIN, prompt=prompt, chosen=fix_text(fix), rejected=attempt.get("fixApplied", ""),
                        reasoning=f"attempt {attempt.get('attempt')} ({attempt.get('result')}) did not fix it; "
                                  f"the level-{fix.get('levelRequired')} fix did.",
                        margin=margin, sources=[row["error_id"]], build_id=row["build_id"], created_at=row["created_at"])
