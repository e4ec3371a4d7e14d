"""The `heuristic` judge backend: offline, deterministic, the default.

Each judge type has its own rule module (`heuristics_code`, `heuristics_design`,
`heuristics_slop`, `heuristics_success`); this module routes items to them, names the rule
set in `judge_version`, and answers pairwise questions by judging both sides in both orders.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path
from typing import Callable

from learning_pipeline.judging.heuristics_code import judge_code_quality
from learning_pipeline.judging.heuristics_design import judge_design_quality
from learning_pipeline.judging.heuristics_slop import judge_anti_slop
from learning_pipeline.judging.heuristics_success import judge_success
from learning_pipeline.judging.rubrics import DEFAULT_RUBRICS, Rubric
from learning_pipeline.judging.verdicts import JudgeItem, Judgment, PairwiseResult, Verdict

# The rules a judge type runs, by module; their source (with the rubric weights) is the judge's
# version, so editing a rule marks exactly the partitions that judge type judged as stale.
# Nothing to bump by hand, nothing to forget.
RULE_MODULES: dict[str, tuple[str, ...]] = {
    "code_quality": ("heuristics", "heuristics_scoring", "heuristics_code", "heuristics_code_source",
                     "heuristics_code_logic"),
    "design_quality": ("heuristics", "heuristics_scoring", "heuristics_design", "heuristics_slop"),
    "anti_slop": ("heuristics", "heuristics_scoring", "heuristics_slop", "heuristics_design"),
    "success_predictor": ("heuristics", "heuristics_scoring", "heuristics_success"),
}
_RULES_DIR = Path(__file__).parent


def rule_source_hash(judge_type: str) -> str:
    """sha256 over the source of the modules `judge_type` runs (read at call time)."""
    digest = hashlib.sha256()
    every = sorted({m for modules in RULE_MODULES.values() for m in modules})
    for module in RULE_MODULES.get(judge_type, every):
        digest.update(module.encode() + b"\0" + (_RULES_DIR / f"{module}.py").read_bytes() + b"\0")
    return digest.hexdigest()[:16]
# Two verdicts closer than this are a tie: rule scores move in steps of a few points, and a
# pair that differs by less than one minor finding is not a preference worth training on.
TIE_MARGIN = 2.0
# The gap a pairwise verdict counts with when one side's serious problems strictly contain the
# other's (confidence 0.5 + gap / 40): rule scores saturate as problems pile up, a reviewer's
# certainty that one more critical bug is worse does not.
DOMINANCE_GAP = 12.0
_DIGITS = re.compile(r"\d+")
_FILE_IN_PROMPT = re.compile(r"[\w./@-]+\.(?:tsx|jsx|ts|js|mjs|cjs|css|scss|py|vue|svelte|html)\b")


class HeuristicJudge:
    name = "heuristic"

    def __init__(self, rubrics: dict[str, Rubric] = DEFAULT_RUBRICS):
        self.rubrics = rubrics

    def _rubric(self, judge_type: str) -> Rubric:
        try:
            return self.rubrics[judge_type]
        except KeyError:
            raise ValueError(f"no rubric for judge type {judge_type!r}; known: {sorted(self.rubrics)}") from None

    @property
    def _slop_rubric(self) -> Rubric:
        # design_quality's anti_slop category is the anti_slop judge's overall
        return self.rubrics.get("anti_slop", DEFAULT_RUBRICS["anti_slop"])

    def judge_version(self, judge_type: str) -> str:
        # Read at call time (not cached) so an edited rule is seen at once.
        weights = {judge_type: self._rubric(judge_type).weights}
        if judge_type == "design_quality":
            weights["anti_slop"] = self._slop_rubric.weights
        material = json.dumps({"backend": self.name, "rules": rule_source_hash(judge_type), "weights": weights},
                              sort_keys=True)
        return f"heuristic-{hashlib.sha256(material.encode()).hexdigest()[:16]}"

    @property
    def model_used(self) -> str:
        return f"heuristic-{rule_source_hash('all')}"

    def verdict(self, item: JudgeItem) -> Verdict:
        rubric = self._rubric(item.judge_type)
        content = item.content if isinstance(item.content, dict) else {}
        if item.judge_type == "code_quality":
            return judge_code_quality(content, rubric)
        if item.judge_type == "design_quality":
            return judge_design_quality(content, rubric, self._slop_rubric)
        if item.judge_type == "anti_slop":
            return judge_anti_slop(content, item.item_kind, rubric)
        if item.judge_type == "success_predictor":
            return judge_success(content, rubric)
        raise ValueError(f"the heuristic judge has no rules for judge type {item.judge_type!r}")

    def judge_many(self, items: list[JudgeItem], progress: Callable[[int], None] | None = None) -> list[Judgment]:
        judgments, versions = [], {}
        for done, item in enumerate(items, start=1):
            try:
                if item.judge_type not in versions:
                    versions[item.judge_type] = self.judge_version(item.judge_type)
                judgment = Judgment(item, versions[item.judge_type], self.model_used, "ok",
                                    verdict=self.verdict(item), attempts=1)
            except ValueError as exc:  # an unknown judge type fails its item, not the run
                judgment = Judgment(item, "", self.model_used, "failed", error=str(exc), attempts=1)
            judgments.append(judgment)
            if progress is not None:
                progress(done)
        return judgments

    # -- pairwise ---------------------------------------------------------------------------

    def _side(self, prompt: str, text: str, judge_type: str) -> Verdict:
        return self.verdict(JudgeItem("pairwise", _kind_of(judge_type), judge_type, _content_from_text(prompt, text, judge_type)))

    @staticmethod
    def _prefer(first: Verdict, second: Verdict) -> str:
        dominated = _dominated(first, second)
        if dominated is not None:
            return dominated
        if abs(first.overall - second.overall) < TIE_MARGIN:
            return "tie"
        return "first" if first.overall > second.overall else "second"

    def compare_many(self, pairs: list[tuple[str, str, str]], judge_type: str) -> tuple[list[PairwiseResult], float]:
        """Each pair judged with A shown first and with B shown first; a winner only when both
        orders name the same side. Returns the results and the position-consistency rate."""
        self._rubric(judge_type)
        results = []
        for prompt, a, b in pairs:
            verdict_a, verdict_b = self._side(prompt, a, judge_type), self._side(prompt, b, judge_type)
            forward = {"first": "A", "second": "B", "tie": "tie"}[self._prefer(verdict_a, verdict_b)]
            backward = {"first": "B", "second": "A", "tie": "tie"}[self._prefer(verdict_b, verdict_a)]
            consistent = forward == backward
            gap = abs(verdict_a.overall - verdict_b.overall)
            if _dominated(verdict_a, verdict_b) is not None:
                # one side has every serious problem the other has, and more: a reviewer is sure
                # even where the scores have saturated
                gap = max(gap, DOMINANCE_GAP)
            results.append(PairwiseResult(
                winner=forward if consistent else "tie",
                position_consistent=consistent,
                confidence=round(min(0.98, 0.5 + gap / 40.0), 4) if consistent and forward != "tie" else 0.5,
                reasoning=f"A scored {verdict_a.overall:.1f}, B scored {verdict_b.overall:.1f}. "
                          f"A: {verdict_a.reasoning} B: {verdict_b.reasoning}",
                first_order=forward,
                second_order=backward,
            ))
        rate = sum(r.position_consistent for r in results) / len(results) if results else 1.0
        return results, rate


def _serious(verdict: Verdict) -> Counter:
    return Counter((i.severity, _DIGITS.sub("#", i.description)) for i in verdict.issues if i.severity != "minor")


def _dominated(first: Verdict, second: Verdict) -> str | None:
    """"second" when the first version has every critical/major problem of the second and more
    (so the second is better), "first" the other way round; None when neither dominates."""
    a, b = _serious(first), _serious(second)
    if a == b:
        return None
    if not (b - a):
        return "second"
    if not (a - b):
        return "first"
    return None


def _kind_of(judge_type: str) -> str:
    return {"code_quality": "code_version", "design_quality": "design_choice", "anti_slop": "code_version",
            "success_predictor": "build"}.get(judge_type, "code_version")


def _content_from_text(prompt: str, text: str, judge_type: str) -> dict:
    """What a pairwise side looks like to the rules: a JSON object is taken as the item's
    content; anything else is code (with the file named in the prompt, if any) or, for the
    success predictor, an intent."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return parsed
    if judge_type == "success_predictor":
        return {"decisions": [{"phase": "intent_lock", "intentSnippet": text, "previousAttempts": 0}]}
    if judge_type == "design_quality":
        return {"typography": None, "layoutDecisions": {"gridSystem": text}}
    match = _FILE_IN_PROMPT.search(prompt or "")
    return {"filePath": match.group(0) if match else None, "code": text, "quality": None, "patternsUsed": []}
