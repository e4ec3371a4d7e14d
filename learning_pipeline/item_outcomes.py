"""How many items a stage's external calls answered, read back from its assets' metadata.

An asset whose work is a call per item that may fail without failing the asset (an LLM judge:
failed judgments are kept and retried on the next run) puts `ok` and `failed` counts in its
materialization metadata. A run that "succeeded" while its judge was unreachable for every item
must not look like a success: the CLI reports these counts per asset and fails the command when
most items failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import dagster as dg


@dataclass(frozen=True)
class ItemOutcome:
    asset: str
    ok: int
    failed: int

    @property
    def mostly_failed(self) -> bool:
        return self.failed > self.ok

    def describe(self) -> str:
        return f"{self.asset}: {self.failed} of {self.ok + self.failed} items failed"


def item_outcomes(events: Iterable[dg.DagsterEvent]) -> list[ItemOutcome]:
    """Per asset, the ok and failed counts summed over its materializations (one per partition)."""
    totals: dict[str, list[int]] = {}
    for event in events:
        if not event.is_step_materialization:
            continue
        materialization = event.event_specific_data.materialization
        metadata = materialization.metadata
        if "ok" not in metadata or "failed" not in metadata:
            continue
        counts = totals.setdefault(materialization.asset_key.to_user_string(), [0, 0])
        counts[0] += int(metadata["ok"].value or 0)
        counts[1] += int(metadata["failed"].value or 0)
    return [ItemOutcome(asset, ok, failed) for asset, (ok, failed) in sorted(totals.items()) if ok + failed]
