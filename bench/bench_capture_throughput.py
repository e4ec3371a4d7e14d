"""Landing file -> validated, redacted trace partition, against a bare polars.read_ndjson.

The bar (issue 2): our processing reaches at least 50% of the throughput of reading the same
landing files with `polars.read_ndjson`, measured side by side in one run, on 100k traces.
Prints both throughputs and the ratio (>= 0.50 passes).
"""

from __future__ import annotations

import argparse
import json
import datetime as dt
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from learning_pipeline.capture.ingest import ingest_path
from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.capture.processing import process_partition
from learning_pipeline.simulation import simulate
from learning_pipeline.lake import Lake

END = dt.date(2026, 3, 1)


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--traces", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_capture_"))
    try:
        # ~31 lines per simulated build; one day so every trace lands in one partition.
        # No deliberately bad lines: the bare polars reader would refuse the file.
        out = work / "traces.jsonl"
        summary = simulate(builds=max(1, args.traces // 31), seed=11, days=1, out=out, end_date=END, bad_line_rate=0.0)
        # One landing file per trace kind: polars cannot infer one schema for a file mixing kinds
        # ("failed to determine supertype of struct"), so the bare reader gets homogeneous files.
        by_kind: dict[str, list[bytes]] = {}
        with open(out, "rb") as handle:
            for line in handle:
                by_kind.setdefault(json.loads(line)["kind"], []).append(line)
        zone = LandingZone(work / "landing")
        for kind, lines in by_kind.items():
            source = work / f"{kind}.jsonl"
            source.write_bytes(b"".join(lines))
            ingest_path(source, zone, received_at=dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc))
        (partition,) = zone.partitions()
        files = zone.files(partition)
        size_mb = sum(p.stat().st_size for p in files) / 1e6
        lake = Lake(work / "lake")

        def bare_polars():
            for path in files:
                pl.read_ndjson(path, infer_schema_length=None)

        def ours():
            stats = process_partition(files, partition, dt.date(2025, 6, 1), lake)
            assert stats.accepted == summary.lines and stats.quarantined == 0, stats

        t_polars = best_of(args.runs, bare_polars)
        t_ours = best_of(args.runs, ours)
        ratio = t_polars / t_ours
        print(f"traces: {summary.lines:,} in {len(files)} landing files, {size_mb:.0f} MB")
        print(f"polars.read_ndjson:         {t_polars:6.2f} s  {summary.lines / t_polars:>10,.0f} traces/s  {size_mb / t_polars:6.0f} MB/s")
        print(f"validate+redact+partition:  {t_ours:6.2f} s  {summary.lines / t_ours:>10,.0f} traces/s  {size_mb / t_ours:6.0f} MB/s")
        print(f"ratio (ours / polars throughput): {ratio:.2f}  (bar >= 0.50: {'PASS' if ratio >= 0.5 else 'FAIL'})")
        return 0 if ratio >= 0.5 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
