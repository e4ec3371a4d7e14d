"""The hidden truth in one place: what really happened, accumulated as builds are simulated,
and the document written beside the traces. Only tests and benchmarks read it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from learning_pipeline.simulation.world import SUCCESS_MODEL, World
from learning_pipeline.simulation.wire_values import iso


TRUTH_FORMAT = "learning_pipeline.simulator.truth/1"


class TruthRecord:
    """What really happened, accumulated as builds are simulated."""

    def __init__(self) -> None:
        self.builds: list[dict] = []
        self.code_versions: list[dict] = []
        self.design_choices: list[dict] = []
        self.error_recoveries: list[dict] = []
        self.outcomes = {"inline": 0, "late": 0, "never": 0, "replaced": []}
        self.decisions = 0
        self.decision_records: list[dict] = []
        self.retries = 0



def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _rates(builds: list[dict]) -> dict[str, Any]:
    return {
        "builds": len(builds),
        "expected_first_attempt_success": _mean([b["success_probability"] for b in builds]),
        "first_attempt_success_rate": _mean([float(b["first_attempt_success"]) for b in builds]),
        "mean_error_fix_attempts": _mean([b["error_fix_attempts"] for b in builds]),
        "mean_anti_slop_score": _mean([b["anti_slop_score"] for b in builds]),
        "mean_user_satisfaction": _mean([b["user_satisfaction"] for b in builds]),
        "mean_build_time_ms": _mean([b["build_time_ms"] for b in builds]),
        "mean_skill": _mean([b["skill"] for b in builds]),
    }


def truth_document(truth: TruthRecord, builds: int, seed: int, days: int, end_day: dt.date, start_ms: int, end_ms: int,
                    bad_line_rate: float, secret_rate: float, lines_by_kind: dict[str, int], bad_lines: list[dict],
                    secrets: list[dict], lines: int) -> dict[str, Any]:
    by_day: dict[str, list[dict]] = {}
    for b in truth.builds:
        by_day.setdefault(b["day"], []).append(b)
    daily = [{"date": day, **_rates(by_day[day])} for day in sorted(by_day)]
    third = max(1, len(truth.builds) // 3)
    doc: dict[str, Any] = {
        "format": TRUTH_FORMAT,
        "params": {"builds": builds, "seed": seed, "days": days, "end_date": end_day.isoformat(),
                   "bad_line_rate": bad_line_rate, "secret_rate": secret_rate},
        "window": {"start": iso(start_ms), "end": iso(end_ms)},
        "rules": {
            "design_choice": ("a design is slop (the generic AI look) or composed for its soul: each of fonts, palette "
                              "(canvas and hues), motion (tempo, easing, names) and layout fits when drawn from the "
                              "soul's profile (souls), else from another soul's; true_scores follow the fits"),
            "decision_option": ("an option is two or three clauses, each affirming or ruling out a concept of the "
                                "decision type's family (decision_concepts); it is 'good' when every clause affirms a "
                                "helpful concept or rules out a harmful one, 'bad' when every clause does the opposite"),
            "decision_outcome": ("immediateResult is 'success' with probability decision_options[type].base_success"
                                 "[quality] plus effect_when_affirmed_by_context[primary_context] of each affirmed "
                                 "concept (decisions[].p_success); otherwise 'partial' 35% / 'failure' 65%. A replaced "
                                 "outcome's final (newest) event is the true sample."),
            "strategy_outcome": "success with probability strategies[domain][strategy].success_rate_by_context[context[0]]",
            "pattern_usage": "success with probability patterns[patternId].first_attempt_success_rate",
            "success_model": ("P(firstAttemptSuccess) = sigmoid(intercept + sum(coef * signal)); planQuality is the "
                              "share of first-attempt intent_lock/initialization decisions that chose a good option, "
                              "earlyErrors how many of those did not succeed (reported or not), complexity the "
                              "project's share of hard integrations, skill the builder's competence at that date"),
            "error_recovery": ("an attempt fixes the error iff it applies the correct fix at level >= level_required; "
                               "the correct fix at a lower level gives 'partial', wrong fixes 'failed' or 'new_error'"),
            "code_quality": ("each version has a hidden quality 0..100; defects (any, console.log/print, TODO, empty "
                             "catch/except, deep nesting, long functions, magic numbers, !important, missing error "
                             "handling) appear as quality falls"),
        },
        "success_model": SUCCESS_MODEL,
        **World(seed).truth(),
        "counts": {"lines": lines, "lines_by_kind": lines_by_kind, "bad_lines": len(bad_lines),
                   "planted_secrets": len(secrets), "decisions": truth.decisions, "decision_retries": truth.retries},
        "outcomes": {"inline": truth.outcomes["inline"], "late": truth.outcomes["late"],
                     "never": truth.outcomes["never"], "replaced_trace_ids": truth.outcomes["replaced"]},
        "trend": {"early": _rates(truth.builds[:third]), "late": _rates(truth.builds[-third:]),
                  "all": _rates(truth.builds)},
        "daily": daily,
        "builds": truth.builds,
        "decisions": truth.decision_records,
        "code_versions": truth.code_versions,
        "design_choices": truth.design_choices,
        "error_recoveries": truth.error_recoveries,
        "bad_lines": bad_lines,
        "secrets": secrets,
    }
    return doc
