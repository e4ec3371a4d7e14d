"""Does anti-forgetting do anything? v1 on domain A, v2 from v1 on domain B only.

On simulated preference pairs (the pipeline's own, read from a LEARNING_HOME), trains v1 on A's
training pairs, then v2 from v1 on B's training pairs with: plain continuation, replay of A's
pairs (the share `TrainingSettings.replay_share`), and replay + EWC at several strengths
(lambda on the mean-1 Fisher). Every v2 is scored on A's held-out pairs (kept) and B's held-out
pairs (learned) by the gate metric (own length-normalised log-likelihood accuracy).

lambda is chosen on the tuning seeds (best A + B held-out accuracy, ties to the smaller lambda),
and the table is reported on other seeds. The figure: forgetting on A (v1 minus v2 accuracy) of
replay and of replay + EWC, as a ratio to plain continuation's (the bar: below 1 means the
mechanism keeps something continuation loses).

Usage: python bench/bench_forgetting.py [--home LEARNING_HOME] [--builds 300] [--sim-seed 7]
       [--domain-a architecture] [--domain-b error_fix] [--tune-seeds 0,1] [--report-seeds 2,3]
Without --home, a temporary one is filled by `learning-pipeline simulate / ingest / run`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

import warnings  # noqa: E402

# Nothing is downloaded, and the bench prints its table, not each library's progress.
for name, value in {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
                    "TRANSFORMERS_VERBOSITY": "error"}.items():
    os.environ.setdefault(name, value)
warnings.filterwarnings("ignore", category=FutureWarning)

from learning_pipeline.config import DPOTrainingConfig, TrainingSettings  # noqa: E402
from learning_pipeline.lake import Lake  # noqa: E402
from learning_pipeline.preferences.export import trl_record  # noqa: E402
from learning_pipeline.training.forgetting import Variant, run_forgetting  # noqa: E402
from learning_pipeline.training.tiny_model import build_tiny_llama  # noqa: E402


def simulated_home(builds: int, seed: int) -> Path:
    home = Path(tempfile.mkdtemp(prefix="bench-forgetting-"))
    env = {**os.environ, "LEARNING_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")}
    cli = [sys.executable, "-m", "learning_pipeline.cli"]
    traces = home / "traces.jsonl.gz"
    for args in (["simulate", "--builds", str(builds), "--seed", str(seed), "--out", str(traces)], ["ingest", str(traces)], ["run"]):
        subprocess.run(cli + args, env=env, check=True, stdout=subprocess.DEVNULL)
    return home


def records(frame: pl.DataFrame, limit: int, seed: int) -> list[dict]:
    rows = frame.sort("pair_id").to_dicts()
    random.Random(seed).shuffle(rows)
    return [trl_record(r) for r in rows[:limit]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--builds", type=int, default=300)
    parser.add_argument("--sim-seed", type=int, default=7)
    parser.add_argument("--domain-a", default="architecture")
    parser.add_argument("--domain-b", default="error_fix")
    parser.add_argument("--train-pairs", type=int, default=400, help="at most this many training pairs per domain")
    parser.add_argument("--held-out-pairs", type=int, default=300)
    parser.add_argument("--tune-seeds", default="0,1")
    parser.add_argument("--report-seeds", default="2,3")
    parser.add_argument("--lambdas", default="1,10,100")
    args = parser.parse_args()

    home = args.home or simulated_home(args.builds, args.sim_seed)
    pairs = Lake(home / "lake").read("preference_pairs")
    train, held = pairs.filter(pl.col("split") == "train"), pairs.filter(pl.col("split") == "held_out")
    a_train = records(train.filter(pl.col("domain") == args.domain_a), args.train_pairs, 0)
    b_train = records(train.filter(pl.col("domain") == args.domain_b), args.train_pairs, 0)
    a_held = records(held.filter(pl.col("domain") == args.domain_a), args.held_out_pairs, 0)
    b_held = records(held.filter(pl.col("domain") == args.domain_b), args.held_out_pairs, 0)
    print(f"A = {args.domain_a}: {len(a_train)} training / {len(a_held)} held-out pairs; "
          f"B = {args.domain_b}: {len(b_train)} / {len(b_held)} (from {home})")
    config, share = DPOTrainingConfig(), TrainingSettings().replay_share
    lambdas = [float(x) for x in args.lambdas.split(",")]
    work = Path(tempfile.mkdtemp(prefix="bench-forgetting-work-"))
    # The tokenizer sees training text only.
    texts = [m["content"] for r in a_train + b_train for key in ("prompt", "chosen", "rejected") for m in r[key]]
    base = build_tiny_llama(texts, work / "tiny-llama")

    def table(seeds: list[int], variants: list[Variant]) -> dict[str, list]:
        rows: dict[str, list] = {}
        for seed in seeds:
            started = time.perf_counter()
            for row in run_forgetting(base, a_train, a_held, b_train, b_held, variants, work / f"seed{seed}", config, seed):
                rows.setdefault(row.variant, []).append(row)
            print(f"  seed {seed}: {time.perf_counter() - started:.0f}s", flush=True)
        return rows

    def show(rows: dict[str, list]) -> None:
        v1 = statistics.mean(r.a_accuracy for r in rows["v1 (A only)"])
        print(f"  {'model':<28} {'A held-out':>10} {'forgot':>7} {'B held-out':>10} {'A implicit':>10} {'B implicit':>10}")
        for name, rs in rows.items():
            a = statistics.mean(r.a_accuracy for r in rs)
            b = statistics.mean(r.b_accuracy for r in rs)
            forgot = f"{v1 - a:+.3f}" if name.startswith("v2") else ""
            print(f"  {name:<28} {a:>10.3f} {forgot:>7} {b:>10.3f} "
                  f"{statistics.mean(r.a_implicit_accuracy for r in rs):>10.3f} {statistics.mean(r.b_implicit_accuracy for r in rs):>10.3f}")

    continuation, replay = Variant("continuation"), Variant("replay", share)
    tune_seeds = [int(s) for s in args.tune_seeds.split(",") if s]
    print(f"tuning lambda on seeds {tune_seeds} ...")
    tuned = table(tune_seeds, [continuation, replay, *(Variant(f"replay + EWC {lam:g}", share, lam) for lam in lambdas)])
    show(tuned)
    scores = {lam: statistics.mean(r.a_accuracy + r.b_accuracy for r in tuned[f"v2 replay + EWC {lam:g}"]) for lam in lambdas}
    best = max(lambdas, key=lambda lam: (scores[lam], -lam))
    replay_score = statistics.mean(r.a_accuracy + r.b_accuracy for r in tuned["v2 replay"])
    print(f"  chosen lambda {best:g} (A + B held-out {scores[best]:.3f}; replay alone {replay_score:.3f})")

    report_seeds = [int(s) for s in args.report_seeds.split(",") if s]
    print(f"reporting on seeds {report_seeds} ...")
    reported = table(report_seeds, [continuation, replay, Variant(f"replay + EWC {best:g}", share, best)])
    show(reported)
    v1 = statistics.mean(r.a_accuracy for r in reported["v1 (A only)"])
    forgot = {name: v1 - statistics.mean(r.a_accuracy for r in rs) for name, rs in reported.items() if name.startswith("v2")}
    base_forgot = forgot["v2 continuation"]
    for name, value in forgot.items():
        if name != "v2 continuation":
            ratio = value / base_forgot if base_forgot > 0 else float("nan")
            print(f"forgetting on A, {name[3:]}: {value:+.3f} vs continuation {base_forgot:+.3f}; ratio {ratio:.2f} (bar < 1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
