"""What the command line and the HTTP API answer about strategies and patterns (one code path).

Answers are the shapes WIRE_FORMAT.md gives (camelCase). Reading is cheap: the library's
search index is rebuilt only when the table's file changes.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import polars as pl

from learning_pipeline.config import LearningSettings, MetaConfig
from learning_pipeline.lake import Lake
from learning_pipeline.meta.embeddings import Embedder, MiniLMEmbedder, OpenAIEmbedder
from learning_pipeline.meta.pattern_search import PatternIndex
from learning_pipeline.meta.pattern_sources import error_signature
from learning_pipeline.meta.patterns import CATEGORIES, LIBRARY_TABLE
from learning_pipeline.meta.strategies import (
    OBSERVATION_SCHEMA, POSTERIOR_SCHEMA, StrategyModel, catalogue, fit,
)

OBSERVATIONS_TABLE = "strategy_observations"
POSTERIORS_TABLE = "strategy_posteriors"
DEFAULT_OPENAI_EMBEDDING_MODEL = "text-embedding-3-small"


class PatternLibraryError(Exception):
    """A search the library cannot answer as asked (say why in one line)."""


def embedder_from_env() -> Embedder:
    """`LEARNING_EMBEDDER`: `minilm` (default, the packaged model) or `openai` (OPENAI_BASE_URL,
    OPENAI_API_KEY, LEARNING_EMBEDDING_MODEL)."""
    backend = os.environ.get("LEARNING_EMBEDDER", "minilm").strip().lower()
    if backend == "minilm":
        return MiniLMEmbedder.shared()
    if backend == "openai":
        return OpenAIEmbedder(
            model=os.environ.get("LEARNING_EMBEDDING_MODEL", DEFAULT_OPENAI_EMBEDDING_MODEL),
            base_url=os.environ.get("OPENAI_BASE_URL"), api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",
        )
    raise PatternLibraryError(f"LEARNING_EMBEDDER={backend!r}: expected 'minilm' or 'openai'")


_cache: dict[str, tuple[int, PatternIndex]] = {}
_cache_lock = threading.Lock()


def load_index(lake: Lake, config: MetaConfig = MetaConfig()) -> PatternIndex:
    path: Path = lake.partition_path(LIBRARY_TABLE)
    if not path.exists():
        return PatternIndex(pl.DataFrame(), config)
    stamp = path.stat().st_mtime_ns
    with _cache_lock:
        cached = _cache.get(str(path))
        if cached and cached[0] == stamp:
            return cached[1]
    index = PatternIndex(pl.read_parquet(path), config)
    with _cache_lock:
        _cache[str(path)] = (stamp, index)
    return index


def _check_category(category: str | None) -> None:
    if category is not None and category not in CATEGORIES:
        raise PatternLibraryError(f"unknown pattern category {category!r}; expected one of {', '.join(CATEGORIES)}")


def search_patterns(settings: LearningSettings, query: str, category: str | None = None, k: int | None = None,
                    context: dict | None = None, embedder: Embedder | None = None) -> dict:
    """`GET /patterns/search`: `{"results": [...]}`, empty when nothing is relevant enough."""
    _check_category(category)
    if not query or not query.strip():
        raise PatternLibraryError("the query is empty")
    index = load_index(Lake(settings.lake_dir), settings.meta)
    if not len(index):
        return {"results": []}
    embedder = embedder or embedder_from_env()
    if embedder.name != index.embedder:
        raise PatternLibraryError(
            f"the pattern library was embedded with {index.embedder!r} but queries would be embedded with "
            f"{embedder.name!r}: set LEARNING_EMBEDDER to the library's embedder or refresh the library"
        )
    vector = embedder.embed([error_signature(None, query)])[0]
    return {"results": [index.wire(hit) for hit in index.search(vector, category, k, context)]}


def list_patterns(settings: LearningSettings, category: str | None = None) -> dict:
    """`GET /patterns`: every pattern, best supported first."""
    _check_category(category)
    lake = Lake(settings.lake_dir)
    if not lake.has(LIBRARY_TABLE):
        return {"results": []}
    library = lake.read(LIBRARY_TABLE).drop("embedding")
    if category:
        library = library.filter(pl.col("category") == category)
    library = library.sort(["category", "source_count", "pattern_id"], descending=[False, True, False])
    return {"results": [
        {"patternId": r["pattern_id"], "category": r["category"], "name": r["name"], "problem": r["problem"],
         "solutionTemplate": r["solution_template"], "codeTemplate": r["code_template"],
         "successRate": round(r["success_rate"], 4), "usageCount": r["usage_count"], "sourceCount": r["source_count"],
         "conditions": r["conditions"], "antiConditions": r["anti_conditions"]}
        for r in library.iter_rows(named=True)
    ]}


def strategy_model(settings: LearningSettings) -> StrategyModel:
    """Posteriors over the stored observations, with the statuses the last refresh decided."""
    lake = Lake(settings.lake_dir)
    observations = lake.read(OBSERVATIONS_TABLE, schema=OBSERVATION_SCHEMA)
    posteriors = lake.read(POSTERIORS_TABLE, schema=POSTERIOR_SCHEMA)
    previous = {(d, s): st for d, s, st in posteriors.select("domain", "strategy", "status").iter_rows()}
    return fit(observations, catalogue(observations, previous), settings.meta)


def recommend_strategy(settings: LearningSettings, domain: str, context: dict | None = None) -> dict:
    """`POST /strategies/{domain}/recommend`."""
    return strategy_model(settings).recommend(domain, context or {})


def list_strategies(settings: LearningSettings, domain: str | None = None) -> dict:
    """`GET /strategies[/{domain}]`: the posterior table of the last refresh."""
    table = Lake(settings.lake_dir).read(POSTERIORS_TABLE, schema=POSTERIOR_SCHEMA)
    if domain:
        table = table.filter(pl.col("domain") == domain)
    return {"strategies": [
        {"domain": r["domain"], "strategy": r["strategy"], "description": r["description"], "status": r["status"],
         "successRate": round(r["success_rate"], 4), "credibleInterval": [round(r["ci_low"], 4), round(r["ci_high"], 4)],
         "usage": r["usage"], "effectiveN": round(r["effective_n"], 2),
         "effectiveContexts": r["effective_contexts"], "ineffectiveContexts": r["ineffective_contexts"]}
        for r in table.iter_rows(named=True)
    ]}
