"""The learning optimizer: insights that follow the data, the curriculum order, the review queue."""

import datetime as dt
import json

import polars as pl

from learning_pipeline.config import SHADOW_MODELS, MetaConfig
from learning_pipeline.meta.active_learning import review_queue
from learning_pipeline.meta.curriculum import curriculum_order
from learning_pipeline.meta.insights import (
    champion_evaluations_fell, derive_insights, domains_short_of_pairs, error_types_without_fix_pattern,
    insight_table, judges_that_disagree, position_inconsistent_judges, strategies_that_stopped_working,
)

CONFIG = MetaConfig(min_pairs_per_domain=10, min_shared_items=5, min_error_occurrences=3, min_strategy_outcomes=5)
T0 = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
DOMAINS = sorted({d for s in SHADOW_MODELS for d in s.training_focus})


def _pairs(counts: dict[str, int]) -> pl.DataFrame:
    rows = [{"pair_id": f"{d}-{i}", "domain": d, "margin": float(10 + i % 7), "judgment_ids": "[]", "split": "train"}
            for d, n in counts.items() for i in range(n)]
    return pl.DataFrame(rows, schema={"pair_id": pl.String, "domain": pl.String, "margin": pl.Float64,
                                      "judgment_ids": pl.String, "split": pl.String})


def _judgments(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"content_hash": f"h{i}", "judge_version": "v1", "item_id": item, "item_kind": "code_version", "build_id": "b",
          "judge_type": judge, "overall": overall, "confidence": conf, "status": "ok"}
         for i, (item, judge, overall, conf) in enumerate(rows)])


def test_a_domain_short_of_pairs_appears_and_disappears_with_its_pairs():
    full = {d: 12 for d in DOMAINS}
    assert domains_short_of_pairs(_pairs(full), CONFIG) == []
    short = {**full, "design": 4}
    found = domains_short_of_pairs(_pairs(short), CONFIG)
    assert [i.subject for i in found] == ["design"]
    assert found[0].evidence["pairs"] == 4 and "4 preference pairs" in found[0].observation
    assert "builder-architect" in found[0].action and found[0].evidence["recompute"].startswith("SELECT")


def test_judges_that_disagree_appear_only_when_their_scores_part():
    agree = [(f"i{k}", j, 60.0 + k + (3 if j == "b" else 0), 0.8) for k in range(6) for j in ("a", "b")]
    assert judges_that_disagree(_judgments(agree), CONFIG) == []
    apart = [(f"i{k}", j, 40.0 + k + (35 if j == "b" else 0), 0.8) for k in range(6) for j in ("a", "b")]
    found = judges_that_disagree(_judgments(apart), CONFIG)
    assert len(found) == 1 and found[0].subject == "a vs b" and found[0].evidence["mean_abs_gap"] == 35.0
    # too few shared items: no claim
    assert judges_that_disagree(_judgments(apart[:6]), CONFIG) == []


def test_position_inconsistent_judge_from_the_comparison_ledger():
    ledger = pl.DataFrame({"judge_type": ["pairwise"] * 10, "position_consistent": [True] * 9 + [False]})
    assert position_inconsistent_judges(ledger, CONFIG) == []
    flipped = ledger.with_columns(pl.Series("position_consistent", [True] * 5 + [False] * 5))
    found = position_inconsistent_judges(flipped, CONFIG)
    assert found and found[0].evidence["flip_rate"] == 0.5


def _errors(types: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"error_id": [f"e{i}" for i in range(len(types))],
                         "error": [json.dumps({"type": t, "message": f"{t} happened"}) for t in types]})


def _library(fix_names: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"category": ["error_fix"] * len(fix_names), "name": fix_names, "problem": fix_names,
                         "conditions": [[] for _ in fix_names]}, schema={"category": pl.String, "name": pl.String,
                                                                         "problem": pl.String, "conditions": pl.List(pl.String)})


def test_error_type_without_a_fix_pattern_disappears_once_a_pattern_covers_it():
    errors = _errors(["HydrationError"] * 4 + ["TypeError"] * 5 + ["RareError"])
    found = error_types_without_fix_pattern(errors, _library(["TypeError: guard undefined arrays"]), CONFIG)
    assert [i.subject for i in found] == ["HydrationError"]  # RareError is too rare to ask for a pattern
    assert found[0].evidence["occurrences"] == 4
    assert error_types_without_fix_pattern(errors, _library(["TypeError: guard", "HydrationError: render on client"]), CONFIG) == []


def _observations(earlier: list[float], recent: list[float]) -> pl.DataFrame:
    rows = [{"domain": "error_fix", "strategy": "rewrite", "reward": r, "at": T0 + dt.timedelta(hours=i)} for i, r in enumerate(earlier)]
    rows += [{"domain": "error_fix", "strategy": "rewrite", "reward": r, "at": T0 + dt.timedelta(days=30, hours=i)} for i, r in enumerate(recent)]
    return pl.DataFrame(rows)


def test_a_strategy_that_stopped_working_appears_when_its_recent_outcomes_fall():
    steady = _observations([1, 1, 0, 1, 1, 1], [1, 1, 1, 0, 1, 1])
    assert strategies_that_stopped_working(steady, CONFIG) == []
    fell = _observations([1, 1, 0, 1, 1, 1], [0, 0, 1, 0, 0, 0])
    found = strategies_that_stopped_working(fell, CONFIG)
    assert [i.subject for i in found] == ["error_fix/rewrite"]
    assert found[0].evidence["recent_rate"] == round(1 / 6, 3) and found[0].evidence["earlier_rate"] == round(5 / 6, 3)


def test_a_champion_whose_weekly_evaluation_fell():
    held = [{"model": "builder-coder", "version": 2, "promoted_score": 0.70, "accuracy": 0.71, "at": 1.0}]
    assert champion_evaluations_fell(held, CONFIG) == []
    fell = held + [{"model": "builder-coder", "version": 2, "promoted_score": 0.70, "accuracy": 0.62, "at": 2.0}]
    found = champion_evaluations_fell(fell, CONFIG)
    assert found and found[0].evidence["latest_accuracy"] == 0.62
    # only the latest evaluation counts: a recovery clears it
    assert champion_evaluations_fell(fell + [{**held[0], "accuracy": 0.7, "at": 3.0}], CONFIG) == []


def test_derive_insights_combines_the_rules_into_one_table():
    insights = derive_insights(
        pairs=_pairs({"design": 3}), judgments=pl.DataFrame(), comparisons=pl.DataFrame(), errors=_errors(["X"] * 3),
        library=pl.DataFrame(), observations=pl.DataFrame(), evaluations=[], config=CONFIG)
    kinds = {i.kind for i in insights}
    assert kinds == {"domain_short_of_pairs", "error_type_without_fix_pattern"}
    table = insight_table(insights)
    assert table.height == len(insights) and all(json.loads(e)["recompute"] for e in table.get_column("evidence"))


def test_curriculum_puts_clear_confident_pairs_first_and_is_stable():
    pairs = pl.DataFrame({
        "pair_id": ["p1", "p2", "p3", "p4"], "domain": ["code"] * 4, "margin": [5.0, 40.0, 40.0, 20.0],
        "judgment_ids": [json.dumps(["h1:v1"]), json.dumps(["h2:v1"]), json.dumps(["h3:v1"]), "[]"],
    })
    judgments = pl.DataFrame({"content_hash": ["h1", "h2", "h3"], "judge_version": ["v1"] * 3, "confidence": [0.9, 0.95, 0.3]})
    order = curriculum_order(pairs, judgments)
    assert order.get_column("pair_id").to_list()[0] == "p2"  # widest margin, most confident judge
    assert order.get_column("pair_id").to_list()[-1] == "p1"  # narrowest margin
    assert order.get_column("curriculum_rank").to_list() == [0, 1, 2, 3]
    assert order.filter(pl.col("pair_id") == "p4").get_column("judge_confidence").item() == 1.0
    assert curriculum_order(pairs.reverse(), judgments).get_column("pair_id").to_list() == order.get_column("pair_id").to_list()


def test_review_queue_ranks_uncertain_and_disputed_items_first():
    judgments = _judgments([
        ("calm", "a", 70.0, 0.9), ("calm", "b", 72.0, 0.92),
        ("disputed", "a", 20.0, 0.8), ("disputed", "b", 90.0, 0.85),
        ("doubtful", "a", 50.0, 0.2), ("doubtful", "b", 52.0, 0.3),
    ])
    queue = review_queue(judgments, size=2)
    assert queue.get_column("item_id").to_list() == ["disputed", "doubtful"]
    routes = dict(zip(queue.get_column("item_id"), queue.get_column("route")))
    assert routes == {"disputed": "rejudge", "doubtful": "human_review"}
    assert "70.0 points" in queue.filter(pl.col("item_id") == "disputed").get_column("reason").item()
