"""Anti-forgetting across adapter versions: continuation, EWC on the LoRA weights, replay.

Task A is the synthetic preference from test_dpo (typed store over global component);
task B is the same preference flipped on other prompts, so learning B can only come at
A's expense - the situation EWC is for.
"""

import json
import os
import time
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from learning_pipeline.training.anti_forgetting import (  # noqa: E402
    FISHER_FILE,
    EWCSettings,
    combine_fisher,
    consolidate_fisher,
    continuation_trainer,
    ewc_penalty,
    load_fisher,
    lora_parameters,
    normalise_fisher,
    replay_margins,
    save_fisher,
    select_replay,
)
from learning_pipeline.training.dpo import DPOTrainingConfig, train_dpo_lora  # noqa: E402
from learning_pipeline.training.scoring import preference_accuracy  # noqa: E402
from learning_pipeline.training.tiny_model import build_tiny_llama, load_base_model  # noqa: E402
from learning_pipeline_tests.training.test_dpo import (  # noqa: E402
    COMBOS,
    HELD_OUT,
    TRAIN,
    corpus,
    preference_records,
)


def flipped(records):
    return [{**r, "chosen": r["rejected"], "rejected": r["chosen"]} for r in records]


TASK_A, TASK_A_HELD_OUT = TRAIN, HELD_OUT
TASK_B = flipped(preference_records(COMBOS[80:112], seed=3))

V1 = DPOTrainingConfig(learning_rate=5e-3, max_steps=16, batch_size=8)
V2 = DPOTrainingConfig(learning_rate=5e-3, max_steps=8, batch_size=8)
STRONG_EWC = 100.0  # on the mean-1 Fisher: strong enough to hold v2 visibly near v1


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    return build_tiny_llama(corpus(), tmp_path_factory.mktemp("models") / "tiny-llama")


@pytest.fixture(scope="module")
def version_1(tiny_base, tmp_path_factory) -> Path:
    """Adapter v1 trained on task A, with its Fisher stored next to it."""
    adapter = tmp_path_factory.mktemp("adapters") / "v1"
    train_dpo_lora(tiny_base, TASK_A, adapter, V1)
    consolidate_fisher(tiny_base, adapter, TASK_A, beta=V1.beta, max_records=16)
    return adapter


# ---------------------------------------------------------------------------- penalty


def test_penalty_is_zero_at_the_previous_weights_and_quadratic_around_them():
    anchor = {"a": torch.tensor([1.0, -2.0]), "b": torch.tensor([[0.5]]), "untracked": torch.tensor([3.0])}
    fisher = {"a": torch.tensor([2.0, 0.0]), "b": torch.tensor([[4.0]])}

    assert ewc_penalty({k: v.clone() for k, v in anchor.items()}, anchor, fisher, lambda_=10.0).item() == 0.0

    moved = {"a": torch.tensor([1.5, 5.0]), "b": torch.tensor([[0.0]]), "untracked": torch.tensor([99.0])}
    # 10/2 * (2 * 0.5^2 + 0 * 7^2 + 4 * 0.5^2); zero Fisher and no Fisher cost nothing.
    assert ewc_penalty(moved, anchor, fisher, lambda_=10.0).item() == pytest.approx(7.5)
    assert ewc_penalty(moved, anchor, fisher, lambda_=0.0).item() == 0.0


def test_ewc_settings_and_train_dpo_lora_refuse_what_cannot_work(tmp_path):
    with pytest.raises(ValueError, match="lambda"):
        EWCSettings(lambda_=-1.0)
    with pytest.raises(ValueError, match="previous_adapter"):
        train_dpo_lora(tmp_path / "base", TASK_A, tmp_path / "out", V2, ewc=EWCSettings(lambda_=1.0))


def _dpo_args(output_dir):
    from trl import DPOConfig

    return DPOConfig(
        output_dir=str(output_dir), per_device_train_batch_size=4, max_steps=1, use_cpu=True, bf16=False,
        report_to=[], save_strategy="no", activation_checkpointing=False, disable_tqdm=True,
    )


def _lora_grads(tiny_base, version_1, ewc, output_dir):
    """LoRA gradients on one fixed batch, after the same perturbation away from v1's weights."""
    base = load_base_model(tiny_base)
    trainer = continuation_trainer(
        base.model, version_1, V2, ewc,
        args=_dpo_args(output_dir), train_dataset=_records_dataset(TASK_B[:4]), processing_class=base.tokenizer,
    )
    params = lora_parameters(trainer.model)
    penalty_at_previous = trainer.current_penalty().item() if ewc is not None else None

    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for key in sorted(params):
            params[key].add_(0.01 * torch.randn(params[key].shape, generator=generator))
    trainer.model.train()
    inputs = trainer._prepare_inputs(trainer.data_collator([trainer.train_dataset[i] for i in range(4)]))
    trainer.compute_loss(trainer.model, inputs).backward()
    grads = {key: param.grad.detach().clone() for key, param in params.items()}
    shifts = {key: (param.detach() - trainer.ewc_anchor[key]) for key, param in params.items()} if ewc else None
    return grads, shifts, penalty_at_previous, trainer


def _records_dataset(records):
    import datasets

    return datasets.Dataset.from_list(records)


@pytest.mark.heavy
def test_penalty_adds_lambda_fisher_shift_to_the_lora_gradients(tiny_base, version_1, tmp_path):
    fisher = normalise_fisher(load_fisher(version_1 / FISHER_FILE))  # the penalty uses the mean-1 Fisher
    lambda_ = 10.0

    plain, _, _, plain_trainer = _lora_grads(tiny_base, version_1, None, tmp_path / "plain")
    off, _, penalty_off, _ = _lora_grads(tiny_base, version_1, EWCSettings(lambda_=0.0), tmp_path / "off")
    on, shifts, penalty_on, _ = _lora_grads(tiny_base, version_1, EWCSettings(lambda_=lambda_), tmp_path / "on")

    # Continuing drops TRL's "ref" adapter copy: the reference is the base, as for v1.
    assert list(plain_trainer.model.peft_config) == ["default"]
    assert penalty_off == 0.0 and penalty_on == 0.0  # exactly zero at theta = theta_prev
    assert plain.keys() == off.keys() == on.keys() == fisher.keys()
    for key in plain:
        assert torch.equal(plain[key], off[key]), key  # lambda 0 is no EWC at all
        # d/dtheta (lambda/2) F (theta - theta_prev)^2 = lambda F (theta - theta_prev)
        assert torch.allclose(on[key] - off[key], lambda_ * fisher[key] * shifts[key], rtol=1e-3, atol=1e-6), key
    assert any(not torch.allclose(on[key], off[key]) for key in plain)


# ---------------------------------------------------------------------------- Fisher


@pytest.mark.heavy
def test_fisher_is_non_negative_keyed_like_the_adapter_and_round_trips(version_1, tmp_path):
    from safetensors.torch import load_file

    fisher = load_fisher(version_1 / FISHER_FILE)
    adapter_weights = load_file(str(version_1 / "adapter_model.safetensors"))

    assert fisher.keys() == adapter_weights.keys()
    assert all(".lora_A." in key or ".lora_B." in key for key in fisher)
    for key, value in fisher.items():
        assert value.shape == adapter_weights[key].shape and value.dtype == torch.float32
        assert (value >= 0).all() and torch.isfinite(value).all(), key
    assert sum(float(value.sum()) for value in fisher.values()) > 0

    path = save_fisher(fisher, tmp_path / "copy" / FISHER_FILE)
    reloaded = load_fisher(path)
    assert reloaded.keys() == fisher.keys() and all(torch.equal(reloaded[k], fisher[k]) for k in fisher)


def test_combine_fisher_decays_the_running_one_adds_the_new_and_keeps_the_rest():
    running = {"shared": torch.tensor([1.0, 2.0]), "old_only": torch.tensor([4.0])}
    new = {"shared": torch.tensor([10.0, 10.0]), "new_only": torch.tensor([3.0])}

    combined = combine_fisher(running, new, decay=0.5)

    assert combined.keys() == {"shared", "old_only", "new_only"}
    assert torch.equal(combined["shared"], torch.tensor([10.5, 11.0]))
    assert torch.equal(combined["old_only"], torch.tensor([2.0]))
    assert torch.equal(combined["new_only"], torch.tensor([3.0]))
    assert torch.equal(running["shared"], torch.tensor([1.0, 2.0]))  # inputs untouched
    assert combine_fisher(None, new).keys() == new.keys()
    assert torch.equal(combine_fisher(running, running)["shared"], torch.tensor([2.0, 4.0]))
    with pytest.raises(ValueError, match="shape"):
        combine_fisher(running, {"shared": torch.zeros(3)})


# ---------------------------------------------------------------------------- successive versions


@pytest.mark.heavy
def test_ewc_keeps_version_2_closer_to_version_1_and_to_task_a(tiny_base, version_1, tmp_path):
    started = time.perf_counter()
    free = train_dpo_lora(tiny_base, TASK_B, tmp_path / "v2-free", V2, previous_adapter=version_1, ewc=EWCSettings(0.0))
    held = train_dpo_lora(
        tiny_base, TASK_B, tmp_path / "v2-ewc", V2, previous_adapter=version_1, ewc=EWCSettings(STRONG_EWC)
    )
    wall_s = time.perf_counter() - started

    on_a = {
        name: preference_accuracy(adapter, tiny_base, TASK_A_HELD_OUT, beta=V2.beta)
        for name, adapter in (("v1", version_1), ("free", tmp_path / "v2-free"), ("ewc", tmp_path / "v2-ewc"))
    }
    print(
        f"\nv2 on flipped task from v1 ({V2.max_steps} steps each, {wall_s:.1f}s): "
        f"shift L2 lambda=0 {free['adapter_shift_l2']:.3f} vs lambda={STRONG_EWC:g} {held['adapter_shift_l2']:.3f}; "
        f"task A held-out accuracy v1 {on_a['v1']['accuracy']:.2f} -> {on_a['free']['accuracy']:.2f} (lambda=0) "
        f"/ {on_a['ewc']['accuracy']:.2f} (EWC); mean margin {on_a['v1']['mean_margin']:.3f} -> "
        f"{on_a['free']['mean_margin']:.3f} / {on_a['ewc']['mean_margin']:.3f}; "
        f"final penalty {held['ewc_penalty_final']:.4f}"
    )

    assert held["adapter_shift_l2"] < free["adapter_shift_l2"]
    assert on_a["ewc"]["mean_margin"] > on_a["free"]["mean_margin"]
    assert on_a["ewc"]["accuracy"] >= on_a["free"]["accuracy"]

    assert free["ewc_lambda"] == 0.0 and free["ewc_penalty_final"] == 0.0
    assert held["ewc_lambda"] == STRONG_EWC and held["ewc_penalty_final"] > 0
    first_step = held["log_history"][0]
    assert first_step["ewc_penalty"] == 0.0  # the first forward runs at v1's weights
    # The reference is the base, not a copy of v1: v1 prefers task B's rejected answers, so
    # B starts at a negative margin (TRL's default "ref" copy would start every pair at 0).
    assert first_step["rewards/margins"] < 0
    assert not (tmp_path / "v2-ewc" / "ref").exists()
    manifest = json.loads((tmp_path / "v2-ewc" / "dpo_training.json").read_text())
    assert manifest["previous_adapter"] == str(version_1) and manifest["ewc"]["lambda_"] == STRONG_EWC


@pytest.mark.heavy
def test_continuing_refuses_another_lora_layout_or_a_missing_fisher(tiny_base, version_1, tmp_path):
    with pytest.raises(ValueError, match="LoRA layout"):
        train_dpo_lora(tiny_base, TASK_B, tmp_path / "r16", DPOTrainingConfig(lora_rank=16), previous_adapter=version_1)
    with pytest.raises(FileNotFoundError, match="consolidate_fisher"):
        train_dpo_lora(
            tiny_base, TASK_B, tmp_path / "nofisher", V2, previous_adapter=version_1,
            ewc=EWCSettings(1.0, fisher_path=tmp_path / "missing.safetensors"),
        )


# ---------------------------------------------------------------------------- replay


PAIRS = [{"pair_id": f"p{i}"} for i in range(10)]


def ids(pairs):
    return [pair["pair_id"] for pair in pairs]


def test_replay_takes_share_of_new_pairs_capped_at_what_exists():
    assert len(select_replay(PAIRS, None, share=0.25, n_new=20)) == 5
    assert len(select_replay(PAIRS, None, share=0.5, n_new=40)) == 10  # capped
    assert select_replay(PAIRS, None, share=0.0, n_new=40) == []
    assert select_replay([], None, share=0.5, n_new=40) == []
    with pytest.raises(ValueError, match="margins"):
        select_replay(PAIRS, [0.0] * 3, share=0.5, n_new=4)


def test_replay_favours_the_pairs_the_previous_adapter_separates_worst():
    margins = [0.9, -0.4, 0.3, 0.05, 1.2, -0.1, 0.6, 0.2, 0.8, 0.4]

    assert ids(select_replay(PAIRS, margins, share=0.5, n_new=8)) == ["p1", "p5", "p3", "p7"]


def test_replay_is_deterministic_and_seeded():
    tied = [0.0] * len(PAIRS)
    runs = {tuple(ids(select_replay(PAIRS, tied, share=0.5, n_new=8, seed=seed))) for seed in range(5)}
    assert len(runs) > 1  # ties broken by the seed ...
    for seed in range(3):  # ... the same way every time
        assert select_replay(PAIRS, tied, 0.5, 8, seed) == select_replay(PAIRS, tied, 0.5, 8, seed)
        assert select_replay(PAIRS, None, 0.5, 8, seed) == select_replay(PAIRS, None, 0.5, 8, seed)
    sample = ids(select_replay(PAIRS, None, share=0.5, n_new=8, seed=1))
    assert len(set(sample)) == 4 and set(sample) <= set(ids(PAIRS))
    # A low margin beats any tie-break.
    margins = [1.0] * len(PAIRS)
    margins[7] = -1.0
    assert all(select_replay(PAIRS, margins, 0.1, 10, seed)[0]["pair_id"] == "p7" for seed in range(5))


@pytest.mark.heavy
def test_replay_margins_come_from_the_previous_adapter(tiny_base, version_1):
    # Mix task A pairs v1 learned with flipped ones it gets wrong: replay picks the flipped.
    previous = TASK_A_HELD_OUT[:6] + flipped(TASK_A_HELD_OUT[6:8])
    margins = replay_margins(version_1, tiny_base, previous, beta=V1.beta)

    assert len(margins) == len(previous)
    assert margins == pytest.approx(preference_accuracy(version_1, tiny_base, previous, beta=V1.beta)["margins"])
    chosen = select_replay(previous, margins, share=0.5, n_new=4)
    assert [previous.index(pair) for pair in chosen] == sorted([6, 7], key=lambda i: margins[i])

