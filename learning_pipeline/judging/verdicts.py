"""The shapes every judge backend takes and returns (no Dagster, no SDK)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Literal, Optional

import msgspec

Status = Literal["ok", "failed", "deferred"]


class JudgeIssue(msgspec.Struct):
    category: str
    severity: Literal["critical", "major", "minor"]
    description: str
    location: Optional[str] = None
    suggestion: Optional[str] = None


class Verdict(msgspec.Struct):
    """What a judge says about one item. Scores 0..100, confidence 0..1."""

    overall: float
    categories: dict[str, float]
    confidence: float
    issues: list[JudgeIssue] = []
    recommendations: list[str] = []
    reasoning: str = ""
    thinking_trace: Optional[str] = None


@dataclass(frozen=True)
class JudgeItem:
    """One thing to judge: the (already redacted) content a judge sees, and images for vision."""

    item_id: str  # e.g. a traceId, or `<artifactId>@v3` for one code version
    item_kind: str  # decision | code_version | design_choice | error_recovery | build
    judge_type: str  # one of rubrics.JUDGE_TYPES
    content: dict
    build_id: str | None = None
    images: tuple[str, ...] = ()

    @property
    def content_hash(self) -> str:
        canonical = json.dumps(
            {"kind": self.item_kind, "judge": self.judge_type, "content": self.content, "images": list(self.images)},
            sort_keys=True, separators=(",", ":"), default=str,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:32]


@dataclass
class Judgment:
    """A judge's answer for one item, or why there is none (never a default score)."""

    item: JudgeItem
    judge_version: str
    model_used: str
    status: Status
    verdict: Verdict | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    attempts: int = 0
    extra: dict = field(default_factory=dict)


@dataclass
class PairwiseResult:
    """A vs B for the same prompt, asked in both orders: a winner only when both orders agree.
    A comparison that could not be made (`status` failed or deferred) has no winner at all,
    never a "tie": a tie is an answer, a failure is the lack of one, and is asked again."""

    winner: Literal["A", "B", "tie"] | None
    position_consistent: bool  # both orders named the same underlying side (or both said tie)
    confidence: float = 0.0
    reasoning: str = ""
    first_order: str = ""  # what the judge said with A shown first
    second_order: str = ""  # what it said with B shown first (mapped back to A/B)
    error: str | None = None
    status: Status = "ok"
