"""Strategy evolution: cumulative regret of Thompson sampling on a 5,000-round bandit simulation.

Hidden context-dependent success rates (4 app souls x 2 phases x 3 strategies); at round 2,500
the best strategy of every soul changes. The half-life is tuned on TUNING_SEEDS (least total
regret) and every figure is reported on REPORT_SEEDS, which tuning never saw. Baselines on the
same worlds: epsilon-greedy (0.1) on the same context buckets, uniform random, and the same
sampler without a discount.

Bars (each printed with its ratio; a ratio below 1 passes):
- sublinear before the change: regret of rounds 1,250-2,500 / regret of rounds 0-1,250 < 1
- total regret below epsilon-greedy and below uniform
- recovery: regret in the 1,000 rounds after the change, discounted / undiscounted < 1

    .venv/bin/python bench/bench_strategy_regret.py [--report-seeds 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from learning_pipeline_tests.meta.bandit_world import (  # noqa: E402
    HALF_LIFE_GRID, REPORT_SEEDS, TUNED_HALF_LIFE_ROUNDS, TUNING_SEEDS, make_world, run_epsilon_greedy,
    run_thompson, run_uniform, summarise, tune_half_life,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report-seeds", type=int, default=len(REPORT_SEEDS))
    parser.add_argument("--skip-tuning", action="store_true", help=f"use the recorded half-life {TUNED_HALF_LIFE_ROUNDS}")
    args = parser.parse_args()

    if args.skip_tuning:
        half_life = TUNED_HALF_LIFE_ROUNDS
    else:
        half_life = tune_half_life()
        print(f"half-life tuned on seeds {TUNING_SEEDS} over {HALF_LIFE_GRID}: {half_life:g} rounds"
              f" (recorded in bandit_world.TUNED_HALF_LIFE_ROUNDS: {TUNED_HALF_LIFE_ROUNDS:g})")
    seeds = REPORT_SEEDS[: args.report_seeds]
    results: dict[str, list] = {"discounted": [], "undiscounted": [], "epsilon_greedy_0.1": [], "uniform": []}
    for seed in seeds:
        world = make_world(seed)
        results["discounted"].append(summarise(run_thompson(world, half_life, seed), world.change_at))
        results["undiscounted"].append(summarise(run_thompson(world, None, seed), world.change_at))
        results["epsilon_greedy_0.1"].append(summarise(run_epsilon_greedy(world, 0.1, seed), world.change_at))
        results["uniform"].append(summarise(run_uniform(world, seed), world.change_at))

    print(f"\nreport seeds {seeds[0]}..{seeds[-1]} ({len(seeds)} worlds), 5,000 rounds, change at 2,500")
    print(f"{'policy':<22}{'total':>10}{'before':>10}{'q1':>9}{'q2':>9}{'q2/q1':>8}{'after 1k':>10}")
    for name, rows in results.items():
        mean = lambda attr: float(np.mean([getattr(r, attr) for r in rows]))  # noqa: E731
        print(f"{name:<22}{mean('total'):>10.1f}{mean('before_change'):>10.1f}{mean('first_quarter'):>9.1f}"
              f"{mean('second_quarter'):>9.1f}{mean('growth_ratio'):>8.2f}{mean('after_change_window'):>10.1f}")

    d = results["discounted"]
    total = np.array([r.total for r in d])
    growth = float(np.mean([r.growth_ratio for r in d]))
    vs_eps = total / np.array([r.total for r in results["epsilon_greedy_0.1"]])
    vs_uniform = total / np.array([r.total for r in results["uniform"]])
    recovery = np.array([r.after_change_window for r in d]) / np.array([r.after_change_window for r in results["undiscounted"]])
    print("\nbars (ratio < 1 passes; per-seed share in brackets)")
    print(f"  sublinear before change: q2/q1 = {growth:.2f} (ratio to bar 1.0: {growth:.2f}) "
          f"[{np.mean([r.growth_ratio < 1 for r in d]):.0%} of seeds]")
    print(f"  total regret / epsilon-greedy(0.1): {np.mean(vs_eps):.2f} [{np.mean(vs_eps < 1):.0%} of seeds]")
    print(f"  total regret / uniform: {np.mean(vs_uniform):.2f} [{np.mean(vs_uniform < 1):.0%} of seeds]")
    print(f"  recovery (1,000 rounds after change) discounted / undiscounted: {np.mean(recovery):.2f} "
          f"[{np.mean(recovery < 1):.0%} of seeds]")


if __name__ == "__main__":
    main()
