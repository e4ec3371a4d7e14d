"""Trivial baselines: fitted on training pairs only, one score per held-out pair."""

import random

import polars as pl

from learning_pipeline.training.baselines import (
    BAG_OF_WORDS,
    LONGER_SIDE,
    TRAINING_LOOKUP,
    bag_of_words,
    baseline_scores,
    longer_side,
    training_lookup,
)


def frame(rows, domain="architecture"):
    return pl.DataFrame([{"domain": domain, "chosen": c, "rejected": r} for c, r in rows])


def test_longer_side_picks_the_longer_text_and_ties_count_half():
    held = frame([("a long answer", "short"), ("tiny", "a longer one"), ("same", "SAME")])
    assert longer_side(held) == [1.0, 0.0, 0.5]


def test_training_lookup_uses_training_win_rates_and_knows_nothing_of_unseen_texts():
    train = frame([("Typed store", "global state"), ("typed  store", "patch later"), ("patch later", "global state"),
                   ("global state", "patch later")])
    held = frame([
        ("typed store", "global state"),  # won 2/2 vs lost 1/3: picked
        ("global state", "Typed Store"),  # the same texts reversed: wrong, with confidence
        ("patch later", "global state"),  # 1/3 each: a tie
        ("something new", "typed store"),  # unseen (0.5) vs 1.0: wrong
        ("something new", "also new"),  # nothing known
    ])
    assert training_lookup(train, held) == [1.0, 0.0, 0.5, 0.0, 0.5]
    # Texts are looked up within their domain.
    assert training_lookup(train, frame([("typed store", "global state")], domain="design")) == [0.5]


def test_bag_of_words_learns_marker_words_and_ignores_words_only_held_out_pairs_have():
    rng = random.Random(0)
    fillers = ["screen", "flow", "page", "form", "list", "modal", "chart", "table"]
    train = frame([(f"use a typed store for the {rng.choice(fillers)}", f"use a global patch for the {rng.choice(fillers)}")
                   for _ in range(60)])
    held = frame([("a typed store for settings", "a global patch for settings"),  # learnable from training words
                  ("zebra quokka", "wombat")])  # words never seen in training: no evidence either way
    assert bag_of_words(train, held) == [1.0, 0.5]


def test_bag_of_words_needs_two_training_pairs_and_baseline_scores_names_what_ran():
    held = frame([("x y", "z")])
    assert bag_of_words(frame([("a", "b")]), held) is None
    assert set(baseline_scores(frame([("a", "b")]), held)) == {LONGER_SIDE, TRAINING_LOOKUP}
    assert set(baseline_scores(frame([("a", "b"), ("c", "d")]), held)) == {LONGER_SIDE, TRAINING_LOOKUP, BAG_OF_WORDS}
