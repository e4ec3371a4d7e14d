"""Pattern library retrieval quality with the packaged MiniLM model, on simulated error families.

Traces: 14 error families, each with verified fixes and failed attempts that try other families'
fixes (plus unresolved traces). Queries are worded differently from every trace (another browser's
or tool's message, other identifiers and files); a content hash splits them into training queries,
which calibrate the minimum relevance, and held-out ones, which are only scored. Out-of-library
queries (errors unlike any family) are split the same way.

Bars: right fix in the top 3 for >= 80% of held-out queries; held-out out-of-library queries
answered with nothing (100%). Baseline: three patterns drawn at random.

    .venv/bin/python bench/bench_pattern_retrieval.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from learning_pipeline.meta.embeddings import MiniLMEmbedder  # noqa: E402
from learning_pipeline_tests.meta.retrieval import evaluate  # noqa: E402


def main() -> None:
    figures = evaluate(MiniLMEmbedder.shared())
    print(f"minimum relevance calibrated on training queries: {figures.min_relevance:.3f}")
    print(f"held-out in-library queries: {figures.in_library_queries}, out-of-library: {figures.unrelated_queries}")
    print(f"top-3 rate: {figures.top3_rate:.1%} (bar 80%, ratio {figures.top3_rate / 0.8:.2f}); "
          f"random baseline {figures.random_top3_rate:.1%}; margin {figures.top3_rate - figures.random_top3_rate:+.1%}")
    print(f"no-result rate on unrelated queries: {figures.no_result_rate:.1%} (bar 100%, ratio {figures.no_result_rate:.2f})")
    for miss in figures.misses:
        print(f"  missed: {miss}")
    for answered in figures.false_answers:
        print(f"  answered although unrelated: {answered}")


if __name__ == "__main__":
    main()
