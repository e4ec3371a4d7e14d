"""Writing a simulation: the trace file (.jsonl or .jsonl.gz), its bad lines and the truth beside it."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from learning_pipeline.simulation.bad_lines import BadLines
from learning_pipeline.simulation.timeline import generate_events, window
from learning_pipeline.simulation.truth import TruthRecord, truth_document
from learning_pipeline.simulation.vocabulary import KINDS
from learning_pipeline.simulation.wire_values import dumps


@dataclass
class SimulationSummary:
    builds: int
    lines: int
    lines_by_kind: dict[str, int]
    bad_lines: int
    planted_secrets: int
    out: Path
    truth_path: Path


def truth_path_for(out: Path | str) -> Path:
    """``traces.jsonl`` / ``traces.jsonl.gz`` -> ``traces.truth.json`` beside it."""
    out = Path(out)
    name = out.name
    for suffix in (".jsonl.gz", ".json.gz", ".gz", ".jsonl", ".json"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return out.with_name(f"{name}.truth.json")


def iter_events(builds: int, seed: int = 0, days: int = 30, end_date: dt.date | None = None,
                secret_rate: float = 0.02, bad_line_rate: float = 0.0) -> Iterator[dict]:
    """The good ``{"kind", "data"}`` envelopes, in the order `simulate` writes them with the same
    arguments. Bad lines are extra lines inserted between these, so `bad_line_rate` (accepted to
    mirror `simulate`) never changes this stream."""
    del bad_line_rate
    for event in generate_events(builds, seed, days, end_date, secret_rate):
        yield {"kind": event.kind, "data": event.data}


def simulate(builds: int, seed: int = 0, days: int = 30, out: Path | str = Path("traces.jsonl"),
             end_date: dt.date | None = None, bad_line_rate: float = 0.01,
             secret_rate: float = 0.02) -> SimulationSummary:
    """Write `builds` simulated builds to `out` (.jsonl or .jsonl.gz) and the truth beside it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    truth = TruthRecord()
    bad = BadLines(seed, bad_line_rate)
    start_ms, end_ms, end_day = window(days, end_date)
    lines_by_kind = {kind: 0 for kind in KINDS}
    bad_lines: list[dict] = []
    secrets: list[dict] = []
    line_no = 0
    raw = open(out, "wb")
    try:
        sink = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if out.name.endswith(".gz") else raw
        buffer: list[str] = []
        buffered = 0

        def write(text: str) -> None:
            nonlocal buffered
            buffer.append(text)
            buffered += len(text)
            if buffered > 1 << 20:
                sink.write("".join(buffer).encode("utf-8"))
                buffer.clear()
                buffered = 0

        for event in generate_events(builds, seed, days, end_date, secret_rate, truth):
            line_no += 1
            write(dumps({"kind": event.kind, "data": event.data}) + "\n")
            lines_by_kind[event.kind] += 1
            for planted in event.secrets or ():
                secrets.append({**planted, "line": line_no, "record_kind": event.kind,
                                "id": record_id(event.data)})
            bad.remember(event.kind, event.data, bool(event.secrets))
            corrupt = bad.maybe()
            if corrupt is not None:
                text, info = corrupt
                line_no += 1
                write(text + "\n")
                bad_lines.append({"line": line_no, **info})
        sink.write("".join(buffer).encode("utf-8"))
        if sink is not raw:
            sink.close()
    finally:
        raw.close()

    truth_doc = truth_document(truth, builds, seed, days, end_day, start_ms, end_ms, bad_line_rate, secret_rate,
                                lines_by_kind, bad_lines, secrets, line_no)
    truth_path = truth_path_for(out)
    truth_path.write_text(json.dumps(truth_doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return SimulationSummary(builds=builds, lines=line_no, lines_by_kind=lines_by_kind, bad_lines=len(bad_lines),
                             planted_secrets=len(secrets), out=out, truth_path=truth_path)


def record_id(data: dict) -> str | None:
    for key in ("traceId", "artifactId", "choiceId", "errorId"):
        if key in data:
            return data[key]
    return None
