"""Where the daily partitions start: configured, else where the data starts."""

import datetime as dt

from learning_pipeline.capture.landing import LandingZone
from learning_pipeline.config import PARTITION_START_FILE, partition_start_from_env
from learning_pipeline_tests.conftest import RECEIVED, decision, envelope, lines_of


def test_the_partition_start_follows_the_first_ingest_and_then_stays_put(tmp_path, monkeypatch):
    monkeypatch.delenv("LEARNING_PARTITION_START")
    home = tmp_path / "home"
    # Nothing landed yet: the last 30 days, not a year of empty partitions.
    assert partition_start_from_env(home) == (dt.date.today() - dt.timedelta(days=29)).isoformat()

    zone = LandingZone(home / "landing")
    zone.land(lines_of(*(envelope("decision", **decision(f"d{d}", created_at=f"2026-03-0{d}T10:00:00.000Z")) for d in (4, 2, 6))),
              "t.jsonl", RECEIVED)
    assert partition_start_from_env(home) == "2026-03-02"
    # A later import of older traces does not move it (they are quarantined, with the reason).
    zone.land(lines_of(envelope("decision", **decision("old", created_at="2025-01-01T10:00:00.000Z"))), "old.jsonl", RECEIVED)
    assert partition_start_from_env(home) == "2026-03-02"
    # A landing zone from before the marker existed: its earliest day.
    (home / "landing" / PARTITION_START_FILE).unlink()
    assert partition_start_from_env(home) == "2025-01-01"
    # Configured at set-up: the variable wins.
    monkeypatch.setenv("LEARNING_PARTITION_START", "2026-01-15")
    assert partition_start_from_env(home) == "2026-01-15"


def test_a_step_cap_makes_one_pass_over_the_pairs_but_no_more_than_the_cap():
    from learning_pipeline.config import DPOTrainingConfig

    config = DPOTrainingConfig(batch_size=16)
    assert config.capped(767, 150).max_steps == 48  # one pass: ceil(767 / 16)
    assert config.capped(4000, 150).max_steps == 150  # the cap
    assert config.capped(5, 150).max_steps == 1
    assert config.capped(767, -1) is config  # no cap: epochs decide
    explicit = DPOTrainingConfig(max_steps=24)
    assert explicit.capped(767, 150) is explicit  # an explicit step count is kept as it is
