"""The one interface every judge backend implements (heuristic offline, LLM over HTTP)."""

from __future__ import annotations

import hashlib
from typing import Callable, Protocol

from learning_pipeline.judging.verdicts import Judgment, JudgeItem, PairwiseResult


class Judge(Protocol):
    name: str

    def judge_version(self, judge_type: str) -> str:
        """A hash of everything that changes this judge's verdicts."""

    def judge_many(self, items: list[JudgeItem], progress: Callable[[int], None] | None = None) -> list[Judgment]:
        """Verdicts in the order of `items`; failures and deferrals carry their reason."""

    def compare_many(self, pairs: list[tuple[str, str, str]], judge_type: str) -> tuple[list[PairwiseResult], float]:
        """(prompt, a, b) compared in both orders; returns results and the position-consistency rate."""


def combined_version(judge: Judge, judge_types: tuple[str, ...]) -> str:
    """One version for an asset that runs several judge types: its Dagster code_version."""
    joined = "|".join(f"{t}={judge.judge_version(t)}" for t in judge_types)
    return hashlib.sha256(joined.encode()).hexdigest()[:16]
