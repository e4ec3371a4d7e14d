"""The capture path against a bare polars.read_ndjson of the same lines.

The bar (issues 2 and 9): capture reaches at least 50% of the throughput of reading the same
trace files with `polars.read_ndjson`, measured side by side in one run, on 100k traces.
Since issue 9 the landing zone redacts before it writes, so the capture path is two steps:
`ingest` (redact, route, index, write the landing files) and processing a day (validate,
partition; redaction only for lines landed under other rules). Prints both steps and the
whole path; the bar applies to the whole path (ingest + processing), the figure a user waits for.
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
        sources = []
        for kind, lines in by_kind.items():
            source = work / f"{kind}.jsonl"
            source.write_bytes(b"".join(lines))
            sources.append(source)
        attempt = iter(range(10**6))

        def ingest():
            # A fresh landing zone each time: the landing index would skip lines already landed.
            zone = LandingZone(work / f"landing{next(attempt)}")
            for source in sources:
                ingest_path(source, zone, received_at=dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc))
            return zone

        t_ingest = best_of(args.runs, ingest)
        zone = ingest()
        (partition,) = zone.partitions()
        files = zone.files(partition)
        size_mb = sum(p.stat().st_size for p in files) / 1e6
        lake = Lake(work / "lake")

        def bare_polars():
            for path in sources:
                pl.read_ndjson(path, infer_schema_length=None)

        def ours():
            stats = process_partition(files, partition, dt.date(2025, 6, 1), lake)
            assert stats.accepted + stats.superseded == summary.lines and stats.quarantined == 0, stats

        t_polars = best_of(args.runs, bare_polars)
        t_process = best_of(args.runs, ours)
        t_ours = t_ingest + t_process
        ratio = t_polars / t_ours
        print(f"traces: {summary.lines:,} in {len(files)} landing files, {size_mb:.0f} MB")
        for name, seconds in [("polars.read_ndjson", t_polars), ("ingest (redact+route+land)", t_ingest),
                              ("process (validate+partition)", t_process), ("capture = ingest + process", t_ours)]:
            print(f"{name:<30} {seconds:6.2f} s  {summary.lines / seconds:>10,.0f} traces/s  {size_mb / seconds:6.0f} MB/s")
        print(f"processing alone / polars: {t_polars / t_process:.2f}")
        print(f"ratio (capture / polars throughput): {ratio:.2f}  (bar >= 0.50: {'PASS' if ratio >= 0.5 else 'FAIL'})")
        return 0 if ratio >= 0.5 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
