"""The learning optimizer's insights: what the data says the flywheel should do next.

Each insight is derived from the tables as they are now (no canned text): an `observation`,
the `evidence` (figures and the DuckDB query over the lake that recomputes them), an `action`
and its `expected_impact`. A rule that finds nothing emits nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass

import polars as pl

from learning_pipeline.config import SHADOW_MODELS, MetaConfig


@dataclass(frozen=True)
class Insight:
    kind: str
    subject: str
    observation: str
    evidence: dict
    action: str
    expected_impact: str
    severity: float  # for ordering: bigger is more urgent

    def wire(self) -> dict:
        d = asdict(self)
        d["expectedImpact"] = d.pop("expected_impact")
        return d


def domains_short_of_pairs(pairs: pl.DataFrame, config: MetaConfig) -> list[Insight]:
    """Pair domains a shadow model trains on that hold fewer pairs than the config asks for."""
    counts = dict(pairs.group_by("domain").len().iter_rows()) if pairs.height else {}
    wanted = sorted({d for spec in SHADOW_MODELS for d in spec.training_focus} | set(counts))
    out = []
    for domain in wanted:
        n = counts.get(domain, 0)
        if n >= config.min_pairs_per_domain:
            continue
        models = [s.name for s in SHADOW_MODELS if domain in s.training_focus]
        out.append(Insight(
            "domain_short_of_pairs", domain,
            f"domain '{domain}' has {n} preference pairs, {config.min_pairs_per_domain - n} short of the {config.min_pairs_per_domain} a training run wants",
            {"pairs": n, "wanted": config.min_pairs_per_domain, "all_domains": counts,
             "recompute": "SELECT domain, count(*) FROM preference_pairs GROUP BY domain"},
            f"capture or judge more {domain} traces (or lower min_pairs_per_domain) before training {', '.join(models) or 'a model'} on it",
            f"{domain} can join training; today {models or 'no model'} learn it from {n} pairs",
            1.0 - n / config.min_pairs_per_domain,
        ))
    return out


def judges_that_disagree(judgments: pl.DataFrame, config: MetaConfig) -> list[Insight]:
    """Two judges scoring the same items far apart on average."""
    if not judgments.height:
        return []
    ok = judgments.filter(pl.col("status") == "ok") if "status" in judgments.columns else judgments
    scored = ok.filter(pl.col("overall").is_not_null()).group_by("item_id", "judge_type").agg(pl.col("overall").mean())
    pairs = scored.join(scored, on="item_id", suffix="_b").filter(pl.col("judge_type") < pl.col("judge_type_b"))
    if not pairs.height:
        return []
    stats = (pairs.with_columns((pl.col("overall") - pl.col("overall_b")).abs().alias("gap"))
             .group_by("judge_type", "judge_type_b")
             .agg(pl.len().alias("items"), pl.col("gap").mean().alias("mean_gap"),
                  pl.corr("overall", "overall_b").alias("correlation")))
    out = []
    for r in stats.iter_rows(named=True):
        if r["items"] < config.min_shared_items or r["mean_gap"] < config.judge_disagreement_points:
            continue
        a, b = r["judge_type"], r["judge_type_b"]
        corr = r["correlation"]
        out.append(Insight(
            "judges_disagree", f"{a} vs {b}",
            f"judges {a} and {b} differ by {r['mean_gap']:.1f} points on average over {r['items']} shared items"
            + (f" (correlation {corr:.2f})" if corr is not None else ""),
            {"shared_items": r["items"], "mean_abs_gap": round(r["mean_gap"], 2),
             "correlation": None if corr is None else round(corr, 3), "threshold": config.judge_disagreement_points,
             "recompute": f"SELECT avg(abs(a.overall - b.overall)), count(*) FROM judgments a JOIN judgments b USING (item_id) "
                          f"WHERE a.judge_type = '{a}' AND b.judge_type = '{b}' AND a.status = 'ok' AND b.status = 'ok'"},
            f"send the items where {a} and {b} disagree most to review (the review_queue asset) and recalibrate the rubric that drifts",
            "pairs built from these judgments carry less label noise",
            r["mean_gap"] / 100.0,
        ))
    return out


def position_inconsistent_judges(comparisons: pl.DataFrame, config: MetaConfig) -> list[Insight]:
    """Pairwise judges whose verdict flips when the two candidates swap places."""
    needed = {"judge_type", "position_consistent"}
    if not comparisons.height or not needed <= set(comparisons.columns):
        return []
    stats = comparisons.group_by("judge_type").agg(pl.len().alias("n"), (~pl.col("position_consistent")).mean().alias("flip_rate"))
    out = []
    for r in stats.iter_rows(named=True):
        if r["n"] < config.min_shared_items or r["flip_rate"] <= 0.2:
            continue
        out.append(Insight(
            "judge_position_inconsistent", r["judge_type"],
            f"judge {r['judge_type']} changes its verdict when the candidates swap in {r['flip_rate']:.0%} of {r['n']} comparisons",
            {"comparisons": r["n"], "flip_rate": round(r["flip_rate"], 3),
             "recompute": "SELECT judge_type, avg(NOT position_consistent), count(*) FROM comparison_ledger GROUP BY judge_type"},
            f"drop {r['judge_type']}'s position-inconsistent verdicts from pairs and re-judge them",
            "fewer pairs whose label is an artefact of order",
            r["flip_rate"],
        ))
    return out


def error_types_without_fix_pattern(errors: pl.DataFrame, library: pl.DataFrame, config: MetaConfig) -> list[Insight]:
    """Error types the builder hits often that no error-fix pattern in the library covers."""
    if not errors.height:
        return []
    types = (errors.select(pl.col("error").str.json_path_match("$.type").alias("type"))
             .drop_nulls().group_by("type").len().filter(pl.col("len") >= config.min_error_occurrences))
    fixes = library.filter(pl.col("category") == "error_fix") if library.height else library
    covered_text = " ".join(
        (r["name"] or "") + " " + (r["problem"] or "") + " " + " ".join(r["conditions"] or [])
        for r in fixes.iter_rows(named=True)
    ).lower() if fixes.height else ""
    out = []
    for error_type, n in types.sort("len", descending=True).iter_rows():
        if error_type.lower() in covered_text:
            continue
        out.append(Insight(
            "error_type_without_fix_pattern", error_type,
            f"error type {error_type} occurred {n} times and no error-fix pattern in the library ({fixes.height} of them) covers it",
            {"occurrences": n, "error_fix_patterns": fixes.height,
             "recompute": f"SELECT count(*) FROM raw_error_recoveries WHERE json_extract_string(error, '$.type') = '{error_type}'"},
            f"extract a fix pattern for {error_type} once a recovery of it succeeds with a generalizable fix, or review its failed journeys",
            f"the next {error_type} gets a proven fix injected instead of escalating blind",
            float(n),
        ))
    return out


def strategies_that_stopped_working(observations: pl.DataFrame, config: MetaConfig, now: dt.datetime | None = None) -> list[Insight]:
    """A strategy whose success in the recent window fell well below its earlier success."""
    if not observations.height:
        return []
    now = now or observations.get_column("at").max()
    since = now - dt.timedelta(days=config.strategy_recent_days)
    stats = (observations.with_columns((pl.col("at") >= since).alias("recent"))
             .group_by("domain", "strategy")
             .agg(pl.col("reward").filter(pl.col("recent")).mean().alias("recent_rate"),
                  pl.col("reward").filter(pl.col("recent")).len().alias("recent_n"),
                  pl.col("reward").filter(~pl.col("recent")).mean().alias("earlier_rate"),
                  pl.col("reward").filter(~pl.col("recent")).len().alias("earlier_n")))
    out = []
    for r in stats.iter_rows(named=True):
        if min(r["recent_n"], r["earlier_n"]) < config.min_strategy_outcomes:
            continue
        drop = r["earlier_rate"] - r["recent_rate"]
        if drop < config.strategy_drop:
            continue
        out.append(Insight(
            "strategy_stopped_working", f"{r['domain']}/{r['strategy']}",
            f"{r['domain']}/{r['strategy']} succeeded {r['recent_rate']:.0%} of {r['recent_n']} times in the last "
            f"{config.strategy_recent_days:g} days against {r['earlier_rate']:.0%} of {r['earlier_n']} before",
            {"recent_rate": round(r["recent_rate"], 3), "recent_outcomes": r["recent_n"],
             "earlier_rate": round(r["earlier_rate"], 3), "earlier_outcomes": r["earlier_n"], "since": since.isoformat(),
             "recompute": f"SELECT at >= '{since.isoformat()}' AS recent, avg(reward), count(*) FROM strategy_observations "
                          f"WHERE domain = '{r['domain']}' AND strategy = '{r['strategy']}' GROUP BY recent"},
            f"let the discounted posterior demote {r['strategy']} (shorter half_life_days) and look at what changed in its contexts",
            f"recommendations move to strategies that still work; the drop of {drop:.0%} stops costing builds",
            drop,
        ))
    return out


def champion_evaluations_fell(evaluations: list[dict], config: MetaConfig) -> list[Insight]:
    """A promoted model whose latest weekly evaluation is below the score it was promoted on.
    `evaluations`: {model, version, promoted_score, accuracy, at} per weekly evaluation."""
    latest: dict[str, dict] = {}
    for e in sorted(evaluations, key=lambda e: e["at"]):
        latest[e["model"]] = e
    out = []
    for model, e in sorted(latest.items()):
        if e.get("promoted_score") is None or e.get("accuracy") is None:
            continue
        drop = e["promoted_score"] - e["accuracy"]
        if drop <= config.evaluation_drop:
            continue
        out.append(Insight(
            "champion_evaluation_fell", model,
            f"{model} v{e['version']} was promoted at {e['promoted_score']:.3f} held-out accuracy and its weekly evaluation on {e['at']} gave {e['accuracy']:.3f}",
            {"promoted_score": e["promoted_score"], "latest_accuracy": e["accuracy"], "evaluated_at": str(e["at"]),
             "recompute": f"the champion_evaluation asset, partition {model} (accuracy metadata), against shadow_model_versions.eval_score"},
            f"retrain {model} on the current pairs or roll it back (`learning-pipeline models {model} --rollback`)",
            f"win back about {drop:.1%} held-out preference accuracy",
            drop,
        ))
    return out


def derive_insights(*, pairs: pl.DataFrame, judgments: pl.DataFrame, comparisons: pl.DataFrame, errors: pl.DataFrame,
                    library: pl.DataFrame, observations: pl.DataFrame, evaluations: list[dict], config: MetaConfig) -> list[Insight]:
    found = [
        *domains_short_of_pairs(pairs, config), *judges_that_disagree(judgments, config),
        *position_inconsistent_judges(comparisons, config), *error_types_without_fix_pattern(errors, library, config),
        *strategies_that_stopped_working(observations, config), *champion_evaluations_fell(evaluations, config),
    ]
    return sorted(found, key=lambda i: (i.kind, -i.severity, i.subject))


INSIGHT_SCHEMA = {"kind": pl.String, "subject": pl.String, "observation": pl.String, "evidence": pl.String,
                  "action": pl.String, "expected_impact": pl.String, "severity": pl.Float64}


def insight_table(insights: list[Insight]) -> pl.DataFrame:
    return pl.DataFrame([{**asdict(i), "evidence": json.dumps(i.evidence, default=str)} for i in insights], schema=INSIGHT_SCHEMA)
