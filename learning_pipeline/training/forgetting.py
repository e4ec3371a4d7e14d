"""The forgetting experiment behind the anti-forgetting defaults.

v1 is trained on domain A; v2 continues from v1 on domain B only, once per variant (plain
continuation, replay of A's pairs, replay + EWC at some strengths). Each v2 is then scored on
A's held-out pairs (what it kept) and on B's held-out pairs (what it learned), with the same
measures as the gate. `bench/bench_forgetting.py` runs it on simulated pairs and
`TrainingSettings` takes its defaults from the result; a test runs a small version.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from learning_pipeline.config import DPOTrainingConfig
from learning_pipeline.training.anti_forgetting import (
    EWCSettings,
    consolidate_fisher,
    replay_margins,
    select_replay,
)
from learning_pipeline.training.dpo import train_dpo_lora
from learning_pipeline.training.scoring import implicit_margins, score_models


@dataclass(frozen=True)
class Variant:
    name: str
    replay_share: float = 0.0
    ewc_lambda: float = 0.0


@dataclass
class Row:
    variant: str
    a_accuracy: float  # gate metric (own likelihood) on A's held-out pairs
    a_implicit_accuracy: float  # DPO implicit reward on A's held-out pairs
    b_accuracy: float
    b_implicit_accuracy: float
    train_records: int
    adapter_shift_l2: float | None


def _share(margins: list[float]) -> float:
    return round(sum(1.0 if m > 0 else 0.5 if m == 0 else 0.0 for m in margins) / len(margins), 4)


def run_forgetting(
    base: Path,
    a_train: list[dict],
    a_held_out: list[dict],
    b_train: list[dict],
    b_held_out: list[dict],
    variants: list[Variant],
    workdir: Path,
    config: DPOTrainingConfig,
    seed: int = 0,
) -> list[Row]:
    """Rows for the base, v1 (A only) and each v2 variant (from v1, on B plus its replay of A)."""
    config = replace(config, seed=seed)
    workdir = Path(workdir)
    v1 = workdir / "v1"
    v1_metrics = train_dpo_lora(base, a_train, v1, config)
    if any(v.ewc_lambda > 0 for v in variants):
        consolidate_fisher(base, v1, a_train, beta=config.beta)
    margins = replay_margins(v1, base, a_train, beta=config.beta) if any(v.replay_share > 0 for v in variants) else None

    adapters: dict[str, Path | None] = {"v1 (A only)": v1}
    sizes = {"base": 0, "v1 (A only)": v1_metrics["train_samples"]}
    shifts: dict[str, float | None] = {"base": None, "v1 (A only)": None}
    for index, variant in enumerate(variants):
        replay = select_replay(a_train, margins, variant.replay_share, len(b_train), seed) if variant.replay_share else []
        out = workdir / f"v2-{index}"
        metrics = train_dpo_lora(base, b_train + replay, out, config, previous_adapter=v1,
                                 ewc=EWCSettings(variant.ewc_lambda) if variant.ewc_lambda else None)
        label = f"v2 {variant.name}"
        adapters[label], sizes[label], shifts[label] = out, metrics["train_samples"], metrics["adapter_shift_l2"]

    on_a = score_models(base, a_held_out, adapters)
    on_b = score_models(base, b_held_out, adapters)
    rows = []
    for label in ["base", *adapters]:
        rows.append(Row(
            variant=label,
            a_accuracy=_share(on_a[label].likelihood_margins()),
            a_implicit_accuracy=_share(implicit_margins(on_a[label], on_a["base"], config.beta)),
            b_accuracy=_share(on_b[label].likelihood_margins()),
            b_implicit_accuracy=_share(implicit_margins(on_b[label], on_b["base"], config.beta)),
            train_records=sizes[label],
            adapter_shift_l2=shifts[label],
        ))
    return rows
