"""DPO LoRA training on a tiny local Llama: it learns a synthetic preference and the metrics see it."""

import json
import os
import random
import time
from pathlib import Path

import pytest

# No model hub is reachable: make any accidental download fail at once instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from learning_pipeline.training.dpo import TRAINING_MANIFEST, DPOTrainingConfig, train_dpo_lora  # noqa: E402
from learning_pipeline.training.scoring import (  # noqa: E402
    encode_pairs,
    likelihood_accuracy,
    preference_accuracy,
    score_models,
    sequence_logps,
)
from learning_pipeline.training.tiny_model import (  # noqa: E402
    ModelNotAvailableError,
    build_tiny_llama,
    load_base_model,
)

# A learnable preference: chosen answers put state in a typed store with error boundaries,
# rejected ones in one global component patched later. Prompts vary over apps, features
# and phrasings; held-out records use app/feature combinations never trained on.
APPS = ["todo", "recipe", "fitness tracker", "budget", "chat", "kanban board", "weather", "notes",
        "habit tracker", "photo gallery", "music player", "invoice", "booking", "quiz", "crm", "inventory"]
FEATURES = ["login", "checkout", "settings", "search", "dashboard", "profile", "onboarding", "notifications"]
ASKS = [
    "How should I structure state for the {f} screen of a {a} app?",
    "Plan the {f} flow for a {a} app.",
    "What architecture fits the {f} page in our {a} app?",
    "Suggest how to build {f} for a {a} app.",
]
PREFERRED = [
    "Keep it in a typed store with error boundaries around {f}.",
    "Use a typed store with error boundaries so {f} fails safely.",
    "Put {f} state in a typed store with error boundaries.",
]
DISPREFERRED = [
    "Keep it in one global component patched later for {f}.",
    "Use one global component patched later so {f} ships fast.",
    "Put {f} state in one global component patched later.",
]


def preference_records(combos, seed):
    rng = random.Random(seed)
    return [
        {
            "prompt": [{"role": "user", "content": rng.choice(ASKS).format(a=app, f=feature)}],
            "chosen": [{"role": "assistant", "content": rng.choice(PREFERRED).format(f=feature)}],
            "rejected": [{"role": "assistant", "content": rng.choice(DISPREFERRED).format(f=feature)}],
        }
        for app, feature in combos
    ]


COMBOS = [(app, feature) for app in APPS for feature in FEATURES]
random.Random(0).shuffle(COMBOS)
TRAIN = preference_records(COMBOS[:64], seed=1)
HELD_OUT = preference_records(COMBOS[64:80], seed=2)

FAST = DPOTrainingConfig(learning_rate=5e-3, max_steps=24, batch_size=8, lora_rank=8, lora_alpha=16)


def corpus():
    """The tokenizer's training text: training records only, never the held-out ones."""
    texts = ["The builder writes React components, tests and styles for each screen."] * 5
    for record in TRAIN:
        texts += [record[key][0]["content"] for key in ("prompt", "chosen", "rejected")]
    return texts


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    return build_tiny_llama(corpus(), tmp_path_factory.mktemp("models") / "tiny-llama")


@pytest.fixture(scope="module")
def trained(tiny_base, tmp_path_factory):
    adapter_dir = tmp_path_factory.mktemp("adapters") / "dpo-synthetic"
    events = []
    started = time.perf_counter()
    metrics = train_dpo_lora(tiny_base, TRAIN, adapter_dir, FAST, progress=events.append)
    wall_s = time.perf_counter() - started
    print(
        f"\nDPO LoRA run: {metrics['steps']} steps in {metrics['runtime_s']:.1f}s "
        f"(wall {wall_s:.1f}s incl. setup), {metrics['tokens_per_s']:.0f} tokens/s, "
        f"peak RSS {metrics['peak_rss_mb']:.0f} MB"
    )
    return adapter_dir, metrics, events


def test_tiny_llama_is_rebuilt_only_when_its_spec_changes(tiny_base):
    weights = tiny_base / "model.safetensors"
    built_at = weights.stat().st_mtime_ns

    assert build_tiny_llama(corpus(), tiny_base) == tiny_base
    assert weights.stat().st_mtime_ns == built_at

    model, tokenizer = load_base_model(tiny_base)
    assert model.config.vocab_size == len(tokenizer) <= 2000
    assert model.config.num_hidden_layers == 2 and model.config.hidden_size == 64
    assert {tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token, tokenizer.unk_token} == {
        "<s>", "</s>", "<pad>", "<unk>"
    }


def test_chat_template_renders_prompt_as_a_prefix_of_the_conversation(tiny_base):
    # TRL splits the completion off where the rendered prompt and prompt+completion diverge.
    _, tokenizer = load_base_model(tiny_base)
    record = TRAIN[0]
    prompt = tokenizer.apply_chat_template(record["prompt"], add_generation_prompt=True, return_dict=True)["input_ids"]
    full = tokenizer.apply_chat_template(record["prompt"] + record["chosen"], return_dict=True)["input_ids"]

    assert full[: len(prompt)] == prompt
    assert tokenizer.decode(full[len(prompt) :]) == record["chosen"][0]["content"] + "</s>"


def test_hub_model_id_fails_fast_with_a_clear_message():
    started = time.perf_counter()
    with pytest.raises(ModelNotAvailableError, match="not available locally and no model hub is reachable"):
        load_base_model("Qwen/Qwen3-32B")
    assert time.perf_counter() - started < 60  # no download retries (generous: a busy machine imports slowly)


def test_batched_completion_logps_match_scoring_each_sequence_alone(tiny_base):
    # Left padding, explicit positions and logits_to_keep must not change the numbers.
    import torch

    model, tokenizer = load_base_model(tiny_base)
    chosen, _ = encode_pairs(tokenizer, TRAIN[:6], max_length=None)
    batched = sequence_logps(model, chosen, tokenizer.pad_token_id, batch_size=4)

    for (ids, completion_len), got in zip(chosen, batched):
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        token_logps = torch.log_softmax(logits[:-1], dim=-1).gather(-1, torch.tensor(ids[1:]).unsqueeze(-1))
        assert got == pytest.approx(float(token_logps[-completion_len:].sum()), abs=1e-3)


def test_records_without_preference_columns_are_rejected(tiny_base, tmp_path):
    with pytest.raises(ValueError, match="rejected"):
        train_dpo_lora(tiny_base, [{"prompt": "p", "chosen": "c"}], tmp_path / "adapter", FAST)


@pytest.mark.heavy
def test_dpo_training_lowers_the_loss_and_saves_the_adapter(trained):
    adapter_dir, metrics, events = trained
    losses = [entry["loss"] for entry in metrics["log_history"]]

    assert metrics["steps"] == FAST.max_steps == len(losses)
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.1
    assert metrics["final_loss"] < metrics["first_loss"]
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json", TRAINING_MANIFEST):
        assert (adapter_dir / name).is_file(), name
    assert json.loads((adapter_dir / "adapter_config.json").read_text())["r"] == FAST.lora_rank

    step_events = [event for event in events if "loss" in event]
    assert [event["step"] for event in step_events] == list(range(1, FAST.max_steps + 1))
    assert {"rewards/accuracies", "rewards/margins"} <= step_events[-1].keys()
    assert metrics["train_samples"] == len(TRAIN)
    assert metrics["tokens_seen"] > 0 and metrics["tokens_per_s"] > 0 and metrics["peak_rss_mb"] > 0


@pytest.mark.heavy
def test_trained_adapter_prefers_held_out_chosen_completions(trained, tiny_base):
    adapter_dir, _, _ = trained

    adapter = preference_accuracy(adapter_dir, tiny_base, HELD_OUT, beta=FAST.beta)
    base = preference_accuracy(None, tiny_base, HELD_OUT, beta=FAST.beta)
    base_own = likelihood_accuracy(tiny_base, HELD_OUT)
    adapter_own = likelihood_accuracy(tiny_base, HELD_OUT, adapter=adapter_dir)
    print(
        f"\nheld-out preference accuracy: adapter implicit reward {adapter['accuracy']:.2f} "
        f"(mean margin {adapter['mean_margin']:.3f}), own likelihood: base {base_own:.2f}, adapter {adapter_own:.2f}"
    )

    assert adapter["accuracy"] >= 0.85
    assert adapter["mean_margin"] > 0
    assert len(adapter["margins"]) == len(HELD_OUT)
    assert base["accuracy"] == 0.0 and set(base["margins"]) == {0.0}  # no adapter, no margin
    # The base's own preference is measured (a random model has none worth the name); the
    # adapter's own preference is what it learned.
    assert base_own < 0.85 <= adapter_own


def test_likelihood_margins_are_mean_per_token_log_probs_of_each_side(tiny_base):
    import torch

    model, tokenizer = load_base_model(tiny_base)
    records = TRAIN[:3]
    scored = score_models(tiny_base, records, {})["base"]
    chosen, rejected = encode_pairs(tokenizer, records, max_length=None)

    def mean_logp(ids, completion_len):
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([ids])).logits[0]
        token_logps = torch.log_softmax(logits[:-1], dim=-1).gather(-1, torch.tensor(ids[1:]).unsqueeze(-1))
        return float(token_logps[-completion_len:].sum()) / completion_len

    expected = [mean_logp(*c) - mean_logp(*r) for c, r in zip(chosen, rejected)]
    assert scored.likelihood_margins() == pytest.approx(expected, abs=1e-4)
    assert scored.chosen_tokens == [n for _, n in chosen] and min(scored.chosen_tokens) > 0


@pytest.mark.heavy
def test_jsonl_export_in_trl_format_trains(tiny_base, tmp_path):
    export = tmp_path / "pairs.jsonl"
    # An export carries provenance next to the TRL columns; the trainer drops it.
    export.write_text("".join(json.dumps({**r, "pair_id": f"pair_{i}"}) + "\n" for i, r in enumerate(TRAIN[:16])))

    metrics = train_dpo_lora(
        tiny_base, export, tmp_path / "adapter", DPOTrainingConfig(learning_rate=5e-3, max_steps=4, batch_size=4)
    )

    assert metrics["steps"] == 4 and metrics["train_samples"] == 16
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()
