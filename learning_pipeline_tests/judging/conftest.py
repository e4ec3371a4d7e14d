"""One fake OpenAI server process per test session, wiped clean before each test."""

from __future__ import annotations

import pytest

from learning_pipeline_tests.fake_openai_server import FakeOpenAI, start_fake_openai

SERVED_MODEL = "fake-judge-2026-11"


@pytest.fixture(scope="session")
def fake_openai_process():
    with start_fake_openai(served_model=SERVED_MODEL) as server:
        yield server


@pytest.fixture
def fake_openai(fake_openai_process: FakeOpenAI) -> FakeOpenAI:
    """The running fake server, with no script, no latency and an empty request log."""
    fake_openai_process.reset()
    return fake_openai_process
