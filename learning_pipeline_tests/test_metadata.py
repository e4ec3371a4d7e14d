"""Metadata helpers redact what they show: Dagster's event log is storage too."""

import polars as pl

from learning_pipeline.metadata import markdown_preview, redacted_json, redacted_log, redacted_md

TOKEN = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
PASSWORD = "Tr0ub4dor&3zz"


def test_preview_cells_are_redacted_before_they_are_cut():
    frame = pl.DataFrame({"record_id": [TOKEN], "reason": [f'bad field, value {{"password": "{PASSWORD}"}}']})
    text = markdown_preview(frame).value
    assert TOKEN not in text and PASSWORD not in text and TOKEN[:20] not in text
    assert "[REDACTED:github_token]" in text


def test_json_metadata_redacts_keys_and_values():
    value = redacted_json({f"wrong value {TOKEN}": 2, "examples": [f"DB_PASSWORD={PASSWORD}"], "env": {"DB_PASSWORD": PASSWORD}}).value
    assert TOKEN not in str(value) and PASSWORD not in str(value)
    assert value["env"] == {"DB_PASSWORD": "[REDACTED:password]"}


def test_markdown_and_log_lines_are_redacted():
    assert TOKEN not in redacted_md(f"report: {TOKEN}").value
    logged = []
    redacted_log(logged.append)(f"failed with Authorization: Bearer {TOKEN}")
    assert logged == ["failed with Authorization: Bearer [REDACTED:github_token]"]
