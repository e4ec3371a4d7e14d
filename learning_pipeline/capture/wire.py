"""The builder's wire format (shared/WIRE_FORMAT.md) as typed msgspec schemas.

camelCase on the wire (``rename="camel"``), snake_case attributes here and in the lake.
Enums are ``Literal`` so an out-of-range value is rejected with the field's path; optional
fields may be missing or null; unknown fields are tolerated here and kept in the lake's
``payload`` column.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Annotated, Literal, Optional

import msgspec
from msgspec import Meta, Struct

from learning_pipeline.config import CaptureLimits

_LIMITS = CaptureLimits()

Text = Annotated[str, Meta(max_length=_LIMITS.max_text_chars)]
Id = Annotated[str, Meta(min_length=1, max_length=256)]
# RFC 3339 (`2026-01-13T12:00:00.000Z`, `...+02:00`) and the client's SQLite style
# `2026-01-13 12:00:00`, parsed and calendar-checked by msgspec in C; no offset means UTC.
Timestamp = datetime.datetime
Unit = Annotated[float, Meta(ge=0, le=1)]
Score100 = Annotated[float, Meta(ge=0, le=100)]
Count = Annotated[int, Meta(ge=0)]

Phase = Literal["intent_lock", "initialization", "build", "integration", "verification", "demo"]
DecisionType = Literal[
    "architecture_choice", "component_structure", "api_design", "styling_approach", "error_recovery",
    "design_choice", "motion_implementation", "placeholder_resolution", "model_selection",
    "strategy_selection", "lattice_cell_build",
]
ImmediateResult = Literal["success", "failure", "partial"]
VersionTrigger = Literal["initial", "fix", "refactor", "verification_feedback"]
PatternCategory = Literal["react", "css", "api", "state", "animation"]
AttemptResult = Literal["fixed", "partial", "failed", "new_error"]


class _Wire(Struct, rename="camel", omit_defaults=True):
    pass


# -- decision trace ---------------------------------------------------------------------------
class DecisionContext(_Wire):
    previous_attempts: Count
    intent_snippet: Optional[Text] = None
    current_code_state: Optional[Text] = None
    error_if_any: Optional[Text] = None
    thinking_trace: Optional[Text] = None
    related_files: Optional[list[Text]] = None
    build_phase: Optional[Text] = None


class DecisionChoice(_Wire):
    chosen_option: Text
    rejected_options: list[Text]
    reasoning: Text
    confidence: Unit


class DecisionOutcome(_Wire):
    immediate_result: ImmediateResult
    required_fixes: Count
    final_in_production: bool
    verification_scores: Optional[dict[str, Score100]] = None
    user_satisfaction: Optional[Annotated[float, Meta(ge=1, le=5)]] = None


class DecisionTrace(_Wire):
    trace_id: Id
    user_id: Id
    phase: Phase
    decision_type: DecisionType
    context: DecisionContext
    decision: DecisionChoice
    created_at: Timestamp
    build_id: Optional[Id] = None
    project_id: Optional[Id] = None
    outcome: Optional[DecisionOutcome] = None
    outcome_recorded_at: Optional[Timestamp] = None


class DecisionOutcomeEvent(_Wire):
    """An outcome arriving after its decision (kind ``decision_outcome``)."""

    trace_id: Id
    outcome: DecisionOutcome
    outcome_recorded_at: Optional[Timestamp] = None


# -- code artifact trace ----------------------------------------------------------------------
class CodeVersion(_Wire):
    version: Count
    code: Text
    timestamp: Timestamp
    trigger: VersionTrigger
    changed_by_agent: Optional[Text] = None


class QualityPoint(_Wire):
    timestamp: Timestamp
    error_count: Count
    code_quality_score: Score100
    visual_quality_score: Optional[Score100] = None
    anti_slop_score: Optional[Score100] = None


class PatternUse(_Wire):
    pattern_name: Text
    pattern_category: PatternCategory
    first_attempt_success: bool
    iterations_to_success: Count


class CodeArtifactTrace(_Wire):
    artifact_id: Id
    user_id: Id
    file_path: Text
    versions: list[CodeVersion]
    created_at: Timestamp
    build_id: Optional[Id] = None
    project_id: Optional[Id] = None
    quality_trajectory: list[QualityPoint] = []
    patterns_used: list[PatternUse] = []
    updated_at: Optional[Timestamp] = None


# -- design choice trace ----------------------------------------------------------------------
class Typography(_Wire):
    fonts_chosen: list[Text] = []
    fonts_rejected: list[Text] = []
    reasoning: Optional[Text] = None
    anti_slop_compliant: Optional[bool] = None


class ColorSystem(_Wire):
    palette_chosen: dict[str, Text] = {}
    alternatives_considered: list[dict[str, Text]] = []
    soul_appropriateness_score: Optional[float] = None


class Animation(_Wire):
    name: Text
    timing: Optional[Text] = None
    easing: Optional[Text] = None


class MotionLanguage(_Wire):
    animations_used: list[Animation] = []
    timing_functions: list[Text] = []
    matches_soul: Optional[bool] = None


class LayoutDecisions(_Wire):
    grid_system: Optional[Text] = None
    spacing_rationale: Optional[Text] = None
    asymmetry_used: Optional[bool] = None


class VisualScores(_Wire):
    depth_score: Optional[Score100] = None
    motion_score: Optional[Score100] = None
    typography_score: Optional[Score100] = None
    soul_match_score: Optional[Score100] = None
    overall: Optional[Score100] = None


class DesignChoiceTrace(_Wire):
    choice_id: Id
    user_id: Id
    created_at: Timestamp
    build_id: Optional[Id] = None
    project_id: Optional[Id] = None
    app_soul: Optional[Text] = None
    typography: Optional[Typography] = None
    color_system: Optional[ColorSystem] = None
    motion_language: Optional[MotionLanguage] = None
    layout_decisions: Optional[LayoutDecisions] = None
    visual_scores: Optional[VisualScores] = None
    screenshots: Optional[list[str]] = None


# -- error recovery trace ---------------------------------------------------------------------
class ErrorDetail(_Wire):
    type: Text
    message: Text
    stack_trace: Text = ""
    file_location: Optional[Text] = None
    first_occurrence: Optional[Timestamp] = None


class RecoveryAttempt(_Wire):
    attempt: Count
    level: Annotated[int, Meta(ge=1, le=4)]
    model_used: Text
    fix_applied: Text
    result: AttemptResult
    time_taken_ms: Count
    thinking_trace: Optional[Text] = None


class SuccessfulFix(_Wire):
    level_required: Annotated[int, Meta(ge=1, le=4)]
    fix_description: Text
    code_diff: Text = ""
    generalizable_pattern: Optional[Text] = None


class ErrorRecoveryTrace(_Wire):
    error_id: Id
    user_id: Id
    error: ErrorDetail
    recovery_journey: list[RecoveryAttempt]
    created_at: Timestamp
    build_id: Optional[Id] = None
    project_id: Optional[Id] = None
    successful_fix: Optional[SuccessfulFix] = None
    resolved_at: Optional[Timestamp] = None


# -- feedback events --------------------------------------------------------------------------
class PatternUsageEvent(_Wire):
    pattern_id: Id
    success: bool
    build_id: Optional[Id] = None
    created_at: Optional[Timestamp] = None


class StrategyOutcomeEvent(_Wire):
    success: bool
    strategy_id: Optional[Id] = None
    domain: Optional[Text] = None
    strategy: Optional[Text] = None
    context: list[Text] = []
    build_id: Optional[Id] = None
    created_at: Optional[Timestamp] = None

    def __post_init__(self) -> None:
        # Either a strategy id or the (domain, strategy) pair names the strategy.
        if not self.strategy_id and not (self.domain and self.strategy):
            raise ValueError("needs `strategyId` or both `domain` and `strategy`")


class BuildSummaryEvent(_Wire):
    build_id: Id
    first_attempt_success: bool
    error_fix_attempts: Count
    build_time_ms: Count
    user_satisfaction: Optional[Annotated[float, Meta(ge=0, le=10)]] = None
    anti_slop_score: Optional[Score100] = None
    created_at: Optional[Timestamp] = None


@dataclass(frozen=True)
class TraceKind:
    """How one wire kind lands in the lake."""

    kind: str
    schema: type[Struct]
    table: str
    id_field: str | None  # wire attribute that identifies the record; None -> content hash
    date_field: str  # attribute whose date picks the daily partition


TRACE_KINDS: dict[str, TraceKind] = {
    k.kind: k
    for k in (
        TraceKind("decision", DecisionTrace, "raw_decisions", "trace_id", "created_at"),
        TraceKind("decision_outcome", DecisionOutcomeEvent, "raw_decision_outcomes", None, "outcome_recorded_at"),
        TraceKind("code_artifact", CodeArtifactTrace, "raw_code_artifacts", "artifact_id", "created_at"),
        TraceKind("design_choice", DesignChoiceTrace, "raw_design_choices", "choice_id", "created_at"),
        TraceKind("error_recovery", ErrorRecoveryTrace, "raw_error_recoveries", "error_id", "created_at"),
        TraceKind("pattern_usage", PatternUsageEvent, "raw_pattern_usage", None, "created_at"),
        TraceKind("strategy_outcome", StrategyOutcomeEvent, "raw_strategy_outcomes", None, "created_at"),
        TraceKind("build_summary", BuildSummaryEvent, "raw_build_summaries", "build_id", "created_at"),
    )
}

# Wire (camelCase) names of the id fields, for naming a record in a quarantine reason.
WIRE_ID_FIELDS = ("traceId", "artifactId", "choiceId", "errorId", "buildId", "patternId", "strategyId")


# One line of a trace file: `{"kind": K, "data": {...}}`, decoded in one pass as a tagged union.
ENVELOPES: dict[str, type[Struct]] = {
    kind: msgspec.defstruct(
        f"{spec.schema.__name__}Envelope", [("data", spec.schema)], tag_field="kind", tag=kind
    )
    for kind, spec in TRACE_KINDS.items()
}
