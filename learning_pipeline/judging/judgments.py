"""Judge one day's items through the ledger: answer what is known, judge only what is new."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import polars as pl

from learning_pipeline.judging.backends import Judge
from learning_pipeline.judging.ledger import JUDGMENT_SCHEMA, JudgmentLedger, judgment_rows
from learning_pipeline.judging.verdicts import JudgeItem

JUDGMENTS_TABLE = "judgments"


@dataclass
class JudgingReport:
    items: int = 0
    from_ledger: int = 0
    judged_now: int = 0
    by_status: Counter = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    failures: list[str] = field(default_factory=list)

    def merge(self, other: "JudgingReport") -> None:
        self.items += other.items
        self.from_ledger += other.from_ledger
        self.judged_now += other.judged_now
        self.by_status.update(other.by_status)
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd
        self.failures += other.failures


def judge_items(
    items: list[JudgeItem],
    judge: Judge,
    ledger: JudgmentLedger,
    progress: Callable[[int], None] | None = None,
) -> tuple[pl.DataFrame, JudgingReport]:
    """One row per item: the ledger's verdict if this judge version already gave one for this
    exact content, else a fresh judgment (recorded in the ledger, whatever its status)."""
    report = JudgingReport(items=len(items))
    if not items:
        return pl.DataFrame(schema=JUDGMENT_SCHEMA), report
    versions = {t: judge.judge_version(t) for t in {i.judge_type for i in items}}
    keys = pl.DataFrame(
        {
            "content_hash": [i.content_hash for i in items],
            "judge_version": [versions[i.judge_type] for i in items],
            "item_id": [i.item_id for i in items],
            "judge_type": [i.judge_type for i in items],
        }
    )
    known = ledger.answers(keys)
    known_keys = set(zip(known.get_column("content_hash").to_list(), known.get_column("judge_version").to_list()))
    # The same content can appear twice in a day (e.g. an artifact re-sent): judge it once.
    todo: dict[tuple[str, str], JudgeItem] = {}
    for item in items:
        key = (item.content_hash, versions[item.judge_type])
        if key not in known_keys:
            todo.setdefault(key, item)
    fresh = judge.judge_many(list(todo.values()), progress=progress) if todo else []
    fresh_rows = judgment_rows(fresh)
    ledger.record(fresh_rows)

    report.judged_now = len(fresh)
    report.from_ledger = len(items) - sum(1 for i in items if (i.content_hash, versions[i.judge_type]) in todo)
    report.prompt_tokens = sum(j.prompt_tokens for j in fresh)
    report.completion_tokens = sum(j.completion_tokens for j in fresh)
    report.cost_usd = sum(j.cost_usd for j in fresh)
    report.failures = [f"{j.item.judge_type} {j.item.item_id}: {j.error}" for j in fresh if j.status == "failed"]

    answers = pl.concat([known, fresh_rows]).unique(["content_hash", "judge_version"], keep="last", maintain_order=True)
    day = keys.join(answers.drop("item_id", "judge_type"), on=["content_hash", "judge_version"], how="left")
    # The same content judged for two items (identical code in two artifacts) keeps each item's id.
    day = day.select(list(JUDGMENT_SCHEMA)).unique(["item_id", "judge_type"], keep="last", maintain_order=True)
    report.by_status = Counter(day.get_column("status").to_list())
    return day, report


def score_summary(day: pl.DataFrame) -> dict[str, float]:
    ok = day.filter(pl.col("status") == "ok")
    if not ok.height:
        return {}
    means = ok.group_by("judge_type").agg(pl.col("overall").mean()).sort("judge_type")
    return {f"mean_{t}": round(v, 2) for t, v in means.iter_rows()}
