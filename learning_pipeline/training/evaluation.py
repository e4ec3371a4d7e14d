"""Held-out evaluation of a candidate adapter against the champion, and the promotion gate.

The score is preference accuracy: the share of held-out pairs where the model's implicit DPO
reward (beta * log-ratio to the base model) is higher for the chosen side. The base model's
rewards are all zero, a tie on every pair, which counts as a coin flip (0.5): the same scale
for the base, the champion and the candidate, measured on the same items in the same run.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from learning_pipeline.preferences.export import trl_record


def held_out_records(pairs: pl.DataFrame, focus: tuple[str, ...]) -> list[dict]:
    held = pairs.filter((pl.col("split") == "held_out") & pl.col("domain").is_in(list(focus))).sort("pair_id")
    return [{**trl_record(row), "domain": row["domain"], "pair_id": row["pair_id"]} for row in held.iter_rows(named=True)]


def wins(margins: list[float]) -> list[float]:
    return [1.0 if m > 0 else 0.5 if m == 0 else 0.0 for m in margins]


def bootstrap_interval(values: list[float], resamples: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    if not values:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(resamples))
    low = means[int((1 - level) / 2 * resamples)]
    high = means[min(resamples - 1, int((1 + level) / 2 * resamples))]
    return (round(low, 4), round(high, 4))


@dataclass
class ModelScore:
    label: str  # "candidate v3", "champion v2", "base"
    accuracy: float
    mean_margin: float
    by_domain: dict[str, float]
    interval: tuple[float, float]


def score(label: str, margins: list[float], domains: list[str], seed: int = 0) -> ModelScore:
    won = wins(margins)
    by_domain: dict[str, list[float]] = {}
    for domain, w in zip(domains, won):
        by_domain.setdefault(domain, []).append(w)
    return ModelScore(
        label=label,
        accuracy=round(sum(won) / len(won), 4) if won else 0.0,
        mean_margin=round(sum(margins) / len(margins), 4) if margins else 0.0,
        by_domain={d: round(sum(v) / len(v), 4) for d, v in sorted(by_domain.items())},
        interval=bootstrap_interval(won, seed=seed),
    )


@dataclass
class GateDecision:
    passed: bool
    reasons: list[str]
    improvement: float  # relative, candidate vs champion
    improvement_interval: tuple[float, float]  # bootstrap interval of the paired accuracy difference
    regressions: dict[str, float] = field(default_factory=dict)


def gate(candidate: ModelScore, champion: ModelScore, candidate_margins: list[float], champion_margins: list[float],
         improvement_threshold: float, regression_tolerance: float) -> GateDecision:
    """Pass only if the candidate beats the champion by `improvement_threshold` (relative) and no
    domain falls by more than `regression_tolerance` (absolute accuracy)."""
    reasons = []
    improvement = (candidate.accuracy - champion.accuracy) / champion.accuracy if champion.accuracy else float("inf")
    if not candidate_margins:
        reasons.append("no held-out pairs to evaluate on")
    elif improvement < improvement_threshold:
        reasons.append(f"improvement {improvement:+.1%} is below the required {improvement_threshold:+.1%} "
                       f"({candidate.accuracy:.3f} vs {champion.label} {champion.accuracy:.3f})")
    regressions = {d: round(champion.by_domain[d] - acc, 4) for d, acc in candidate.by_domain.items()
                   if d in champion.by_domain and champion.by_domain[d] - acc > regression_tolerance}
    for domain, drop in regressions.items():
        reasons.append(f"{domain} regressed by {drop:.3f} (tolerance {regression_tolerance})")
    differences = [c - p for c, p in zip(wins(candidate_margins), wins(champion_margins))]
    return GateDecision(passed=not reasons, reasons=reasons or ["passed"], improvement=round(improvement, 4),
                        improvement_interval=bootstrap_interval(differences), regressions=regressions)


def write_report(directory: Path, model: str, version: int, candidate: ModelScore, champion: ModelScore,
                 decision: GateDecision, items: int) -> dict:
    report = {
        "model": model, "version": version, "held_out_pairs": items,
        "candidate": asdict(candidate), "champion": asdict(champion), "gate": asdict(decision),
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "eval_report.json").write_text(json.dumps(report, indent=2))
    lines = [
        f"# Evaluation of {model} v{version}", "",
        f"Held-out pairs: {items}", "",
        "| model | accuracy | 95% interval | mean margin |", "|---|---|---|---|",
        *(f"| {s.label} | {s.accuracy:.3f} | {s.interval[0]:.3f}-{s.interval[1]:.3f} | {s.mean_margin:.4f} |" for s in (candidate, champion)),
        "", "| domain | candidate | champion |", "|---|---|---|",
        *(f"| {d} | {a:.3f} | {champion.by_domain.get(d, float('nan')):.3f} |" for d, a in candidate.by_domain.items()),
        "", f"Gate: **{'PASSED' if decision.passed else 'FAILED'}** — " + "; ".join(decision.reasons),
        f"Relative improvement {decision.improvement:+.1%}, paired difference interval {decision.improvement_interval}",
    ]
    (directory / "eval_report.md").write_text("\n".join(lines) + "\n")
    return report
