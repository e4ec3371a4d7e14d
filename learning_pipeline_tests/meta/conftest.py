import pytest


@pytest.fixture(scope="session")
def minilm():
    """The real packaged embedding model, loaded once per test session (a few seconds)."""
    from learning_pipeline.meta.embeddings import MiniLMEmbedder

    return MiniLMEmbedder.shared()
