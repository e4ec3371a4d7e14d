"""Log-likelihoods of preference completions under a model, and the preference measures built on them.

Two ways to read a model's preference between the chosen and the rejected completion:

- **its own preference**: which completion the model itself finds more likely, per token
  (summed log-probability divided by the number of completion tokens, so a longer side is not
  penalised for its length). Defined for any model, the base included.
- **the DPO implicit reward**: beta * (log-ratio of policy to base on chosen - the same on
  rejected), the reward model DPO fits. It measures what an adapter *changed*; for the base
  itself it is 0 on every pair by construction.

Training (`dpo`, `anti_forgetting`: replay margins, the Fisher) and evaluation share this
module, so the tokenisation and the scoring are the same wherever a margin is computed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from learning_pipeline.training.tiny_model import load_base_model

# A sequence to score: its token ids and how many trailing tokens are the completion.
Scored = tuple[list[int], int]


@dataclass(frozen=True)
class CompletionLogps:
    """Per pair: summed completion log-probs of each side and how many tokens each sums over."""

    chosen: list[float]
    rejected: list[float]
    chosen_tokens: list[int]
    rejected_tokens: list[int]

    def likelihood_margins(self) -> list[float]:
        """Mean per-token log-prob of chosen minus that of rejected: > 0 when the model itself prefers chosen."""
        return [
            (c / nc if nc else 0.0) - (r / nr if nr else 0.0)
            for c, r, nc, nr in zip(self.chosen, self.rejected, self.chosen_tokens, self.rejected_tokens, strict=True)
        ]


def implicit_margins(policy: CompletionLogps, reference: CompletionLogps, beta: float) -> list[float]:
    """DPO implicit-reward margins: beta * [(policy - ref)(chosen) - (policy - ref)(rejected)], summed log-probs."""
    return [
        beta * ((pc - rc) - (pr - rr))
        for pc, rc, pr, rr in zip(policy.chosen, reference.chosen, policy.rejected, reference.rejected, strict=True)
    ]


def score_models(
    base_model_path: Path,
    records: list[dict],
    policies: Mapping[str, Path | None],
    batch_size: int = 16,
    max_length: int | None = None,
) -> dict[str, CompletionLogps]:
    """Completion log-probs of the base (key "base") and of each policy (LoRA adapter dir, full model dir, or None = the base).

    The base is loaded once: its scores are taken first, then each adapter is attached to it
    in turn, so scoring a champion and a candidate costs one base load, not three.
    """
    if not records:
        raise ValueError("no records to score")
    if "base" in policies:
        raise ValueError('"base" names the base model\'s own scores; label the policies otherwise')
    base = load_base_model(base_model_path)
    with threads_for(base.model):
        where = device()
        model = base.model.to(where).eval()
        chosen, rejected = encode_pairs(base.tokenizer, records, max_length)
        pad_id = pad_token_id(base.tokenizer)

        def scores(m) -> CompletionLogps:
            return CompletionLogps(
                chosen=sequence_logps(m, chosen, pad_id, batch_size),
                rejected=sequence_logps(m, rejected, pad_id, batch_size),
                chosen_tokens=[n for _, n in chosen],
                rejected_tokens=[n for _, n in rejected],
            )

        reference = scores(model)
        result: dict[str, CompletionLogps] = {}
        peft_model = None
        for index, (label, path) in enumerate(policies.items()):
            if path is None:
                result[label] = reference
                continue
            path = Path(path)
            if not (path / "adapter_config.json").is_file():  # a full model: scored on its own
                result[label] = scores(load_base_model(path).model.to(where).eval())
                continue
            name = f"policy{index}"
            if peft_model is None:
                from peft import PeftModel

                peft_model = PeftModel.from_pretrained(model, str(path), adapter_name=name)  # wraps the base in place
            else:
                peft_model.load_adapter(str(path), adapter_name=name)
            peft_model.set_adapter(name)
            result[label] = scores(peft_model.to(where).eval())
        return {"base": reference, **result}


def preference_accuracy(
    model_path_or_adapter: Path | None,
    base_model_path: Path,
    records: list[dict],
    beta: float = 0.1,
    batch_size: int = 16,
    max_length: int | None = None,
) -> dict:
    """DPO implicit-reward margins of a policy against the base model as reference.

    The policy is a LoRA adapter directory (applied on the base), a full model directory, or
    None for the base itself, whose margins are all 0 and whose accuracy is therefore 0.0 by
    definition (use `likelihood_accuracy` for the base's own preference).
    """
    scored = score_models(base_model_path, records, {"policy": model_path_or_adapter}, batch_size, max_length)
    margins = implicit_margins(scored["policy"], scored["base"], beta)
    return {
        "accuracy": sum(m > 0 for m in margins) / len(margins),
        "mean_margin": sum(margins) / len(margins),
        "margins": margins,
    }


def likelihood_accuracy(model_path: Path, records: list[dict], adapter: Path | None = None, batch_size: int = 16) -> float:
    """Share of records where the model (base, or base + adapter) itself prefers the chosen side per token."""
    scored = score_models(model_path, records, {"policy": adapter}, batch_size)
    margins = scored["policy"].likelihood_margins()
    return sum(m > 0 for m in margins) / len(margins)


# ---------------------------------------------------------------------------- encoding and log-probs


def encode_pairs(tokenizer, records: Sequence[dict], max_length: int | None) -> tuple[list[Scored], list[Scored]]:
    chosen = [_encode(tokenizer, r["prompt"], r["chosen"], max_length) for r in records]
    rejected = [_encode(tokenizer, r["prompt"], r["rejected"], max_length) for r in records]
    return chosen, rejected


def _encode(tokenizer, prompt, completion, max_length: int | None) -> Scored:
    """Tokenize prompt + completion the way TRL's DPOTrainer does, so margins match training."""
    if isinstance(prompt, list):  # conversational: render through the chat template
        prompt_ids = _chat_ids(tokenizer, prompt, add_generation_prompt=True)
        full_ids = _chat_ids(tokenizer, prompt + completion)
    else:  # plain text: TRL appends EOS to completions
        eos = tokenizer.eos_token or ""
        completion = completion if completion.endswith(eos) else completion + eos
        prompt_ids = tokenizer(prompt)["input_ids"]
        full_ids = tokenizer(prompt + completion)["input_ids"]
    # The completion starts where the two tokenizations diverge (a template may render the
    # prompt alone differently, or BPE may merge across the boundary).
    start = _common_prefix_length(prompt_ids, full_ids)
    if max_length is not None:
        full_ids = full_ids[:max_length]  # keep_start, as in training
    # The first token has no prediction, so at most len-1 tokens can be scored.
    return full_ids, max(0, min(len(full_ids) - start, len(full_ids) - 1))


def _chat_ids(tokenizer, messages: list[dict], add_generation_prompt: bool = False) -> list[int]:
    encoded = tokenizer.apply_chat_template(
        messages, add_generation_prompt=add_generation_prompt, tokenize=True, return_dict=True
    )
    return list(encoded["input_ids"])


def _common_prefix_length(ids: list[int], other: list[int]) -> int:
    n = 0
    for a, b in zip(ids, other):
        if a != b:
            break
        n += 1
    return n


def sequence_logps(model, sequences: list[Scored], pad_id: int, batch_size: int) -> list[float]:
    """Summed completion log-probs, batched.

    Sorting by length keeps padding low; `completion_logps` scores each batch.
    """
    import torch

    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i][0]))
    logps = [0.0] * len(sequences)
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            batch = order[begin : begin + batch_size]
            sums = completion_logps(model, [sequences[i] for i in batch], pad_id)
            for row, i in enumerate(batch):
                logps[i] = float(sums[row])
    return logps


def completion_logps(model, batch: list[Scored], pad_id: int):
    """Summed completion log-probs of one batch, as a tensor (differentiable unless the caller says not).

    Sequences are left-padded so every completion ends at the last position; then only the
    last (longest completion + 1) positions need logits (`logits_to_keep`), which keeps the
    vocab-sized logits tensor small for real models with long prompts.
    """
    import torch

    on = next(model.parameters()).device
    width = max(len(ids) for ids, _ in batch)
    keep = max(completion_len for _, completion_len in batch)
    if keep == 0:
        return torch.zeros(len(batch), device=on)  # nothing to score: all completions truncated away
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(batch), width), dtype=torch.long)
    scored = torch.zeros((len(batch), keep), dtype=torch.bool)
    for row, (ids, completion_len) in enumerate(batch):
        input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
        attention[row, width - len(ids) :] = 1
        scored[row, keep - completion_len :] = True
    # Positions count from each row's first real token, as they would unpadded.
    positions = (attention.cumsum(-1) - 1).clamp(min=0)
    logits = model(
        input_ids=input_ids.to(on),
        attention_mask=attention.to(on),
        position_ids=positions.to(on),
        logits_to_keep=keep + 1,
    ).logits[:, :-1]
    targets = input_ids[:, width - keep :].to(on)
    token_logps = torch.log_softmax(logits.float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    # masked_fill, not multiply: padded positions may hold NaN from fully masked rows.
    return token_logps.masked_fill(~scored.to(on), 0.0).sum(-1)


def pad_token_id(tokenizer) -> int:
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    return int(pad if pad is not None else 0)


def device():
    """Where scoring and the Fisher run: the GPU when there is one."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


# Matrices of a model this narrow are too small to split across CPU threads: the threads mostly
# wait for each other, and on a shared machine they spin against other processes. Scoring 200
# held-out pairs with the demo's tiny Llama took 7 s of CPU on one thread and 25 s on two
# (load average 8 on 2 cores); a 60-step DPO run 127 s on one thread (LoRA on every linear layer)
# against 533 s on two (attention only), at the same load.
SINGLE_THREAD_BELOW_HIDDEN = 512


def fit_threads(model) -> None:
    """One CPU thread for a tiny model (see SINGLE_THREAD_BELOW_HIDDEN); real models keep torch's default."""
    import torch

    hidden = getattr(getattr(model, "config", None), "hidden_size", None)
    if not torch.cuda.is_available() and hidden is not None and hidden < SINGLE_THREAD_BELOW_HIDDEN:
        torch.set_num_threads(1)


@contextlib.contextmanager
def threads_for(model):
    """`fit_threads` for the length of a block, for a process that goes on to other work: the
    Dagster process scores held-out pairs in process, then embeds patterns with MiniLM, which
    wants every core (one thread left behind made the demo's second pattern refresh 2x slower)."""
    import torch

    before = torch.get_num_threads()
    fit_threads(model)
    try:
        yield
    finally:
        torch.set_num_threads(before)
