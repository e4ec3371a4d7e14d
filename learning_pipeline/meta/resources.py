"""The embedder resource: `LEARNING_EMBEDDER=minilm` (default, the packaged model) or `openai`."""

import os
from typing import Optional

import dagster as dg

from learning_pipeline.meta.embeddings import Embedder
from learning_pipeline.meta.service import DEFAULT_OPENAI_EMBEDDING_MODEL


class PatternEmbedder(dg.ConfigurableResource):
    backend: str = "minilm"
    model: str = DEFAULT_OPENAI_EMBEDDING_MODEL  # for `openai`
    base_url: Optional[str] = None
    api_key: Optional[str] = None

    @classmethod
    def from_env(cls) -> "PatternEmbedder":
        backend = os.environ.get("LEARNING_EMBEDDER", "minilm")
        return cls(
            backend=backend,
            model=os.environ.get("LEARNING_EMBEDDING_MODEL", DEFAULT_OPENAI_EMBEDDING_MODEL),
            base_url=os.environ.get("OPENAI_BASE_URL"),
            # A secret: read from the environment at run time, never written into config.
            api_key=dg.EnvVar("OPENAI_API_KEY") if backend == "openai" and "OPENAI_API_KEY" in os.environ else None,
        )

    def embedder_name(self) -> str:
        """The name `build()`'s embedder will carry, known without loading it."""
        from learning_pipeline.meta.embeddings import MiniLMEmbedder, OpenAIEmbedder

        return MiniLMEmbedder.name if self.backend == "minilm" else OpenAIEmbedder.name_for(self.model)

    def build(self) -> Embedder:
        api_key = self.api_key.get_value() if isinstance(self.api_key, dg.EnvVar) else self.api_key
        if self.backend == "minilm":
            from learning_pipeline.meta.embeddings import MiniLMEmbedder

            return MiniLMEmbedder.shared()
        if self.backend == "openai":
            from learning_pipeline.meta.embeddings import OpenAIEmbedder

            if not self.base_url and not api_key:
                raise ValueError("LEARNING_EMBEDDER=openai needs OPENAI_BASE_URL (and OPENAI_API_KEY unless the endpoint is open)")
            return OpenAIEmbedder(self.model, base_url=self.base_url, api_key=api_key or "not-needed")
        raise ValueError(f"LEARNING_EMBEDDER={self.backend!r}: expected 'minilm' or 'openai'")
