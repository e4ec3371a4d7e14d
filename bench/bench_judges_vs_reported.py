"""Do the heuristic judges add information over what the builder reports about itself?

For each judge and seed (seeds the rules were not tuned on): the judge's Spearman with the
simulator's hidden truth, the best single builder-reported field's Spearman (the bar: the
judge must be at least 0.05 above it, on the same items), and the rules-only Spearman (every
reported field removed). Also every reported field's Spearman with the truth.

Usage: python bench/bench_judges_vs_reported.py [--builds 200] [--seeds 7,11,23]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from learning_pipeline_tests.judging.judge_truth import REPORT_SEEDS, compare, simulate_tables

BAR = 0.05


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--seeds", default=",".join(str(s) for s in REPORT_SEEDS))
    parser.add_argument("--fields", action="store_true", help="print every reported field's Spearman")
    args = parser.parse_args()
    worst = float("inf")
    for seed in (int(s) for s in args.seeds.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            sim = simulate_tables(Path(tmp) / "traces.jsonl", seed, args.builds)
        for judge_type, row in compare(sim).items():
            best = row["fields"][row["best_field"]]
            worst = min(worst, row["margin"] / BAR)
            print(f"seed {seed:>3} {judge_type:<18} n={row['n']:<5} judge={row['judge']:.3f} "
                  f"best field {row['best_field']}={best['field']:.3f} (judge on its items {best['judge']:.3f}) "
                  f"rules-only={row['rules_only']:.3f} min margin={row['margin']:+.3f} ratio={row['margin'] / BAR:.2f}")
            if args.fields:
                for name, f in row["fields"].items():
                    print(f"        {name:<40} field={f['field']:.3f} judge={f['judge']:.3f} n={f['n']}")
    print(f"worst margin / bar: {worst:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
