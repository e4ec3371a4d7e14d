"""The demo's wall time: `learning-pipeline demo` (300 builds over 30 days, the whole flywheel)
in a fresh LEARNING_HOME and DAGSTER_HOME, at most 240 s on a quiet 2-core machine.

Prints the time of each step (simulate, ingest, materialize, train) from the demo's own output,
the total, and the ratio to the bar (>= 1.0 meets it). Then runs `run` again: with no new data it
must materialize nothing, so its time is the fixed cost of asking what is stale.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BAR_S = 240.0
CLI = [sys.executable, "-m", "learning_pipeline.cli"]
ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str], env: dict) -> tuple[float, list[tuple[float, str]]]:
    started = time.perf_counter()
    proc = subprocess.Popen([*CLI, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = [(time.perf_counter() - started, line.rstrip()) for line in proc.stdout]
    if proc.wait() != 0:
        print("\n".join(text for _, text in lines[-20:]))
        sys.exit(f"learning-pipeline {' '.join(args)} failed")
    return time.perf_counter() - started, lines


with tempfile.TemporaryDirectory() as tmp:
    env = {**os.environ, "LEARNING_HOME": f"{tmp}/home", "DAGSTER_HOME": f"{tmp}/dagster_home",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("LEARNING_PARTITION_START", None)
    total, lines = timed(["demo"], env)
    marks = [(t, text) for t, text in lines if text[:2] in ("1/", "2/", "3/", "4/")] + [(total, "end")]
    for (t0, step), (t1, _) in zip(marks, marks[1:]):
        print(f"{t1 - t0:7.1f}s  {step}")
    print(f"demo: {total:.1f}s; bar {BAR_S:.0f}s -> ratio {BAR_S / total:.2f}")
    again, lines = timed(["run"], env)
    print(f"second run with no new data: {again:.1f}s ({lines[-1][1] if lines else ''})")
sys.exit(0 if total <= BAR_S else 1)
