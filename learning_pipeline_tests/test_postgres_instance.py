"""The PostgreSQL instance storage, for real, against the server on 127.0.0.1:5432."""

import shutil
import uuid
from pathlib import Path

import dagster as dg
import psycopg2
import pytest

from learning_pipeline.capture.assets import capture_traces
from learning_pipeline_tests.conftest import decision, envelope, lines_of, RECEIVED

ROOT = Path(__file__).resolve().parents[1]
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _admin():
    try:
        con = psycopg2.connect(ADMIN_DSN, connect_timeout=5)
    except psycopg2.OperationalError as err:  # pragma: no cover - the machines here run PostgreSQL
        pytest.fail(f"PostgreSQL on 127.0.0.1:5432 is required for this test: {err}")
    con.autocommit = True
    return con


@pytest.fixture
def scratch_database(monkeypatch):
    name = f"learning_test_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv("DAGSTER_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("DAGSTER_PG_PORT", "5432")
    monkeypatch.setenv("DAGSTER_PG_DB", name)
    monkeypatch.setenv("DAGSTER_PG_USER", "postgres")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "unused-with-trust-auth")
    try:
        yield name
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.heavy
def test_materializations_are_stored_in_postgres_and_read_back(scratch_database, learning_home, tmp_path):
    dagster_home = tmp_path / "pg_home"
    dagster_home.mkdir()
    shutil.copy(ROOT / "dagster.postgres.yaml", dagster_home / "dagster.yaml")
    learning_home.landing().land(lines_of(envelope("decision", **decision())), "t.jsonl", RECEIVED)

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        result = dg.materialize(
            [capture_traces], resources={"learning_home": learning_home}, partition_key="2026-03-09", instance=instance
        )
        assert result.success
        event = instance.get_latest_materialization_event(dg.AssetKey("raw_decisions"))
        assert event.asset_materialization.partition == "2026-03-09"
        assert event.asset_materialization.metadata["dagster/row_count"].value == 1
        assert instance.get_materialized_partitions(dg.AssetKey("trace_quarantine")) == {"2026-03-09"}

    # Read back through a plain SQL connection too: the events really are in that database.
    con = psycopg2.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={scratch_database}")
    try:
        cur = con.cursor()
        cur.execute("SELECT count(*) FROM event_logs WHERE asset_key LIKE %s", ('%raw_decisions%',))
        assert cur.fetchone()[0] >= 1
        cur.execute("SELECT count(*) FROM runs")
        assert cur.fetchone()[0] == 1
    finally:
        con.close()
