"""Curriculum vs random order: held-out preference accuracy of the tiny model trained with DPO on
the same training pairs, with shuffling off, in curriculum order (easiest first: wide margin,
confident judges; meta/curriculum.py) or in a seeded random order.

Runs on the lake of LEARNING_HOME (after `learning-pipeline demo` or `run`). Held-out pairs are
the pairs table's own held-out split (by build). Intervals resample held-out *builds*.

    LEARNING_HOME=... python bench/bench_curriculum.py [--domains architecture] [--train 480] [--seeds 1 2]
"""

import argparse
import random
import statistics
import tempfile
from pathlib import Path

import polars as pl

from learning_pipeline.config import DPOTrainingConfig, LearningSettings
from learning_pipeline.judging.judgments import JUDGMENTS_TABLE
from learning_pipeline.lake import Lake
from learning_pipeline.meta.curriculum import curriculum_order
from learning_pipeline.preferences.export import trl_record
from learning_pipeline.training.dpo import preference_accuracy, train_dpo_lora
from learning_pipeline.training.tiny_model import build_tiny_llama


def build_interval(held: pl.DataFrame, margins: list[float], seed: int = 0, resamples: int = 1000) -> tuple[float, float]:
    by_build: dict[str, list[float]] = {}
    for b, m in zip(held.get_column("build_id").to_list(), margins):
        by_build.setdefault(b, []).append(1.0 if m > 0 else 0.0)
    builds = list(by_build)
    rng = random.Random(seed)
    stats = []
    for _ in range(resamples):
        sample = [x for b in (rng.choice(builds) for _ in builds) for x in by_build[b]]
        stats.append(sum(sample) / len(sample))
    stats.sort()
    return stats[int(0.025 * resamples)], stats[int(0.975 * resamples) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--domains", nargs="+", default=["architecture"])
    parser.add_argument("--train", type=int, default=480, help="training pairs (a seeded sample of the train split)")
    parser.add_argument("--held-out", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--epochs", type=float, default=1.0)
    args = parser.parse_args()
    settings = LearningSettings.from_env()
    lake = Lake(settings.lake_dir)
    pairs = lake.read("preference_pairs").filter(pl.col("domain").is_in(args.domains))
    train_all = pairs.filter(pl.col("split") == "train").sort("pair_id")
    held = pairs.filter(pl.col("split") == "held_out").sort("pair_id").head(args.held_out)
    held_records = [trl_record(r) for r in held.iter_rows(named=True)]
    print(f"{train_all.height} training pairs available, {held.height} held-out pairs from {held.get_column('build_id').n_unique()} builds")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        texts = train_all.select("prompt", "chosen", "rejected").to_numpy().ravel().tolist()  # tokenizer fit on training text only
        base = build_tiny_llama(texts, tmp / "base")
        results: dict[str, list[float]] = {"curriculum": [], "random": []}
        for seed in args.seeds:
            sample = train_all.sample(n=min(args.train, train_all.height), seed=seed)
            orders = {
                "curriculum": curriculum_order(sample, lake.read(JUDGMENTS_TABLE)),
                "random": sample.sample(fraction=1.0, shuffle=True, seed=seed + 1000),
            }
            for name, ordered in orders.items():
                config = DPOTrainingConfig(seed=seed, epochs=args.epochs, shuffle=False, qlora=False)
                out = tmp / f"{name}-{seed}"
                train_dpo_lora(base, [trl_record(r) for r in ordered.iter_rows(named=True)], out, config)
                scored = preference_accuracy(out, base, held_records, beta=config.beta, max_length=config.max_length)
                low, high = build_interval(held, scored["margins"], seed)
                results[name].append(scored["accuracy"])
                print(f"seed {seed} {name:<10} held-out accuracy {scored['accuracy']:.3f} [{low:.3f}, {high:.3f}] "
                      f"mean margin {scored['mean_margin']:.4f}")
    cur, rnd = statistics.mean(results["curriculum"]), statistics.mean(results["random"])
    print(f"\nmean over seeds {args.seeds}: curriculum {cur:.3f}, random order {rnd:.3f}, "
          f"difference {cur - rnd:+.3f}, ratio {cur / rnd if rnd else float('nan'):.3f}")


if __name__ == "__main__":
    main()
