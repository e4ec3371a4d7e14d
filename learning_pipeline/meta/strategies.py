"""Build strategies per domain: the catalogue, the outcomes the traces log, and recommendations.

The catalogue starts from PLAN.md's examples and grows with every strategy the traces name
(strategy-outcome feedback, `strategy_selection` decisions); a strategy not in the seed list
joins as experimental and graduates or retires by its posterior (thresholds in `MetaConfig`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from learning_pipeline.config import MetaConfig
from learning_pipeline.meta.posteriors import Context, DiscountedBetas, Posterior, pick_probabilities

SEED_STRATEGIES: dict[str, dict[str, str]] = {
    "code_generation": {
        "component-first": "Build each component complete and verified before composing the page.",
        "skeleton-first": "Lay down a typed skeleton of routes and interfaces first, then fill it in.",
    },
    "error_recovery": {
        "isolate-and-fix": "Reproduce the error in isolation, fix its root cause, keep the rest untouched.",
        "rewrite-component": "Rewrite the failing component from scratch against its interface.",
    },
    "design_approach": {
        "soul-first": "Fix the app soul first (type, colour, motion), then lay out screens in it.",
    },
}
# Names the builder's traces use for the plan's domains.
DOMAIN_ALIASES = {"component_build": "code_generation", "error_fix": "error_recovery", "design": "design_approach"}
# A `strategy_selection` decision chooses how to build the app.
SELECTION_DOMAIN = "code_generation"
APP_SOULS = frozenset({
    "immersive_media", "professional_trust", "developer_tools", "creative_canvas", "social_connection",
    "ecommerce_convert", "utility_clarity", "gaming_energy",
})
REWARD = {"success": 1.0, "partial": 0.5, "failure": 0.0}
CONTEXT_FIELDS = ("tag", "app_soul", "error_type", "phase", "decision_type")

OBSERVATION_SCHEMA = {
    "domain": pl.String,
    "strategy": pl.String,
    "description": pl.String,
    "source": pl.String,  # strategy_outcome | strategy_selection
    "record_id": pl.String,
    "build_id": pl.String,
    **{f: pl.String for f in CONTEXT_FIELDS},
    "reward": pl.Float64,
    "propensity": pl.Float64,  # as the builder logged it, when it did
    "at": pl.Datetime("us", "UTC"),
}
STATUSES = ("established", "experimental", "graduated", "retired")


def strategy_name(text: str, limit: int = 60) -> str:
    """`component_first`, `Component First`, a long option text -> a stable kebab-case name."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "unnamed"


def domain_name(text: str) -> str:
    return DOMAIN_ALIASES.get(text, text)


_ERROR_TYPE = re.compile(r"^\s*([A-Za-z_][\w.]*?(?:Error|Exception|Mismatch|Missing|Expired|Drift|NotFound|\d{3,}))\b")


def error_type_of(message: str | None) -> str | None:
    """`TypeError: Cannot read ...` -> `TypeError`; None when the text names no error type."""
    if not message:
        return None
    match = _ERROR_TYPE.match(message)
    return match.group(1) if match else None


def split_strategy_id(strategy_id: str) -> tuple[str, str]:
    """Only a strategy id: `strat_<domain>_<name>` with a known domain when the builder follows
    that convention; otherwise the id is the strategy of domain `unspecified`."""
    rest = strategy_id.removeprefix("strat_")
    for domain in sorted([*DOMAIN_ALIASES, *SEED_STRATEGIES], key=len, reverse=True):
        if rest.startswith(domain + "_"):
            return domain, rest[len(domain) + 1 :]
    return "unspecified", rest


# -- observations from the lake --------------------------------------------------------------
def outcome_observations(outcomes: pl.DataFrame) -> pl.DataFrame:
    """Strategy-outcome feedback (raw_strategy_outcomes, read with read_traces) as observations."""
    rows = []
    for r in outcomes.iter_rows(named=True):
        payload = json.loads(r["payload"]).get("data", {}) if r.get("payload") else {}
        domain, strategy = r.get("domain"), r.get("strategy")
        if not (domain and strategy):
            domain, strategy = split_strategy_id(r.get("strategy_id") or "")
        tags = json.loads(r["context"]) if r.get("context") else []
        soul = next((t for t in tags if t in APP_SOULS), None)
        tag = next((t for t in tags if t not in APP_SOULS), None)
        propensity = payload.get("propensity")
        rows.append({
            "domain": domain_name(domain), "strategy": strategy_name(strategy), "description": strategy,
            "source": "strategy_outcome", "record_id": r.get("event_id"), "build_id": r.get("build_id"),
            "tag": tag, "app_soul": soul, "error_type": None, "phase": None, "decision_type": None,
            "reward": 1.0 if r["success"] else 0.0,
            "propensity": float(propensity) if isinstance(propensity, (int, float)) and 0 < propensity <= 1 else None,
            "at": r.get("created_at") or r.get("received_at"),
        })
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA)


def selection_observations(decisions: pl.DataFrame, designs: pl.DataFrame | None = None) -> pl.DataFrame:
    """`strategy_selection` decisions with an outcome (decision_traces) as observations; the app
    soul comes from the build's design choice when it has one."""
    soul_of: dict[str, str] = {}
    if designs is not None and designs.height:
        for build_id, soul in designs.filter(pl.col("app_soul").is_not_null()).select("build_id", "app_soul").iter_rows():
            if build_id:
                soul_of.setdefault(build_id, soul)
    chosen = decisions.filter((pl.col("decision_type") == "strategy_selection") & pl.col("outcome").is_not_null())
    rows = []
    for r in chosen.iter_rows(named=True):
        decision, context, outcome = json.loads(r["decision"]), json.loads(r["context"]), json.loads(r["outcome"])
        option = decision.get("chosenOption") or ""
        rows.append({
            "domain": SELECTION_DOMAIN, "strategy": strategy_name(option), "description": option,
            "source": "strategy_selection", "record_id": r["trace_id"], "build_id": r.get("build_id"),
            "tag": None, "app_soul": soul_of.get(r.get("build_id")), "error_type": error_type_of(context.get("errorIfAny")),
            "phase": r["phase"], "decision_type": r["decision_type"],
            "reward": REWARD.get(outcome.get("immediateResult"), 0.0), "propensity": None,
            "at": r.get("outcome_recorded_at") or r.get("created_at"),
        })
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA)


def supported_selections(selections: pl.DataFrame, known: set[tuple[str, str]], min_support: int) -> pl.DataFrame:
    """`strategy_selection` options name a strategy when they repeat: an option chosen at least
    `min_support` times, or one naming a strategy already known. A one-off free-text option is
    a decision, not a strategy."""
    counts = selections.group_by("domain", "strategy").len()
    keep = {(d, s) for d, s, n in counts.iter_rows() if n >= min_support} | known
    return selections.filter(pl.struct("domain", "strategy").map_elements(
        lambda r: (r["domain"], r["strategy"]) in keep, return_dtype=pl.Boolean)) if selections.height else selections


# -- the catalogue ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Strategy:
    domain: str
    name: str
    description: str
    status: str  # one of STATUSES


def catalogue(observations: pl.DataFrame, previous: dict[tuple[str, str], str] | None = None) -> list[Strategy]:
    """Seeds (established) plus every strategy the observations name (experimental unless an
    earlier refresh graduated or retired it: those decisions stick)."""
    previous = previous or {}
    out = {(d, n): Strategy(d, n, text, previous.get((d, n), "established")) for d, named in SEED_STRATEGIES.items() for n, text in named.items()}
    for domain, name, description in observations.select("domain", "strategy", "description").unique(maintain_order=True).iter_rows():
        if (domain, name) not in out:
            out[(domain, name)] = Strategy(domain, name, description, previous.get((domain, name), "experimental"))
    return sorted(out.values(), key=lambda s: (s.domain, s.name))


def review_status(strategy: Strategy, posterior: Posterior, config: MetaConfig) -> str:
    """Graduate or retire an experimental strategy once its posterior is sure enough."""
    if strategy.status != "experimental" or posterior.effective_n < config.graduate_min_observations:
        return strategy.status
    low, high = posterior.interval()
    if low >= config.graduate_lower_bound:
        return "graduated"
    if high < config.retire_upper_bound:
        return "retired"
    return "experimental"


# -- fitting and recommending -----------------------------------------------------------------
def _days(at: dt.datetime) -> float:
    return at.timestamp() / 86400.0


def observation_context(row: dict) -> Context:
    return {f: row.get(f) for f in CONTEXT_FIELDS}


def request_context(context: dict) -> Context:
    """The builder's request context (`appSoul`, `phase`, `errorType`, `tags`, camelCase or
    snake_case) as posterior fields."""
    tags = list(context.get("tags") or [])
    soul = context.get("appSoul") or context.get("app_soul") or next((t for t in tags if t in APP_SOULS), None)
    return {
        "tag": next((t for t in tags if t not in APP_SOULS), None),
        "app_soul": soul,
        "error_type": context.get("errorType") or context.get("error_type"),
        "phase": context.get("phase"),
        "decision_type": context.get("decisionType") or context.get("decision_type"),
    }


@dataclass
class StrategyModel:
    """Posteriors of every strategy, fitted on the observations, as of the newest one."""

    strategies: list[Strategy]
    book: DiscountedBetas
    now: float  # days; discounting is relative to the newest evidence, so a quiet spell erases nothing
    config: MetaConfig

    def domains(self) -> list[str]:
        return sorted({s.domain for s in self.strategies})

    def active(self, domain: str) -> list[Strategy]:
        return [s for s in self.strategies if s.domain == domain and s.status != "retired"]

    def posterior(self, domain: str, strategy: str, context: Context | None = None) -> Posterior:
        return self.book.posterior(f"{domain}/{strategy}", context or {}, self.now)

    def recommend(self, domain: str, context: dict | None = None, rng: np.random.Generator | None = None) -> dict:
        """Thompson sampling over the domain's active strategies, as WIRE_FORMAT.md's answer to
        `POST /strategies/{domain}/recommend`."""
        domain = domain_name(domain)
        active = self.active(domain)
        if not active:
            raise KeyError(f"unknown strategy domain {domain!r}; known: {', '.join(self.domains())}")
        ctx = request_context(context or {})
        posteriors = {s.name: self.posterior(domain, s.name, ctx) for s in active}
        rng = rng or np.random.default_rng()
        sampled = {name: rng.beta(p.alpha, p.beta) for name, p in posteriors.items()}
        pick = max(sampled, key=sampled.get)
        greedy = max(posteriors, key=lambda n: posteriors[n].mean)
        propensity = pick_probabilities(posteriors, self.config.propensity_draws, np.random.default_rng(self.config.propensity_seed))
        chosen = posteriors[pick]
        low, high = chosen.interval()
        status = {s.name: s.status for s in active}
        return {
            "domain": domain,
            "strategy": pick,
            "posteriorMean": round(chosen.mean, 4),
            "credibleInterval": [round(low, 4), round(high, 4)],
            "exploratory": pick != greedy,
            "propensity": round(propensity[pick], 4),
            "status": status[pick],
            "evidence": round(chosen.effective_n, 2),
            "alternatives": [
                {"strategy": n, "posteriorMean": round(p.mean, 4), "propensity": round(propensity[n], 4), "status": status[n]}
                for n, p in sorted(posteriors.items(), key=lambda kv: -kv[1].mean) if n != pick
            ],
        }


def fit(observations: pl.DataFrame, strategies: list[Strategy], config: MetaConfig, half_life_days: float | None = -1.0) -> StrategyModel:
    """Posteriors from the observations (in time order). `half_life_days=None` disables the
    discount; the default takes the config's."""
    half_life = config.half_life_days if half_life_days == -1.0 else half_life_days
    book = DiscountedBetas(CONTEXT_FIELDS, half_life, config.backoff_strength)
    ordered = observations.filter(pl.col("at").is_not_null()).sort("at")
    now = 0.0
    for row in ordered.iter_rows(named=True):
        t = _days(row["at"])
        now = max(now, t)
        book.observe(f"{row['domain']}/{row['strategy']}", observation_context(row), row["reward"], t)
    return StrategyModel(strategies, book, now, config)


def posterior_table(model: StrategyModel, observations: pl.DataFrame, config: MetaConfig) -> pl.DataFrame:
    """One row per strategy: status (after review), success rate and interval, usage, and the
    contexts where it does clearly better or worse than its overall rate."""
    rows = []
    for s in model.strategies:
        overall = model.posterior(s.domain, s.name)
        low, high = overall.interval()
        effective, ineffective = _context_effects(model, s, observations, overall.mean, config)
        mine = observations.filter((pl.col("domain") == s.domain) & (pl.col("strategy") == s.name))
        rows.append({
            "domain": s.domain, "strategy": s.name, "description": s.description,
            "status": review_status(s, overall, config),
            "success_rate": overall.mean, "ci_low": low, "ci_high": high,
            "usage": mine.height, "effective_n": overall.effective_n,
            "effective_contexts": effective, "ineffective_contexts": ineffective,
            "last_used": mine.get_column("at").max() if mine.height else None,
        })
    return pl.DataFrame(rows, schema=POSTERIOR_SCHEMA)


POSTERIOR_SCHEMA = {
    "domain": pl.String, "strategy": pl.String, "description": pl.String, "status": pl.String,
    "success_rate": pl.Float64, "ci_low": pl.Float64, "ci_high": pl.Float64, "usage": pl.Int64,
    "effective_n": pl.Float64, "effective_contexts": pl.List(pl.String), "ineffective_contexts": pl.List(pl.String),
    "last_used": pl.Datetime("us", "UTC"),
}


def _context_effects(model: StrategyModel, s: Strategy, observations: pl.DataFrame, overall: float, config: MetaConfig):
    mine = observations.filter((pl.col("domain") == s.domain) & (pl.col("strategy") == s.name))
    effective, ineffective = [], []
    for f in CONTEXT_FIELDS:
        for value in sorted(v for v in mine.get_column(f).unique().to_list() if v is not None):
            subset = mine.filter(pl.col(f) == value)
            weights = 0.5 ** ((model.now - subset.get_column("at").dt.epoch("s").cast(pl.Float64) / 86400.0) / config.half_life_days)
            n = float(weights.sum())
            if n < config.min_context_observations:
                continue
            mean = (1 + float((weights * subset.get_column("reward")).sum())) / (2 + n)
            label = f"{f}={value}"
            if mean >= overall + config.context_effect_margin:
                effective.append(label)
            elif mean <= overall - config.context_effect_margin:
                ineffective.append(label)
    return effective, ineffective
