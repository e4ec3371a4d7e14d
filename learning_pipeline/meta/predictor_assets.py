"""The success predictor as an asset (model, evaluation and reliability diagram beside it) and its
calibration-drift check on outcomes that landed after it was fitted."""

import base64

import dagster as dg

from learning_pipeline.code_versions import code_version_of
from learning_pipeline.meta.guidance import load_predictor, predictor_dir
from learning_pipeline.meta.success import DIAGRAM_FILE, calibration_drift, reliability_diagram, train_and_evaluate
from learning_pipeline.meta.success_data import build_outcomes, labelled_builds
from learning_pipeline.resources import LearningHome

SUCCESS_PREDICTOR = "success_predictor"


def _all(key: str) -> dg.AssetDep:
    return dg.AssetDep(key, partition_mapping=dg.AllPartitionMapping())


def _figure_table(figures: dict) -> str:
    lines = ["| predictor (held-out later builds) | AUC | Brier | ECE |", "|---|---|---|---|"]
    for name, label in (("model", "early-signal model"), ("trivial", "early error count alone"), ("base_rate", "base rate")):
        f = figures[name]
        lines.append(f"| {label} | {f['auc']:.3f} | {f['brier']:.4f} | {f['ece']:.4f} |")
    return "\n".join(lines)


@dg.asset(
    name=SUCCESS_PREDICTOR,
    group_name="meta",
    kinds={"scikitlearn"},
    code_version=code_version_of("learning_pipeline.meta.success", "learning_pipeline.meta.success_signals",
                                 "learning_pipeline.meta.success_data"),
    deps=[_all("raw_build_summaries"), _all("raw_decisions"), _all("raw_error_recoveries"), _all("raw_code_artifacts")],
)
def success_predictor(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    """Probability of first-attempt success from a build's early signals, calibrated, evaluated on
    a time split (fit on earlier builds, score later ones) against the base rate and a one-signal
    baseline; the reliability diagram is written beside the model."""
    settings = learning_home.settings()
    config = settings.meta
    builds = labelled_builds(learning_home.lake(), config)
    if len(builds) < 20:
        return dg.MaterializeResult(metadata={"labelled_builds": len(builds), "state": "too few labelled builds to fit (20 needed)"})
    predictor, figures, held_out = train_and_evaluate(builds, config)
    directory = predictor_dir(settings)
    predictor.save(directory)
    diagram = reliability_diagram(held_out, config.calibration_bins, directory / DIAGRAM_FILE)
    png = base64.b64encode(diagram.read_bytes()).decode()
    return dg.MaterializeResult(metadata={
        "labelled_builds": len(builds),
        "figures": dg.MetadataValue.md(_figure_table(figures)),
        "auc": figures["model"]["auc"], "brier": figures["model"]["brier"], "ece": figures["model"]["ece"],
        "base_rate_brier": figures["base_rate"]["brier"], "base_rate_ece": figures["base_rate"]["ece"],
        "trivial_auc": figures["trivial"]["auc"],
        "auc_margin_vs_trivial": figures["margin_vs_trivial"]["auc"],
        "calibration": figures["calibration"],
        "time_split": f"fit on {figures['train_builds']} builds up to {figures['train_until']}, "
                      f"scored on {figures['test_builds']} from {figures['test_from']}",
        "reliability_diagram": dg.MetadataValue.md(f"![reliability diagram](data:image/png;base64,{png})"),
        "reliability_diagram_path": dg.MetadataValue.path(str(diagram)),
        "reliability": dg.MetadataValue.json(figures["reliability"]),
        "intervene_below": config.intervene_below,
    })


def check_calibration_drift(learning_home: LearningHome) -> dg.AssetCheckResult:
    """ECE of the served model on builds whose outcome landed after it was fitted (it never saw
    them), against the ECE it was evaluated at; WARN beyond the configured tolerance."""
    settings = learning_home.settings()
    config = settings.meta
    predictor = load_predictor(settings)
    name = "calibration_on_new_outcomes"
    if predictor is None:
        return dg.AssetCheckResult(check_name=name, asset_key=SUCCESS_PREDICTOR, passed=True, metadata={"state": "no model yet"})
    lake = learning_home.lake()
    seen = set(predictor.trained_builds)
    new_ids = set(build_outcomes(lake).get_column("build_id")) - seen
    new = labelled_builds(lake, config, only=new_ids) if new_ids else []
    if len(new) < config.drift_min_builds:
        return dg.AssetCheckResult(check_name=name, asset_key=SUCCESS_PREDICTOR, passed=True,
                                   metadata={"new_builds": len(new), "state": f"waiting for {config.drift_min_builds} new outcomes"})
    drift = calibration_drift(predictor, new)
    return dg.AssetCheckResult(
        check_name=name, asset_key=SUCCESS_PREDICTOR,
        passed=drift["drift"] <= config.calibration_drift_tolerance,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"new_builds": drift["builds"], "ece_on_new": drift["ece"], "evaluated_ece": drift["evaluated_ece"],
                  "drift": drift["drift"], "tolerance": config.calibration_drift_tolerance,
                  "brier_on_new": drift["brier"], "auc_on_new": drift["auc"]},
    )


@dg.asset_check(asset=SUCCESS_PREDICTOR, name="calibration_on_new_outcomes",
                description="warns when the predictor's calibration on newly landed outcomes drifts")
def calibration_on_new_outcomes(learning_home: LearningHome) -> dg.AssetCheckResult:
    return check_calibration_drift(learning_home)
