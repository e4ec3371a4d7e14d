"""Held-out pairs that cannot be memorised: overlap with training, and how many are left.

Simulates builds (or reads an existing LEARNING_HOME), runs the pipeline up to the pairs
through the CLI, and prints per domain: held-out and training pairs, candidates dropped for
straddling the split, and the share of held-out pairs with a chosen or rejected text
(normalised) that is also a side of a training pair of the same domain. The bars (issue 8):
that share at most 5% (by construction of the split it is 0), and at least 50 held-out pairs
for every domain a demo model trains on.

Usage: python bench/bench_held_out_split.py [--builds 300] [--seed 7] [--days 30] [--home PATH | --keep PATH]
(--home measures an existing LEARNING_HOME; --keep builds one there and keeps it; --share tries
another held-out share of builds on the same data.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

from learning_pipeline.lake import Lake
from learning_pipeline.preferences.split import content_overlap, held_out_pairs, training_pairs
from learning_pipeline.training.baselines import BAG_OF_WORDS, LONGER_SIDE, TRAINING_LOOKUP, baseline_scores

OVERLAP_BAR = 0.05
HELD_OUT_BAR = 50
END = "2026-01-31"


def _cli(*args: str, env: dict, ok: tuple[int, ...] = (0,)) -> None:
    done = subprocess.run([sys.executable, "-m", "learning_pipeline.cli", *args], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if done.returncode not in ok:
        raise RuntimeError(f"learning-pipeline {args[0]} exited {done.returncode}")


def build_home(builds: int, seed: int, days: int, root: Path) -> Path:
    env = {**os.environ, "LEARNING_HOME": str(root / "home"), "DAGSTER_HOME": str(root / "dagster_home")}
    traces = root / "traces.jsonl.gz"
    _cli("simulate", "--builds", str(builds), "--seed", str(seed), "--days", str(days), "--end-date", END,
         "--out", str(traces), env=env)
    # The simulator plants bad lines on purpose: ingest rejects them and exits 1.
    _cli("ingest", str(traces), "--quiet", env=env, ok=(0, 1))
    # Only what the pairs are made from (capture, judgments, comparisons): no training.
    _cli("run", "--select", "*preference_pairs", "--quiet", env=env)
    return root / "home"


def _baselines(train: pl.DataFrame, held: pl.DataFrame) -> dict[str, float]:
    """The trivial baselines of training/baselines.py, fitted on this domain's training pairs."""
    if held.height == 0:
        return {}
    return {name: sum(s) / len(s) for name, s in baseline_scores(train, held).items()}


def report(home: Path, share: float | None) -> int:
    from learning_pipeline.config import EvolutionConfig
    from learning_pipeline.preferences.assets import pairs_from_lake
    from learning_pipeline.preferences.pairs import PairRules

    lake = Lake(home / "lake")
    rules = PairRules(min_judgment_confidence=EvolutionConfig().min_judgment_confidence)
    if share is not None:
        rules = PairRules(min_judgment_confidence=rules.min_judgment_confidence, held_out_share=share)
    pairs, batch = pairs_from_lake(lake, rules)
    if pairs.height == 0:
        print("no preference pairs in", home)
        return 1
    held, train = held_out_pairs(pairs), training_pairs(pairs)
    overlapping = content_overlap(held, train)
    print(f"held-out share of builds {rules.held_out_share}")
    print(f"{'domain':<13} {'held_out':>8} {'train':>6} {'straddling':>10} {'overlap':>8}  overlap/bar  held_out/bar"
          f"  {'longer':>6} {'lookup':>6} {'bow':>6}")
    worst = 0.0
    for domain in sorted(set(pairs.get_column("domain"))):
        h = held.filter(pl.col("domain") == domain).height
        t = train.filter(pl.col("domain") == domain).height
        o = overlapping.filter(pl.col("domain") == domain).height
        overlap_share = o / h if h else 0.0
        worst = max(worst, overlap_share)
        straddling = batch.straddling.get(domain, 0)
        scores = _baselines(train.filter(pl.col("domain") == domain), held.filter(pl.col("domain") == domain))
        print(f"{domain:<13} {h:>8} {t:>6} {straddling:>10} {overlap_share:>8.3f}  {overlap_share / OVERLAP_BAR:>11.2f}  {h / HELD_OUT_BAR:>12.2f}"
              + "".join(f"  {scores.get(name, float('nan')):>6.3f}" for name in (LONGER_SIDE, TRAINING_LOOKUP, BAG_OF_WORDS)))
    flagged = pairs.filter(pl.col("split") == "flagged").height
    print(f"flagged (prompt injection, never trained): {flagged}")
    print(f"worst overlap share {worst:.3f} (bar {OVERLAP_BAR}); ratio {worst / OVERLAP_BAR:.2f}")
    return 0 if worst <= OVERLAP_BAR else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--builds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--home", help="an existing LEARNING_HOME to measure instead of simulating")
    parser.add_argument("--keep", help="simulate into this folder and keep it")
    parser.add_argument("--share", type=float, help="held-out share of builds (default: the pair rules')")
    args = parser.parse_args()
    if args.home:
        return report(Path(args.home), args.share)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        started = dt.datetime.now()
        home = build_home(args.builds, args.seed, args.days, root)
        print(f"{args.builds} builds, seed {args.seed}: pipeline ran in {(dt.datetime.now() - started).seconds} s")
        return report(home, args.share)


if __name__ == "__main__":
    sys.exit(main())
