"""What each judge scores and how much each category weighs (configurable, versioned).

Changing a weight here changes every affected judge's `judge_version`, so the Dagster UI
marks the judged partitions stale and a backfill re-judges them.
"""

from __future__ import annotations

from dataclasses import dataclass

JUDGE_TYPES = ("code_quality", "design_quality", "success_predictor", "anti_slop")
SEVERITIES = ("critical", "major", "minor")


@dataclass(frozen=True)
class Rubric:
    judge_type: str
    weights: dict[str, float]  # category -> weight; overall = weighted mean of category scores
    description: str

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def overall(self, scores: dict[str, float]) -> float:
        total = sum(self.weights.values())
        return sum(self.weights[c] * scores.get(c, 0.0) for c in self.weights) / total


DEFAULT_RUBRICS: dict[str, Rubric] = {
    "code_quality": Rubric(
        "code_quality",
        {"correctness": 25, "structure": 20, "patterns": 20, "maintainability": 15, "security": 10, "performance": 10},
        "Correctness, structure, use of sound patterns, maintainability, security and performance of a code file.",
    ),
    "design_quality": Rubric(
        "design_quality",
        {"depth": 20, "motion": 20, "typography": 20, "soul_match": 25, "anti_slop": 15},
        "Visual depth, motion, typography, fit to the app's soul, and freedom from generic AI look.",
    ),
    "anti_slop": Rubric(
        "anti_slop",
        {"typography": 25, "color": 25, "iconography": 15, "copy": 15, "layout": 10, "motion_depth": 10},
        "Generic-AI-look detection: generic font stacks, default purple/blue gradients, emoji icons, "
        "placeholder copy, everything centered, no motion, no depth. 100 = no slop at all.",
    ),
    "success_predictor": Rubric(
        "success_predictor",
        {"decision_confidence": 25, "early_errors": 30, "intent_clarity": 20, "quality_trajectory": 25},
        "Predicts from a build's early signals whether it will succeed; overall = success probability x 100.",
    ),
}


def load_rubrics(path: str | None) -> dict[str, Rubric]:
    """DEFAULT_RUBRICS with weights overridden from a YAML file ({judge_type: {category: weight}}).
    An unknown judge type or category is an error: a typo must not silently change nothing."""
    if not path:
        return DEFAULT_RUBRICS
    import yaml

    with open(path) as handle:
        overrides = yaml.safe_load(handle) or {}
    rubrics = dict(DEFAULT_RUBRICS)
    for judge_type, weights in overrides.items():
        if judge_type not in rubrics:
            raise ValueError(f"{path}: unknown judge type {judge_type!r}; expected one of {JUDGE_TYPES}")
        base = rubrics[judge_type]
        unknown = set(weights) - set(base.weights)
        if unknown:
            raise ValueError(f"{path}: {judge_type} has no categories {sorted(unknown)}; it has {list(base.weights)}")
        rubrics[judge_type] = Rubric(judge_type, {**base.weights, **{k: float(v) for k, v in weights.items()}}, base.description)
    return rubrics
