"""The hidden world of one seed: jittered success probabilities per option and context, per
pattern and per strategy, and the success model of a build. Outcomes are sampled from it."""

from __future__ import annotations

import random
from typing import Any

from learning_pipeline.simulation.catalog_decisions import CONCEPTS, DECISION_FAMILY, OPTION_BASE_SUCCESS
from learning_pipeline.simulation.catalog_design import SLOP_DESIGN, SOULS
from learning_pipeline.simulation.catalog_errors import ERROR_TYPES
from learning_pipeline.simulation.catalog_practice import MODELS_BY_LEVEL, PATTERNS, STRATEGIES
from learning_pipeline.simulation.options import Option
from learning_pipeline.simulation.sampling import clip
from learning_pipeline.simulation.vocabulary import DECISION_TYPES


class World:
    def __init__(self, seed: int):
        rng = random.Random(f"learning-sim/{seed}/world")

        def jitter(p: float, spread: float = 0.04) -> float:
            return round(clip(p + rng.uniform(-spread, spread), 0.03, 0.97), 3)

        # Decision options: a base success rate per type and quality, moved by the context
        # effects of the concepts an option affirms.
        self.option_base = {dtype: {q: jitter(p) for q, p in OPTION_BASE_SUCCESS.items()} for dtype in DECISION_TYPES}
        self.concept_effects = {
            family: {name: {ctx: round(delta + rng.uniform(-0.02, 0.02), 3) for ctx, delta in effects.items()}
                     for name, _, _, effects in concepts}
            for family, concepts in CONCEPTS.items()
        }
        self.patterns = [
            {"patternId": pid, "name": name, "category": cat, "p": jitter(p)} for pid, name, cat, p in PATTERNS
        ]
        self.patterns_by_category: dict[str, list[dict[str, Any]]] = {}
        for pattern in self.patterns:
            self.patterns_by_category.setdefault(pattern["category"], []).append(pattern)
        self.strategies = {
            domain: {name: {ctx: jitter(p, 0.03) for ctx, p in by_ctx.items()} for name, by_ctx in strategies.items()}
            for domain, strategies in STRATEGIES.items()
        }

    def option_p(self, dtype: str, option: Option, context: str) -> float:
        effects = self.concept_effects[DECISION_FAMILY[dtype]]
        p = self.option_base[dtype][option.quality]
        p += sum(effects[name].get(context, 0.0) for name, affirmed in option.clauses if affirmed)
        return round(clip(p, 0.03, 0.97), 3)

    def truth(self) -> dict[str, Any]:
        return {
            "decision_options": {
                dtype: {"family": DECISION_FAMILY[dtype], "base_success": self.option_base[dtype]}
                for dtype in DECISION_TYPES
            },
            "decision_concepts": {
                family: [
                    {"concept": name, "helpful": helpful, "phrasings": list(phrasings),
                     "effect_when_affirmed_by_context": self.concept_effects[family][name]}
                    for name, helpful, phrasings, _ in concepts
                ]
                for family, concepts in CONCEPTS.items()
            },
            "patterns": {
                p["patternId"]: {"name": p["name"], "category": p["category"], "first_attempt_success_rate": p["p"]}
                for p in self.patterns
            },
            "strategies": {
                domain: {
                    name: {"strategyId": strategy_id(domain, name), "success_rate_by_context": by_ctx}
                    for name, by_ctx in strategies.items()
                }
                for domain, strategies in self.strategies.items()
            },
            "souls": {
                soul: {
                    "fitting_fonts": spec["fonts"],
                    "canvas": "dark" if spec["dark"] else "light",
                    "palette_hues_deg": list(spec["hues"]),
                    "motion_tempo_ms": list(spec["tempo_ms"]),
                    "motion_playful": spec["playful"],
                    "fitting_motion": list(spec["motion"]),
                    "fitting_grid": [list(part) for part in spec["grid"]],
                }
                for soul, spec in SOULS.items()
            },
            "slop_design": SLOP_DESIGN,
            "error_types": {
                etype: {
                    "message": spec["message"],
                    "correct_fix": spec["fix"],
                    "level_required": spec["level"],
                    "wrong_fixes": list(spec["wrong"]),
                    "generalizable_pattern": spec["pattern"],
                }
                for etype, spec in ERROR_TYPES.items()
            },
            "models_by_level": {str(k): v for k, v in MODELS_BY_LEVEL.items()},
        }


def strategy_id(domain: str, strategy: str) -> str:
    return f"strat_{domain}_{strategy}"


# The success model: the true first-attempt success probability of a build, from signals
# visible early in the build (intent text, the early decisions' options and outcomes) plus the
# builder's skill at the time (visible as the date). Calibrated so the first days run near 45%
# and the last days near 78% (PLAN.md "Expected Outcomes").
SUCCESS_MODEL = {
    "intercept": -0.57,
    "intentClarity": 1.3,
    "complexity": -1.5,
    "planQuality": 1.1,
    "earlyErrors": -0.35,
    "skill": 2.1,
}
