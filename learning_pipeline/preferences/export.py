"""Export pairs for training: TRL's conversational preference format, or flat JSONL with provenance."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from learning_pipeline.lake import atomic_write_bytes
from learning_pipeline.preferences.secret_scan import scan_export_lines, summarise
from learning_pipeline.preferences.split import FLAGGED

FORMATS = ("trl", "jsonl")
SPLITS = ("train", "held_out", "all")
PROVENANCE_COLUMNS = ("pair_id", "domain", "prompt", "chosen", "rejected", "judgment_reasoning", "margin",
                      "source_ids", "judgment_ids", "judge_version", "build_id", "created_at", "split", "flag")


def select_split(pairs: pl.DataFrame, split: str, fmt: str) -> pl.DataFrame:
    """The pairs an export of `split` holds. Flagged pairs (a chosen side that reads like prompt
    injection) never go into a TRL file, whatever the split: that format is for training. The
    provenance format's `all` carries them, with `split` and `flag`, for someone to review."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    if split != "all":
        return pairs.filter(pl.col("split") == split)
    return pairs.filter(pl.col("split") != FLAGGED) if fmt == "trl" else pairs


def trl_record(row: dict) -> dict:
    """What TRL's DPOTrainer consumes: prompt/chosen/rejected as message lists."""
    return {
        "prompt": [{"role": "user", "content": row["prompt"]}],
        "chosen": [{"role": "assistant", "content": row["chosen"]}],
        "rejected": [{"role": "assistant", "content": row["rejected"]}],
    }


def export_lines(pairs: pl.DataFrame, fmt: str) -> list[str]:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {FORMATS}")
    lines = []
    for row in pairs.iter_rows(named=True):
        if fmt == "trl":
            record = trl_record(row)
        else:
            record = {k: row[k] for k in PROVENANCE_COLUMNS if k in row}
            record["source_ids"] = json.loads(record.get("source_ids") or "[]")
            record["judgment_ids"] = json.loads(record.get("judgment_ids") or "[]")
            record["created_at"] = row["created_at"].isoformat() if row.get("created_at") else None
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def secrets_in(lines: list[str]) -> list[tuple[int, str]]:
    """(line number, "scanner: kind, ...") of export lines in which either of two independent
    scanners finds a secret: detect-secrets, and our redaction rules (secret_scan.py)."""
    return summarise(scan_export_lines(lines))


class SecretInExportError(RuntimeError):
    pass


def write_export(pairs: pl.DataFrame, fmt: str, out: Path) -> int:
    """Write the export atomically; refuse (and write nothing) if any line still holds a secret."""
    lines = export_lines(pairs, fmt)
    hits = secrets_in(lines)
    if hits:
        shown = "; ".join(f"line {n}: {kinds}" for n, kinds in hits[:5])
        raise SecretInExportError(f"export refused: {len(hits)} pairs still contain secrets ({shown})")
    atomic_write_bytes(Path(out), ("\n".join(lines) + "\n").encode() if lines else b"")
    return len(lines)
