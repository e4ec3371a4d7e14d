"""The export's secret check reads each export with two independent scanners: detect-secrets
and our redaction rules. A secret one of them misses is caught by the other."""

from __future__ import annotations

import base64
import json
import random
import string

import polars as pl
import pytest

from learning_pipeline.preferences.checks import check_export_free_of_secrets
from learning_pipeline.preferences.export import SecretInExportError, trl_record, write_export
from learning_pipeline.preferences.secret_scan import DETECT_SECRETS, REDACTION_RULES, scan_export_lines

_rng = random.Random(99)


def fake(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def export_line(chosen: str) -> str:
    return json.dumps(trl_record({"prompt": "Write the settings module", "chosen": chosen, "rejected": "pass"}))


CLEAN = [
    "export const settings = { retries: 3, region: 'eu-west-1' };",
    "const apiKey = process.env.API_KEY;\nconst password = form.get('password');",
    'const token = "[REDACTED:github_token]"; // redacted at capture',
    "interface Login { email: string; password: string }",
]


def test_a_clean_export_passes_both_scanners():
    assert scan_export_lines([export_line(text) for text in CLEAN]) == []


def test_a_secret_only_detect_secrets_sees_is_caught():
    # an unnamed 40-hex literal: our rules leave hex digests alone, detect-secrets' hex
    # entropy plugin does not
    hex_secret = fake(40, "0123456789abcdef")
    findings = scan_export_lines([export_line(CLEAN[0]), export_line(f'const signingValue = "{hex_secret}";')])
    assert {(f.line, f.scanner) for f in findings} == {(2, DETECT_SECRETS)}


def test_a_text_line_scanned_once_is_reported_on_every_export_line_that_holds_it():
    # distinct text lines are scanned once: the finding must still reach each line holding it
    secret_line = f'const signingValue = "{fake(40, "0123456789abcdef")}";'
    lines = [export_line(secret_line), export_line(CLEAN[0]), export_line(f"{CLEAN[3]}\n{secret_line}")]
    assert {(f.line, f.scanner) for f in scan_export_lines(lines)} == {(1, DETECT_SECRETS), (3, DETECT_SECRETS)}


@pytest.mark.parametrize(
    "text",
    [
        f"DB_PASSWORD={fake(12)}",
        "Authorization: Basic " + base64.b64encode(b"deploy:" + fake(10).encode()).decode(),
        f"connection failed: password was {fake(6)}9x",
    ],
)
def test_a_secret_only_our_rules_see_is_caught(text: str):
    findings = scan_export_lines([export_line(CLEAN[0]), export_line(text)])
    assert {f.line for f in findings} == {2}
    assert REDACTION_RULES in {f.scanner for f in findings}


def test_both_scanners_report_a_provider_key():
    findings = scan_export_lines([export_line(f"token ghp_{fake(36)}")])
    assert {f.scanner for f in findings} == {DETECT_SECRETS, REDACTION_RULES}


def test_write_export_refuses_and_names_line_and_scanner(tmp_path):
    pairs = pl.DataFrame({"prompt": ["a", "b"], "chosen": [CLEAN[0], f'const v = "{fake(40, "0123456789abcdef")}";'],
                          "rejected": ["x", "y"]})
    out = tmp_path / "pairs.jsonl"
    with pytest.raises(SecretInExportError, match="line 2: detect-secrets: Hex High Entropy String"):
        write_export(pairs, "trl", out)
    assert not out.exists()


def test_the_check_remembers_clean_lines_but_rescans_with_our_rules(tmp_path):
    path = tmp_path / "preference_pairs.trl.jsonl"
    lines = [export_line(text) for text in CLEAN]
    path.write_text("\n".join(lines) + "\n")
    result = check_export_free_of_secrets(path)
    assert result.passed and result.metadata["lines_scanned"].value == len(CLEAN)
    cache = path.with_name(path.name + ".clean-lines.json")
    assert len(json.loads(cache.read_text())["clean"]) == len(CLEAN)
    # a secret added to the export is found, though the other lines are not read by detect-secrets again
    leaky = export_line(f"STRIPE_SECRET=sk_live_{fake(24)}")
    path.write_text("\n".join([*lines, leaky]) + "\n")
    result = check_export_free_of_secrets(path)
    assert not result.passed
    assert result.metadata["lines_flagged_by_redaction_rules"].value == 1
    assert result.metadata["first_hits"].value.startswith("line 5: ")
    assert "sk_live_" not in json.dumps({k: str(v.value) for k, v in result.metadata.items()})
