"""What the builder *says* about its own work: self-assessments with realistic errors.

The builder's agents score their own code and designs. Those numbers are neither the hidden
truth nor the truth plus a little noise: each agent has its own calibration (some are
optimistic, the verification swarm is strict), every score is pulled toward a flattering band
(optimism), and the agents anchor on superficial features (a long file looks thorough, a dark
palette looks premium). Their yes/no flags are wrong a fair share of the time, mostly in the
flattering direction. Aimed at a Spearman of about 0.6-0.7 between a reported score and the
truth, so a judge has to add information of its own to beat them.
"""

from __future__ import annotations

import math
import random
import re

from learning_pipeline.simulation.sampling import clip

# Per-agent calibration: how many points an agent adds to its own scores.
AGENT_OPTIMISM = {
    "build-agent-1": 6.0,
    "build-agent-2": 14.0,
    "build-agent-3": -2.0,
    "verification-swarm": -8.0,
    "error-escalation": 9.0,
}
SCORE_SLOPE = 0.5  # how much of a true difference shows in a reported score
SCORE_NOISE = 8.0
# P(flag says yes | truly yes), P(flag says yes | truly no): flattering errors dominate.
FLAG_YES_IF_TRUE = 0.88
FLAG_YES_IF_FALSE = 0.42


def code_quality_score(rng: random.Random, quality: float, code: str, agent: str) -> float:
    lines = code.count("\n")
    # Anchoring: a long file reads as thorough, whatever it holds.
    thorough = 9.0 * math.tanh((lines - 45) / 25)
    score = 60 + SCORE_SLOPE * (quality - 50) + AGENT_OPTIMISM.get(agent, 4.0) + thorough + rng.gauss(0, SCORE_NOISE)
    return round(clip(score, 0, 100), 1)


def ui_scores(rng: random.Random, quality: float, skill: float, agent: str) -> tuple[float, float]:
    """(visualQualityScore, antiSlopScore) reported beside a UI file's code quality."""
    bias = AGENT_OPTIMISM.get(agent, 4.0)
    visual = 62 + 0.3 * (quality - 50) + 10 * skill + bias + rng.gauss(0, 12)
    anti_slop = 64 + 0.25 * (quality - 50) + 12 * skill + bias + rng.gauss(0, 12)
    return round(clip(visual, 0, 100), 1), round(clip(anti_slop, 0, 100), 1)


def _dark(palette: dict) -> bool:
    match = re.search(r"#([0-9A-Fa-f]{6})", str(palette.get("background", "")))
    if not match:
        return False
    value = int(match.group(1), 16)
    r, g, b = (value >> 16) & 255, (value >> 8) & 255, value & 255
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 70


def design_scores(rng: random.Random, true: dict[str, float], palette: dict, designer_bias: float) -> dict[str, float]:
    """visualScores: each sub-score from the truth through the designer's calibration, an
    anchor on dark palettes, and noise; `overall` is the builder's mean of its own sub-scores."""
    premium = 8.0 if _dark(palette) else 0.0
    scores = {k: round(clip(62 + SCORE_SLOPE * (v - 55) + designer_bias + premium + rng.gauss(0, SCORE_NOISE + 7), 0, 100), 1)
              for k, v in true.items()}
    overall = (0.25 * scores["typographyScore"] + 0.2 * scores["depthScore"] + 0.2 * scores["motionScore"]
               + 0.35 * scores["soulMatchScore"])
    scores["overall"] = round(clip(overall + rng.gauss(0, 3), 0, 100), 1)
    return scores


def soul_appropriateness(rng: random.Random, palette_fit: bool, palette: dict, designer_bias: float) -> float:
    premium = 6.0 if _dark(palette) else 0.0
    return round(clip(58 + 16 * palette_fit + designer_bias + premium + rng.gauss(0, 14), 0, 100), 1)


def flag(rng: random.Random, truly: bool) -> bool:
    return rng.random() < (FLAG_YES_IF_TRUE if truly else FLAG_YES_IF_FALSE)
