"""Memory stays bounded: a ~1 GB landing day is processed in at most ~2 GB RSS.

Simulates one day of traces until the landing partition holds --gb gigabytes, then processes
it in a fresh child process and reports that process's peak RSS (ru_maxrss) next to the input
size. The bar (issue 2): peak RSS <= 2 GB for a 1 GB day.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from learning_pipeline.capture.ingest import ingest_path
from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.simulation import simulate

CHILD = """
import datetime as dt, resource, sys, time
from pathlib import Path
from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.capture.processing import process_partition
from learning_pipeline.lake import Lake
zone = LandingZone(Path(sys.argv[1]))
(partition,) = zone.partitions()
start = time.perf_counter()
stats = process_partition(zone.files(partition), partition, dt.date(2025, 6, 1), Lake(Path(sys.argv[2])))
elapsed = time.perf_counter() - start
print(stats.lines_read, stats.accepted, stats.quarantined, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=1.0)
    parser.add_argument("--limit-gb", type=float, default=2.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench_memory_"))
    try:
        zone = LandingZone(work / "landing")
        target = args.gb * 1e9
        landed, seed = 0, 0
        started = time.perf_counter()
        while landed < target:
            seed += 1
            out = work / f"traces-{seed}.jsonl"
            simulate(builds=4000, seed=seed, days=1, out=out, end_date=dt.date(2026, 3, 1), bad_line_rate=0.002)
            ingest_path(out, zone, received_at=dt.datetime(2026, 3, 1, 23, tzinfo=dt.timezone.utc))
            out.unlink()
            landed = sum(p.stat().st_size for p in zone.files("2026-03-01"))
            print(f"  landed {landed / 1e9:.2f} GB ({time.perf_counter() - started:.0f} s)", flush=True)
        extra = [p for p in zone.partitions() if p != "2026-03-01"]
        for partition in extra:  # keep one partition: the day under test
            shutil.rmtree(zone.partition_dir(partition))
        proc = subprocess.run([sys.executable, "-c", CHILD, str(zone.root), str(work / "lake")],
                              capture_output=True, text=True, check=True)
        read, accepted, quarantined, elapsed, peak = proc.stdout.split()
        peak_gb = int(peak) / 1e9
        print(f"landing day: {landed / 1e9:.2f} GB, {int(read):,} lines ({int(accepted):,} accepted, {int(quarantined):,} quarantined)")
        print(f"processed in {float(elapsed):.1f} s, peak RSS {peak_gb:.2f} GB")
        ratio = peak_gb / args.limit_gb
        print(f"ratio (peak RSS / {args.limit_gb:.1f} GB bar): {ratio:.2f}  ({'PASS' if ratio <= 1 else 'FAIL'})")
        return 0 if ratio <= 1 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
