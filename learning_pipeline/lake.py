"""The Parquet lake: one file per table partition, replaced atomically.

Layout: ``lake/<table>/date=YYYY-MM-DD/data.parquet`` for daily-partitioned tables,
``lake/<table>/<static key>/...`` for other partitioned ones (the key column name is given),
``lake/<table>/data.parquet`` for the rest. A write goes to a temporary file in the same folder,
is fsynced and renamed over the old one, so readers never see half a file and re-running a
partition replaces it instead of appending (idempotent reruns and backfills).

DuckDB is used as an in-process query engine over these files, never as the store: one
DuckDB database file allows one writer process, and runs, sensors and the API are many.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import polars as pl

DATA_FILE = "data.parquet"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write) -> None:
    """`write(temporary path)`, then fsync + rename over `path` + fsync of the folder: readers see
    the old file or the new one, never half of one, and a crash leaves no partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        publish(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def publish(finished: Path, path: Path) -> None:
    """Make a fully written file in `path`'s folder durable and put it in place atomically."""
    with open(finished, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(finished, path)
    _fsync_dir(path.parent)


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(payload))


class Lake:
    def __init__(self, root: Path | str):
        self.root = Path(root)

    def table_dir(self, table: str) -> Path:
        return self.root / table

    def partition_path(self, table: str, partition: str | None = None, key: str = "date") -> Path:
        if partition is None:
            return self.table_dir(table) / DATA_FILE
        return self.table_dir(table) / f"{key}={partition}" / DATA_FILE

    def write(self, table: str, frame: pl.DataFrame, partition: str | None = None, key: str = "date") -> Path:
        path = self.partition_path(table, partition, key)
        atomic_write(path, lambda tmp: frame.write_parquet(tmp, compression="zstd", statistics=True))
        return path

    def partitions(self, table: str, key: str = "date") -> list[str]:
        base = self.table_dir(table)
        if not base.exists():
            return []
        prefix = f"{key}="
        return sorted(
            child.name[len(prefix):]
            for child in base.iterdir()
            if child.name.startswith(prefix) and (child / DATA_FILE).exists()
        )

    def has(self, table: str, partition: str | None = None, key: str = "date") -> bool:
        return self.partition_path(table, partition, key).exists()

    def read(
        self,
        table: str,
        partitions: list[str] | None = None,
        schema: dict | None = None,
        key: str = "date",
    ) -> pl.DataFrame:
        """All rows of a table (or of some partitions). The partition key is not added as a column:
        tables carry their own date columns. Missing table -> empty frame with `schema` if given."""
        if self.partition_path(table).exists():
            paths = [self.partition_path(table)]
        else:
            wanted = partitions if partitions is not None else self.partitions(table, key)
            paths = [self.partition_path(table, p, key) for p in wanted if self.has(table, p, key)]
        if not paths:
            return pl.DataFrame(schema=schema) if schema is not None else pl.DataFrame()
        frames = [pl.read_parquet(p) for p in paths]
        return pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]

    def row_count(self, table: str, partition: str | None = None, key: str = "date") -> int:
        path = self.partition_path(table, partition, key)
        if not path.exists():
            return 0
        return pl.scan_parquet(path).select(pl.len()).collect().item()

    def total_rows(self, table: str) -> int:
        """Rows over every file of a table, whatever its partitioning."""
        files = sorted(self.table_dir(table).rglob(DATA_FILE))
        return sum(pl.scan_parquet(f).select(pl.len()).collect().item() for f in files)

    def tables(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def duckdb(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with one view per lake table."""
        con = duckdb.connect(":memory:")
        for table in self.tables():
            files = list(self.table_dir(table).rglob(DATA_FILE))
            if not files:
                continue
            glob = str(self.table_dir(table) / "**" / DATA_FILE) if not self.partition_path(table).exists() else str(self.partition_path(table))
            con.execute(
                f"CREATE VIEW \"{table}\" AS SELECT * FROM read_parquet('{glob}', union_by_name=true, hive_partitioning=false)"
            )
        return con
