"""Composing a decision's options from the concepts of its family (see `catalog_decisions`).

An option's quality follows from its clauses (sound or unsound); its true success probability
from the world's base rate for that quality and the affirmed concepts' context effects."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from learning_pipeline.simulation.catalog_decisions import (
    AFFIRM,
    CONCEPTS,
    CONNECT_2,
    CONNECT_3,
    DECISION_FAMILY,
    LEADS,
    OPTIONS_PER_DECISION,
    RULE_OUT,
)


@dataclass(frozen=True)
class Option:
    text: str
    quality: str  # "good" | "bad"
    clauses: tuple[tuple[str, bool], ...]  # (concept name, affirmed?)


def _pick(rng: random.Random, items):
    return items[int(rng.random() * len(items))]


def compose_option(rng: random.Random, decision_type: str, quality: str, entity: str, feature: str) -> Option:
    concepts = CONCEPTS[DECISION_FAMILY[decision_type]]
    k = 2 if rng.random() < 0.6 else 3
    chosen = rng.sample(range(len(concepts)), k)
    clauses, parts = [], []
    for index in chosen:
        name, helpful, phrasings, _ = concepts[index]
        # A sound clause affirms a helpful concept or rules out a harmful one.
        affirmed = helpful == (quality == "good")
        phrase = _pick(rng, phrasings)
        phrase = re.sub(r"^(a|an|the) ", "", phrase)
        parts.append(_pick(rng, AFFIRM if affirmed else RULE_OUT).format(c=phrase))
        clauses.append((name, affirmed))
    text = _pick(rng, CONNECT_2 if k == 2 else CONNECT_3).format(*parts)
    text = _pick(rng, LEADS) + text
    text = text.format(e=entity.lower(), f=feature)
    return Option(text=text[0].upper() + text[1:], quality=quality, clauses=tuple(clauses))


def compose_options(rng: random.Random, decision_type: str, entity: str, feature: str) -> list[Option]:
    """The options on the table for one decision (good and bad, in random order)."""
    options: list[Option] = []
    for quality, count in OPTIONS_PER_DECISION.items():
        while sum(o.quality == quality for o in options) < count:
            option = compose_option(rng, decision_type, quality, entity, feature)
            if all(o.text != option.text for o in options):
                options.append(option)
    rng.shuffle(options)
    return options
