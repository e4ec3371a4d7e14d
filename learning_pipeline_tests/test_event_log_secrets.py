"""Dagster's event log is storage too: after materialising the capture assets over traces with
planted secrets (in texts, in trace members named like secrets, as record ids, in quarantined
lines), no planted value occurs in any event of the instance: metadata previews, quarantine
reasons, examples, log lines."""

from __future__ import annotations

import base64
import random
import string

import dagster as dg
from dagster_shared.serdes import serialize_value

from learning_pipeline.capture.assets import capture_traces, decision_traces
from learning_pipeline_tests.conftest import RECEIVED, decision, envelope, lines_of

_rng = random.Random(4242)


def fake(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


HEX = "0123456789abcdef"
PLANTED = {
    "github": "ghp_" + fake(36),
    "gitlab": "glpat-" + fake(20),
    "shopify": "shpat_" + fake(32, HEX),
    "databricks": "dapi" + fake(32, HEX),
    "digitalocean": "dop_v1_" + fake(64, HEX),
    "mailgun": "key-" + fake(32, HEX),
    "twilio_auth": fake(32, HEX),
    "gcp_key_id": fake(40, HEX),
    "password": "Tr0ub4dor&3" + fake(4),
    "env_password": "hunter2" + fake(6),
    "basic": base64.b64encode(b"admin:" + fake(12).encode()).decode(),
    "jwt_secret": "super-secret-jwt-" + fake(10),
}


def test_no_planted_secret_reaches_the_event_log(learning_home):
    p = PLANTED
    reasoning = (
        f'token {p["github"]}; GITLAB_TOKEN={p["gitlab"]}; const s = "{p["shopify"]}"; '
        f'DATABRICKS_TOKEN={p["databricks"]} DIGITALOCEAN_TOKEN={p["digitalocean"]} '
        f'MAILGUN_API_KEY={p["mailgun"]}; {{"password": "{p["password"]}"}}; '
        f'curl -H "Authorization: Basic {p["basic"]}"; JWT_SECRET=\'{p["jwt_secret"]}\''
    )
    context = {"previousAttempts": 0, "intentSnippet": "a todo app",
               "env": {"TWILIO_AUTH_TOKEN": p["twilio_auth"], "private_key_id": p["gcp_key_id"], "DB_PASSWORD": p["env_password"]}}
    good = decision("d1", context=context)
    good["decision"]["reasoning"] = reasoning
    # a secret as a record id: shown in previews, and in the duplicate check's examples
    as_id = decision(p["github"], phase="deploy")
    # quarantined lines that carry secrets: a wrong type, a bad enum, broken JSON
    wrong_type = decision("d3", buildId={"password": p["password"], "token": p["github"]})
    bad_enum = decision("d4", phase=p["gitlab"])
    broken = ('{"kind": "decision", "data": {"traceId": "d5", "reasoning": "DB_PASSWORD=' + p["env_password"]).encode()
    learning_home.landing().land(
        lines_of(envelope("decision", **good), envelope("decision", **as_id), envelope("decision", **as_id),
                 envelope("decision", **wrong_type), envelope("decision", **bad_enum), broken),
        source="leaky.jsonl", received_at=RECEIVED,
    )
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [capture_traces, decision_traces], resources={"learning_home": learning_home},
        partition_key="2026-03-09", instance=instance,
    )
    assert result.success

    events = [serialize_value(entry) for run in instance.get_runs() for entry in instance.all_logs(run.run_id)]
    text = "\n".join(events)
    # the texts did flow into the event log (previews, reasons), redacted
    assert "[REDACTED:" in text and "quarantine_reasons" in text
    leaked = {name: value for name, value in PLANTED.items() if value in text}
    assert not leaked, f"secrets in the event log: {sorted(leaked)}"
    # and what the lake stored lost them too
    stored = "\n".join(learning_home.lake().read("raw_decisions", ["2026-03-09"]).get_column("payload").to_list())
    quarantined = "\n".join(map(str, learning_home.lake().read("trace_quarantine", ["2026-03-09"]).rows()))
    assert "buildId" in quarantined or "d3" in quarantined
    assert not {name for name, value in PLANTED.items() if value in stored + quarantined}
