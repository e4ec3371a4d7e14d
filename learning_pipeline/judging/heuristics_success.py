"""The heuristic `success_predictor` judge: will this build succeed on the first attempt?

It sees only what is known early in a build: how confident the early decisions were, whether
any of them already failed and had to be retried, how clear and how ambitious the user's
intent is, and the first quality point of each file. Each signal family gives its own success
probability around a prior; the rubric's weighted mean of those (a linear opinion pool) is the
prediction, so `overall` is both the rubric's weighted mean and P(success) x 100.
"""

from __future__ import annotations

import re
from statistics import mean

from learning_pipeline.judging.heuristics_scoring import (
    Evidence, agreement_confidence, clamp, logit, number, sigmoid,
)
from learning_pipeline.judging.rubrics import Rubric
from learning_pipeline.judging.verdicts import Verdict

# A build of unknown promise: about two in three builds succeed on the first attempt.
PRIOR_SUCCESS = 0.65
# A linear pool of probabilities shrinks toward the prior (each family moves the mean only by
# its weight), so each family's evidence is stretched to keep the pooled prediction calibrated.
POOL_GAIN = 1.6
_VAGUE = re.compile(r"(?i)\blike \w+ but better\b|\?\?|\bmaybe\b|should look (?:cool|nice|good)|\bsomething like\b"
                    r"|^\s*(?:i need|make me|build me)\b|\betc\.?\b|\bstuff\b")
_ACCEPTANCE = re.compile(r"(?i)\bdone means\b|\bdone when\b|\bacceptance\b|\bmust\b|\bend to end\b|\bshould be able to\b")
_STACK = re.compile(r"(?i)\buse\s+\w+|\breact\b|\bnext\.?js\b|\btailwind\b|\bpostgres|\bsupabase\b|\btypescript\b|\bvite\b")
# Integrations that make a build hard: each adds a moving part that can fail on the first try.
_HARD_PARTS = {
    "auth": r"\bauth|\blogin\b|\broles?\b|\bpermissions?\b",
    "payments": r"\bstripe\b|\bcheckout\b|\bpayments?\b",
    "realtime": r"\brealtime\b|\breal-time\b|\bwebsockets?\b|\blive updates\b",
    "uploads": r"\buploads?\b",
    "search": r"\bsearch\b",
    "offline": r"\boffline\b",
    "i18n": r"\bi18n\b|\blanguages\b|\btranslations?\b",
}

# First drafts: the builder's own quality numbers run optimistic, so they are read relative to
# where they usually sit, not at face value (centres and slopes tuned on simulated seeds 1-3).
QUALITY_CENTER, QUALITY_SLOPE = 60.0, 0.05
ERROR_CENTER, ERROR_SLOPE = 1.8, 0.12


def intent_signals(intent: str) -> tuple[float, list[str]]:
    """(clarity 0..1, the hard integrations the intent asks for)."""
    hard = [name for name, pattern in _HARD_PARTS.items() if re.search(pattern, intent, re.I)]
    if not intent.strip():
        return 0.3, hard
    if _VAGUE.search(intent):
        return 0.15, hard
    clarity = 0.35
    listed = intent.count(",") + len(re.findall(r"\band\b", intent))
    clarity += min(0.3, 0.08 * listed)
    clarity += 0.15 * bool(_STACK.search(intent))
    clarity += 0.2 * bool(_ACCEPTANCE.search(intent))
    clarity += 0.05 * (len(intent.split()) >= 18)
    return min(1.0, clarity), hard


def _probability(shift: float) -> float:
    """Success probability x 100 for one signal family's log-odds shift from the prior."""
    return 100.0 * sigmoid(logit(PRIOR_SUCCESS) + POOL_GAIN * shift)


def judge_success(content: dict, rubric: Rubric) -> Verdict:
    ev = Evidence()
    decisions = [d for d in content.get("decisions") or [] if isinstance(d, dict)]
    first_tries = [d for d in decisions if not (number(d.get("previousAttempts")) or 0)]
    confidences = [c for c in (number(d.get("confidence")) for d in first_tries) if c is not None]
    scores: dict[str, float] = {}
    present: dict[str, bool] = {}
    notes: list[str] = []

    # Decision confidence: the builder is usually right about which plans it is unsure of.
    if confidences:
        avg = mean(confidences)
        shaky = [d for d in first_tries if (number(d.get("confidence")) or 1.0) < 0.6]
        scores["decision_confidence"] = _probability(8.0 * (avg - 0.70) - 0.15 * len(shaky))
        notes.append(f"mean early decision confidence {avg:.2f}")
        if shaky:
            ev.fault("decision_confidence", "minor", f"{len(shaky)} early decision(s) made with confidence below 0.6",
                     ", ".join(sorted({str(d.get('decisionType')) for d in shaky})),
                     "Resolve the uncertain decisions (ask, prototype) before building on them.", len(shaky))
    present["decision_confidence"] = bool(confidences)

    # Early errors: a plan that already failed once is a plan under strain (one retried
    # decision early on is ordinary; more is a warning).
    retried = [d for d in decisions if (number(d.get("previousAttempts")) or 0) > 0 or d.get("errorIfAny")]
    errors = max(len(retried), int(number(content.get("earlyErrors")) or 0))
    scores["early_errors"] = _probability(-0.35 * (errors - 1))
    present["early_errors"] = bool(decisions)
    if errors:
        ev.fault("early_errors", "major" if errors >= 2 else "minor", f"{errors} early decision(s) failed and were retried",
                 ", ".join(sorted({str(d.get('phase')) for d in retried})) or None,
                 "Isolate the failing area with a minimal reproduction before moving on.", errors)

    # Intent: clear, specific intents with acceptance criteria succeed; many integrations do not.
    intents = [str(d["intentSnippet"]) for d in decisions if isinstance(d.get("intentSnippet"), str)]
    intent = max(intents, key=len) if intents else ""
    clarity, hard = intent_signals(intent)
    scores["intent_clarity"] = _probability(2.4 * (clarity - 0.5) - 0.35 * (len(hard) - 1.5))
    present["intent_clarity"] = bool(intent)
    if intent and clarity < 0.3:
        ev.fault("intent_clarity", "major", "vague intent with no concrete features or acceptance criteria", "intentSnippet",
                 "Lock the intent: list the features and what 'done' means before building.")
    if len(hard) >= 3:
        ev.fault("intent_clarity", "minor", f"ambitious scope: {', '.join(hard)}", "intentSnippet",
                 "Build the hard integrations one at a time, each behind a typed interface.")
    notes.append(f"intent clarity {clarity:.2f}, {len(hard)} hard integration(s)")

    # First quality points: how clean the first drafts were.
    points = [p for p in content.get("firstQualityPoints") or [] if isinstance(p, dict)]
    quality = [q for q in (number(p.get("codeQualityScore")) for p in points) if q is not None]
    error_counts = [e for e in (number(p.get("errorCount")) for p in points) if e is not None]
    if quality or error_counts:
        shift = 0.0
        if quality:
            shift += QUALITY_SLOPE * (mean(quality) - QUALITY_CENTER)
        if error_counts:
            shift -= ERROR_SLOPE * (mean(error_counts) - ERROR_CENTER)
        scores["quality_trajectory"] = _probability(shift)
        notes.append(f"first drafts: quality {mean(quality):.0f}" if quality else "first drafts")
        worst = [p for p in points if (number(p.get("errorCount")) or 0) >= 5]
        if worst:
            ev.fault("quality_trajectory", "minor", f"{len(worst)} first draft(s) with 5+ errors",
                     ", ".join(str(p.get("filePath")) for p in worst[:3]), "Fix the first drafts' errors before integrating.")
    present["quality_trajectory"] = bool(quality or error_counts)

    # A missing signal is no evidence either way: it sits at the prior.
    categories = {c: round(clamp(scores.get(c, 100.0 * PRIOR_SUCCESS) if present.get(c, False) else 100.0 * PRIOR_SUCCESS), 2)
                  for c in rubric.categories}
    overall = round(rubric.overall(categories), 2)
    estimates = [categories[c] for c in rubric.categories if present.get(c)]
    confidence = agreement_confidence(estimates, expected=len(rubric.categories))
    reasoning = f"Predicted first-attempt success {overall:.0f}% from " + "; ".join(notes) + (
        f"; {errors} early retried decision(s)." if decisions else ".")
    missing = [c for c in rubric.categories if not present.get(c)]
    if missing:
        reasoning += f" No signal for {', '.join(missing)} (held at the prior)."
    return Verdict(overall=overall, categories=categories, confidence=confidence, issues=ev.issues(),
                   recommendations=ev.suggestions(), reasoning=reasoning)
