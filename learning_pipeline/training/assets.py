"""Training-layer assets, one partition per shadow model: adapter, evaluation + gate, promotion."""

import dataclasses
import json
from pathlib import Path

import dagster as dg
import polars as pl

from learning_pipeline.code_versions import code_version_of
from learning_pipeline.config import (
    SHADOW_MODELS, DPOTrainingConfig, EvolutionConfig, LearningSettings, ShadowModelSpec, TrainingSettings,
    training_max_steps_from_env,
)
from learning_pipeline.metadata import redacted, redacted_md
from learning_pipeline.preferences.assets import BATCHES_TABLE, PAIRS_TABLE, model_partitions
from learning_pipeline.preferences.export import trl_record
from learning_pipeline.preferences.pairs import PAIR_SCHEMA
from learning_pipeline.preferences.training_ledger import consumption
from learning_pipeline.resources import LearningHome
from learning_pipeline.training.checks import check_trained_version_has_metrics
from learning_pipeline.training.evaluation import (
    BASE, GATE_METRIC, METRICS, Measurement, gate_candidate, measure, report, split_pairs, write_report,
)
from learning_pipeline.training.gate import GateRules
from learning_pipeline.training.model_lock import ModelBusy
from learning_pipeline.training.registry import ShadowModelRegistry
from learning_pipeline.training.resources import TrainingLauncher
from learning_pipeline.training.run_guard import hold_model, let_go
from learning_pipeline.training.train_step import ERROR_FILE, METRICS_FILE, read_metrics

TINY_BASE = "tiny-llama"
GATE_CHECK = dg.AssetCheckKey(dg.AssetKey("adapter_evaluation"), "promotion_gate")
TRAINING_CODE_VERSION = code_version_of(
    "learning_pipeline.training.dpo", "learning_pipeline.training.train_step", "learning_pipeline.training.anti_forgetting",
    "learning_pipeline.training.tiny_model",
)
EVALUATION_CODE_VERSION = code_version_of(
    "learning_pipeline.training.evaluation", "learning_pipeline.training.gate", "learning_pipeline.training.baselines",
    "learning_pipeline.training.bootstrap", "learning_pipeline.training.dpo",
)


def loss_curve_metadata(adapter_dir: Path) -> dict:
    """The loss curve as numbers the UI can show: first/final loss, and each logged step as a
    table row (step, loss, reward accuracy, reward margin), read from the adapter's own manifest."""
    from learning_pipeline.training.dpo import TRAINING_MANIFEST

    path = adapter_dir / TRAINING_MANIFEST
    steps = json.loads(path.read_text()).get("metrics", {}).get("log_history", []) if path.exists() else []
    steps = [s for s in steps if isinstance(s.get("loss"), (int, float))]
    if not steps:
        return {}
    columns = [("step", "int"), ("loss", "float"), ("rewards/accuracies", "float"), ("rewards/margins", "float")]
    rows = [dg.TableRecord({name: (int(s["step"]) if name == "step" else float(s[name])) for name, _ in columns
                            if s.get(name) is not None}) for s in steps]
    return {
        "loss_first": float(steps[0]["loss"]),
        "loss_final": float(steps[-1]["loss"]),
        "loss_min": float(min(s["loss"] for s in steps)),
        "logged_steps": len(steps),
        "loss_curve": dg.MetadataValue.table(
            rows, schema=dg.TableSchema(columns=[dg.TableColumn(n, t) for n, t in columns]),
        ),
    }


def model_spec(name: str) -> ShadowModelSpec:
    return next(m for m in SHADOW_MODELS if m.name == name)


def resolve_base_model(spec: ShadowModelSpec, settings: LearningSettings, pairs: pl.DataFrame) -> str:
    """The tiny local Llama for the demo and tests (built once, then frozen so every version of a
    model shares one base), or a local path / hub id as configured.

    Its tokenizer is trained on the training pairs' text only: a vocabulary fitted on held-out
    text would carry knowledge of the evaluation into every model built on it."""
    if spec.base_model != TINY_BASE:
        return spec.base_model
    path = settings.models_dir / TINY_BASE
    if not (path / "config.json").exists():
        from learning_pipeline.training.tiny_model import build_tiny_llama

        train = pairs.filter(pl.col("split") == "train").sort("pair_id")
        if train.height == 0:
            raise dg.Failure("no training pairs to build the tiny base model's tokenizer from")
        build_tiny_llama(train.select("prompt", "chosen", "rejected").to_numpy().ravel().tolist(), path)
    return str(path)


def _pairs(lake) -> pl.DataFrame:
    return lake.read(PAIRS_TABLE, schema={**PAIR_SCHEMA, "split": pl.String})


def replay_pairs(lake, registry: ShadowModelRegistry, model: str, run_id: str, pairs: pl.DataFrame) -> pl.DataFrame:
    """Pairs earlier completed runs of this model trained on (the experience to replay)."""
    completed = registry.runs(model).filter(pl.col("status") == "completed").get_column("run_id").to_list()
    earlier = consumption(lake).filter(pl.col("run_id").is_in(completed) & (pl.col("run_id") != run_id))
    return pairs.join(earlier.select("pair_id").unique(), on="pair_id", how="semi").sort("pair_id")


class TrainingRunConfig(dg.Config):
    """Per-run overrides of the training settings (the launchpad shows them; defaults in config.py)."""

    learning_rate: float = DPOTrainingConfig.learning_rate
    epochs: float = DPOTrainingConfig.epochs
    max_steps: int = training_max_steps_from_env()  # LEARNING_TRAINING_MAX_STEPS, when set
    # With max_steps unset: `epochs` passes over the run's pairs, but at most this many steps (<= 0: no cap).
    step_cap: int = -1
    batch_size: int = DPOTrainingConfig.batch_size
    lora_rank: int = DPOTrainingConfig.lora_rank
    beta: float = DPOTrainingConfig.beta
    replay_share: float = TrainingSettings.replay_share
    ewc_lambda: float = TrainingSettings.ewc_lambda

    def settings(self) -> TrainingSettings:
        overrides = self.model_dump()
        anti_forgetting = {k: overrides.pop(k) for k in ("replay_share", "ewc_lambda")}
        overrides.pop("step_cap")
        return TrainingSettings(dpo=dataclasses.replace(DPOTrainingConfig(), **overrides), **anti_forgetting)


@dg.asset(
    group_name="training",
    kinds={"pytorch", "python"},
    partitions_def=model_partitions,
    deps=[BATCHES_TABLE],
    op_tags={"learning/training": "true"},
    code_version=TRAINING_CODE_VERSION,
    check_specs=[dg.AssetCheckSpec("trained_version_has_metrics", asset="shadow_adapter", partitions_def=model_partitions,
                                   description="The version this run trained has its training metrics (final loss) in the registry.")],
    description="A DPO LoRA adapter trained out of process (Dagster Pipes) on the model's new pairs plus replay.",
)
def shadow_adapter(context: dg.AssetExecutionContext, config: TrainingRunConfig, learning_home: LearningHome,
                   training_launcher: TrainingLauncher):
    settings, lake = learning_home.settings(), learning_home.lake()
    spec, run_id = model_spec(context.partition_key), context.run.run_id
    try:
        hold_model(context, settings, spec.name)  # kept from training_batches in a training_job run
    except ModelBusy as busy:
        raise dg.Failure(str(busy)) from busy
    registry = ShadowModelRegistry(lake)
    batch = lake.read(BATCHES_TABLE, [spec.name], key="model")
    batch = batch.filter(pl.col("run_id") == run_id) if batch.height else batch
    if batch.height == 0:
        raise dg.Failure(f"{spec.name}: this run's training batch is empty; nothing to train on")
    pairs = _pairs(lake)
    base = resolve_base_model(spec, settings, pairs)
    training = config.settings()
    champion = registry.champion(spec.name)

    replay = replay_pairs(lake, registry, spec.name, run_id, pairs)
    if replay.height and champion is not None:
        from learning_pipeline.training.anti_forgetting import replay_margins, select_replay

        previous = [trl_record(r) for r in replay.iter_rows(named=True)]
        margins = replay_margins(Path(champion["adapter_path"]), Path(base), previous, beta=training.dpo.beta,
                                 max_length=training.dpo.max_length)
        chosen_replay = select_replay(previous, margins, training.replay_share, batch.height)
    else:
        chosen_replay = []
    records = [trl_record(r) for r in batch.iter_rows(named=True)] + chosen_replay
    training = dataclasses.replace(training, dpo=training.dpo.capped(len(records), config.step_cap))

    version_dir = settings.adapters_dir / spec.name
    version = registry.add_candidate(spec.name, spec.base_model, spec.training_focus, run_id, version_dir, len(records))
    output_dir = version_dir / f"v{version}"
    registry.update(spec.name, version, adapter_path=str(output_dir))
    output_dir.mkdir(parents=True, exist_ok=True)
    train_path = output_dir / "train.jsonl"
    train_path.write_text("".join(json.dumps(r) + "\n" for r in records))

    config = dataclasses.asdict(training.dpo)
    extras = {
        "model": spec.name, "version": version, "base_model_path": base, "train_path": str(train_path),
        "output_dir": str(output_dir), "config": config, "train_records": len(records),
    }
    if champion is not None:
        extras["previous_adapter"] = champion["adapter_path"]
        if training.ewc_lambda > 0:
            extras["ewc_lambda"] = training.ewc_lambda
            extras["fisher_path"] = str(Path(champion["adapter_path"]) / "fisher.safetensors")
    registry.record_run(run_id, spec.name, {**extras, "training": dataclasses.asdict(training)}, "running", version=version)
    context.log.info(f"{spec.name} v{version}: {batch.height} new pairs + {len(chosen_replay)} replayed, base {base}")
    try:
        invocation = training_launcher.launch(context, extras)
        reported = invocation.get_materialize_result()
    except Exception as err:
        # The registry stays consistent: the version and the run are failed, nothing is promoted,
        # and the failed Dagster run gives its pairs back to the next trigger.
        error_file = output_dir / ERROR_FILE
        reason = error_file.read_text() if error_file.exists() else str(err)
        registry.update(spec.name, version, status="failed", metrics={"error": reason[:2000]})
        registry.record_run(run_id, spec.name, extras, "failed", error=reason[:2000])
        let_go(context, settings.home, spec.name)
        raise dg.Failure(redacted(f"{spec.name} v{version}: training failed: {reason[:500]}")) from err
    # The adapter's own metrics file is the source of truth: a Pipes line lost under CPU contention
    # once left a version with final_loss None and metrics {} while the file had every figure.
    reported_metrics = {k: v.value for k, v in reported.metadata.items()}
    metrics = read_metrics(output_dir) or reported_metrics
    if not reported_metrics and metrics:
        context.log.warning(f"{spec.name} v{version}: the training step's report did not arrive over Pipes; "
                            f"metrics read from {output_dir / METRICS_FILE}")
    registry.update(spec.name, version, status="ready", metrics=metrics)
    registry.record_run(run_id, spec.name, extras, "completed", final_loss=metrics.get("final_loss"), metrics=metrics)
    return dg.MaterializeResult(
        check_results=[check_trained_version_has_metrics(registry, spec.name, version)],
        metadata={
            **{k: v for k, v in metrics.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)},
            "version": version,
            "new_pairs": batch.height,
            "replay_pairs": len(chosen_replay),
            "adapter_path": dg.MetadataValue.path(str(output_dir)),
            "base_model": base,
            **loss_curve_metadata(output_dir),
        }
    )


def _candidate(registry: ShadowModelRegistry, model: str, run_id: str) -> dict:
    mine = registry.versions(model).filter(pl.col("run_id") == run_id)
    if mine.height == 0:
        raise dg.Failure(f"{model}: no adapter version was trained in run {run_id}")
    return mine.row(-1, named=True)


def measure_versions(base: str, pairs: pl.DataFrame, spec: ShadowModelSpec, versions: dict[str, dict]) -> Measurement:
    """The base and the given versions (label -> registry row) scored together on the current held-out pairs."""
    train, held_out = split_pairs(pairs, spec.training_focus)
    adapters = {label: Path(row["adapter_path"]) for label, row in versions.items()}
    return measure(Path(base), train, held_out, adapters, TrainingSettings().dpo.beta)


def _figures(measurement: Measurement) -> dict:
    """Asset metadata: every accuracy named by what it is (model or baseline, metric); all absolute shares."""
    out: dict = {"held_out_pairs": measurement.held_out_pairs, "held_out_builds": measurement.held_out_builds}
    for label, score in measurement.models.items():
        key = label.split(" ")[0]  # "candidate", "champion", "base"
        out[f"{key}_likelihood_accuracy"] = score.likelihood.value
        out[f"{key}_likelihood_accuracy_interval"] = f"{score.likelihood.interval[0]:.3f}-{score.likelihood.interval[1]:.3f}"
        if score.implicit_reward is not None:
            out[f"{key}_implicit_reward_accuracy"] = score.implicit_reward.value
    for name, acc in measurement.baselines.items():
        out[f"baseline_{name.replace(' ', '_').replace('-', '_')}_accuracy"] = acc.value
    return out


def _baseline_bars(decision) -> dict:
    """Gate rule 4 as metadata: the candidate's margin over each trivial baseline, its interval, and whether it is beaten."""
    out: dict = {"required_margin_over_trivial_baselines_absolute": decision.required_margin_over_baselines}
    for name, b in decision.baselines.items():
        key = name.replace(" ", "_").replace("-", "_")
        out[f"margin_over_{key}_absolute"] = b.margin
        out[f"margin_over_{key}_interval_absolute"] = f"{b.margin_interval[0]:+.3f}..{b.margin_interval[1]:+.3f}"
        out[f"beats_{key}"] = b.beaten
    return out


@dg.asset(
    group_name="training",
    kinds={"pytorch"},
    partitions_def=model_partitions,
    deps=["shadow_adapter"],
    op_tags={"learning/training": "true"},
    code_version=EVALUATION_CODE_VERSION,
    # Partitioned like the asset: each model's gate result is recorded under its own partition.
    check_specs=[dg.AssetCheckSpec("promotion_gate", asset="adapter_evaluation", blocking=True, partitions_def=model_partitions,
                                   description="The candidate removes enough of the champion's held-out errors, the gain's "
                                               "interval over builds excludes zero, no domain regresses with evidence, and "
                                               "it beats the trivial baselines (longer side, training lookup) over builds.")],
    description="Base, champion and candidate on the same current held-out pairs, beside trivial baselines, "
                "with cluster-bootstrap intervals over builds.",
)
def adapter_evaluation(context: dg.AssetExecutionContext, learning_home: LearningHome):
    settings, lake = learning_home.settings(), learning_home.lake()
    spec = model_spec(context.partition_key)
    registry = ShadowModelRegistry(lake)
    candidate = _candidate(registry, spec.name, context.run.run_id)
    champion = registry.champion(spec.name)
    pairs = _pairs(lake)
    base = resolve_base_model(spec, settings, pairs)
    candidate_label = f"candidate v{candidate['version']}"
    champion_label = f"champion v{champion['version']}" if champion is not None else BASE
    # The champion is re-scored here, on today's held-out pairs, never taken from its stored score.
    versions = {candidate_label: candidate, **({champion_label: champion} if champion is not None else {})}
    measurement = measure_versions(base, pairs, spec, versions)
    decision = gate_candidate(measurement, candidate_label, champion_label, GateRules.from_config(EvolutionConfig()))
    content = write_report(Path(candidate["adapter_path"]),
                           report(spec.name, candidate["version"], measurement, candidate_label, decision), candidate_label)
    registry.update(spec.name, candidate["version"], eval_score=decision.candidate_accuracy,
                    metrics={**json.loads(candidate["metrics"] or "{}"), "evaluation": content})
    margin = content["candidate_margin_over_best_baseline"]
    context.log.info(f"{spec.name} v{candidate['version']}: {GATE_METRIC} accuracy {decision.candidate_accuracy:.3f} vs "
                     f"{champion_label} {decision.champion_accuracy:.3f}"
                     + (f", {margin['margin']:+.3f} over the best baseline ({margin['baseline']})" if margin else "")
                     + f"; gate {'passed' if decision.passed else 'failed'}: {'; '.join(decision.reasons)}")
    candidate_score = measurement.models.get(candidate_label)
    yield dg.MaterializeResult(
        metadata={
            "candidate_version": candidate["version"],
            "gate_metric": METRICS[GATE_METRIC],
            **_figures(measurement),
            # Kept for readers of earlier runs: the gate metric under the names they used.
            "candidate_accuracy": decision.candidate_accuracy,
            "candidate_interval": (f"{candidate_score.likelihood.interval[0]:.3f}-{candidate_score.likelihood.interval[1]:.3f}"
                                   if candidate_score else "n/a"),
            "champion": champion_label,
            "champion_accuracy": decision.champion_accuracy,
            "best_baseline": margin["baseline"] if margin else "none",
            "candidate_margin_over_best_baseline": margin["margin"] if margin else 0.0,
            "candidate_margin_over_best_baseline_interval":
                f"{margin['interval'][0]:+.3f}..{margin['interval'][1]:+.3f}" if margin else "n/a",
            **_baseline_bars(decision),
            "report": redacted_md((Path(candidate["adapter_path"]) / "eval_report.md").read_text()),
        }
    )
    yield dg.AssetCheckResult(
        check_name="promotion_gate",
        passed=decision.passed,
        metadata={
            "candidate_version": candidate["version"],
            "gate_metric": METRICS[GATE_METRIC],
            "compared_with": champion_label,
            "candidate_accuracy_absolute": decision.candidate_accuracy,
            "champion_accuracy_absolute": decision.champion_accuracy,
            "accuracy_difference_absolute": decision.accuracy_difference,
            "accuracy_difference_interval_absolute": (f"{decision.accuracy_difference_interval[0]:+.3f}.."
                                                      f"{decision.accuracy_difference_interval[1]:+.3f}"),
            "error_reduction_relative": decision.error_reduction if decision.error_reduction is not None else "n/a",
            "required_error_reduction_relative": decision.required_error_reduction,
            "regression_tolerance_absolute": EvolutionConfig().regression_tolerance,
            "held_out_pairs": decision.held_out_pairs,
            "held_out_builds": decision.held_out_builds,
            **{f"domain_{d}": v.status for d, v in decision.domains.items()},
            **_baseline_bars(decision),
            "reasons": "; ".join(decision.reasons),
        },
    )


def gate_passed_for(instance: dg.DagsterInstance, run_id: str, version: int, model: str) -> tuple[bool, str]:
    """The model's latest promotion-gate result must be a pass, from this run, for this exact
    candidate: a blocking check only blocks within its own run, so a promotion re-run elsewhere
    must not ride on someone else's pass (nor on another model's)."""
    from dagster._core.event_api import PartitionKeyFilter

    record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [GATE_CHECK], partition_filter=PartitionKeyFilter(key=model)
    ).get(GATE_CHECK)
    if record is None or record.event is None:
        return False, "no promotion-gate result recorded"
    evaluation = record.event.dagster_event.event_specific_data
    checked = evaluation.metadata.get("candidate_version")
    if record.run_id != run_id or checked is None or checked.value != version:
        return False, f"the latest gate result is for v{checked.value if checked else '?'} in run {record.run_id}, not v{version} in this run"
    if not evaluation.passed:
        return False, f"the gate failed for v{version}"
    return True, "passed"


@dg.asset(
    group_name="training",
    kinds={"python"},
    partitions_def=model_partitions,
    deps=["adapter_evaluation"],
    code_version=code_version_of("learning_pipeline.training.registry"),
    op_tags={"learning/training": "true"},
    check_specs=[dg.AssetCheckSpec("one_champion", asset="shadow_promotion", partitions_def=model_partitions,
                                   description="At most one promoted version of the model, read back from the registry.")],
    description="Promotes the candidate (and deprecates the old champion, atomically) once the gate passed.",
)
def shadow_promotion(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    spec = model_spec(context.partition_key)
    registry = ShadowModelRegistry(learning_home.lake())
    candidate = _candidate(registry, spec.name, context.run.run_id)
    passed, why = gate_passed_for(context.instance, context.run.run_id, candidate["version"], spec.name)
    try:
        if not passed:
            raise dg.Failure(f"not promoting {spec.name} v{candidate['version']}: {why}")
        previous = registry.promote(spec.name, candidate["version"])
    finally:
        # The run's last step: the model's training lock goes back whatever the gate said.
        let_go(context, learning_home.settings().home, spec.name)
    context.log.info(f"{spec.name}: v{candidate['version']} promoted" + (f", v{previous['version']} deprecated" if previous else ""))
    return dg.MaterializeResult(
        metadata={
            "promoted_version": candidate["version"],
            "previous_champion": f"v{previous['version']}" if previous else "base model",
            "eval_score": candidate["eval_score"] or 0.0,
        },
        check_results=[check_one_champion(registry, spec.name)],
    )


def check_one_champion(registry: ShadowModelRegistry, model: str) -> dg.AssetCheckResult:
    promoted = registry.versions(model).filter(pl.col("status") == "promoted").get_column("version").to_list()
    return dg.AssetCheckResult(
        check_name="one_champion",
        asset_key="shadow_promotion",
        passed=len(promoted) <= 1,
        metadata={"promoted_versions": ", ".join(f"v{v}" for v in promoted) or "none"},
    )


@dg.asset(
    group_name="training",
    kinds={"pytorch"},
    partitions_def=model_partitions,
    deps=[PAIRS_TABLE],
    code_version=EVALUATION_CODE_VERSION,
    description="The promoted model re-evaluated on the current held-out set (weekly): drift shows as a falling line.",
)
def champion_evaluation(context: dg.AssetExecutionContext, learning_home: LearningHome) -> dg.MaterializeResult:
    settings, lake = learning_home.settings(), learning_home.lake()
    spec = model_spec(context.partition_key)
    champion = ShadowModelRegistry(lake).champion(spec.name)
    if champion is None:
        return dg.MaterializeResult(metadata={"champion": "none promoted yet"})
    pairs = _pairs(lake)
    base = resolve_base_model(spec, settings, pairs)
    label = f"champion v{champion['version']}"
    measurement = measure_versions(base, pairs, spec, {label: champion})
    score = measurement.models.get(label)
    margin = measurement.margin_over_best_baseline(label)
    return dg.MaterializeResult(
        metadata={
            "champion": f"v{champion['version']}",
            "gate_metric": METRICS[GATE_METRIC],
            **_figures(measurement),
            # The gate metric under the names the weekly plot has used: a falling line is drift.
            "accuracy": score.likelihood.value if score else 0.0,
            "interval": f"{score.likelihood.interval[0]:.3f}-{score.likelihood.interval[1]:.3f}" if score else "n/a",
            "mean_implicit_margin": score.mean_implicit_margin if score and score.mean_implicit_margin is not None else 0.0,
            **({f"accuracy_{d}": a for d, a in score.likelihood.by_domain.items()} if score else {}),
            "best_baseline": margin["baseline"] if margin else "none",
            "champion_margin_over_best_baseline": margin["margin"] if margin else 0.0,
        }
    )
