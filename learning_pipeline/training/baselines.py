"""Trivial baselines, scored on the same held-out pairs as the models.

A model's held-out accuracy means little on its own: if the chosen side is usually the longer
one, or the same texts keep winning, a model can score high without learning anything worth
serving. Each baseline returns one score per held-out pair (1 right, 0 wrong, 0.5 when it
cannot tell), so it goes through the same cluster bootstrap as the models. Everything a
baseline is fitted on comes from the training pairs only.
"""

from __future__ import annotations

import random
from collections import Counter

import polars as pl

from learning_pipeline.preferences.pairs import normalise

LONGER_SIDE = "longer side"
TRAINING_LOOKUP = "training lookup"
BAG_OF_WORDS = "bag-of-words logistic regression"


def _pick(difference: float) -> float:
    return 1.0 if difference > 0 else 0.0 if difference < 0 else 0.5


def longer_side(held_out: pl.DataFrame) -> list[float]:
    """Pick the longer text (in characters)."""
    return [_pick(len(c) - len(r)) for c, r in held_out.select("chosen", "rejected").iter_rows()]


def training_lookup(train: pl.DataFrame, held_out: pl.DataFrame) -> list[float]:
    """Pick the text that won more often in training: each (domain, normalised text) gets its
    training win rate; a text never seen in training gets 0.5, so a pair of unseen texts (or of
    equal rates) is a coin flip."""
    wins, seen = Counter(), Counter()
    for domain, chosen, rejected in train.select("domain", "chosen", "rejected").iter_rows():
        wins[(domain, normalise(chosen))] += 1
        seen[(domain, normalise(chosen))] += 1
        seen[(domain, normalise(rejected))] += 1

    def rate(domain: str, text: str) -> float:
        key = (domain, normalise(text))
        return wins[key] / seen[key] if seen[key] else 0.5

    return [_pick(rate(d, c) - rate(d, r)) for d, c, r in held_out.select("domain", "chosen", "rejected").iter_rows()]


def bag_of_words(train: pl.DataFrame, held_out: pl.DataFrame, seed: int = 0) -> list[float] | None:
    """A logistic regression on the difference of the two sides' word and bigram counts.

    The vocabulary and the weights are fitted on the training pairs only. Sides are swapped at
    random (label: is the first side the chosen one) and there is no intercept, so the model can
    only learn which words mark the better side, never a side. None when training holds fewer
    than two pairs.
    """
    if train.height < 2 or held_out.height == 0:
        return None
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = CountVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", lowercase=True)
    vectorizer.fit(train["chosen"].to_list() + train["rejected"].to_list())
    difference = vectorizer.transform(train["chosen"].to_list()) - vectorizer.transform(train["rejected"].to_list())
    rng = random.Random(seed)
    swapped = [rng.random() < 0.5 for _ in range(train.height)]
    if all(swapped) or not any(swapped):  # both labels must occur
        swapped[0] = not swapped[0]
    signs = [-1.0 if s else 1.0 for s in swapped]
    from scipy.sparse import diags

    model = LogisticRegression(fit_intercept=False, max_iter=2000)
    model.fit(diags(signs) @ difference, [0 if s else 1 for s in swapped])
    held = vectorizer.transform(held_out["chosen"].to_list()) - vectorizer.transform(held_out["rejected"].to_list())
    return [_pick(float(d)) for d in model.decision_function(held)]


def baseline_scores(train: pl.DataFrame, held_out: pl.DataFrame, seed: int = 0) -> dict[str, list[float]]:
    """Every baseline that can be fitted here, by name, each with one score per held-out pair."""
    scores = {LONGER_SIDE: longer_side(held_out), TRAINING_LOOKUP: training_lookup(train, held_out)}
    bow = bag_of_words(train, held_out, seed)
    if bow is not None:
        scores[BAG_OF_WORDS] = bow
    return scores
