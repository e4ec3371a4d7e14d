"""LLM judge throughput against the fake OpenAI server.

With a fixed server latency L and C requests in flight, the ideal rate is C / L
(32 / 0.2 s = 160 judgments/s). Anything well below that means the client (SDK, HTTP pool,
our own per-item work) or the server serialises requests. The bar is 90% of ideal.

    .venv/bin/python bench/bench_judge_throughput.py [--items 2000] [--concurrency 32] [--latency-ms 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from learning_pipeline.judging.llm import LLMJudge, LLMSettings  # noqa: E402
from learning_pipeline.judging.rubrics import JUDGE_TYPES  # noqa: E402
from learning_pipeline.judging.verdicts import JudgeItem  # noqa: E402
from learning_pipeline_tests.fake_openai_server import start_fake_openai  # noqa: E402

BAR = 0.90


def make_items(n: int) -> list[JudgeItem]:
    """Trace-sized items, spread over the four judge types."""
    code = "\n".join(f"export function step{i}(state: State) {{ return {{ ...state, n: state.n + {i} }}; }}" for i in range(40))
    return [
        JudgeItem(
            item_id=f"item_{i}",
            item_kind="code_version",
            judge_type=JUDGE_TYPES[i % len(JUDGE_TYPES)],
            content={"filePath": f"src/feature_{i}.ts", "code": code, "trigger": "initial", "errorCount": i % 3},
            build_id=f"bld_{i // 10}",
        )
        for i in range(n)
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=200)
    args = parser.parse_args()

    items = make_items(args.items)
    with start_fake_openai(latency_ms=args.latency_ms) as server:
        judge = LLMJudge(LLMSettings(
            base_url=server.base_url, api_key="bench-key", model="bench-model",
            concurrency=args.concurrency, timeout_s=30,
            price_per_1k_input=0.00015, price_per_1k_output=0.0006,
        ))
        server_process = psutil.Process(server.pid)
        server_cpu = sum(server_process.cpu_times()[:2])
        client_cpu = time.process_time()
        started = time.perf_counter()
        judgments = judge.judge_many(items)
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        server_cpu = sum(server_process.cpu_times()[:2]) - server_cpu
        max_in_flight = server.stats()["max_in_flight"]

    ok = sum(j.status == "ok" for j in judgments)
    rate = len(judgments) / elapsed
    ideal = args.concurrency / (args.latency_ms / 1000)
    ratio = rate / ideal
    print(f"items={len(items)} ok={ok} elapsed={elapsed:.2f}s max_in_flight={max_in_flight}")
    print(f"usage: {judge.usage}")
    # The ratio needs spare CPU: on a machine whose cores are busy with other work it drops
    # even though nothing here changed, so the CPU cost per judgment is printed beside it.
    print(f"cpu per judgment: client {1000 * client_cpu / len(items):.2f} ms, server {1000 * server_cpu / len(items):.2f} ms; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"throughput: {rate:.1f} judgments/s; ideal {ideal:.0f}/s; ratio {ratio:.3f} (bar {BAR})")
    if ok != len(items) or ratio < BAR:
        print("FAIL")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
