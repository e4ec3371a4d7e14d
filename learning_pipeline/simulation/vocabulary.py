"""The wire vocabulary the simulator speaks and the shares of its delivery quirks."""

from __future__ import annotations




KINDS = (
    "decision",
    "decision_outcome",
    "code_artifact",
    "design_choice",
    "error_recovery",
    "pattern_usage",
    "strategy_outcome",
    "build_summary",
)
PHASES = ("intent_lock", "initialization", "build", "integration", "verification", "demo")
DECISION_TYPES = (
    "architecture_choice",
    "component_structure",
    "api_design",
    "styling_approach",
    "error_recovery",
    "design_choice",
    "motion_implementation",
    "placeholder_resolution",
    "model_selection",
    "strategy_selection",
    "lattice_cell_build",
)
TRIGGERS = ("initial", "fix", "refactor", "verification_feedback")

# Shares of the outcome delivery modes of a decision (the team's contract with the validator).
OUTCOME_INLINE_SHARE = 0.40
OUTCOME_LATE_SHARE = 0.50  # the remaining 10% never get an outcome
OUTCOME_REPLACED_SHARE = 0.05  # of the late ones: a second, newer outcome replaces the first
LATE_OUTCOME_MAX_DAYS = 5
ALT_DATE_SHARE = 0.05  # records whose dates use the client's SQLite style `YYYY-MM-DD HH:MM:SS`
EXTRA_FIELD_SHARE = 0.03
OVERSIZE_CODE_CHARS = 2_200_000  # over the validator's 1M-char field limit and the 2 MB line budget
MAX_TEXT_CHARS = 1_000_000  # the validator's limit on one string field (config.CaptureLimits)
MAX_OVERSIZE_LINES = 1  # 2 MB each: one per file keeps files small

DAY_MS = 86_400_000
MINUTE_MS = 60_000
