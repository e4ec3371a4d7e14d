"""The success predictor: will this build succeed on its first attempt, from its early signals?

Fit on the earlier builds, scored on the later ones (a time split: the builder improves, so a
random split would flatter the model), against two baselines on the same held-out builds: the
base rate (a constant, AUC 0.5) and a one-signal model (the early error count alone). A logistic
model on standardised signals, calibrated by scikit-learn (Platt scaling on small data, isotonic
on large). Labels are the builds' `firstAttemptSuccess` from their build summaries.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from learning_pipeline.config import MetaConfig
from learning_pipeline.meta.success_signals import SIGNALS, TRIVIAL_SIGNAL, EarlyView, early_view

MODEL_FILE = "model.pkl"
EVALUATION_FILE = "evaluation.json"
DIAGRAM_FILE = "reliability.png"


@dataclass(frozen=True)
class LabelledBuild:
    build_id: str
    started_at: dt.datetime
    view: EarlyView
    success: bool


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean prediction| over equal-width bins, weighted by bin size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(y[mask].mean() - p[mask].mean())
    return float(total / len(y)) if len(y) else 0.0


def reliability_curve(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    return [{"bin": [round(float(edges[b]), 2), round(float(edges[b + 1]), 2)], "builds": int((which == b).sum()),
             "predicted": round(float(p[which == b].mean()), 4), "observed": round(float(y[which == b].mean()), 4)}
            for b in range(bins) if (which == b).any()]


def scores(y: np.ndarray, p: np.ndarray, bins: int) -> dict:
    auc = float(roc_auc_score(y, p)) if len(set(y.tolist())) == 2 and len(set(np.round(p, 12).tolist())) > 1 else 0.5
    return {"auc": round(auc, 4), "brier": round(float(brier_score_loss(y, p)), 4),
            "ece": round(expected_calibration_error(y, p, bins), 4)}


def _calibrated(n: int, config: MetaConfig, columns: int) -> CalibratedClassifierCV:
    method = "isotonic" if n >= config.isotonic_min_builds else "sigmoid"
    base = make_pipeline(StandardScaler(), LogisticRegression(C=config.predictor_regularization, max_iter=1000))
    return CalibratedClassifierCV(base, method=method, cv=3)


@dataclass
class SuccessPredictor:
    """A calibrated model of first-attempt success from early signals, and what it was evaluated at."""

    model: CalibratedClassifierCV
    means: np.ndarray  # training means: a signal's effect is the change when it is set to its mean
    config: MetaConfig
    trained_builds: list[str] = field(default_factory=list)
    trained_until: str | None = None  # the latest start of a training build
    evaluation: dict = field(default_factory=dict)
    signals: tuple[str, ...] = SIGNALS  # the columns it was fitted on

    def probability(self, view: EarlyView) -> float:
        return float(self.model.predict_proba(np.array([view.vector()]))[0, 1])

    def top_signals(self, view: EarlyView) -> list[dict]:
        x = np.array([view.vector()])
        base = self.model.predict_proba(x)[0, 1]
        neutral = np.repeat(x, len(SIGNALS), axis=0)
        neutral[np.arange(len(SIGNALS)), np.arange(len(SIGNALS))] = self.means
        effects = base - self.model.predict_proba(neutral)[:, 1]
        order = np.argsort(-np.abs(effects))[: self.config.top_signals]
        return [{"signal": SIGNALS[i], "value": round(float(x[0, i]), 4), "effect": round(float(effects[i]), 4)}
                for i in order if abs(effects[i]) > 1e-6]

    def predict(self, records: list[dict], build_id: str | None = None) -> dict:
        """The `/predict/success` answer for a build's traces so far."""
        view = early_view(records, self.config.early_phases)
        probability = self.probability(view)
        return {
            "buildId": build_id or view.build_id,
            "probability": round(probability, 4),
            "intervene": probability < self.config.intervene_below,
            "threshold": self.config.intervene_below,
            "topSignals": self.top_signals(view),
            "cutoff": view.cutoff.isoformat() if view.cutoff else None,
        }

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / (MODEL_FILE + ".tmp")
        tmp.write_bytes(pickle.dumps(self))
        tmp.replace(directory / MODEL_FILE)  # atomic: a reader sees the old model or the new one
        (directory / EVALUATION_FILE).write_text(json.dumps(self.evaluation, indent=2))
        return directory / MODEL_FILE

    @staticmethod
    def load(directory: Path) -> "SuccessPredictor | None":
        path = directory / MODEL_FILE
        if not path.exists():
            return None
        predictor = pickle.loads(path.read_bytes())
        # A model fitted on other signals than this code computes cannot be served; the next
        # materialization of success_predictor refits it.
        return predictor if vars(predictor).get("signals") == SIGNALS else None


def _matrix(builds: list[LabelledBuild]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.array([b.view.vector() for b in builds], dtype=float)
    trivial = np.array([[b.view.error_count] for b in builds], dtype=float)
    y = np.array([int(b.success) for b in builds])
    return x, trivial, y


def time_split(builds: list[LabelledBuild], test_share: float) -> tuple[list[LabelledBuild], list[LabelledBuild]]:
    ordered = sorted(builds, key=lambda b: (b.started_at, b.build_id))
    cut = int(round(len(ordered) * (1 - test_share)))
    return ordered[:cut], ordered[cut:]


def fit(builds: list[LabelledBuild], config: MetaConfig) -> SuccessPredictor:
    x, _, y = _matrix(builds)
    if len(set(y.tolist())) < 2 or min(np.bincount(y)) < 3:
        raise ValueError(f"cannot fit the success predictor: {len(y)} labelled builds, {int(y.sum())} successes "
                         "(both outcomes need at least 3 builds)")
    model = _calibrated(len(y), config, x.shape[1]).fit(x, y)
    ordered = sorted(builds, key=lambda b: b.started_at)
    return SuccessPredictor(model, x.mean(axis=0), config, [b.build_id for b in builds], ordered[-1].started_at.isoformat(),
                            signals=SIGNALS)


def evaluate(train: list[LabelledBuild], test: list[LabelledBuild], config: MetaConfig) -> tuple[SuccessPredictor, dict, dict]:
    """Fit on `train`, score `test`; returns the model, the figures, and the held-out predictions."""
    predictor = fit(train, config)
    x_tr, t_tr, y_tr = _matrix(train)
    x_te, t_te, y_te = _matrix(test)
    p_model = predictor.model.predict_proba(x_te)[:, 1]
    base_rate = float(y_tr.mean())
    p_base = np.full(len(y_te), base_rate)
    trivial = _calibrated(len(y_tr), config, 1).fit(t_tr, y_tr)
    p_trivial = trivial.predict_proba(t_te)[:, 1]
    bins = config.calibration_bins
    figures = {
        "train_builds": len(train), "test_builds": len(test),
        "train_until": predictor.trained_until, "test_from": min(b.started_at for b in test).isoformat(),
        "train_success_rate": round(base_rate, 4), "test_success_rate": round(float(y_te.mean()), 4),
        "calibration": "isotonic" if len(train) >= config.isotonic_min_builds else "sigmoid",
        "model": scores(y_te, p_model, bins),
        "base_rate": scores(y_te, p_base, bins),
        "trivial": {**scores(y_te, p_trivial, bins), "signal": TRIVIAL_SIGNAL},
        "reliability": reliability_curve(y_te, p_model, bins),
    }
    figures["margin_vs_base_rate"] = {k: round(figures["model"][k] - figures["base_rate"][k], 4) for k in ("auc", "brier", "ece")}
    figures["margin_vs_trivial"] = {k: round(figures["model"][k] - figures["trivial"][k], 4) for k in ("auc", "brier", "ece")}
    return predictor, figures, {"y": y_te, "model": p_model, "base_rate": p_base, "trivial": p_trivial}


def train_and_evaluate(builds: list[LabelledBuild], config: MetaConfig) -> tuple[SuccessPredictor, dict, dict]:
    """Evaluate on the time split, then refit on every build for serving (the evaluation stays
    the held-out one: the served model is the same recipe on more data)."""
    train, test = time_split(builds, config.test_share)
    _, figures, held_out = evaluate(train, test, config)
    served = fit(builds, config)
    served.evaluation = figures
    return served, figures, held_out


def reliability_diagram(held_out: dict, bins: int, path: Path, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    y = held_out["y"]
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for name, style in (("model", "o-"), ("trivial", "s--"), ("base_rate", "^:")):
        curve = reliability_curve(y, held_out[name], bins)
        ax.plot([c["predicted"] for c in curve], [c["observed"] for c in curve], style,
                label=f"{name} (ECE {expected_calibration_error(y, held_out[name], bins):.3f})")
    ax.set_xlabel("predicted first-attempt success")
    ax.set_ylabel("observed rate (held-out later builds)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title or "Success predictor: reliability on the time split")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def calibration_drift(predictor: SuccessPredictor, new_builds: list[LabelledBuild]) -> dict:
    """ECE and Brier of the served model on builds it never saw, against its evaluated ECE."""
    x, _, y = _matrix(new_builds)
    p = predictor.model.predict_proba(x)[:, 1]
    bins = predictor.config.calibration_bins
    figures = scores(y, p, bins)
    evaluated = predictor.evaluation.get("model", {}).get("ece", 0.0)
    return {**figures, "builds": len(new_builds), "evaluated_ece": evaluated,
            "drift": round(figures["ece"] - evaluated, 4)}
