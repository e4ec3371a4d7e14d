"""Pattern search latency: top-5 over 100k patterns (384-dim) in process vs DuckDB brute force.

The library table is synthetic but shaped like real embeddings: unit vectors clustered around
2,000 topics. Search goes through `PatternIndex.search` (the path `patterns search` uses: the
IVF index built from the table, the relevance gate, conditions, the outcome rerank). DuckDB runs
`array_cosine_similarity` over the same vectors in the same process and run. Recall@5 of the
index against exact search is printed beside the latency, since the index is approximate.

Bars: p50 <= 5 ms, and >= 5x faster than DuckDB.

    .venv/bin/python bench/bench_pattern_search_latency.py [--patterns 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from learning_pipeline.config import MetaConfig  # noqa: E402
from learning_pipeline.meta.embeddings import unit_rows  # noqa: E402
from learning_pipeline.meta.pattern_search import PatternIndex  # noqa: E402

DIM, K = 384, 5


def library(n: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((2000, DIM)).astype(np.float32)
    vectors = unit_rows(topics[rng.integers(0, 2000, n)] + 0.6 * rng.standard_normal((n, DIM)).astype(np.float32))
    return pl.DataFrame({
        "pattern_id": [f"pat_{i}" for i in range(n)], "category": ["code"] * n,
        "embedding": pl.Series(vectors).cast(pl.Array(pl.Float32, DIM)), "embedder": ["synthetic"] * n,
        "success_rate": rng.uniform(0.3, 0.95, n), "conditions": [[]] * n, "anti_conditions": [[]] * n,
    })


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patterns", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    frame = library(args.patterns)
    vectors = frame.get_column("embedding").to_numpy()
    rng = np.random.default_rng(1)
    queries = unit_rows(vectors[rng.integers(0, len(vectors), args.queries)] + 0.5 * rng.standard_normal((args.queries, DIM)).astype(np.float32))

    started = time.perf_counter()
    index = PatternIndex(frame, MetaConfig())
    print(f"{args.patterns:,} patterns: index built from the table in {time.perf_counter() - started:.1f} s "
          f"({'IVF' if index.ivf is not None else 'exact'})")
    for q in queries[:10]:
        index.search(q, k=K, min_relevance=-1.0)  # warm-up
    ours = []
    for q in queries:
        t = time.perf_counter()
        index.search(q, k=K, min_relevance=-1.0)
        ours.append(time.perf_counter() - t)

    exact_top = [set(np.argsort(-(vectors @ q))[:K]) for q in queries]
    # Recall of the similarity stage (search then reranks by outcome, so its order is not similarity order).
    recall = np.mean([len(exact_top[i] & set(index.nearest(q, K)[0].tolist())) / K for i, q in enumerate(queries)])

    con = duckdb.connect(":memory:")
    arrow = frame.select(pl.int_range(pl.len()).alias("row"), "embedding").to_arrow()
    con.register("arrow_patterns", arrow)
    con.execute(f"CREATE TABLE patterns AS SELECT row, embedding::FLOAT[{DIM}] AS embedding FROM arrow_patterns")
    sql = (f"SELECT row, array_cosine_similarity(embedding, ?::FLOAT[{DIM}]) AS s FROM patterns ORDER BY s DESC LIMIT {K}")
    for q in queries[:3]:
        con.execute(sql, [q.tolist()]).fetchall()
    theirs = []
    for q in queries[: max(20, args.queries // 4)]:
        t = time.perf_counter()
        con.execute(sql, [q.tolist()]).fetchall()
        theirs.append(time.perf_counter() - t)

    p50, duck = float(np.median(ours)) * 1000, float(np.median(theirs)) * 1000
    print(f"in process: p50 {p50:.3f} ms, p95 {np.percentile(ours, 95) * 1000:.3f} ms over {len(ours)} queries; "
          f"recall@{K} vs exact {recall:.3f}")
    print(f"DuckDB array_cosine_similarity brute force: p50 {duck:.1f} ms over {len(theirs)} queries")
    print(f"bar p50 <= 5 ms: ratio {p50 / 5:.3f} (below 1 passes)")
    print(f"speed-up vs DuckDB: {duck / p50:.0f}x (bar 5x, ratio {duck / p50 / 5:.1f})")


if __name__ == "__main__":
    main()
