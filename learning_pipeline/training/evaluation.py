"""Held-out evaluation: the base, the champion and the candidate scored together, beside trivial baselines.

Every model is scored on the same current held-out pairs in the same run, two ways
(see `scoring`): by its own length-normalised log-likelihood of chosen vs rejected, and by the
DPO implicit reward against the base. The gate uses the first (`GATE_METRIC`):

- it is *measured* for every model, the base included, so the first candidate is compared with
  what the base actually does, not with a 0.5 assumed for it (the base's implicit reward is 0 on
  every pair by construction: a tie, not a measurement);
- it is the model's own preference, the ranking a served model gives when it scores options
  alone, with no copy of the base beside it;
- DPO can raise the implicit reward while both sides' likelihoods fall, so a high implicit-reward
  accuracy does not mean the model ranks the chosen side first; the report shows both, and a
  gap between them is worth reading.

Baselines (`baselines`) are fitted on the training pairs of the same domains and scored on the
same held-out pairs; intervals come from one cluster bootstrap over builds (`bootstrap`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import polars as pl

from learning_pipeline.preferences.export import trl_record
from learning_pipeline.training.baselines import LONGER_SIDE, TRAINING_LOOKUP, baseline_scores
from learning_pipeline.training.bootstrap import ClusterBootstrap, cluster_ids
from learning_pipeline.training.gate import GateDecision, GateRules, decide, mean, notes

GATE_METRIC = "likelihood"
METRICS = {
    "likelihood": "own length-normalised log-likelihood, chosen vs rejected",
    "implicit_reward": "DPO implicit reward (log-ratio to the base), chosen vs rejected",
}
BASE = "base model"
# The baselines a candidate must beat to be promoted (gate rule 4): what reading length or
# remembering training texts alone achieves.
TRIVIAL_BASELINES = (LONGER_SIDE, TRAINING_LOOKUP)


def split_pairs(pairs: pl.DataFrame, focus: tuple[str, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(training pairs, held-out pairs) of the model's domains, each in a stable order."""
    mine = pairs.filter(pl.col("domain").is_in(list(focus))).sort("pair_id")
    return mine.filter(pl.col("split") == "train"), mine.filter(pl.col("split") == "held_out")


def held_out_records(held_out: pl.DataFrame) -> list[dict]:
    return [{**trl_record(row), "domain": row["domain"], "pair_id": row["pair_id"]} for row in held_out.iter_rows(named=True)]


def wins(margins: list[float]) -> list[float]:
    return [1.0 if m > 0 else 0.5 if m == 0 else 0.0 for m in margins]


@dataclass
class Accuracy:
    """Share of held-out pairs ranked right (a tie counts half), with its cluster-bootstrap interval."""

    value: float
    interval: tuple[float, float]
    by_domain: dict[str, float]


@dataclass
class ModelScore:
    label: str  # "candidate v3", "champion v2", "base model"
    likelihood: Accuracy
    implicit_reward: Accuracy | None  # None for the base: 0 on every pair by construction
    mean_implicit_margin: float | None


@dataclass
class Measurement:
    """Models and baselines on one held-out set; `scores` keeps each one's per-pair scores for the gate."""

    held_out_pairs: int
    held_out_builds: int
    training_pairs: int
    models: dict[str, ModelScore]
    baselines: dict[str, Accuracy]
    scores: dict[str, list[float]] = field(repr=False)
    domains: list[str] = field(repr=False)
    bootstrap: ClusterBootstrap = field(repr=False)

    @property
    def best_baseline(self) -> str | None:
        return max(self.baselines, key=lambda name: self.baselines[name].value) if self.baselines else None

    def margin_over_best_baseline(self, label: str) -> dict | None:
        """The model's gate-metric accuracy minus the best baseline's (absolute), with a paired interval."""
        best = self.best_baseline
        if best is None or not self.held_out_pairs:
            return None
        model, baseline = self.scores[f"{label}:{GATE_METRIC}"], self.scores[f"baseline:{best}"]
        return {
            "baseline": best,
            "margin": round(mean(model) - mean(baseline), 4),
            "interval": self.bootstrap.mean_interval([m - b for m, b in zip(model, baseline)]),
        }


def accuracy(scores: list[float], domains: list[str], bootstrap: ClusterBootstrap) -> Accuracy:
    by_domain = {d: mean([s for s, dd in zip(scores, domains) if dd == d]) for d in sorted(set(domains))}
    interval = bootstrap.mean_interval(scores) if scores else (0.0, 0.0)
    return Accuracy(mean(scores), interval, by_domain)


def measure(base_model: Path, train: pl.DataFrame, held_out: pl.DataFrame, adapters: dict[str, Path], beta: float,
            seed: int = 0) -> Measurement:
    """Score the base and each adapter (label -> adapter dir) and the baselines on the held-out pairs."""
    domains = held_out["domain"].to_list()
    bootstrap = ClusterBootstrap(cluster_ids(held_out["build_id"].to_list(), held_out["pair_id"].to_list()), seed=seed)
    scores: dict[str, list[float]] = {}
    models: dict[str, ModelScore] = {}
    if held_out.height:
        from learning_pipeline.training.scoring import implicit_margins, score_models

        logps = score_models(Path(base_model), held_out_records(held_out), adapters)
        for label, scored in [(BASE, logps["base"]), *((label, logps[label]) for label in adapters)]:
            scores[f"{label}:likelihood"] = wins(scored.likelihood_margins())
            implicit = None if label == BASE else implicit_margins(scored, logps["base"], beta)
            if implicit is not None:
                scores[f"{label}:implicit_reward"] = wins(implicit)
            models[label] = ModelScore(
                label=label,
                likelihood=accuracy(scores[f"{label}:likelihood"], domains, bootstrap),
                implicit_reward=accuracy(scores[f"{label}:implicit_reward"], domains, bootstrap) if implicit else None,
                mean_implicit_margin=round(sum(implicit) / len(implicit), 4) if implicit else None,
            )
    baselines = {}
    for name, values in (baseline_scores(train, held_out, seed) if held_out.height else {}).items():
        scores[f"baseline:{name}"] = values
        baselines[name] = accuracy(values, domains, bootstrap)
    return Measurement(held_out.height, bootstrap.builds_in(), train.height, models, baselines, scores, domains, bootstrap)


def gate_candidate(measurement: Measurement, candidate: str, champion: str, rules: GateRules) -> GateDecision:
    """The promotion gate on the gate metric, candidate vs champion (or the base), paired over builds."""
    if not measurement.held_out_pairs:
        return decide([], [], [], measurement.bootstrap, rules, champion)
    trivial = {name: measurement.scores[f"baseline:{name}"] for name in TRIVIAL_BASELINES
               if f"baseline:{name}" in measurement.scores}
    return decide(measurement.scores[f"{candidate}:{GATE_METRIC}"], measurement.scores[f"{champion}:{GATE_METRIC}"],
                  measurement.domains, measurement.bootstrap, rules, champion, baselines=trivial)


def report(model: str, version: int, measurement: Measurement, candidate: str, decision: GateDecision) -> dict:
    return {
        "model": model,
        "version": version,
        "held_out_pairs": measurement.held_out_pairs,
        "held_out_builds": measurement.held_out_builds,
        "training_pairs_for_baselines": measurement.training_pairs,
        "gate_metric": GATE_METRIC,
        "metrics": METRICS,
        "intervals": f"{measurement.bootstrap.level:.0%} percentile, cluster bootstrap over builds",
        "models": {label: asdict(score) for label, score in measurement.models.items()},
        "baselines": {name: asdict(acc) for name, acc in measurement.baselines.items()},
        "best_baseline": measurement.best_baseline,
        "candidate_margin_over_best_baseline": measurement.margin_over_best_baseline(candidate),
        "gate": asdict(decision),
        "notes": notes(decision),
    }


def _interval(interval) -> str:
    return f"{interval[0]:.3f}–{interval[1]:.3f}"


def markdown(report: dict, candidate: str) -> str:
    models, baselines, gate = report["models"], report["baselines"], report["gate"]
    lines = [
        f"# Evaluation of {report['model']} v{report['version']}", "",
        f"Held-out pairs: {report['held_out_pairs']} from {report['held_out_builds']} builds; baselines fitted on "
        f"{report['training_pairs_for_baselines']} training pairs. Intervals: {report['intervals']}.",
        f"The gate uses **{METRICS[report['gate_metric']]}**.", "",
        "| model or baseline | likelihood accuracy | interval | implicit-reward accuracy | interval |", "|---|---|---|---|---|",
    ]
    for label, score in models.items():
        implicit = score["implicit_reward"]
        lines.append(f"| {label} | {score['likelihood']['value']:.3f} | {_interval(score['likelihood']['interval'])} | "
                     + (f"{implicit['value']:.3f} | {_interval(implicit['interval'])} |" if implicit else "— (0 by construction) | — |"))
    for name, acc in baselines.items():
        lines.append(f"| baseline: {name} | {acc['value']:.3f} | {_interval(acc['interval'])} | | |")
    margin = report["candidate_margin_over_best_baseline"]
    if margin:
        lines += ["", f"{candidate} minus the best baseline ({margin['baseline']}): {margin['margin']:+.3f} (absolute accuracy), "
                      f"interval {margin['interval'][0]:+.3f} to {margin['interval'][1]:+.3f}"]
    domains = sorted({d for s in models.values() for d in s["likelihood"]["by_domain"]})
    if domains:
        columns = list(models) + [f"baseline: {n}" for n in baselines]
        lines += ["", "| domain | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
        for d in domains:
            cells = [models[m]["likelihood"]["by_domain"].get(d) for m in models] + [baselines[b]["by_domain"].get(d) for b in baselines]
            lines.append(f"| {d} | " + " | ".join("" if c is None else f"{c:.3f}" for c in cells) + " |")
    reduction = gate["error_reduction"]
    lines += [
        "", f"Gate: **{'PASSED' if gate['passed'] else 'FAILED'}** — " + "; ".join(gate["reasons"]),
        f"- accuracy {gate['candidate_accuracy']:.3f} vs {gate['champion']} {gate['champion_accuracy']:.3f} (absolute); "
        f"difference {gate['accuracy_difference']:+.3f}, interval {gate['accuracy_difference_interval'][0]:+.3f} to "
        f"{gate['accuracy_difference_interval'][1]:+.3f} (absolute, paired over builds)",
        f"- held-out error removed: " + (f"{reduction:.1%}" if reduction is not None else "n/a (champion makes no errors)")
        + f" (relative; {gate['required_error_reduction']:.1%} required)",
    ]
    for name, b in gate.get("baselines", {}).items():
        lines.append(f"- over the {name} baseline ({b['baseline_accuracy']:.3f}): {b['margin']:+.3f}, interval "
                     f"{b['margin_interval'][0]:+.3f} to {b['margin_interval'][1]:+.3f} (absolute, paired over builds; "
                     f"lower end must exceed {gate['required_margin_over_baselines']:+.3f}): "
                     + ("beaten" if b["beaten"] else "NOT beaten"))
    for domain, v in gate["domains"].items():
        lines.append(f"- {domain}: {v['status']} ({v['candidate_accuracy']:.3f} vs {v['champion_accuracy']:.3f}, "
                     f"difference {v['accuracy_difference']:+.3f}, interval {v['accuracy_difference_interval'][0]:+.3f} to "
                     f"{v['accuracy_difference_interval'][1]:+.3f}, {v['pairs']} pairs from {v['builds']} builds)")
    lines += [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"


def write_report(directory: Path, content: dict, candidate: str) -> dict:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "eval_report.json").write_text(json.dumps(content, indent=2))
    (directory / "eval_report.md").write_text(markdown(content, candidate))
    return content
