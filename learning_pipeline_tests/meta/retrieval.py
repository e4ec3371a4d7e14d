"""Retrieval quality of the error-fix library on the simulated error families (test and bench)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from learning_pipeline.config import MetaConfig
from learning_pipeline.meta.pattern_search import PatternIndex, calibrate_min_relevance
from learning_pipeline.meta.pattern_sources import error_fix_candidates, error_signature
from learning_pipeline.meta.patterns import build_library
from learning_pipeline_tests.meta import error_families as ef


@dataclass
class RetrievalFigures:
    min_relevance: float  # calibrated on the training queries
    top3_rate: float  # held-out in-library queries whose right fix is in the top 3
    no_result_rate: float  # held-out out-of-library queries answered with nothing
    random_top3_rate: float  # the trivial baseline: 3 patterns drawn at random
    in_library_queries: int
    unrelated_queries: int
    misses: list[str]
    false_answers: list[str]


def family_of(pattern_sources: list[str]) -> str:
    return pattern_sources[0].removeprefix("err_").rsplit("_", 1)[0]


def evaluate(embedder, seed: int = 0) -> RetrievalFigures:
    config = MetaConfig()
    library, _ = build_library(error_fix_candidates(ef.error_traces(seed=seed)), embedder, None, config)
    index = PatternIndex(library, config)
    families = [family_of(s) for s in library.get_column("source_trace_ids").to_list()]

    texts = [t for t, _ in ef.queries("train")] + ef.unrelated("train") + [t for t, _ in ef.queries("held_out")] + ef.unrelated("held_out")
    vectors = dict(zip(texts, embedder.embed([error_signature(None, t) for t in texts])))  # one batch

    def vector(text):
        return vectors[text]

    relevant = []
    for text, family in ef.queries("train"):
        hits = index.search(vector(text), k=len(index), min_relevance=-1.0)
        relevant.append(next(h.similarity for h in hits if families[h.row] == family))
    irrelevant = [index.search(vector(t), k=1, min_relevance=-1.0)[0].similarity for t in ef.unrelated("train")]
    floor = calibrate_min_relevance(relevant, irrelevant)

    held = ef.queries("held_out")
    misses = []
    for text, family in held:
        if family not in [families[h.row] for h in index.search(vector(text), k=3, min_relevance=floor)]:
            misses.append(text)
    false_answers = [t for t in ef.unrelated("held_out") if index.search(vector(t), k=3, min_relevance=floor)]
    rng = random.Random(seed)
    random_hits = sum(family in rng.sample(families, 3) for _, family in held)
    return RetrievalFigures(
        min_relevance=floor,
        top3_rate=1 - len(misses) / len(held),
        no_result_rate=1 - len(false_answers) / len(ef.unrelated("held_out")),
        random_top3_rate=random_hits / len(held),
        in_library_queries=len(held),
        unrelated_queries=len(ef.unrelated("held_out")),
        misses=misses,
        false_answers=false_answers,
    )
