"""The forgetting experiment, small: v1 on A, v2 on B only, by continuation, replay and replay + EWC.

Task B here is task A's preference flipped on other prompts, so whatever v2 learns of B it
can only learn at A's expense: continuation must forget A, and what replay or EWC keep shows.
The experiment on simulated pairs, and the defaults it chose, are in bench/bench_forgetting.py.
"""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from learning_pipeline.config import DPOTrainingConfig  # noqa: E402
from learning_pipeline.training.forgetting import Variant, run_forgetting  # noqa: E402
from learning_pipeline_tests.training.test_anti_forgetting import TASK_B, flipped  # noqa: E402
from learning_pipeline_tests.training.test_dpo import COMBOS, HELD_OUT, TRAIN, preference_records, tiny_base  # noqa: E402,F401

CONFIG = DPOTrainingConfig(learning_rate=5e-3, max_steps=16, batch_size=8)
B_HELD_OUT = flipped(preference_records(COMBOS[112:128], seed=4))


@pytest.mark.heavy
def test_continuation_forgets_and_replay_keeps_some_of_what_v1_learned(tiny_base, tmp_path):
    variants = [Variant("continuation"), Variant("replay", replay_share=1.0),
                Variant("replay + EWC", replay_share=1.0, ewc_lambda=100.0)]
    rows = {r.variant: r for r in run_forgetting(tiny_base, TRAIN, HELD_OUT, TASK_B, B_HELD_OUT, variants, tmp_path, CONFIG)}
    print("\n" + "\n".join(f"{name:<22} A {r.a_accuracy:.2f} (implicit {r.a_implicit_accuracy:.2f})  "
                           f"B {r.b_accuracy:.2f}  records {r.train_records}  shift {r.adapter_shift_l2}" for name, r in rows.items()))

    assert list(rows) == ["base", "v1 (A only)", "v2 continuation", "v2 replay", "v2 replay + EWC"]
    v1, plain, replay, ewc = (rows[k] for k in ("v1 (A only)", "v2 continuation", "v2 replay", "v2 replay + EWC"))
    assert v1.a_accuracy >= 0.85 and v1.b_accuracy <= 0.15  # A learned; B is A flipped
    assert plain.b_accuracy >= 0.85 and plain.a_accuracy <= 0.15  # B learned, A forgotten
    assert replay.train_records == plain.train_records + len(TRAIN[: len(TASK_B)])  # share 1.0 of B's pairs
    assert replay.a_accuracy > plain.a_accuracy + 0.2  # replay keeps part of A
    assert ewc.adapter_shift_l2 < replay.adapter_shift_l2  # EWC holds the adapter nearer v1
    assert rows["base"].adapter_shift_l2 is None and rows["base"].train_records == 0
