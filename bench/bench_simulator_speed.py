"""Simulator speed: 1,000 builds over 30 days in at most 15 s (the bar the old timed test held).

Prints builds per second and the ratio to the bar (>= 1.0 meets it)."""

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from learning_pipeline.capture.simulator import simulate

BUILDS, BAR_S = 1000, 15.0

with tempfile.TemporaryDirectory() as tmp:
    started = time.perf_counter()
    summary = simulate(BUILDS, seed=11, days=30, out=Path(tmp) / "big.jsonl.gz", end_date=dt.date(2026, 3, 31), bad_line_rate=0.0)
    wall = time.perf_counter() - started
print(f"simulated {BUILDS} builds ({summary.lines} lines) in {wall:.1f}s: {BUILDS / wall:.0f} builds/s; "
      f"bar {BAR_S:.0f}s -> ratio {BAR_S / wall:.2f}")
sys.exit(0 if wall <= BAR_S else 1)
