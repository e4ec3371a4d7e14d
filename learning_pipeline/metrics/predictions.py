"""The current distribution of success predictions: the served predictor (meta layer) scores the
builds of the latest week from their early signals only, as it would during those builds."""

from __future__ import annotations

import datetime as dt

import numpy as np

from learning_pipeline.config import LearningSettings
from learning_pipeline.lake import Lake
from learning_pipeline.meta.guidance import load_predictor
from learning_pipeline.meta.success_data import labelled_builds

BINS = 10
RECENT_DAYS = 7


def prediction_distribution(settings: LearningSettings) -> dict:
    predictor = load_predictor(settings)
    if predictor is None:
        return {"state": "no predictor yet", "builds": 0}
    return _distribution(predictor, labelled_builds(Lake(settings.lake_dir), settings.meta))


def _distribution(predictor, builds) -> dict:
    if not builds:
        return {"state": "no builds to score", "builds": 0}
    latest = max(b.started_at for b in builds)
    recent = [b for b in builds if b.started_at > latest - dt.timedelta(days=RECENT_DAYS)]
    p = np.array([predictor.probability(b.view) for b in recent])
    counts, edges = np.histogram(p, bins=BINS, range=(0.0, 1.0))
    threshold = predictor.config.intervene_below
    unseen = [b for b in recent if b.build_id not in set(predictor.trained_builds)]
    return {
        "state": "ok", "builds": len(recent), "since": (latest - dt.timedelta(days=RECENT_DAYS)).date().isoformat(),
        "unseenByPredictor": len(unseen),
        "histogram": [{"from": round(float(a), 2), "to": round(float(b), 2), "builds": int(c)} for a, b, c in zip(edges[:-1], edges[1:], counts)],
        "meanProbability": round(float(p.mean()), 4),
        "interveneBelow": threshold,
        "wouldIntervene": int((p < threshold).sum()),
        "observedSuccessRate": round(float(np.mean([b.success for b in recent])), 4),
        "predictorTrainedUntil": predictor.trained_until,
        "predictorEvaluation": {k: predictor.evaluation.get(k) for k in ("model", "trivial", "base_rate") if k in predictor.evaluation},
    }
