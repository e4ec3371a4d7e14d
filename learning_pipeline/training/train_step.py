"""The training step, run out of the orchestrator's process through Dagster Pipes.

`python -m learning_pipeline.training.train_step` is started by the TrainingLauncher (a local
subprocess, possibly with another interpreter such as an unsloth environment, or a remote pod).
It reads its parameters from the Pipes extras, streams progress and loss back as Pipes log
lines, and reports the final metrics as the adapter's materialization metadata. It also writes
them beside the adapter (METRICS_FILE) before reporting: a Pipes message can be lost under load,
the file cannot, so the file is what the registry records.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

BACKENDS = ("trl", "unsloth")
ERROR_FILE = "training_error.txt"
METRICS_FILE = "training_metrics.json"


def write_metrics(output_dir: Path, metrics: dict) -> None:
    """The run's summary beside its adapter, replaced atomically (this module must not need the
    package's lake: it may run in another interpreter)."""
    fd, tmp = tempfile.mkstemp(dir=output_dir, prefix=f".{METRICS_FILE}.", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(metrics, handle, default=str)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, output_dir / METRICS_FILE)


def read_metrics(output_dir: Path) -> dict | None:
    """What the training step wrote beside the adapter, or None when it wrote nothing readable."""
    try:
        metrics = json.loads((Path(output_dir) / METRICS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return metrics if isinstance(metrics, dict) and metrics else None


class BackendUnavailable(RuntimeError):
    pass


def check_backend(backend: str) -> None:
    """Fail before loading anything when the backend cannot run here."""
    if backend not in BACKENDS:
        raise BackendUnavailable(f"unknown training backend {backend!r}; expected one of {BACKENDS}")
    if backend == "unsloth":
        import torch

        if not torch.cuda.is_available():
            raise BackendUnavailable(
                "the unsloth backend needs a CUDA GPU and none is visible here; use backend 'trl' "
                "(CPU or GPU), or run the training step on a GPU node (TrainingLauncher kind 'k8s')"
            )
        try:
            import unsloth  # noqa: F401
        except ImportError as err:
            raise BackendUnavailable(
                "the unsloth backend is not installed in this interpreter; it pins older "
                "transformers/trl/datasets, so install it in its own environment and point "
                f"TrainingLauncher.python at that interpreter ({err})"
            ) from err


def train_with_unsloth(base_model: Path, train_path: Path, output_dir: Path, config, progress) -> dict:
    """The GPU path: unsloth's patched model and DPO trainer (QLoRA 4-bit when bitsandbytes is there)."""
    import time

    from unsloth import FastLanguageModel, PatchDPOTrainer

    PatchDPOTrainer()
    import importlib.util

    from datasets import load_dataset
    from trl import DPOConfig, DPOTrainer

    started = time.perf_counter()
    model, tokenizer = FastLanguageModel.from_pretrained(
        model_name=str(base_model), max_seq_length=config.max_length,
        load_in_4bit=importlib.util.find_spec("bitsandbytes") is not None,
    )
    model = FastLanguageModel.get_peft_model(
        model, r=config.lora_rank, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
        target_modules=list(config.target_modules), random_state=config.seed,
    )
    dataset = load_dataset("json", data_files=str(train_path), split="train")
    args = DPOConfig(
        output_dir=str(output_dir / "checkpoints"), per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate, num_train_epochs=config.epochs, max_steps=config.max_steps,
        beta=config.beta, max_length=config.max_length, logging_steps=1, save_strategy="no", report_to=[],
        seed=config.seed, gradient_accumulation_steps=config.gradient_accumulation_steps,
    )
    trainer = DPOTrainer(model=model, ref_model=None, args=args, train_dataset=dataset, processing_class=tokenizer)
    result = trainer.train()
    model.save_pretrained(str(output_dir))
    tokenizer.save_pretrained(str(output_dir))
    import torch

    return {"final_loss": result.training_loss, "steps": result.global_step, "runtime_s": time.perf_counter() - started,
            "peak_gpu_memory_mb": torch.cuda.max_memory_allocated() / 2**20, "backend": "unsloth"}


def run(extras: dict, log, report) -> dict:
    from learning_pipeline.training.dpo import DPOTrainingConfig, train_dpo_lora

    backend = extras.get("backend", "trl")
    check_backend(backend)
    known = {f.name for f in fields(DPOTrainingConfig)}
    config = DPOTrainingConfig(**{k: (tuple(v) if k == "target_modules" else v)
                                  for k, v in extras.get("config", {}).items() if k in known})
    base, train_path, output_dir = Path(extras["base_model_path"]), Path(extras["train_path"]), Path(extras["output_dir"])

    def progress(entry: dict) -> None:
        if "loss" in entry:
            log(f"step {entry.get('step')}: loss {entry['loss']:.4f}, reward accuracy "
                f"{entry.get('rewards/accuracies', float('nan')):.3f}, margin {entry.get('rewards/margins', float('nan')):.4f}")

    if backend == "unsloth":
        metrics = train_with_unsloth(base, train_path, output_dir, config, progress)
    else:
        options = {}
        if extras.get("previous_adapter"):
            options["previous_adapter"] = Path(extras["previous_adapter"])
        if extras.get("ewc_lambda"):
            from learning_pipeline.training.anti_forgetting import EWCSettings

            options["ewc"] = EWCSettings(lambda_=float(extras["ewc_lambda"]),
                                         fisher_path=Path(extras["fisher_path"]) if extras.get("fisher_path") else None)
        metrics = train_dpo_lora(base, train_path, output_dir, config, progress=progress, **options)
        # Keep one running Fisher across versions beside each adapter, so the next version can
        # be anchored with EWC whenever its lambda is turned on.
        from learning_pipeline.training.anti_forgetting import FISHER_FILE, consolidate_fisher

        previous_fisher = Path(extras["previous_adapter"]) / FISHER_FILE if extras.get("previous_adapter") else None
        records = [json.loads(line) for line in train_path.read_text().splitlines() if line.strip()]
        consolidate_fisher(base, output_dir, records, previous_fisher if previous_fisher and previous_fisher.exists() else None,
                           beta=config.beta, max_length=config.max_length)
        log("running Fisher updated for EWC")
    summary = {k: v for k, v in metrics.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
    write_metrics(output_dir, summary)
    report(summary)
    return summary


def main() -> int:
    from dagster_pipes import open_dagster_pipes

    with open_dagster_pipes() as pipes:
        extras = dict(pipes.extras)
        pipes.log.info(f"training {extras.get('model')} v{extras.get('version')} with {extras.get('backend', 'trl')} "
                       f"on {extras.get('train_records')} pairs")
        try:
            summary = run(extras, pipes.log.info, lambda metrics: pipes.report_asset_materialization(metadata=metrics))
        except Exception as err:
            # The orchestrator only sees an exit code; leave the reason where it records failures.
            error_file = Path(extras["output_dir"]) / ERROR_FILE
            error_file.parent.mkdir(parents=True, exist_ok=True)
            error_file.write_text(f"{type(err).__name__}: {err}")
            raise
        pipes.log.info(f"done: {json.dumps(summary, default=str)[:500]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
