"""The Parquet lake: atomic partition files, reads across partitions, DuckDB over the files."""

import polars as pl

from learning_pipeline.lake import Lake


def test_partitions_are_replaced_not_appended_and_duckdb_reads_them(tmp_path):
    lake = Lake(tmp_path)
    lake.write("events", pl.DataFrame({"id": [1, 2]}), "2026-03-01")
    lake.write("events", pl.DataFrame({"id": [3]}), "2026-03-02")
    lake.write("events", pl.DataFrame({"id": [1, 2, 4]}), "2026-03-01")  # a rerun of that day
    assert lake.partitions("events") == ["2026-03-01", "2026-03-02"]
    assert sorted(lake.read("events")["id"].to_list()) == [1, 2, 3, 4]
    assert lake.total_rows("events") == 4
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    with lake.duckdb() as con:
        assert con.execute("SELECT count(*), max(id) FROM events").fetchone() == (4, 4)


def test_reading_a_missing_table_gives_the_declared_schema(tmp_path):
    frame = Lake(tmp_path).read("nothing_yet", schema={"id": pl.Int64})
    assert frame.height == 0 and frame.schema == {"id": pl.Int64}
