"""The export's blocking secret check (detect-secrets + our rules) on an export-sized file.

detect-secrets is far too slow for capture (DESIGN.md); the export's check runs it on the
training pairs only. This prints the time for an export of `--pairs` TRL records whose texts
are drawn from simulated, redacted traces (the sizes pairs have), both scanners apart, and the
throughput. The bar: a 1,000-pair export is checked in under 60 s (ratio = 60 s / time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from learning_pipeline.capture.redaction import redact_obj
from learning_pipeline.simulation import simulate
from learning_pipeline.preferences import secret_scan
from learning_pipeline.preferences.export import trl_record

BAR_SECONDS_PER_1000 = 60.0


def _texts(doc: object):
    if isinstance(doc, str):
        if len(doc) > 40:
            yield doc
    elif isinstance(doc, dict):
        for value in doc.values():
            yield from _texts(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _texts(value)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "traces.jsonl"
        simulate(builds=120, seed=5, days=1, out=out, end_date=dt.date(2026, 3, 1), bad_line_rate=0.0)
        texts = [t for line in out.read_text().splitlines() for t in _texts(redact_obj(json.loads(line))[0])]
    rng = random.Random(5)
    lines = [
        json.dumps(trl_record({"prompt": rng.choice(texts), "chosen": rng.choice(texts), "rejected": rng.choice(texts)}))
        for _ in range(args.pairs)
    ]
    size_mb = sum(len(line) for line in lines) / 1e6
    records = [json.loads(line) for line in lines]
    start = time.perf_counter()
    found_ds = secret_scan._detect_secrets_findings(records)
    t_ds = time.perf_counter() - start
    start = time.perf_counter()
    found_rules = secret_scan._rule_findings(records)
    t_rules = time.perf_counter() - start
    total = t_ds + t_rules
    per_1000 = total * 1000 / args.pairs
    print(f"export: {args.pairs} pairs, {size_mb:.2f} MB")
    print(f"detect-secrets:  {t_ds:6.1f} s  {size_mb / t_ds:6.3f} MB/s  findings {len(found_ds)}")
    print(f"redaction rules: {t_rules:6.1f} s  {size_mb / t_rules:6.3f} MB/s  findings {len(found_rules)}")
    ratio = BAR_SECONDS_PER_1000 / per_1000
    print(f"per 1,000 pairs: {per_1000:.1f} s; ratio (bar {BAR_SECONDS_PER_1000:.0f} s / time): {ratio:.2f} "
          f"({'PASS' if ratio >= 1 else 'FAIL'})")
    return 0 if ratio >= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
