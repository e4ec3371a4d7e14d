"""Small helpers that turn frames into Dagster metadata the UI can show.

Dagster's event log is storage too: every text an asset puts into metadata or a log line
(previews, quarantine reasons, examples, reports, error messages) goes through the redaction
rules first, here, so no caller has to remember it.
"""

from __future__ import annotations

from typing import Callable

import dagster as dg
import polars as pl

from learning_pipeline.capture.redaction import redact_obj, redact_text


def table_schema_metadata(schema: dict[str, pl.DataType], table: str | None = None) -> dg.TableSchema:
    """Column names and types, each with its meaning from the lake's data dictionary."""
    from learning_pipeline.columns import describe

    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype), description=describe(name, table)) for name, dtype in schema.items()])


def redacted(text: object) -> str:
    """`text` as a string, with every secret replaced by its marker."""
    return redact_text(str(text))[0]


def _redact_keys(value: object) -> object:
    if isinstance(value, dict):
        return {redacted(k): _redact_keys(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_keys(v) for v in value]
    return value


def redacted_json(value: object) -> dg.MetadataValue:
    """JSON metadata with secrets redacted in values and keys (quarantine reasons are keys)."""
    return dg.MetadataValue.json(_redact_keys(redact_obj(value)[0]))


def redacted_md(text: str) -> dg.MetadataValue:
    return dg.MetadataValue.md(redacted(text))


def redacted_log(log: Callable[[str], object]) -> Callable[[str], None]:
    """A log function (`context.log.info`) that redacts its message first."""
    return lambda message: log(redacted(message))


def markdown_preview(frame: pl.DataFrame, columns: list[str] | None = None, rows: int = 5) -> dg.MetadataValue:
    shown = frame.select([c for c in (columns or frame.columns) if c in frame.columns]).head(rows)
    if not shown.height:
        return dg.MetadataValue.md("_empty_")

    def cell(value: object) -> str:
        # redacted before it is cut: a cut could leave half a key that no rule recognises
        return redacted(value).replace("|", "\\|").replace("\n", " ")[:60]

    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * shown.width]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.iter_rows()]
    return dg.MetadataValue.md("\n".join(lines))
