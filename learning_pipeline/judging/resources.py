"""The judge resource: `LEARNING_JUDGE=heuristic` (default, offline) or `llm` (OpenAI-compatible)."""

import os
from typing import Optional

import dagster as dg

from learning_pipeline.config import judge_backend_from_env
from learning_pipeline.judging.backends import Judge
from learning_pipeline.judging.rubrics import load_rubrics


class JudgeResource(dg.ConfigurableResource):
    backend: str = "heuristic"
    base_url: Optional[str] = None
    api_key: Optional[str] = None
    model: str = "gpt-4o-mini"
    concurrency: int = 32
    timeout_s: float = 60.0
    budget_usd: Optional[float] = None
    price_per_1k_input: float = 0.00015
    price_per_1k_output: float = 0.0006
    rubrics_file: Optional[str] = None

    @classmethod
    def from_env(cls) -> "JudgeResource":
        backend = judge_backend_from_env()
        budget = os.environ.get("LEARNING_JUDGE_BUDGET_USD")
        return cls(
            backend=backend,
            base_url=os.environ.get("OPENAI_BASE_URL"),
            # A secret: read from the environment at run time, never written into config.
            api_key=dg.EnvVar("OPENAI_API_KEY") if backend == "llm" and "OPENAI_API_KEY" in os.environ else None,
            model=os.environ.get("LEARNING_JUDGE_MODEL", "gpt-4o-mini"),
            budget_usd=float(budget) if budget else None,
            rubrics_file=os.environ.get("LEARNING_RUBRICS_FILE"),
        )

    def build(self) -> Judge:
        rubrics = load_rubrics(self.rubrics_file)
        # Inside a run Dagster has resolved the EnvVar; a script using the resource directly has not.
        api_key = self.api_key.get_value() if isinstance(self.api_key, dg.EnvVar) else self.api_key
        if self.backend == "heuristic":
            from learning_pipeline.judging.heuristics import HeuristicJudge

            return HeuristicJudge(rubrics)
        if self.backend == "llm":
            from learning_pipeline.judging.llm import LLMJudge, LLMSettings

            if not self.base_url and not api_key:
                raise ValueError("LEARNING_JUDGE=llm needs OPENAI_BASE_URL (and OPENAI_API_KEY unless the endpoint is open)")
            return LLMJudge(
                LLMSettings(
                    base_url=self.base_url or "https://api.openai.com/v1",
                    api_key=api_key or "not-needed",
                    model=self.model,
                    concurrency=self.concurrency,
                    timeout_s=self.timeout_s,
                    budget_usd=self.budget_usd,
                    price_per_1k_input=self.price_per_1k_input,
                    price_per_1k_output=self.price_per_1k_output,
                ),
                rubrics,
            )
        raise ValueError(f"LEARNING_JUDGE={self.backend!r}: expected 'heuristic' or 'llm'")
