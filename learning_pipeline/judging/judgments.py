"""Judge one day's items, and compare its consecutive code versions, through the ledgers: answer
what is known, judge only what is new, and ask again what failed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
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


# -- pairwise comparisons of consecutive code versions ---------------------------------------------
COMPARISONS_TABLE = "code_version_comparisons"
COMPARISON_LEDGER = "comparison_ledger"
COMPARISON_LEDGER_SCHEMA: dict[str, pl.DataType] = {
    "content_hash": pl.String,  # comparison_hash(prompt, A, B)
    "judge_version": pl.String,
    "status": pl.String,  # ok | failed | deferred; only ok answers are served again, the rest are retried
    "winner": pl.String,  # A | B | tie; null unless ok
    "position_consistent": pl.Boolean,
    "confidence": pl.Float64,
    "reasoning": pl.String,
    "error": pl.String,
    "judged_at": pl.Datetime("us", "UTC"),
}
COMPARISON_SCHEMA: dict[str, pl.DataType] = {
    "artifact_id": pl.String,
    "build_id": pl.String,
    "file_path": pl.String,
    "version_a": pl.Int64,  # the earlier version
    "version_b": pl.Int64,  # the later version
    "content_hash": pl.String,  # what the verdict is about: comparison_hash(prompt, code A, code B)
    "status": pl.String,  # ok | failed | deferred (no answer yet: asked again on the next run)
    "winner": pl.String,  # "A", "B", "tie" (both orders agreed on no winner, or disagreed); null unless ok
    "position_consistent": pl.Boolean,
    "confidence": pl.Float64,
    "reasoning": pl.String,
    "judge_version": pl.String,
    "error": pl.String,
}


def comparison_prompt(file_path: str | None) -> str:
    return f"Which version of {file_path} is better code?"


def comparison_hash(prompt: str, a: str, b: str) -> str:
    """The key of one comparison: the pair-generation rule finds a verdict by the exact code it is about."""
    return hashlib.sha256("\x1f".join((prompt, a or "", b or "")).encode()).hexdigest()[:32]


@dataclass
class ComparisonReport:
    compared: int = 0  # rows (consecutive version pairs)
    asked_now: int = 0  # distinct comparisons sent to the judge in this run
    by_status: Counter = field(default_factory=Counter)
    consistent: int = 0  # answered comparisons whose verdict held when the order was swapped
    winners: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def position_consistency_rate(self) -> float:
        answered = self.by_status.get("ok", 0)
        return round(self.consistent / answered, 4) if answered else 1.0


def compare_versions(artifacts: pl.DataFrame, judge: Judge, ledger: JudgmentLedger, version: str) -> tuple[pl.DataFrame, ComparisonReport]:
    """Every two consecutive versions of each artifact, compared in both orders: answered from the
    ledger when this judge version already compared this exact code, else asked now (and the
    answer, whatever its status, recorded)."""
    rows, pairs = [], []
    for artifact in artifacts.iter_rows(named=True):
        versions = json.loads(artifact["versions"] or "[]")
        prompt = comparison_prompt(artifact["file_path"])
        for before, after in zip(versions, versions[1:]):
            pairs.append((prompt, before.get("code", ""), after.get("code", "")))
            rows.append((artifact, before.get("version"), after.get("version")))
    report = ComparisonReport(compared=len(pairs))
    if not pairs:
        return pl.DataFrame(schema=COMPARISON_SCHEMA), report
    hashes = [comparison_hash(*p) for p in pairs]
    keys = pl.DataFrame({"content_hash": hashes, "judge_version": [version] * len(hashes)})
    known = {row["content_hash"]: row for row in ledger.answers(keys).iter_rows(named=True)}
    todo = {h: p for h, p in zip(hashes, pairs) if h not in known}
    fresh, _ = judge.compare_many(list(todo.values()), "code_quality") if todo else ([], 1.0)
    now = dt.datetime.now(dt.timezone.utc)
    new_rows = {
        h: {"content_hash": h, "judge_version": version, "status": r.status,
            "winner": r.winner if r.status == "ok" else None,
            "position_consistent": r.position_consistent if r.status == "ok" else None,
            "confidence": r.confidence if r.status == "ok" else None, "reasoning": r.reasoning, "error": r.error,
            "judged_at": now}
        for h, r in zip(todo, fresh)
    }
    ledger.record(pl.DataFrame(list(new_rows.values()), schema=COMPARISON_LEDGER_SCHEMA))
    report.asked_now = len(new_rows)
    answers = {**known, **new_rows}
    frame = pl.DataFrame(
        [
            {"artifact_id": a["artifact_id"], "build_id": a["build_id"], "file_path": a["file_path"], "version_a": va,
             "version_b": vb, "judge_version": version,
             **{k: answers[h][k] for k in ("content_hash", "status", "winner", "position_consistent", "confidence",
                                           "reasoning", "error")}}
            for (a, va, vb), h in zip(rows, hashes)
        ],
        schema=COMPARISON_SCHEMA,
    )
    report.by_status = Counter(frame.get_column("status").to_list())
    answered = frame.filter(pl.col("status") == "ok")
    report.consistent = int(answered.get_column("position_consistent").sum() or 0)
    report.winners = Counter(answered.get_column("winner").to_list())
    report.failures = [f"{r['artifact_id']} v{r['version_a']}->v{r['version_b']}: {r['error']}"
                       for r in frame.filter(pl.col("status") != "ok").iter_rows(named=True)]
    return frame, report
