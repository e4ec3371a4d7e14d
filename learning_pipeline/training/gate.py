"""The promotion gate: pure rules on per-pair scores, which tests call directly.

A candidate replaces the champion (the base model when there is none yet) only when, on the
same current held-out pairs:

1. it removes at least `improvement_threshold` of the champion's held-out *errors*
   (relative reduction of 1 - accuracy). A relative gain in accuracy cannot be reached once a
   champion scores above 1 / (1 + threshold) (0.953 for 5%), which froze the flywheel after one
   promotion; the share of remaining errors removed stays reachable at any level;
2. the lower bound of the cluster-bootstrap interval of (candidate - champion) accuracy, paired
   over the same resampled builds, is above zero: the gain is not an accident of which builds
   happened to be held out;
3. no domain regresses by more than `regression_tolerance` *with evidence*: a domain blocks only
   when its whole interval of (candidate - champion) lies below -tolerance. Where the observed
   drop exceeds the tolerance but the interval still reaches above it, the domain has too few
   held-out pairs to tell the tolerance from noise, and the decision says "not enough evidence"
   for it instead of blocking (one flipped pair out of 12 is 0.083, four times a 0.02 tolerance);
4. it beats every trivial baseline it is given (pick the longer side; pick the text that won more
   often in training): the lower bound of the paired cluster-bootstrap interval of
   (candidate - baseline) is above `min_margin_over_baselines` (0 by default). Rules 1-3 compare
   with the champion only, and the first champion is the base: a candidate can beat a base that
   scores below chance (0.44 once) and still do no better than reading length, which is no
   reason to serve it. The bag-of-words baseline is reported but is no bar here: it is a learned
   model of its own, not a sign of memorising or reading length.

Scores are 1 (right), 0 (wrong) or 0.5 (a tie) per held-out pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from learning_pipeline.config import EvolutionConfig
from learning_pipeline.training.bootstrap import ClusterBootstrap

# A cluster bootstrap over a handful of builds has almost no resamples to tell apart: below
# this many held-out builds the gate does not promote at all, whatever the point figures say.
MIN_HELD_OUT_BUILDS = 5


@dataclass(frozen=True)
class GateRules:
    improvement_threshold: float  # required relative reduction of the champion's held-out error
    regression_tolerance: float  # absolute accuracy a domain may lose
    min_held_out_builds: int = MIN_HELD_OUT_BUILDS
    min_margin_over_baselines: float = 0.0  # absolute, lower interval bound of (candidate - each trivial baseline)

    @classmethod
    def from_config(cls, evolution: EvolutionConfig) -> GateRules:
        return cls(evolution.promotion_improvement_threshold, evolution.regression_tolerance,
                   min_margin_over_baselines=evolution.min_margin_over_trivial_baselines)


@dataclass
class BaselineVerdict:
    baseline_accuracy: float
    margin: float  # absolute, candidate - baseline
    margin_interval: tuple[float, float]  # paired cluster bootstrap over builds
    beaten: bool  # the interval's lower bound is above the required margin


@dataclass
class DomainVerdict:
    pairs: int
    builds: int
    candidate_accuracy: float
    champion_accuracy: float
    accuracy_difference: float  # absolute, candidate - champion
    accuracy_difference_interval: tuple[float, float]  # cluster bootstrap over builds
    status: str  # "improved or equal", "drop within tolerance", "not enough evidence", "regressed"


@dataclass
class GateDecision:
    passed: bool
    reasons: list[str]
    champion: str  # "champion v2" or "base model"
    held_out_pairs: int
    held_out_builds: int
    candidate_accuracy: float  # absolute: share of held-out pairs the candidate ranks right
    champion_accuracy: float  # absolute, same pairs
    accuracy_difference: float  # absolute, candidate - champion
    accuracy_difference_interval: tuple[float, float]  # paired cluster bootstrap over builds
    error_reduction: float | None  # relative: share of the champion's held-out errors the candidate removes
    required_error_reduction: float  # relative
    domains: dict[str, DomainVerdict] = field(default_factory=dict)
    baselines: dict[str, BaselineVerdict] = field(default_factory=dict)  # the trivial baselines of rule 4
    required_margin_over_baselines: float = 0.0  # absolute


def mean(values: Sequence[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def error_reduction(candidate_accuracy: float, champion_accuracy: float) -> float | None:
    """(champion error - candidate error) / champion error; None when the champion makes no errors."""
    champion_error = 1 - champion_accuracy
    if champion_error <= 0:
        return None
    return round((champion_error - (1 - candidate_accuracy)) / champion_error, 4)


def domain_verdict(candidate: list[float], champion: list[float], mask: list[bool], bootstrap: ClusterBootstrap,
                   tolerance: float) -> DomainVerdict:
    cand = [c for c, m in zip(candidate, mask) if m]
    champ = [c for c, m in zip(champion, mask) if m]
    difference = round(mean(cand) - mean(champ), 4)
    interval = bootstrap.mean_interval([c - p for c, p in zip(candidate, champion)], mask)
    if difference >= 0:
        status = "improved or equal"
    elif difference >= -tolerance:
        status = "drop within tolerance"
    elif interval[1] < -tolerance:
        status = "regressed"
    else:
        status = "not enough evidence"
    return DomainVerdict(len(cand), bootstrap.builds_in(mask), mean(cand), mean(champ), difference, interval, status)


def decide(candidate: Sequence[float], champion: Sequence[float], domains: Sequence[str], bootstrap: ClusterBootstrap,
           rules: GateRules, champion_label: str = "champion",
           baselines: Mapping[str, Sequence[float]] | None = None) -> GateDecision:
    """Apply the rules to the candidate's and the champion's scores on the same held-out pairs;
    `baselines` (name -> per-pair scores on those pairs) are the trivial baselines of rule 4."""
    candidate, champion = list(candidate), list(champion)
    if not (len(candidate) == len(champion) == len(domains)):
        raise ValueError("candidate, champion and domains must describe the same held-out pairs")
    reasons: list[str] = []
    cand_acc, champ_acc = mean(candidate), mean(champion)
    difference = round(cand_acc - champ_acc, 4)
    interval = bootstrap.mean_interval([c - p for c, p in zip(candidate, champion)]) if candidate else (0.0, 0.0)
    reduction = error_reduction(cand_acc, champ_acc)
    builds = bootstrap.builds_in()

    if not candidate:
        reasons.append("no held-out pairs to evaluate on")
    elif builds < rules.min_held_out_builds:
        reasons.append(f"held-out pairs come from {builds} builds; at least {rules.min_held_out_builds} are needed "
                       "for an interval over builds")
    else:
        if reduction is None:
            reasons.append(f"{champion_label} makes no errors on the {len(candidate)} held-out pairs: nothing left to improve")
        elif reduction < rules.improvement_threshold:
            reasons.append(f"removes {reduction:.1%} of {champion_label}'s held-out errors (relative), "
                           f"{rules.improvement_threshold:.1%} required; accuracy {cand_acc:.3f} vs {champ_acc:.3f} (absolute)")
        if interval[0] <= 0:
            reasons.append(f"the 95% interval of the accuracy difference over builds, {interval[0]:+.3f} to "
                           f"{interval[1]:+.3f} (absolute), does not exclude zero")

    beaten: dict[str, BaselineVerdict] = {}
    for name, values in (baselines or {}).items() if candidate else ():
        values = list(values)
        if len(values) != len(candidate):
            raise ValueError(f"baseline {name!r} must score the same held-out pairs as the candidate")
        margin_interval = bootstrap.mean_interval([c - b for c, b in zip(candidate, values)])
        beaten[name] = verdict = BaselineVerdict(mean(values), round(cand_acc - mean(values), 4), margin_interval,
                                                 margin_interval[0] > rules.min_margin_over_baselines)
        if not verdict.beaten:
            reasons.append(f"does not beat the {name} baseline: accuracy {cand_acc:.3f} vs {verdict.baseline_accuracy:.3f}, "
                           f"margin {verdict.margin:+.3f}, interval {margin_interval[0]:+.3f} to {margin_interval[1]:+.3f} "
                           f"(absolute, paired over builds) does not lie above {rules.min_margin_over_baselines:+.3f}")

    verdicts: dict[str, DomainVerdict] = {}
    for domain in sorted(set(domains)):
        mask = [d == domain for d in domains]
        verdicts[domain] = verdict = domain_verdict(candidate, champion, mask, bootstrap, rules.regression_tolerance)
        if verdict.status == "regressed":
            reasons.append(f"{domain} regressed by {-verdict.accuracy_difference:.3f} (absolute; interval "
                           f"{verdict.accuracy_difference_interval[0]:+.3f} to {verdict.accuracy_difference_interval[1]:+.3f} "
                           f"lies below -{rules.regression_tolerance}) on {verdict.pairs} pairs from {verdict.builds} builds")
    return GateDecision(
        passed=not reasons, reasons=reasons or ["passed"], champion=champion_label,
        held_out_pairs=len(candidate), held_out_builds=builds, candidate_accuracy=cand_acc, champion_accuracy=champ_acc,
        accuracy_difference=difference, accuracy_difference_interval=interval, error_reduction=reduction,
        required_error_reduction=rules.improvement_threshold, domains=verdicts,
        baselines=beaten, required_margin_over_baselines=rules.min_margin_over_baselines,
    )


def notes(decision: GateDecision) -> list[str]:
    """What a reader should know beyond pass/fail: domains whose drop could not be told from noise."""
    return [f"{d}: not enough evidence — dropped {-v.accuracy_difference:.3f} (absolute) on {v.pairs} pairs from "
            f"{v.builds} builds; the interval {v.accuracy_difference_interval[0]:+.3f} to "
            f"{v.accuracy_difference_interval[1]:+.3f} cannot tell a drop beyond the tolerance from noise"
            for d, v in decision.domains.items() if v.status == "not enough evidence"]
