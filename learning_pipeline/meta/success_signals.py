"""The early signals of a build: what the builder knows at the moment it asks for a prediction.

A build's *cut-off* is the moment it leaves its early phases (the first decision of a phase not
in `MetaConfig.early_phases`). Only what was recorded before the cut-off counts: the early
decisions (their confidence, retries, errors they carried), the intent snippet, errors raised
so far and the code-quality trajectory so far. Outcomes (a decision's `outcome`, late
`decision_outcome` records, build summaries, strategy and pattern feedback) are never read: they
are recorded after the fact, and a predictor that used them would only look good offline.

Input is the wire format (`{"kind": K, "data": {...}}`, camelCase), the same at training time
(rebuilt from the lake) and at prediction time (the builder's traces so far), so the two cannot
drift apart.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import Iterable

# Features in a fixed order (the model's columns). Names are what `topSignals` reports.
SIGNALS: tuple[str, ...] = (
    "intent_words", "intent_listed_items", "intent_has_acceptance", "intent_vague_markers", "intent_missing",
    "early_decisions", "early_mean_confidence", "early_min_confidence", "early_retries", "early_error_mentions",
    "early_errors_raised", "early_quality_score", "early_quality_error_count",
    "early_reasoning_words", "early_reasoning_hedges", "early_related_files", "build_start_days",
)
# The one-feature baseline the model must beat: how many errors the build has hit so far.
TRIVIAL_SIGNAL = "early_error_count"

# Words of an intent that does not say what it wants (hedges, comparisons instead of features).
_VAGUE = re.compile(r"\b(like|maybe|something|cool|nice|better|stuff|etc|whatever|somehow)\b|\?", re.I)
_ACCEPTANCE = re.compile(r"\b(done means|acceptance|must|should be able to|end to end|definition of done)\b", re.I)
_LIST_SEPARATORS = re.compile(r",|\band\b|;|\n-")
# Reasoning that defers the problem instead of arguing for the choice.
_HEDGES = re.compile(r"\b(later|for now|should be fine|quick(ly)?|most apps|simpler|patch)\b", re.I)
# Dates enter as days since this day: the builder's own competence moves with the calendar.
_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def parse_time(value) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class EarlyView:
    """One build's early signals and the cut-off they were taken at."""

    build_id: str | None
    cutoff: dt.datetime | None
    signals: dict[str, float]

    def vector(self) -> list[float]:
        return [self.signals[name] for name in SIGNALS]

    @property
    def error_count(self) -> float:
        return self.signals["early_retries"] + self.signals["early_errors_raised"]


def cutoff_of(records: list[dict], early_phases: tuple[str, ...]) -> dt.datetime | None:
    """The first moment the build is past its early phases (None: it has not left them yet)."""
    later = [parse_time(r["data"].get("createdAt")) for r in records
             if r.get("kind") == "decision" and r["data"].get("phase") not in early_phases]
    later = [t for t in later if t is not None]
    return min(later) if later else None


def _before(value, cutoff: dt.datetime | None) -> bool:
    at = parse_time(value)
    if at is None:
        return False  # an undated record cannot be shown to precede the cut-off
    return cutoff is None or at < cutoff


def _intent_signals(snippets: list[str]) -> dict[str, float]:
    text = max(snippets, key=len) if snippets else ""
    words = len(text.split())
    return {
        "intent_words": math.log1p(words),
        "intent_listed_items": float(len(_LIST_SEPARATORS.findall(text))) if text else 0.0,
        "intent_has_acceptance": float(bool(_ACCEPTANCE.search(text))),
        "intent_vague_markers": float(len(_VAGUE.findall(text))),
        "intent_missing": float(not text),
    }


def early_view(records: Iterable[dict], early_phases: tuple[str, ...]) -> EarlyView:
    """The early signals of one build's traces (any order; later traces are ignored)."""
    records = [r for r in records if isinstance(r, dict) and isinstance(r.get("data"), dict)]
    cutoff = cutoff_of(records, early_phases)
    build_ids = [r["data"].get("buildId") for r in records if r["data"].get("buildId")]
    decisions = [r["data"] for r in records
                 if r.get("kind") == "decision" and _before(r["data"].get("createdAt"), cutoff)]
    errors = [r["data"] for r in records
              if r.get("kind") == "error_recovery" and _before(r["data"].get("createdAt"), cutoff)]
    points: list[tuple[dt.datetime, dict]] = []
    for r in records:
        # The artifact itself must precede the cut-off: a trace sent later is not what the builder
        # had in hand, even where it back-fills points dated earlier.
        if r.get("kind") != "code_artifact" or not _before(r["data"].get("createdAt"), cutoff):
            continue
        for point in r["data"].get("qualityTrajectory") or []:
            if isinstance(point, dict) and _before(point.get("timestamp"), cutoff):
                points.append((parse_time(point["timestamp"]), point))
    points.sort(key=lambda p: p[0])

    snippets = [str((d.get("context") or {}).get("intentSnippet") or "") for d in decisions]
    confidences = [float((d.get("decision") or {}).get("confidence")) for d in decisions
                   if isinstance((d.get("decision") or {}).get("confidence"), (int, float))]
    contexts = [d.get("context") or {} for d in decisions]
    latest = points[-1][1] if points else {}
    reasons = [str((d.get("decision") or {}).get("reasoning") or "") for d in decisions]
    stamps = [t for t in (parse_time(d.get("createdAt")) for d in decisions) if t]
    started = min(stamps) if stamps else cutoff
    signals = {
        **_intent_signals([s for s in snippets if s]),
        "early_decisions": float(len(decisions)),
        # A build with no early decision has neutral confidence, not zero confidence.
        "early_mean_confidence": sum(confidences) / len(confidences) if confidences else 0.5,
        "early_min_confidence": min(confidences) if confidences else 0.5,
        "early_retries": float(sum(1 for c in contexts if (c.get("previousAttempts") or 0) > 0)),
        "early_error_mentions": float(sum(1 for c in contexts if c.get("errorIfAny"))),
        "early_errors_raised": float(len(errors)),
        "early_quality_score": float(latest.get("codeQualityScore", 50.0) or 50.0),
        "early_quality_error_count": float(latest.get("errorCount", 0) or 0),
        "early_reasoning_words": sum(len(r.split()) for r in reasons) / len(reasons) if reasons else 0.0,
        "early_reasoning_hedges": float(sum(len(_HEDGES.findall(r)) for r in reasons)),
        "early_related_files": float(max((len(c.get("relatedFiles") or []) for c in contexts), default=0)),
        "build_start_days": (started - _EPOCH).total_seconds() / 86400.0 if started else 0.0,
    }
    return EarlyView(build_ids[0] if build_ids else None, cutoff, signals)
