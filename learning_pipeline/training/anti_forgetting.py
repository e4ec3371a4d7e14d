"""Keep what earlier adapter versions learned while training the next one.

Each shadow-model version is a LoRA adapter trained with DPO on the newest preference
pairs. Three things keep version n+1 from forgetting what versions 1..n learned:

- **Continuation**: the new adapter starts from the previous version's weights instead of
  a fresh zero-initialised LoRA.
- **EWC** (elastic weight consolidation, Kirkpatrick et al. 2017): the loss gets
  `(lambda/2) * sum_i F_i (theta_i - theta_prev_i)^2` over the LoRA parameters, so weights
  that mattered to earlier preferences (high diagonal Fisher F) move little. The Fisher is
  normalised to mean 1 before use, so lambda has one usable scale (see `EWCSettings`). One running
  Fisher is kept across versions (online EWC, Schwarz et al. 2018): F <- decay * F + F_new,
  stored next to each adapter as `fisher.safetensors`.
- **Experience replay**: a share of earlier training pairs is mixed into the new training
  set, the ones the previous adapter separates worst first.

The reference model stays the base with the adapter switched off for every version, as in
a first training run, so implicit-reward margins mean the same thing across versions and
match `preference_accuracy` (see `continuation_trainer`).
"""

from __future__ import annotations

import functools
import json
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from learning_pipeline.config import DPOTrainingConfig
from learning_pipeline.training.scoring import (
    completion_logps,
    device,
    encode_pairs,
    fit_threads,
    pad_token_id,
    preference_accuracy,
)
from learning_pipeline.training.tiny_model import load_base_model

FISHER_FILE = "fisher.safetensors"


@dataclass(frozen=True)
class EWCSettings:
    """EWC strength and where the previous versions' Fisher lives.

    The penalty uses the Fisher divided by its mean over all LoRA entries (`normalise_fisher`).
    The raw Fisher of a tiny adapter that fits its pairs well is ~1e-4 and shrinks the better it
    fits (a saturated sigmoid has small gradients), so a raw lambda had to reach ~1e6 to do
    anything and its effect depended on how well the previous version happened to fit. With the
    mean-1 Fisher, `lambda_` weighs the importance-weighted squared shift of the adapter against
    the DPO loss (about 0.69 at the start of a run): lambda = 1 makes a shift whose weighted
    squared length is 1 cost as much as that loss. What the default is, and why, comes from
    `bench/bench_forgetting.py` (see `TrainingSettings.ewc_lambda`).
    """

    lambda_: float = 0.0  # 0 disables the penalty
    fisher_path: Path | None = None  # default: `fisher.safetensors` in the previous adapter

    def __post_init__(self):
        if not (self.lambda_ >= 0 and math.isfinite(self.lambda_)):
            raise ValueError(f"EWC lambda must be a finite number >= 0, got {self.lambda_}")


# ---------------------------------------------------------------------------- LoRA parameters


def lora_parameters(peft_model) -> dict:
    """The trainable LoRA parameters of a PEFT model, keyed as in its `adapter_model.safetensors`.

    peft drops the adapter name from saved keys (`...q_proj.lora_A.default.weight` is saved
    as `...q_proj.lora_A.weight`); keying the Fisher the same way keeps it valid for every
    version, whatever the adapter is called in memory.
    """
    adapter = f".{peft_model.active_adapter}."
    return {
        name.replace(adapter, "."): param
        for name, param in peft_model.named_parameters()
        if param.requires_grad and ".lora_" in name and adapter in name
    }


def lora_snapshot(peft_model) -> dict:
    """Detached copies of the LoRA parameters (the `theta_prev` EWC and the shift metric compare against)."""
    return {key: param.detach().clone() for key, param in lora_parameters(peft_model).items()}


def adapter_shift_l2(before: Mapping, after: Mapping) -> float:
    """L2 distance between two versions' LoRA weights (over the parameters both have)."""
    shared = before.keys() & after.keys()
    if not shared:
        raise ValueError("the two adapters share no LoRA parameters")
    return math.sqrt(sum(float((after[k].float() - before[k].float()).pow(2).sum()) for k in shared))


def ewc_penalty(params: Mapping, anchor: Mapping, fisher: Mapping, lambda_: float):
    """(lambda/2) * sum_i F_i (theta_i - theta_prev_i)^2 over the parameters the Fisher covers."""
    import torch

    total = torch.zeros((), device=next(iter(params.values())).device)
    for key, param in params.items():
        if key in fisher:
            total = total + (fisher[key] * (param.float() - anchor[key]).pow(2)).sum()
    return 0.5 * lambda_ * total


# ---------------------------------------------------------------------------- Fisher


def estimate_fisher(
    base_model_path: Path,
    adapter_path: Path,
    records: list[dict],
    beta: float = 0.1,
    max_records: int = 64,
    batch_size: int = 8,
    max_length: int | None = None,
    seed: int = 0,
) -> dict:
    """Diagonal Fisher of an adapter's LoRA parameters on the preference pairs it was trained on.

    F_i = mean over records of (d loss_dpo / d theta_i)^2, with policy = base + adapter and
    reference = base with the adapter disabled, as in training. Why the DPO loss and not the
    chosen log-likelihood: DPO fits a Bradley-Terry model p(chosen > rejected) =
    sigmoid(margin), and its loss is that model's negative log-likelihood, so these are the
    (empirical) Fisher of exactly what the adapter was trained to encode - the preferences.
    The chosen log-likelihood's Fisher would instead protect how the adapter shifts token
    probabilities in general, most of which DPO doesn't care about. Pairs the adapter already
    separates by a wide margin have small gradients and so contribute little; that is the
    Fisher being honest about a saturated sigmoid, not a bug.

    Per-record gradients are needed (the square of a batch-mean gradient is not the mean of
    squares): a batch shares one forward pass and is differentiated record by record.
    At most `max_records` records are used, a seeded sample when there are more.
    """
    import torch
    import torch.nn.functional as F
    from peft import PeftModel

    if not records:
        raise ValueError("no records to estimate the Fisher on")
    if len(records) > max_records:
        records = random.Random(seed).sample(list(records), max_records)

    base = load_base_model(base_model_path)
    fit_threads(base.model)
    policy = PeftModel.from_pretrained(base.model, str(adapter_path), is_trainable=True).to(device()).eval()
    params = lora_parameters(policy)
    chosen, rejected = encode_pairs(base.tokenizer, records, max_length)
    pad_id = pad_token_id(base.tokenizer)

    squared_sums = {key: torch.zeros_like(param, dtype=torch.float32) for key, param in params.items()}
    for begin in range(0, len(records), batch_size):
        batch_chosen, batch_rejected = chosen[begin : begin + batch_size], rejected[begin : begin + batch_size]
        with torch.no_grad(), policy.disable_adapter():
            ref_chosen = completion_logps(policy, batch_chosen, pad_id)
            ref_rejected = completion_logps(policy, batch_rejected, pad_id)
        margins = beta * (
            (completion_logps(policy, batch_chosen, pad_id) - ref_chosen)
            - (completion_logps(policy, batch_rejected, pad_id) - ref_rejected)
        )
        losses = -F.logsigmoid(margins)
        for row in range(len(losses)):
            grads = torch.autograd.grad(
                losses[row], list(params.values()), retain_graph=row < len(losses) - 1, allow_unused=True
            )
            for key, grad in zip(params, grads, strict=True):
                if grad is not None:
                    squared_sums[key] += grad.float().pow(2)
    return {key: (total / len(records)).cpu() for key, total in squared_sums.items()}


def combine_fisher(running: Mapping | None, new: Mapping, decay: float = 1.0) -> dict:
    """Online-EWC accumulation: decay * running + new for parameters both have.

    A parameter only the running Fisher has (an older version's LoRA layout) keeps its
    decayed value; one only the new Fisher has is added as it is. decay < 1 lets old
    versions' constraints fade so the adapter doesn't stiffen without bound.
    """
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1], got {decay}")
    combined = {key: decay * value for key, value in (running or {}).items()}
    for key, value in new.items():
        if key in combined and combined[key].shape != value.shape:
            raise ValueError(
                f"Fisher for {key} has shape {tuple(value.shape)}, running one {tuple(combined[key].shape)}"
            )
        combined[key] = combined[key] + value if key in combined else value.clone()
    return combined


def save_fisher(fisher: Mapping, path: Path) -> Path:
    from safetensors.torch import save_file

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({key: value.detach().float().contiguous().cpu() for key, value in fisher.items()}, str(path))
    return path


def load_fisher(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(path))


def consolidate_fisher(
    base_model_path: Path,
    adapter_dir: Path,
    records: list[dict],
    previous_fisher: Path | None = None,
    decay: float = 1.0,
    beta: float = 0.1,
    max_records: int = 64,
    max_length: int | None = None,
) -> Path:
    """After training a version: fold its Fisher into the running one and store it next to the adapter."""
    running = load_fisher(previous_fisher) if previous_fisher is not None else None
    new = estimate_fisher(base_model_path, adapter_dir, records, beta=beta, max_records=max_records, max_length=max_length)
    return save_fisher(combine_fisher(running, new, decay), Path(adapter_dir) / FISHER_FILE)


# ---------------------------------------------------------------------------- training


def continuation_trainer(
    base_model,
    previous_adapter: Path,
    config: DPOTrainingConfig,
    ewc: EWCSettings | None = None,
    **trainer_kwargs,
):
    """A DPOTrainer whose adapter starts from `previous_adapter`, with the EWC penalty when `ewc` asks for it.

    `trainer_kwargs` are DPOTrainer's (args, train_dataset, processing_class, callbacks).
    """
    from peft import PeftModel
    from trl import DPOTrainer

    previous_adapter = Path(previous_adapter)
    _check_same_lora_layout(previous_adapter, config)
    model = PeftModel.from_pretrained(base_model, str(previous_adapter), is_trainable=True)
    if ewc is not None and ewc.lambda_ > 0:
        fisher_path = Path(ewc.fisher_path or previous_adapter / FISHER_FILE)
        if not fisher_path.is_file():
            raise FileNotFoundError(
                f"no Fisher at {fisher_path}; run consolidate_fisher on the previous version "
                "or pass EWCSettings(fisher_path=...)"
            )
        trainer = _ewc_trainer_class()(
            model=model, ewc_lambda=ewc.lambda_, fisher=load_fisher(fisher_path), **trainer_kwargs
        )
    elif ewc is not None:
        trainer = _ewc_trainer_class()(model=model, ewc_lambda=0.0, fisher={}, **trainer_kwargs)
    else:
        trainer = DPOTrainer(model=model, **trainer_kwargs)
    _use_base_as_reference(trainer)
    return trainer


def _use_base_as_reference(trainer) -> None:
    """Make the reference the base model again, as it is for a first version.

    Given an already-PEFT model and no ref_model, TRL 1.16 (with peft >= 0.20) adds a frozen
    copy of the loaded adapter named "ref" and scores the reference through it, i.e. it
    would measure version n+1's implicit rewards against version n. That restarts every
    pair at margin 0, so pairs version n already learned get pushed again, and margins
    would no longer be comparable across versions or with `preference_accuracy`. Without a
    "ref" adapter TRL falls back to disabling the adapter (`use_adapter(model, None)`). The
    copy would also be saved as a `ref/` sub-adapter by `save_pretrained`.
    """
    model = trainer.accelerator.unwrap_model(trainer.model)
    if "ref" in model.peft_config:
        model.delete_adapter("ref")  # "ref" was never active: the continued adapter stays active and trainable


def _check_same_lora_layout(previous_adapter: Path, config: DPOTrainingConfig) -> None:
    """A continued adapter keeps its shape; a config asking for another one is a mistake worth stopping on."""
    saved = json.loads((previous_adapter / "adapter_config.json").read_text())
    wanted = {"r": config.lora_rank, "lora_alpha": config.lora_alpha, "target_modules": set(config.target_modules)}
    found = {
        "r": saved.get("r"),
        "lora_alpha": saved.get("lora_alpha"),
        "target_modules": set(saved.get("target_modules") or []),
    }
    if wanted != found:
        raise ValueError(f"previous adapter {previous_adapter} has LoRA layout {found}, config asks for {wanted}")


@functools.cache
def _ewc_trainer_class():
    # Built on first use so importing this module doesn't import trl/transformers.
    import torch
    from trl import DPOTrainer

    class EWCDPOTrainer(DPOTrainer):
        """DPOTrainer whose loss adds the EWC penalty, logged per step as `ewc_penalty`."""

        def __init__(self, *args, ewc_lambda: float, fisher: Mapping, **kwargs):
            super().__init__(*args, **kwargs)
            self.ewc_lambda = ewc_lambda
            # theta_prev: the weights the adapter was just loaded with, i.e. the previous version.
            self.ewc_params = lora_parameters(self.accelerator.unwrap_model(self.model))
            self.ewc_anchor = {key: param.detach().float().clone() for key, param in self.ewc_params.items()}
            self.ewc_fisher = _fisher_for(self.ewc_params, fisher) if ewc_lambda > 0 else {}

        def current_penalty(self):
            if self.ewc_lambda == 0:
                return torch.zeros((), device=self.accelerator.device)
            return ewc_penalty(self.ewc_params, self.ewc_anchor, self.ewc_fisher, self.ewc_lambda)

        # Same signature as trl 1.16's DPOTrainer.compute_loss.
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            result = super().compute_loss(
                model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch
            )
            loss, outputs = result if return_outputs else (result, None)
            penalty = self.current_penalty()
            # TRL averages everything in `_metrics` into the next log entry, next to its own
            # rewards/* metrics, so the penalty reaches `progress` and the log history.
            mode = "train" if self.model.training else "eval"
            self._metrics[mode]["ewc_penalty"].append(float(penalty.detach()))
            loss = loss + penalty
            return (loss, outputs) if return_outputs else loss

    return EWCDPOTrainer


def _fisher_for(params: Mapping, fisher: Mapping) -> dict:
    """The Fisher entries for these parameters, on their device; a Fisher from another layout is refused."""
    shared = params.keys() & fisher.keys()
    if not shared:
        raise ValueError("the Fisher covers none of the adapter's LoRA parameters (estimated for another layout?)")
    for key in shared:
        if tuple(fisher[key].shape) != tuple(params[key].shape):
            raise ValueError(
                f"Fisher for {key} has shape {tuple(fisher[key].shape)}, parameter {tuple(params[key].shape)}"
            )
    return normalise_fisher({key: fisher[key].float().to(params[key].device) for key in shared})


def normalise_fisher(fisher: Mapping) -> dict:
    """The Fisher divided by its mean entry (so the mean is 1); an all-zero Fisher stays zero."""
    entries = sum(value.numel() for value in fisher.values())
    total = sum(float(value.sum()) for value in fisher.values())
    if entries == 0 or total <= 0:
        return dict(fisher)
    scale = entries / total
    return {key: value * scale for key, value in fisher.items()}


# ---------------------------------------------------------------------------- replay


def select_replay(
    previous_pairs: list[dict],
    margins: list[float] | None,
    share: float,
    n_new: int,
    seed: int = 0,
) -> list[dict]:
    """Earlier training pairs to mix into a new version's training set.

    Takes round(share * n_new) pairs, at most all of them. With the previous adapter's
    implicit-reward margins, the lowest margins come first: the pairs it separates worst are
    the ones most at risk of being forgotten, while wide-margin pairs survive on their own
    (and, with EWC, are protected through the Fisher anyway). Equal margins are ordered by
    a seeded shuffle. Without margins, a seeded uniform sample.
    """
    if share < 0 or n_new < 0:
        raise ValueError(f"share and n_new must be >= 0, got {share} and {n_new}")
    if margins is not None and len(margins) != len(previous_pairs):
        raise ValueError(f"{len(margins)} margins for {len(previous_pairs)} previous pairs")
    count = min(round(share * n_new), len(previous_pairs))
    rng = random.Random(seed)
    if margins is None:
        return [previous_pairs[i] for i in rng.sample(range(len(previous_pairs)), count)]
    tie_break = list(range(len(previous_pairs)))
    rng.shuffle(tie_break)
    order = sorted(range(len(previous_pairs)), key=lambda i: (margins[i], tie_break[i]))
    return [previous_pairs[i] for i in order[:count]]


def replay_margins(
    previous_adapter: Path, base_model_path: Path, previous_pairs: list[dict], beta: float = 0.1,
    max_length: int | None = None,
) -> list[float]:
    """The previous adapter's implicit-reward margin on each earlier pair (against the base), for
    `select_replay`; `max_length` as in training, so a pair is scored on the tokens it was trained on."""
    return preference_accuracy(previous_adapter, base_model_path, previous_pairs, beta=beta, max_length=max_length)["margins"]


__all__ = [
    "FISHER_FILE",
    "EWCSettings",
    "adapter_shift_l2",
    "combine_fisher",
    "consolidate_fisher",
    "continuation_trainer",
    "estimate_fisher",
    "ewc_penalty",
    "load_fisher",
    "lora_parameters",
    "lora_snapshot",
    "normalise_fisher",
    "replay_margins",
    "save_fisher",
    "select_replay",
]
