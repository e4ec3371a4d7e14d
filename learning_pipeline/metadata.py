"""Small helpers that turn frames into Dagster metadata the UI can show."""

from __future__ import annotations

import dagster as dg
import polars as pl


def table_schema_metadata(schema: dict[str, pl.DataType], table: str | None = None) -> dg.TableSchema:
    """Column names and types, each with its meaning from the lake's data dictionary."""
    from learning_pipeline.columns import describe

    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype), description=describe(name, table)) for name, dtype in schema.items()])


def markdown_preview(frame: pl.DataFrame, columns: list[str] | None = None, rows: int = 5) -> dg.MetadataValue:
    shown = frame.select([c for c in (columns or frame.columns) if c in frame.columns]).head(rows)
    if not shown.height:
        return dg.MetadataValue.md("_empty_")
    cell = lambda v: str(v).replace("|", "\\|").replace("\n", " ")[:60]  # noqa: E731
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * shown.width]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in shown.iter_rows()]
    return dg.MetadataValue.md("\n".join(lines))
