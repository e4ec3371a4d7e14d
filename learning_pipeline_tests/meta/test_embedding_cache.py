"""The pattern library's embedding cache: a refresh embeds only texts it has not seen, and the
vectors it hands back are the inner embedder's, in the caller's order."""

from __future__ import annotations

import numpy as np

from learning_pipeline.meta.embeddings import CachedEmbedder, unit_rows


class CountingEmbedder:
    def __init__(self, name: str = "fake"):
        self.name = name
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return unit_rows(np.array([[len(t), t.count("a") + 1, sum(map(ord, t)) % 7 + 1] for t in texts], dtype=np.float32)).reshape(len(texts), 3)


def test_a_second_refresh_embeds_only_new_texts_and_returns_the_same_vectors(tmp_path):
    path = tmp_path / "cache" / "embeddings.parquet"
    inner = CountingEmbedder()
    first = CachedEmbedder(inner.name, lambda: inner, path).embed(["alpha", "beta", "alpha"])
    assert inner.calls == [["alpha", "beta"]]  # duplicates within one call are embedded once

    again = CachedEmbedder(inner.name, lambda: inner, path)  # a new process: the cache is read from disk
    second = again.embed(["beta", "gamma", "alpha"])
    assert inner.calls[-1] == ["gamma"] and again.misses == 1
    np.testing.assert_array_equal(second[0], first[1])
    np.testing.assert_array_equal(second[2], first[0])
    np.testing.assert_array_equal(second, inner.embed(["beta", "gamma", "alpha"]))


def test_another_embedder_never_reads_the_first_ones_vectors(tmp_path):
    path = tmp_path / "embeddings.parquet"
    CachedEmbedder("model-a", lambda: CountingEmbedder("model-a"), path).embed(["alpha"])
    other = CountingEmbedder("model-b")
    CachedEmbedder("model-b", lambda: other, path).embed(["alpha"])
    assert other.calls == [["alpha"]]


def test_an_unreadable_cache_is_rebuilt(tmp_path):
    path = tmp_path / "embeddings.parquet"
    path.write_bytes(b"not parquet")
    inner = CountingEmbedder()
    assert CachedEmbedder(inner.name, lambda: inner, path).embed(["alpha"]).shape == (1, 3)
    assert CachedEmbedder(inner.name, lambda: inner, path).embed(["alpha"]).shape == (1, 3) and len(inner.calls) == 1


def test_nothing_new_to_embed_builds_no_embedder(tmp_path):
    path = tmp_path / "embeddings.parquet"
    inner = CountingEmbedder()
    CachedEmbedder("fake", lambda: inner, path).embed(["alpha"])

    def refuse():
        raise AssertionError("the embedder was loaded with every text in the cache")

    assert CachedEmbedder("fake", refuse, path).embed(["alpha"]).shape == (1, 3)
