"""The demo's two deliveries of one simulated world: the earlier days, then the later ones.

The flywheel is shown turning twice, so the demo lands the simulated traces as two batches cut
at a day, as a builder would deliver them over time: the first trains and promotes v1, the
second trains v2 from v1 and the gate decides. One simulation (one world, one seed) is cut,
not two simulations, so the second batch continues the same users, projects and habits.
"""

from __future__ import annotations

import datetime as dt
import gzip
from dataclasses import dataclass
from pathlib import Path

from learning_pipeline.capture.landing import event_day


@dataclass(frozen=True)
class Batch:
    path: Path
    first_day: dt.date | None
    last_day: dt.date | None
    lines: int


def split_by_day(source: Path, cut: dt.date, earlier: Path, later: Path) -> tuple[Batch, Batch]:
    """Lines whose event day is before `cut` go to `earlier`, the others to `later`. A line that
    names no day (a deliberately broken one) follows the line before it, so both batches keep
    their share of bad lines and ingest reports them where they arrive."""
    opener = gzip.open if source.name.endswith(".gz") else open
    sinks = {False: gzip.open(earlier, "wb"), True: gzip.open(later, "wb")}
    counts = {False: 0, True: 0}
    days: dict[bool, list[dt.date]] = {False: [], True: []}
    side = False
    try:
        with opener(source, "rb") as lines:
            for line in lines:
                if not line.strip():
                    continue
                day = event_day(line)
                if day is not None:
                    side = day >= cut
                    days[side].append(day)
                sinks[side].write(line if line.endswith(b"\n") else line + b"\n")
                counts[side] += 1
    finally:
        for sink in sinks.values():
            sink.close()
    return tuple(  # type: ignore[return-value]
        Batch(path, min(days[s], default=None), max(days[s], default=None), counts[s])
        for s, path in ((False, earlier), (True, later))
    )
