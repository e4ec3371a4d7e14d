"""DPO LoRA training on preference pairs (the metrics that judge an adapter live in `scoring`).

Training goes through TRL's `DPOTrainer` with a PEFT LoRA adapter: only the adapter is
trained and saved, and the reference model is the base with the adapter switched off, so
one copy of the base weights serves both. Records are TRL conversational preference
records: `{"prompt": [messages], "chosen": [messages], "rejected": [messages]}`.
"""

from __future__ import annotations

import contextlib
import json
import math
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from learning_pipeline.config import DPOTrainingConfig  # hyperparameters live in one place: config.py
from learning_pipeline.training.anti_forgetting import (
    EWCSettings,
    adapter_shift_l2,
    continuation_trainer,
    lora_snapshot,
)
from learning_pipeline.training.scoring import fit_threads
from learning_pipeline.training.tiny_model import load_base_model

TRAINING_MANIFEST = "dpo_training.json"


def qlora_quantization(config: DPOTrainingConfig):
    """A 4-bit BitsAndBytes config when QLoRA can run here, else None (plain LoRA): bitsandbytes
    4-bit kernels need CUDA, so on CPU the same run trains a LoRA adapter on full weights."""
    import importlib.util

    import torch

    if not (config.qlora and torch.cuda.is_available() and importlib.util.find_spec("bitsandbytes")):
        return None
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


# ---------------------------------------------------------------------------- training


def train_dpo_lora(
    base_model_path: Path,
    train_records: list[dict] | Path,
    output_dir: Path,
    config: DPOTrainingConfig,
    progress: Callable[[dict], None] | None = None,
    previous_adapter: Path | None = None,
    ewc: EWCSettings | None = None,
) -> dict:
    """Train a DPO LoRA adapter on `base_model_path` and save adapter + tokenizer into `output_dir`.

    `progress` receives every training log (one per optimizer step: step, loss,
    rewards/accuracies, rewards/margins, ...). Returns the run's metrics.

    `previous_adapter` continues the previous version's adapter instead of starting a fresh
    one (its LoRA layout must match `config`); `ewc` adds the EWC penalty that keeps it near
    the previous weights (see `anti_forgetting`). Such runs also report `ewc_lambda`,
    `ewc_penalty_final` and `adapter_shift_l2`.
    """
    if ewc is not None and ewc.lambda_ > 0 and previous_adapter is None:
        raise ValueError("EWC anchors the adapter to a previous version: pass previous_adapter")
    import torch
    from peft import LoraConfig
    from transformers import PrinterCallback
    from trl import DPOConfig, DPOTrainer

    output_dir = Path(output_dir)
    use_cuda = torch.cuda.is_available()
    with contextlib.ExitStack() as scope:
        dataset = _load_records(train_records, scope)
        quantization = qlora_quantization(config)
        base = load_base_model(base_model_path, quantization_config=quantization)
        fit_threads(base.model)
        if quantization is not None:
            from peft import prepare_model_for_kbit_training

            base = base._replace(model=prepare_model_for_kbit_training(base.model, use_gradient_checkpointing=False))
        args = DPOConfig(
            output_dir=str(output_dir),
            per_device_train_batch_size=config.batch_size,
            gradient_accumulation_steps=config.gradient_accumulation_steps,
            num_train_epochs=config.epochs,
            max_steps=config.max_steps,
            learning_rate=config.learning_rate,
            warmup_steps=config.warmup_ratio,  # transformers 5: a float below 1 is a share of the steps
            beta=config.beta,
            max_length=config.max_length,
            seed=config.seed,
            # A curriculum (meta/curriculum.py) is only a curriculum if the sampler keeps its order.
            train_sampling_strategy="random" if config.shuffle else "sequential",
            # TRL turns checkpointing on by default; LoRA on small models doesn't need the
            # recompute, and transformers 5 reads the new name, not `gradient_checkpointing`.
            activation_checkpointing=False,
            # TRL defaults bf16=True, which TrainingArguments rejects on a CPU-only host.
            use_cpu=not use_cuda,
            bf16=use_cuda and torch.cuda.is_bf16_supported(),
            report_to=[],
            save_strategy="no",  # the adapter is saved once, below
            logging_strategy="steps",
            logging_steps=1,
            disable_tqdm=True,
        )
        trainer_kwargs = dict(
            args=args,
            train_dataset=dataset,
            processing_class=base.tokenizer,
            callbacks=[_progress_callback(progress)] if progress else None,
        )
        if previous_adapter is None:
            peft_config = LoraConfig(
                task_type="CAUSAL_LM",
                r=config.lora_rank,
                lora_alpha=config.lora_alpha,
                lora_dropout=config.lora_dropout,
                target_modules=list(config.target_modules),
            )
            trainer = DPOTrainer(model=base.model, peft_config=peft_config, **trainer_kwargs)
        else:
            trainer = continuation_trainer(base.model, previous_adapter, config, ewc, **trainer_kwargs)
            previous_weights = lora_snapshot(trainer.accelerator.unwrap_model(trainer.model))
        # Logs go to `progress` and the returned history, not to stdout.
        trainer.remove_callback(PrinterCallback)

        prepared = trainer.train_dataset  # tokenized; prompts that fill max_length are dropped
        train_samples, dropped_samples = len(prepared), len(dataset) - len(prepared)
        tokens_per_epoch = _tokens_per_epoch(prepared, config.max_length)  # before the Arrow cache goes

        started = time.perf_counter()
        result = trainer.train()
        runtime_s = time.perf_counter() - started

        output_dir.mkdir(parents=True, exist_ok=True)
        adapter = trainer.accelerator.unwrap_model(trainer.model)
        adapter.save_pretrained(output_dir)
        base.tokenizer.save_pretrained(output_dir)
        if previous_adapter is not None:
            shift_l2 = adapter_shift_l2(previous_weights, lora_snapshot(adapter))

    step_logs = [entry for entry in trainer.state.log_history if "loss" in entry]
    quantized = quantization is not None
    epochs_done = float(trainer.state.epoch or 0.0)
    estimated_tokens = tokens_per_epoch * epochs_done
    # TRL counts the non-padding tokens it fed the policy; the estimate covers runs too
    # short to have logged it.
    tokens_seen = int(step_logs[-1].get("num_tokens", estimated_tokens)) if step_logs else int(estimated_tokens)
    metrics = {
        "final_loss": step_logs[-1]["loss"] if step_logs else None,
        "first_loss": step_logs[0]["loss"] if step_logs else None,
        "train_loss": result.training_loss,  # mean over the run
        "steps": result.global_step,
        "epochs": epochs_done,
        "runtime_s": runtime_s,
        "train_samples": train_samples,
        "dropped_samples": dropped_samples,
        "tokens_seen": tokens_seen,
        "tokens_per_s": tokens_seen / runtime_s if runtime_s > 0 else 0.0,
        "peak_rss_mb": peak_rss_mb(),
        "device": "cuda" if use_cuda else "cpu",
        "adapter_kind": "qlora-4bit" if quantized else "lora",
        "log_history": step_logs,
    }
    if previous_adapter is not None or ewc is not None:
        metrics["ewc_lambda"] = ewc.lambda_ if ewc is not None else 0.0
        metrics["ewc_penalty_final"] = step_logs[-1].get("ewc_penalty", 0.0) if step_logs else None
    if previous_adapter is not None:
        metrics["adapter_shift_l2"] = shift_l2
    manifest = {"base_model_path": str(base_model_path), "config": asdict(config), "metrics": metrics}
    if previous_adapter is not None or ewc is not None:
        manifest["previous_adapter"] = str(previous_adapter) if previous_adapter is not None else None
        manifest["ewc"] = asdict(ewc) if ewc is not None else None
    (output_dir / TRAINING_MANIFEST).write_text(json.dumps(manifest, indent=2, default=str))
    return metrics


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (the training step runs in its own process)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def _load_records(train_records: list[dict] | Path, scope: contextlib.ExitStack):
    import datasets

    if isinstance(train_records, (str, Path)):
        # The Arrow cache lives only as long as the run: exports are re-read per run, and a
        # shared ~/.cache would grow with every training job.
        cache_dir = scope.enter_context(tempfile.TemporaryDirectory(prefix="dpo-records-"))
        dataset = datasets.load_dataset("json", data_files=str(train_records), split="train", cache_dir=cache_dir)
    else:
        dataset = datasets.Dataset.from_list(list(train_records))
    if len(dataset) == 0:
        raise ValueError("no preference records to train on")
    missing = {"prompt", "chosen", "rejected"} - set(dataset.column_names)
    if missing:
        raise ValueError(f"preference records lack {sorted(missing)}; expected TRL prompt/chosen/rejected records")
    return dataset


def _tokens_per_epoch(prepared, max_length: int | None) -> int:
    cap = max_length or math.inf
    total = 0
    for prompt, chosen, rejected in zip(prepared["prompt_ids"], prepared["chosen_ids"], prepared["rejected_ids"]):
        total += min(len(prompt) + len(chosen), cap) + min(len(prompt) + len(rejected), cap)
    return int(total)


def _progress_callback(report: Callable[[dict], None]):
    """A TrainerCallback forwarding each training log to `report` (a Pipes reporter, a test, ...)."""
    # Defined here so importing this module (e.g. for the config) doesn't import transformers.
    from transformers import TrainerCallback

    class ProgressCallback(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and state.is_world_process_zero:
                report({"step": state.global_step, **logs})

    return ProgressCallback()


__all__ = [
    "DPOTrainingConfig",
    "TRAINING_MANIFEST",
    "peak_rss_mb",
    "train_dpo_lora",
]
