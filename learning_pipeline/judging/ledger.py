"""The judgment ledger: every verdict ever given, keyed by (item content hash, judge_version).

A judgments partition is rebuilt from the ledger: an item whose content and judge are
unchanged is answered from here (zero LLM calls on a rerun), an item a new judge version has
not seen is judged once and appended. Each run appends one immutable part file, so runs on
different partitions never contend for a file, and failed or deferred judgments are recorded
too (visible, with their reason) but never served as answers: the next run retries them.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import msgspec
import polars as pl

from learning_pipeline.judging.verdicts import Judgment
from learning_pipeline.lake import Lake

LEDGER_TABLE = "judgment_ledger"
PART_KEY = "part"

JUDGMENT_SCHEMA: dict[str, pl.DataType] = {
    "content_hash": pl.String,
    "judge_version": pl.String,
    "judge_type": pl.String,
    "item_id": pl.String,
    "item_kind": pl.String,
    "build_id": pl.String,
    "status": pl.String,
    "overall": pl.Float64,
    "categories": pl.String,  # JSON {category: score}
    "confidence": pl.Float64,
    "issues": pl.String,  # JSON list of issues
    "recommendations": pl.String,  # JSON list of strings
    "reasoning": pl.String,
    "thinking_trace": pl.String,
    "model_used": pl.String,
    "error": pl.String,
    "prompt_tokens": pl.Int64,
    "completion_tokens": pl.Int64,
    "cost_usd": pl.Float64,
    "attempts": pl.Int64,
    "judged_at": pl.Datetime("us", "UTC"),
}


def judgment_rows(judgments: list[Judgment], judged_at: dt.datetime | None = None) -> pl.DataFrame:
    judged_at = judged_at or dt.datetime.now(dt.timezone.utc)
    rows = []
    for j in judgments:
        v = j.verdict
        rows.append(
            {
                "content_hash": j.item.content_hash,
                "judge_version": j.judge_version,
                "judge_type": j.item.judge_type,
                "item_id": j.item.item_id,
                "item_kind": j.item.item_kind,
                "build_id": j.item.build_id,
                "status": j.status,
                "overall": v.overall if v else None,
                "categories": json.dumps(v.categories) if v else None,
                "confidence": v.confidence if v else None,
                "issues": msgspec.json.encode(v.issues).decode() if v else None,
                "recommendations": json.dumps(v.recommendations) if v else None,
                "reasoning": v.reasoning if v else None,
                "thinking_trace": v.thinking_trace if v else None,
                "model_used": j.model_used,
                "error": j.error,
                "prompt_tokens": j.prompt_tokens,
                "completion_tokens": j.completion_tokens,
                "cost_usd": j.cost_usd,
                "attempts": j.attempts,
                "judged_at": judged_at,
            }
        )
    return pl.DataFrame(rows, schema=JUDGMENT_SCHEMA)


class JudgmentLedger:
    def __init__(self, lake: Lake, table: str = LEDGER_TABLE, schema: dict[str, pl.DataType] = JUDGMENT_SCHEMA):
        self.lake, self.table, self.schema = lake, table, schema

    def _scan(self) -> pl.LazyFrame | None:
        if not self.lake.partitions(self.table, PART_KEY):
            return None
        return pl.scan_parquet(self.lake.table_dir(self.table) / f"{PART_KEY}=*" / "data.parquet")

    def answers(self, keys: pl.DataFrame) -> pl.DataFrame:
        """The newest successful verdict for each (content_hash, judge_version) in `keys`."""
        scan = self._scan()
        if scan is None or keys.height == 0:
            return pl.DataFrame(schema=self.schema)
        return (
            scan.filter(pl.col("status") == "ok")
            .join(keys.lazy().select("content_hash", "judge_version").unique(), on=["content_hash", "judge_version"], how="semi")
            .sort("judged_at")
            .unique(["content_hash", "judge_version"], keep="last")
            .collect()
        )

    def record(self, rows: pl.DataFrame) -> None:
        if rows.height:
            part = f"{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
            self.lake.write(self.table, rows.select(list(self.schema)).cast(self.schema), part, key=PART_KEY)

    def all(self) -> pl.DataFrame:
        scan = self._scan()
        return scan.collect() if scan is not None else pl.DataFrame(schema=self.schema)
