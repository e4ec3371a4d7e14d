"""How the heuristic judges turn rule findings and reported numbers into scores.

Every rule either finds a problem (a `Finding`: a penalty on one rubric category and an issue
the user can act on) or a strength (a bonus on one category). Rule scores start from a
neutral base, so a file with nothing to praise and nothing to fault sits in the middle-high
range, and are then blended with the builder's own reported numbers where there are any.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import pstdev
from typing import Iterable

from learning_pipeline.judging.verdicts import JudgeIssue

# Points one finding takes off its category: a critical problem (a leaked key, an injection)
# sinks the category on its own, minor ones need to pile up.
SEVERITY_PENALTY = {"critical": 45.0, "major": 14.0, "minor": 6.0}
SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2}
RULE_BASE = 78.0  # what a category scores with no finding and no strength
MAX_BONUS = 22.0  # strengths can lift a category to 100, not past it
PENALTY_SCALE = 55.0  # penalty points that cut a category to 1/e of its unpenalised score
CONFIDENCE_FLOOR, CONFIDENCE_CEILING = 0.3, 0.98


def clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return low if value < low else high if value > high else value


def lines_label(line_numbers: Iterable[int], limit: int = 4) -> str | None:
    numbers = sorted(set(line_numbers))
    if not numbers:
        return None
    shown = ", ".join(str(n) for n in numbers[:limit]) + (", ..." if len(numbers) > limit else "")
    return f"line {shown}" if len(numbers) == 1 else f"lines {shown}"


@dataclass(frozen=True)
class Finding:
    category: str
    severity: str  # critical | major | minor
    description: str
    location: str | None = None
    suggestion: str | None = None
    count: int = 1  # occurrences of the same problem: more of them cost more, with diminishing returns

    @property
    def penalty(self) -> float:
        return SEVERITY_PENALTY[self.severity] * min(2.0, 1.0 + 0.25 * (self.count - 1))

    def issue(self) -> JudgeIssue:
        return JudgeIssue(self.category, self.severity, self.description, self.location, self.suggestion)


@dataclass
class Evidence:
    """What the rules found in one item."""

    findings: list[Finding] = field(default_factory=list)
    strengths: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    def fault(self, category: str, severity: str, description: str, location: str | None = None,
              suggestion: str | None = None, count: int = 1) -> None:
        self.findings.append(Finding(category, severity, description, location, suggestion, count))

    def praise(self, category: str, points: float, label: str) -> None:
        self.strengths.setdefault(category, []).append((points, label))

    def rule_scores(self, categories: Iterable[str], base: float = RULE_BASE) -> dict[str, float]:
        scores = {}
        for category in categories:
            penalty = sum(f.penalty for f in self.findings if f.category == category)
            bonus = min(MAX_BONUS, sum(points for points, _ in self.strengths.get(category, ())))
            # Each problem takes a share of what is left rather than a fixed number of points,
            # so a file with eight problems still ranks below one with five.
            scores[category] = clamp((base + bonus) * math.exp(-penalty / PENALTY_SCALE))
        return scores

    def issues(self) -> list[JudgeIssue]:
        ordered = sorted(self.findings, key=lambda f: (SEVERITY_RANK[f.severity], -f.penalty, f.description))
        return [f.issue() for f in ordered]

    def strength_labels(self, limit: int = 4) -> list[str]:
        labels = sorted(((points, label) for entries in self.strengths.values() for points, label in entries),
                        key=lambda entry: (-entry[0], entry[1]))
        seen: list[str] = []
        for _, label in labels:
            if label not in seen:
                seen.append(label)
        return seen[:limit]

    def suggestions(self, limit: int = 5) -> list[str]:
        out: list[str] = []
        for finding in sorted(self.findings, key=lambda f: (SEVERITY_RANK[f.severity], -f.penalty)):
            if finding.suggestion and finding.suggestion not in out:
                out.append(finding.suggestion)
        return out[:limit]


def blend(parts: Iterable[tuple[float | None, float]]) -> float:
    """Weighted mean of the signals that are present; a missing signal is no evidence, not a zero."""
    present = [(score, weight) for score, weight in parts if score is not None and weight > 0]
    if not present:
        return 50.0
    return sum(score * weight for score, weight in present) / sum(weight for _, weight in present)


def agreement_confidence(estimates: list[float], expected: int) -> float:
    """How sure a verdict is: independent estimates of the same thing that agree (small spread)
    and cover all the signal families the judge knows about give high confidence."""
    if not estimates:
        return CONFIDENCE_FLOOR
    # One signal alone cannot be cross-checked: treat it as a moderate disagreement.
    spread = pstdev(estimates) if len(estimates) > 1 else 20.0
    agreement = 1.0 - min(1.0, spread / 40.0)
    coverage = min(1.0, len(estimates) / max(1, expected))
    return round(clamp(0.3 + 0.68 * agreement * (0.55 + 0.45 * coverage), CONFIDENCE_FLOOR, CONFIDENCE_CEILING), 4)


def number(value: object) -> float | None:
    """A reported number, or None for a missing, null or non-numeric value."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return None if math.isnan(value) else float(value)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def logit(p: float) -> float:
    p = clamp(p, 1e-6, 1 - 1e-6)
    return math.log(p / (1 - p))
