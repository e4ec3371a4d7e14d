"""Pattern search through the learning API over HTTP: p50/p99 of `GET /patterns/search` over a
100k-pattern library.

The library is synthetic (building 100k real patterns would take the simulator and extraction
hours): pattern problems are made of words from a vocabulary of error terms, and their vectors
are the deterministic embedding the project's fake OpenAI server answers (the text's words
hashed into 64 signed buckets, `fake_openai_server.embedding_for`). The API embeds each query
through that fake server over HTTP (LEARNING_EMBEDDER=openai), exactly as it would call a real
embeddings endpoint, so each measured request holds: auth, the query's embedding round trip,
the IVF index search, the relevance gate and the outcome rerank. Queries are new word mixes,
not library texts.

Bar: p50 <= 20 ms.

    .venv/bin/python bench/bench_api_pattern_search.py [--patterns 100000] [--queries 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from learning_pipeline.lake import Lake  # noqa: E402
from learning_pipeline.meta.patterns import LIBRARY_TABLE, library_schema  # noqa: E402
from learning_pipeline_tests.api.servers import ApiServer  # noqa: E402
from learning_pipeline_tests.fake_openai_server import EMBEDDING_DIMENSIONS, embedding_for, start_fake_openai  # noqa: E402

TOKEN = "bench-token"
MODEL = "text-embedding-3-small"
WORDS = ("typeerror referenceerror undefined null property map render hook state effect dependency import module "
         "export default fetch cors timeout promise async await json parse token schema migration column index "
         "query transaction css grid flex overflow z-index animation keyframe easing layout hydration mismatch "
         "server client route param redirect cookie session auth jwt expired websocket reconnect memory leak").split()
CATEGORIES = ("error_fix", "code", "design", "architecture")


def library(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    problems = [" ".join(rng.choice(WORDS, size=rng.integers(4, 9), replace=False)) for _ in range(n)]
    vectors = np.array([embedding_for(p, EMBEDDING_DIMENSIONS) for p in problems], dtype=np.float32)
    now = dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)
    schema = library_schema(EMBEDDING_DIMENSIONS)
    frame = pl.DataFrame({
        "pattern_id": [f"pat_{i:06d}" for i in range(n)], "category": [CATEGORIES[i % 4] for i in range(n)],
        "name": [f"pattern {i}" for i in range(n)], "problem": problems,
        "solution_template": ["guard the value before use"] * n, "conditions": [[]] * n, "anti_conditions": [[]] * n,
        "code_template": [""] * n, "embedding": pl.Series(vectors).cast(pl.Array(pl.Float32, EMBEDDING_DIMENSIONS)),
        "embedder": [f"openai:{MODEL}"] * n, "usage_count": rng.integers(0, 50, n), "success_rate": rng.uniform(0.3, 0.95, n),
        "successes": rng.uniform(0, 40, n), "source_count": rng.integers(1, 10, n),
        "source_trace_ids": [[]] * n, "merged_ids": [[]] * n, "first_seen": [now] * n, "last_seen": [now] * n,
    })
    return frame.select([c for c in schema if c in frame.columns]).cast({c: t for c, t in schema.items() if c in frame.columns})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patterns", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_search_") as tmp, start_fake_openai() as fake:
        home = Path(tmp)
        started = time.perf_counter()
        Lake(home / "lake").write(LIBRARY_TABLE, library(args.patterns))
        print(f"{args.patterns:,} synthetic patterns written in {time.perf_counter() - started:.1f} s")
        api = ApiServer(home, token=TOKEN, extra_env={"LEARNING_EMBEDDER": "openai", "LEARNING_EMBEDDING_MODEL": MODEL,
                                                      "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "fake"}).wait_ready()
        try:
            rng = np.random.default_rng(1)
            queries = [" ".join(rng.choice(WORDS, size=5, replace=False)) for _ in range(args.queries)]
            conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=120)
            headers = {"Authorization": f"Bearer {TOKEN}"}

            def ask(q: str) -> tuple[int, bytes]:
                conn.request("GET", "/api/learning/patterns/search?" + urllib.parse.urlencode({"q": q, "k": 3}), headers=headers)
                r = conn.getresponse()
                return r.status, r.read()

            t = time.perf_counter()
            status, body = ask(queries[0])  # the first request builds the index from the table
            print(f"first search (index built from the table): {time.perf_counter() - t:.1f} s, HTTP {status}")
            assert status == 200, body
            for q in queries[:20]:
                ask(q)
            latencies, hits = [], 0
            for q in queries:
                t = time.perf_counter()
                status, body = ask(q)
                latencies.append(time.perf_counter() - t)
                assert status == 200, body
                hits += body.count(b'"patternId"')
        finally:
            api.stop()
    p50, p99 = np.percentile(latencies, 50) * 1000, np.percentile(latencies, 99) * 1000
    print(f"GET /patterns/search over HTTP, {args.patterns:,} patterns: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
          f"over {len(latencies)} queries ({hits / len(latencies):.1f} results each on average)")
    print(f"bar p50 <= 20 ms: ratio {p50 / 20:.2f} (at most 1 passes)")


if __name__ == "__main__":
    main()
