"""The plan's "Expected Outcomes" as tracked KPIs: what each one is, which way is better, and the
plan's baseline and targets (PLAN.md, "Expected Outcomes") drawn beside the measured values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kpi:
    key: str  # snake_case here and in the lake; camelCase on the wire
    label: str
    unit: str
    higher_is_better: bool
    plan_baseline: float
    plan_3_months: float
    plan_6_months: float
    how: str  # how it is measured, shown on the dashboard and in the API


FIRST_ATTEMPT_SUCCESS = Kpi(
    "first_attempt_success_rate", "First-attempt success rate", "share of builds", True, 0.45, 0.62, 0.78,
    "builds whose build summary says firstAttemptSuccess, over builds with a summary; Wilson interval")
ERROR_FIX_ATTEMPTS = Kpi(
    "error_fix_attempts_per_error", "Error-fix attempts per error", "attempts", False, 3.2, 2.1, 1.4,
    "recovery attempts over errors (error-recovery traces); interval resamples builds, not errors")
ANTI_SLOP = Kpi(
    "anti_slop_score", "Anti-slop design score", "0-100", True, 72, 81, 89,
    "mean antiSlopScore of the builds that report one; bootstrap over builds")
USER_SATISFACTION = Kpi(
    "user_satisfaction", "User satisfaction", "0-10", True, 7.2, 8.1, 9.0,
    "mean userSatisfaction of the builds that report one; bootstrap over builds")
BUILD_TIME = Kpi(
    "build_time_minutes", "Build time", "minutes", False, 12, 9, 7,
    "mean buildTimeMs of the builds, in minutes; bootstrap over builds")
PATTERNS = Kpi(
    "patterns_in_library", "Patterns in library", "patterns", True, 0, 847, 3200,
    "patterns in the library first seen by the end of the week (merged ones count once)")

KPIS: tuple[Kpi, ...] = (FIRST_ATTEMPT_SUCCESS, ERROR_FIX_ATTEMPTS, ANTI_SLOP, USER_SATISFACTION, BUILD_TIME, PATTERNS)
BY_KEY = {k.key: k for k in KPIS}
# Measured per build, so they get intervals; the library size is a count.
BUILD_KPIS = KPIS[:5]


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.capitalize() for part in rest)
